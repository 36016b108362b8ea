# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""The real bundles reference nothing outside themselves: a bundle from a model zoo comes without data, so its
configs point at no data beside the repository, and a run without data stops with an error naming the option to set
(or, where the config allows it, runs on the built-in phantoms)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from monai.bundle import run as bundle_run

REPO = Path(__file__).resolve().parents[2]
BUNDLES = ("cerebral_dsa_interpolation", "cerebral_dsa_deblurring")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _messages(exc: BaseException) -> list[str]:
    """The messages of an exception and of every exception it was raised from (the workflows wrap errors)."""
    chain, e = [], exc
    while e is not None:
        chain.append(str(e))
        e = e.__cause__ or e.__context__
    return chain


@pytest.mark.parametrize("bundle", BUNDLES)
def test_configs_point_at_nothing_outside_the_bundle(bundle):
    configs = REPO / "bundles" / bundle / "configs"
    for path in sorted(configs.glob("*.json")):
        for text in _strings(json.loads(path.read_text())):
            assert "shared/" not in text and "'shared'" not in text, f"{path.name}: {text}"
            assert "'..'" not in text and "../" not in text, f"{path.name} leaves the bundle: {text}"
    for name in ("inference.json", "train.json"):
        config = json.loads((configs / name).read_text())
        assert config.get("dataset_dir") is None, f"{name}: dataset_dir must be unset by default"


@pytest.mark.parametrize("bundle", BUNDLES)
def test_inference_without_input_names_the_option(bundle, tmp_path):
    root = REPO / "bundles" / bundle
    with pytest.raises(Exception) as exc:  # the evaluator wraps the transform's ValueError
        bundle_run(
            config_file=str(root / "configs" / "inference.json"),
            bundle_root=str(root),
            output_dir=str(tmp_path / "out"),
        )
    assert any("set --input_path to a DICOM file" in m for m in _messages(exc.value)), _messages(exc.value)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_interpolation_train_and_evaluate_without_data_name_the_option(tmp_path):
    configs = REPO / "bundles" / "cerebral_dsa_interpolation" / "configs"
    with pytest.raises(Exception) as exc:
        bundle_run(
            config_file=str(configs / "train.json"),
            bundle_root=str(tmp_path),
            output_dir=str(tmp_path / "out"),
            phantom_count=0,
        )
    assert any("no input data: set --dataset_dir" in m for m in _messages(exc.value)), _messages(exc.value)
    with pytest.raises(Exception) as exc:
        bundle_run(
            config_file=str(configs / "evaluate.json"),
            bundle_root=str(configs.parent),
            output_dir=str(tmp_path / "eval"),
        )
    messages = _messages(exc.value)
    assert any("no input data: set --dataset_dir" in m and "--most_dsa_root" in m for m in messages), messages


def test_deblurring_train_without_data_names_the_option(tmp_path):
    configs = REPO / "bundles" / "cerebral_dsa_deblurring" / "configs"
    with pytest.raises(Exception) as exc:  # phantoms for training, but none for validation by default
        bundle_run(
            config_file=str(configs / "train.json"),
            bundle_root=str(tmp_path),
            output_dir=str(tmp_path / "out"),
            phantom_count=1,
            phantom_size=32,
            patch_size=16,
            patch_stride=16,
            num_workers=0,
        )
    messages = _messages(exc.value)
    assert any("no input data: set --dataset_dir" in m and "--val_phantom_count" in m for m in messages), messages
