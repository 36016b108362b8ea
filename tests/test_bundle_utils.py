# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.bundle_utils: bundle discovery, offline metadata validation, hashing and zip packaging."""

from __future__ import annotations

import copy
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from monai_angio.bundle_utils import (
    SCHEMA_URL,
    file_hash,
    find_bundles,
    input_list,
    load_json,
    metadata_problems,
    package_bundle,
    validate_metadata,
    write_large_files_yml,
)

SCHEMA_FILE = Path(__file__).resolve().parent / "testdata" / "meta_schema_20240725.json"


def _tensor(channels: int) -> dict:
    return {
        "type": "image",
        "format": "magnitude",
        "num_channels": channels,
        "spatial_shape": ["8*n", "8*n"],
        "dtype": "float32",
        "value_range": [0, 1],
    }


VALID = {
    "schema": SCHEMA_URL,
    "version": "0.2.0",
    "changelog": {"0.2.0": "second", "0.1.0": "first"},
    "monai_version": "1.6.1",
    "pytorch_version": "2.13.0",
    "numpy_version": "2.4.6",
    "required_packages_version": {"monai-angio": "0.1.0"},
    "task": "deblurring",
    "description": "a bundle",
    "authors": "me",
    "copyright": "me",
    "network_data_format": {"inputs": {"image": _tensor(1)}, "outputs": {"pred": _tensor(1)}},
}


@pytest.fixture(scope="module")
def schema():
    return load_json(SCHEMA_FILE)


def test_stored_schema_is_the_20240725_schema(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2019-09/schema"
    assert schema["required"] == [
        "schema",
        "version",
        "monai_version",
        "pytorch_version",
        "numpy_version",
        "required_packages_version",
        "task",
        "description",
        "authors",
        "copyright",
        "network_data_format",
    ]
    assert schema["$defs"]["tensor"]["required"] == [
        "type",
        "format",
        "num_channels",
        "spatial_shape",
        "dtype",
        "value_range",
    ]


def test_valid_metadata_has_no_problem(schema):
    assert metadata_problems(VALID, schema) == []


@pytest.mark.parametrize("key", ["version", "monai_version", "numpy_version", "required_packages_version", "authors"])
def test_missing_required_field_is_reported(schema, key):
    meta = copy.deepcopy(VALID)
    del meta[key]
    problems = metadata_problems(meta, schema)
    assert any(f"'{key}' is a required property" in p for p in problems), problems


def test_wrong_types_are_reported(schema):
    meta = copy.deepcopy(VALID)
    meta["network_data_format"]["inputs"]["image"]["num_channels"] = "1"
    meta["required_packages_version"] = ["monai"]
    problems = metadata_problems(meta, schema)
    assert any(p.startswith("schema: network_data_format/inputs/image") for p in problems), problems
    assert any(p.startswith("schema: required_packages_version") for p in problems), problems


def test_repository_rules(schema):
    meta = copy.deepcopy(VALID)
    meta["changelog"] = {"0.1.0": "first"}
    del meta["network_data_format"]["outputs"]["pred"]["dtype"]
    meta["network_data_format"]["inputs"] = {"frames": 2}
    problems = metadata_problems(meta, schema)
    assert "'changelog' has no entry for the current version '0.2.0'." in problems
    assert "network_data_format#outputs#pred lacks 'dtype'." in problems
    assert "network_data_format#inputs has no 'image' entry." in problems
    assert any("inputs#frames must be a typed tensor" in p for p in problems)
    no_changelog = {k: v for k, v in VALID.items() if k != "changelog"}
    assert any("'changelog' must be" in p for p in metadata_problems(no_changelog, schema))


def test_validate_metadata_names_the_file(tmp_path):
    good = tmp_path / "metadata.json"
    good.write_text(json.dumps(VALID))
    assert validate_metadata(good, SCHEMA_FILE)["version"] == "0.2.0"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**VALID, "version": 2}))
    with pytest.raises(ValueError, match=r"bad\.json: invalid bundle metadata"):
        validate_metadata(bad, SCHEMA_FILE)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ValueError, match=r"broken\.json: invalid JSON"):
        validate_metadata(broken, SCHEMA_FILE)
    with pytest.raises(ValueError, match="not found"):
        validate_metadata(tmp_path / "missing.json", SCHEMA_FILE)


def test_find_bundles(tmp_path):
    (tmp_path / "b_bundle" / "configs").mkdir(parents=True)
    (tmp_path / "a_bundle" / "configs").mkdir(parents=True)
    (tmp_path / "not_a_bundle").mkdir()
    (tmp_path / "file.txt").write_text("x")
    assert [p.name for p in find_bundles(tmp_path)] == ["a_bundle", "b_bundle"]
    with pytest.raises(ValueError, match="not a folder"):
        find_bundles(tmp_path / "file.txt")


def test_file_hash(tmp_path):
    path = tmp_path / "w.bin"
    path.write_bytes(b"weights" * 1000)
    assert file_hash(path) == hashlib.sha256(b"weights" * 1000).hexdigest()
    assert file_hash(path, "md5", chunk_size=7) == hashlib.md5(b"weights" * 1000).hexdigest()
    with pytest.raises(ValueError, match="hash_type"):
        file_hash(path, "crc32")


