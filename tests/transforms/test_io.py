# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import json

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


# ------------------------------------------------------------------------------------------ LoadCined / SaveCined
def _cine12(frames: int = 4, h: int = 16, w: int = 12) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 4096, size=(frames, h, w)).astype(np.uint16)


def test_load_cined_gives_float_frames_and_collatable_meta(tmp_path):
    from monai.data import DataLoader, Dataset

    from monai_angio.io import write_dicom_cine, write_frames
    from monai_angio.transforms import LoadCined

    stored = _cine12()
    dcm = write_dicom_cine(tmp_path / "cine.dcm", stored, bits_stored=12, frame_time_ms=66.7)
    img = LoadCined()({"image": str(dcm)})["image"]
    assert isinstance(img, MetaTensor) and img.shape == (1, 4, 16, 12) and img.dtype == torch.float32
    np.testing.assert_array_equal(img[0].numpy(), stored.astype(np.float32) / np.float32(4095))
    meta = img.meta
    assert meta["bits_stored"] == meta["scaled_bits"] == 12 and meta["format"] == "dicom"
    assert meta["source"] == str(dcm) and meta["filename_or_obj"] == meta["filename"]
    assert meta["frame_time_ms"] == pytest.approx(66.7)
    assert None not in meta.values() and not any(isinstance(v, list) for v in meta.values())
    paths = write_frames(tmp_path / "png", (stored >> 4).astype(np.uint8), 8)
    pair = LoadCined("x", min_frames=2)({"x": [str(paths[0]), paths[1]]})["x"]
    assert pair.shape == (1, 2, 16, 12) and json.loads(pair.meta["source"]) == [str(paths[0]), str(paths[1])]
    ds = Dataset([{"image": str(dcm)}, {"image": str(dcm)}], LoadCined())
    batch = next(iter(DataLoader(ds, batch_size=2)))
    assert batch["image"].shape == (2, 1, 4, 16, 12)


def test_load_cined_errors(tmp_path):
    from monai_angio.io import write_frames
    from monai_angio.transforms import LoadCined

    for missing in (None, "", []):
        with pytest.raises(ValueError, match=r"no input for 'image': set --input_path to a DICOM file"):
            LoadCined()({"image": missing})
    with pytest.raises(ValueError, match="set --cine to"):
        LoadCined(input_option="--cine")({"image": None})
    with pytest.raises(TypeError, match="path or a list of paths"):
        LoadCined()({"image": np.zeros((2, 2))})
    paths = write_frames(tmp_path / "one", np.zeros((1, 4, 4), np.uint8), 8)
    with pytest.raises(ValueError, match=r"one: at least 2 frames are needed"):
        LoadCined(min_frames=2)({"image": str(tmp_path / "one")})
    with pytest.raises(ValueError, match="min_frames"):
        LoadCined(min_frames=0)
    assert LoadCined(min_frames=1)({"image": paths})["image"].shape == (1, 1, 4, 4)


def _pipeline_item(tmp_path, source, factor=0):
    """The item SaveCined sees in a bundle: loaded, collated, a prediction of 1 + (T - 1)(K + 1) frames, decollated."""
    from monai.data import DataLoader, Dataset, decollate_batch

    from monai_angio.transforms import LoadCined

    batch = next(iter(DataLoader(Dataset([{"image": source}], LoadCined()), batch_size=1)))
    image = batch["image"]
    t = image.shape[2]
    idx = torch.arange((t - 1) * (factor + 1) + 1) // (factor + 1)  # acquired frames repeated in the gaps
    pred = image[:, :, idx].as_tensor().clone()
    return decollate_batch({"image": image, "pred": pred})[0]


