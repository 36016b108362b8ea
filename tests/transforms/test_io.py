# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from monai.transforms import Compose
from PIL import Image

from monai_angio.transforms import LoadSequenced, SampleFrameTupled, ScaleBitDepthd


def _write_frames(folder, frames):
    folder.mkdir()
    for t, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"{t:04d}.png")
    return folder


def _gray_frames(num_frames=5, h=6, w=7):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(num_frames, h, w)).astype(np.uint8)


def test_load_sequence_png_folder(tmp_path):
    frames = _gray_frames()
    folder = _write_frames(tmp_path / "cine", frames)
    out = LoadSequenced("image")({"image": str(folder), "other": 3})
    img = out["image"]
    assert isinstance(img, MetaTensor)
    assert img.shape == (1, 5, 6, 7) and img.dtype == torch.uint8
    np.testing.assert_array_equal(img[0].numpy(), frames)
    assert out["other"] == 3
    assert img.meta["format"] == "image_folder"
    assert img.meta["bits_stored"] == 8
    assert img.meta["number_of_frames"] == 5
    assert str(folder) in str(img.meta["filename_or_obj"])
    assert img.meta["filename_or_obj"] == img.meta["filename"]


def test_load_sequence_colour_and_luminance(tmp_path):
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 256, size=(3, 4, 5, 3)).astype(np.uint8)
    folder = _write_frames(tmp_path / "rgb", frames)
    colour = LoadSequenced("image")({"image": folder})["image"]
    assert colour.shape == (3, 3, 4, 5)
    np.testing.assert_array_equal(colour.numpy(), np.moveaxis(frames, -1, 0))
    gray = LoadSequenced("image", luminance=True)({"image": folder})["image"]
    assert gray.shape == (1, 3, 4, 5)


def test_load_scale_sample_pipeline(tmp_path):
    frames = _gray_frames(num_frames=6)
    folder = _write_frames(tmp_path / "cine", frames)
    pipeline = Compose(
        [LoadSequenced("image"), ScaleBitDepthd("image"), SampleFrameTupled("image", num_targets=1, fixed_gap=2)]
    )
    pipeline.set_random_state(0)
    out = pipeline({"image": folder})
    i0, i1, i2 = out["tuple_indices"].tolist()
    assert (i1 - i0, i2 - i1) == (2, 2)
    np.testing.assert_allclose(out["frame0"][0].numpy(), frames[i0] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(out["target"][0].numpy(), frames[i1] / 255.0, rtol=1e-6)
    assert out["frame1"].meta["filename_or_obj"] == str(folder)


def test_load_sequence_errors(tmp_path):
    with pytest.raises(TypeError, match="path"):
        LoadSequenced("image")({"image": np.zeros((2, 2))})
    (tmp_path / "empty").mkdir()
    with pytest.raises((ValueError, FileNotFoundError)):
        LoadSequenced("image")({"image": tmp_path / "empty"})


def test_loaded_dicom_batches_and_saves_with_monai(tmp_path):
    """A DICOM cine without some attributes (None in the reader's meta) collates in MONAI's DataLoader and saves."""
    from monai.data import DataLoader, Dataset, decollate_batch
    from monai.transforms import SaveImaged

    from monai_angio.io import load_sequence, write_dicom_cine

    frames = (np.arange(3 * 16 * 20, dtype=np.uint16).reshape(3, 16, 20) * 3) % 4096
    path = write_dicom_cine(tmp_path / "cine.dcm", frames, bits_stored=12)
    assert None in load_sequence(path)[1].values()  # e.g. no pixel spacing, no frame time
    pipeline = Compose([LoadSequenced(keys="image"), ScaleBitDepthd(keys="image")])
    loaded = pipeline({"image": str(path)})["image"]
    assert None not in loaded.meta.values() and loaded.meta["bits_stored"] == 12
    batch = next(iter(DataLoader(Dataset([{"image": str(path)}] * 2, pipeline), batch_size=2)))
    assert batch["image"].shape == (2, 1, 3, 16, 20)
    item = decollate_batch(batch)[0]
    SaveImaged(keys="image", output_dir=str(tmp_path / "out"), output_ext=".nii.gz", separate_folder=False)(item)
    import nibabel as nib

    saved = np.asarray(nib.load(str(tmp_path / "out" / "cine_trans.nii.gz")).get_fdata())
    np.testing.assert_allclose(np.squeeze(saved), frames / 4095.0, atol=1e-6)