def test_large_files_yml_is_read_by_monai(tmp_path):
    pytest.importorskip("yaml")
    from monai.bundle import ConfigParser

    entries = [{"path": "models/model.pt", "url": "file:///x/model.pt", "hash_val": "abc", "hash_type": "sha256"}]
    path = write_large_files_yml(tmp_path / "large_files.yml", entries)
    assert ConfigParser.load_config_file(path) == {"large_files": entries}


def _bundle(root: Path, weights: bytes = b"w" * 100) -> Path:
    bundle = root / "demo_bundle"
    (bundle / "configs").mkdir(parents=True)
    (bundle / "configs" / "metadata.json").write_text(json.dumps(VALID))
    (bundle / "configs" / "inference.json").write_text("{}")
    (bundle / "models").mkdir()
    (bundle / "models" / "model.pt").write_bytes(weights)
    (bundle / "docs").mkdir()
    (bundle / "docs" / "README.md").write_text("# demo")
    for junk in ("__pycache__/x.pyc", "eval/out.nii.gz", "logs/run.log", "scripts/__pycache__/m.pyc"):
        (bundle / junk).parent.mkdir(parents=True, exist_ok=True)
        (bundle / junk).write_text("junk")
    (bundle / "scripts" / "evaluate_helper.py").write_text("x = 1")
    return bundle


def test_package_bundle_layout(tmp_path):
    bundle = _bundle(tmp_path / "src")
    result = package_bundle(bundle, tmp_path / "dist")
    assert result.zip_path == (tmp_path / "dist" / "demo_bundle_v0.2.0.zip").resolve()
    assert result.large_files == []
    with zipfile.ZipFile(result.zip_path) as zf:
        names = sorted(zf.namelist())
        assert zf.read("demo_bundle/models/model.pt") == b"w" * 100
    assert names == [
        "demo_bundle/configs/inference.json",
        "demo_bundle/configs/metadata.json",
        "demo_bundle/docs/README.md",
        "demo_bundle/models/model.pt",
        "demo_bundle/scripts/evaluate_helper.py",
    ]
    assert [p.name for p in (tmp_path / "dist").iterdir()] == ["demo_bundle_v0.2.0.zip"]  # no temporary left


def test_package_bundle_large_files(tmp_path):
    bundle = _bundle(tmp_path / "src", weights=b"x" * 5000)
    result = package_bundle(
        bundle, tmp_path / "dist", max_file_size=1000, large_file_url="https://host/b/", hash_type="md5"
    )
    assert result.large_files == [
        {
            "path": "models/model.pt",
            "url": "https://host/b/demo_bundle/models/model.pt",
            "hash_val": hashlib.md5(b"x" * 5000).hexdigest(),
            "hash_type": "md5",
        }
    ]
    with zipfile.ZipFile(result.zip_path) as zf:
        assert "demo_bundle/models/model.pt" not in zf.namelist()
        yml = zf.read("demo_bundle/large_files.yml").decode()
    assert yml.splitlines()[0] == "large_files:"
    assert '  - path: "models/model.pt"' in yml and hashlib.md5(b"x" * 5000).hexdigest() in yml

    local = package_bundle(bundle, tmp_path / "dist2", max_file_size=1000)  # no URL: file:// copy beside the zip
    copy_path = tmp_path / "dist2" / "demo_bundle_large_files" / "models" / "model.pt"
    assert copy_path.read_bytes() == b"x" * 5000
    assert local.large_files[0]["url"] == copy_path.resolve().as_uri()


def test_package_bundle_errors(tmp_path):
    with pytest.raises(ValueError, match="not a bundle folder"):
        package_bundle(tmp_path, tmp_path / "dist")
    bundle = _bundle(tmp_path / "src")
    with pytest.raises(ValueError, match="hash_type"):
        package_bundle(bundle, tmp_path / "dist", hash_type="crc")
    (bundle / "configs" / "metadata.json").write_text(json.dumps({k: v for k, v in VALID.items() if k != "version"}))
    with pytest.raises(ValueError, match="no 'version'"):
        package_bundle(bundle, tmp_path / "dist")


def test_input_list_names_the_option_of_missing_data():
    assert input_list("cine.dcm", "--dataset_dir") == ["cine.dcm"]
    assert input_list(Path("a"), "--dataset_dir") == [Path("a")]
    assert input_list(["a", "b"], "--dataset_dir") == ["a", "b"]
    assert input_list(None, "--dataset_dir", optional=True) is None
    assert input_list([], "--dataset_dir", optional=True) is None
    for unset in (None, "", [], ()):
        with pytest.raises(ValueError, match=r"no input data: set --dataset_dir to a DICOM file"):
            input_list(unset, "--dataset_dir")
    with pytest.raises(ValueError, match=r"video, or phantom_count above 0\.$"):
        input_list(None, "--dataset_dir", alternative="phantom_count above 0")