def test_save_cined_interpolation_layout(tmp_path):
    import csv

    import pydicom

    from monai_angio.io import load_sequence, write_dicom_cine, write_frames
    from monai_angio.transforms import SaveCined

    stored = _cine12()
    write_frames(tmp_path / "cine", (stored >> 4).astype(np.uint8), 8)
    item = _pipeline_item(tmp_path, str(tmp_path / "cine"), factor=2)
    kw = {"output_postfix": "interpolated", "method": "MoSt-DSA", "factor": 2, "folder_postfix": False}
    out = SaveCined(output_dir=tmp_path / "flat", subfolder=False, **kw)(item)
    assert out["pred_path"] == str(tmp_path / "flat")
    frames, meta = load_sequence(tmp_path / "flat")
    assert frames.shape == (10, 16, 12) and meta["bits_stored"] == 8
    np.testing.assert_array_equal(frames[::3], (stored >> 4).astype(np.uint8))
    with (tmp_path / "flat" / "frame_labels.csv").open() as f:
        assert [r["kind"] for r in csv.DictReader(f)][:4] == ["acquired", "synthesized", "synthesized", "acquired"]
    out = SaveCined(output_dir=tmp_path / "sub", subfolder=True, **kw)(item)
    assert out["pred_path"] == str(tmp_path / "sub" / "cine")  # the folder is named after the source alone
    out = SaveCined(output_dir=tmp_path / "d", output_format="dicom", **kw)(item)
    assert out["pred_path"] == str(tmp_path / "d" / "cine_interpolated.dcm")
    ds = pydicom.dcmread(out["pred_path"])
    assert list(ds.FrameLabelVector)[:4] == ["ACQUIRED", "SYNTHESIZED", "SYNTHESIZED", "ACQUIRED"]
    assert "MoSt-DSA x2 frame interpolation" in ds.DerivationDescription
    # a DICOM source: auto writes DICOM, refers to the source, frame time divided by K + 1
    src = write_dicom_cine(tmp_path / "src.dcm", stored, bits_stored=12, frame_time_ms=90.0)
    out = SaveCined(output_dir=tmp_path / "auto", **kw)(_pipeline_item(tmp_path, str(src), factor=2))
    ds, ref = pydicom.dcmread(out["pred_path"]), pydicom.dcmread(src)
    assert out["pred_path"].endswith("src_interpolated.dcm") and int(ds.BitsStored) == 12
    assert ds.StudyInstanceUID == ref.StudyInstanceUID and float(ds.FrameTime) == pytest.approx(30.0)
    np.testing.assert_array_equal(ds.pixel_array[::3], stored)


def test_save_cined_deblurring_layout(tmp_path):
    import pydicom

    from monai_angio.io import load_sequence, write_dicom_cine, write_frames
    from monai_angio.io.cine import quantize_bit_depth
    from monai_angio.transforms import SaveCined

    stored = _cine12(frames=3)
    src = write_dicom_cine(tmp_path / "src.dcm", stored, bits_stored=12, frame_time_ms=50.0)
    saver = SaveCined(output_dir=tmp_path / "out", output_postfix="deblurred", method="test method")
    out = saver(_pipeline_item(tmp_path, str(src)))
    path = tmp_path / "out" / "src_deblurred.dcm"
    assert out["pred_path"] == str(path)
    ds = pydicom.dcmread(path)
    assert "test method" in ds.DerivationDescription and "all 3 frames derived" in ds.DerivationDescription
    assert "FrameLabelVector" not in ds and int(ds.BitsStored) == 12
    frames, m = load_sequence(path)
    np.testing.assert_array_equal(frames, stored)
    assert m["frame_time_ms"] == pytest.approx(50.0)
    write_frames(tmp_path / "frames_in", (stored >> 4).astype(np.uint8), 8)
    item = _pipeline_item(tmp_path, str(tmp_path / "frames_in"))
    item["pred"] = torch.rand(1, 3, 16, 12)
    out = saver(item)
    folder = tmp_path / "out" / "frames_in_deblurred"
    assert out["pred_path"] == str(folder) and len(list(folder.glob("*.png"))) == 3
    np.testing.assert_array_equal(load_sequence(folder)[0], quantize_bit_depth(item["pred"][0], 8))
    # a single frame (1, H, W), and a mask carried by the item
    item["pred"], item["pred_synthesized"] = torch.rand(1, 16, 12), torch.tensor([True])
    out = SaveCined(output_dir=tmp_path / "one")(item)
    assert (tmp_path / "one" / "frames_in" / "0000.png").is_file()
    assert "synthesized" in (tmp_path / "one" / "frames_in" / "frame_labels.csv").read_text()


def test_save_cined_errors(tmp_path):
    from monai_angio.transforms import SaveCined

    pred = torch.rand(1, 2, 8, 8)
    with pytest.raises(ValueError, match="bits_stored"):
        SaveCined(output_dir=tmp_path)({"pred": pred, "image": MetaTensor(pred, meta={})})
    with pytest.raises(ValueError, match=r"\(1, T, H, W\)"):
        SaveCined(output_dir=tmp_path)({"pred": torch.rand(2, 2, 8, 8), "image": MetaTensor(pred, meta={})})
    with pytest.raises(ValueError, match="output_format"):
        SaveCined(output_dir=tmp_path, output_format="jpeg")
    with pytest.raises(ValueError, match="factor"):
        SaveCined(output_dir=tmp_path, factor=-1)
    written = SaveCined(output_dir=tmp_path, bits_stored=8)({"pred": pred, "image": MetaTensor(pred, meta={})})
    assert written["pred_path"] == str(tmp_path / "cine")  # no source meta: named "cine"
