# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of scripts/package_bundles.py: model-zoo zips that MONAI's own download/load install and run elsewhere."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from module_loader import bundle_testing, load_module
from monai.bundle import ConfigWorkflow, download, load

from monai_angio.bundle_utils import file_hash

REPO_ROOT = Path(__file__).resolve().parents[2]


bt = bundle_testing()
package_bundles = load_module("monai_angio_scripts_package_bundles", REPO_ROOT / "scripts" / "package_bundles.py")
CASES = bt.all_cases(tiny=("image",))


def test_script_writes_one_model_zoo_zip_per_bundle(tmp_path, monkeypatch, capsys):
    bundles = tmp_path / "bundles"
    bt.tiny_bundles.make_tiny_bundle(bundles, "image")
    bt.tiny_bundles.make_tiny_bundle(bundles, "two_frame")
    (bundles / "tiny_image" / "eval").mkdir()
    (bundles / "tiny_image" / "eval" / "junk.nii.gz").write_bytes(b"0")
    dist = tmp_path / "dist"
    assert package_bundles.main(["--bundles-dir", str(bundles), "--output-dir", str(dist)]) == 0
    assert sorted(p.name for p in dist.iterdir()) == ["tiny_image_v0.1.0.zip", "tiny_two_frame_v0.1.0.zip"]
    for name in ("tiny_image", "tiny_two_frame"):
        with zipfile.ZipFile(dist / f"{name}_v0.1.0.zip") as zf:
            names = zf.namelist()
        assert {n.split("/")[0] for n in names} == {name}
        assert {f"{name}/configs/metadata.json", f"{name}/configs/inference.json", f"{name}/models/model.pt"} <= set(
            names
        )
        assert not any("/eval/" in n for n in names)
        assert f"{name}/large_files.yml" not in names
    assert "tiny_image: " in capsys.readouterr().out

    with pytest.raises(SystemExit):
        package_bundles.main(["--bundles-dir", str(bundles), "--output-dir", str(dist), "no_such_bundle"])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_zip_installs_with_monai_download_and_runs_elsewhere(case, tmp_path, monkeypatch):
    """package -> monai.bundle.download(url=file://...) -> monai.bundle.load -> inference.json run from another dir."""
    bt.require_config(case, "metadata.json")
    bt.require_config(case, "inference.json")
    ws = bt.make_workspace(case, tmp_path / "src", monkeypatch)
    weights = bt.ensure_weights(ws)
    dist = tmp_path / "dist"
    assert package_bundles.main(["--bundles-dir", str(ws.root.parent), "--output-dir", str(dist), case.name]) == 0
    (zip_path,) = dist.glob(f"{case.name}_v*.zip")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    download(name=case.name, url=zip_path.as_uri(), bundle_dir=str(elsewhere / "installed"), progress=False)
    installed = elsewhere / "installed" / case.name
    assert file_hash(installed / "models" / "model.pt") == file_hash(weights)

    net = load(name=case.name, bundle_dir=str(elsewhere / "installed"), workflow_type="inference", device="cpu")
    expected = torch.load(weights, map_location="cpu", weights_only=True)
    got = net.state_dict()
    assert set(got) == set(expected)
    for key, value in expected.items():
        torch.testing.assert_close(got[key], value)

    data = elsewhere / "input"
    out = elsewhere / "output"
    case.settings.make_infer_data(data)
    overrides = ws.overrides("infer", data, out)
    overrides["bundle_root"] = str(installed)
    workflow = ConfigWorkflow(
        workflow_type="infer",
        config_file=str(installed / "configs" / "inference.json"),
        meta_file=str(installed / "configs" / "metadata.json"),
        logging_file=str(installed / "configs" / "logging.conf"),
        **overrides,
    )
    workflow.initialize()
    workflow.run()
    workflow.finalize()
    outputs = [p for p in out.glob(case.settings.output_glob) if p.is_file()]
    assert outputs, f"installed bundle wrote nothing into {out}"


def test_large_weights_go_to_large_files_yml_and_come_back(tmp_path, monkeypatch):
    pytest.importorskip("yaml", reason="MONAI reads large_files.yml with PyYAML")
    from monai.bundle import download_large_files

    bundles = tmp_path / "bundles"
    bundle = bt.tiny_bundles.make_tiny_bundle(bundles, "image")
    weights = bundle / "models" / "model.pt"
    dist = tmp_path / "dist"
    limit_mb = weights.stat().st_size / 2 / 2**20  # the tiny weights count as "large" here
    assert (
        package_bundles.main(["--bundles-dir", str(bundles), "--output-dir", str(dist), "--max-file-mb", str(limit_mb)])
        == 0
    )
    zip_path = dist / "tiny_image_v0.1.0.zip"
    with zipfile.ZipFile(zip_path) as zf:
        assert "tiny_image/models/model.pt" not in zf.namelist()
        assert "tiny_image/large_files.yml" in zf.namelist()

    monkeypatch.chdir(tmp_path)
    download(name="tiny_image", url=zip_path.as_uri(), bundle_dir=str(tmp_path / "installed"), progress=False)
    installed = tmp_path / "installed" / "tiny_image"
    assert not (installed / "models" / "model.pt").exists()
    download_large_files(bundle_path=str(installed))
    assert file_hash(installed / "models" / "model.pt") == file_hash(weights)
    net = load(name="tiny_image", bundle_dir=str(tmp_path / "installed"), workflow_type="inference", device="cpu")
    x = torch.rand(1, 1, 8, 8)
    reference = load(name="tiny_image", bundle_dir=str(bundles), workflow_type="inference", device="cpu")
    with torch.no_grad():
        np.testing.assert_allclose(net.eval()(x).numpy(), reference.eval()(x).numpy())
