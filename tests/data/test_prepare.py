# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from monai_angio.data.prepare import prepare_interpolation_dataset
from monai_angio.io import read_most_dsa_list


def _cine(folder, frames):
    folder.mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"{i}.png")
    return folder


@pytest.fixture
def cine(tmp_path):
    rng = np.random.default_rng(0)
    unique = rng.integers(0, 200, size=(10, 16, 20), dtype=np.uint8)
    repeated = np.repeat(unique, 2, axis=0)  # a screen recording at twice the cine rate
    return _cine(tmp_path / "cine", repeated), unique


@pytest.mark.parametrize("n", [1, 2, 3])
def test_layout_split_and_duplicates(tmp_path, cine, n):
    folder, unique = cine
    root = tmp_path / f"ds{n}"
    result = prepare_interpolation_dataset([folder], root, num_targets=n, test_fraction=0.3, progress=False)
    assert result["removed_duplicates"] == {str(folder): 10}
    train, test = read_most_dsa_list(root, "train"), read_most_dsa_list(root, "test")
    assert len(train) == len(result["train"]) > 0 and len(test) == len(result["test"])
    first = train[0]
    assert len(first["target"]) == n
    np.testing.assert_allclose(first["time"], [k / (n + 1) for k in range(1, n + 1)])
    np.testing.assert_array_equal(np.asarray(Image.open(first["frame0"])), unique[0])
    np.testing.assert_array_equal(np.asarray(Image.open(first["target"][0])), unique[1])
    np.testing.assert_array_equal(np.asarray(Image.open(first["frame1"])), unique[n + 1])
    # temporal hold-out: the test tuples only use the last 3 frames (7, 8, 9) of the de-duplicated cine
    for item in test:
        assert any(np.array_equal(np.asarray(Image.open(item["frame0"])), unique[i]) for i in (7, 8, 9))


def test_masking(tmp_path, cine):
    folder, _ = cine
    root = tmp_path / "masked"
    prepare_interpolation_dataset([folder], root, rectangles=[(0, 0, 5, 4)], progress=False)
    frame = np.asarray(Image.open(read_most_dsa_list(root, "train")[0]["frame0"]))
    assert np.unique(frame[:4, :5]).size == 1  # the text region holds one grey value


def test_errors(tmp_path, cine):
    folder, _ = cine
    with pytest.raises(ValueError, match="num_targets"):
        prepare_interpolation_dataset([folder], tmp_path / "x", num_targets=4)
    with pytest.raises(ValueError, match="too few"):
        prepare_interpolation_dataset([folder], tmp_path / "y", num_targets=3, gap=3, progress=False)
    with pytest.raises(ValueError, match="no input"):
        prepare_interpolation_dataset([], tmp_path / "z")
