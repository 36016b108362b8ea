# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from monai.data import DataLoader
from monai.transforms import Compose, RandFlipd, RandRotate90d
from torch.utils.data import ConcatDataset

from monai_angio.data.deblur import (
    DeblurEvalDataset,
    DeblurPatchDataset,
    FocalSpotDegradation,
    TemporalDeblurPatchDataset,
    deblur_eval_dataset,
    deblur_patch_dataset,
    load_frames,
    patch_grid,
    phantom_frames,
)
from monai_angio.phantoms import FocalSpotBlur


def _frames(n: int = 2, h: int = 64, w: int = 52, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        f = rng.random((h // 4, w // 4))
        f = np.kron(f, np.ones((4, 4)))  # blocky: sharp edges for the blur to act on
        out.append((0.2 + 0.6 * f).astype(np.float32))
    return out


def test_patch_grid_positions():
    grid = patch_grid(100, 80, 40, 20)
    assert grid.shape == (12, 2)
    assert set(grid[:, 0].tolist()) == {0, 20, 40, 60} and set(grid[:, 1].tolist()) == {0, 20, 40}
    assert patch_grid(40, 40, 40, 20).tolist() == [[0, 0]]
    with pytest.raises(ValueError, match="smaller than the patch"):
        patch_grid(30, 80, 40, 20)
    with pytest.raises(ValueError, match="stride"):
        patch_grid(100, 80, 40, 0)


def test_degradation_draws_and_kernel():
    deg = FocalSpotDegradation(focal_spot_mm=(0.4, 1.2), photons=(1e3, 1e4), seed=3)
    ref = FocalSpotBlur(1.2, pixel_spacing_mm=0.154).kernel(1.2)
    assert deg.margin == ref.shape[0] // 2
    spots, photons = [], []
    for _ in range(50):
        deg.randomize()
        spots.append(deg.last_focal_spot_mm)
        photons.append(deg.last_photons)
    assert 0.4 <= min(spots) and max(spots) <= 1.2 and np.std(spots) > 0.1
    assert 1e3 <= min(photons) and max(photons) <= 1e4
    np.testing.assert_allclose(deg.kernel(0.8).sum(), 1.0)
    assert FocalSpotDegradation(photons=None).photons_range is None
    with pytest.raises(ValueError, match="low <= high"):
        FocalSpotDegradation(focal_spot_mm=(1.0, 0.5))
    with pytest.raises(ValueError, match="photons must be positive"):
        FocalSpotDegradation(photons=(0.0, 10.0))


def test_patches_are_blurred_like_the_whole_frame():
    frames = _frames(1, 64, 52)
    deg = FocalSpotDegradation(focal_spot_mm=(0.5, 1.5), photons=None, seed=0)
    ds = DeblurPatchDataset(frames, patch_size=24, stride=12, degradation=deg, seed=1)
    assert len(ds) == len(patch_grid(64, 52, 24, 12))
    whole = torch.from_numpy(frames[0])
    for i in (0, 3, len(ds) - 1):
        item = ds[i]
        assert item["image"].shape == (1, 24, 24) and item["label"].shape == (1, 24, 24)
        assert item["image"].dtype == torch.float32
        _, r, c = ds.index[i]
        torch.testing.assert_close(item["label"][0], whole[r : r + 24, c : c + 24])
        spot = float(item["focal_spot_mm"])
        assert 0.5 <= spot <= 1.5
        blurred_frame = deg.degrade(whole, spot, None)
        torch.testing.assert_close(item["image"][0], blurred_frame[r : r + 24, c : c + 24], atol=1e-6, rtol=0)
        assert not torch.equal(item["image"], item["label"])


def test_patch_noise_level_and_seeding():
    frames = [np.full((48, 48), 0.5, np.float32)]
    deg = FocalSpotDegradation(focal_spot_mm=1.0, photons=1e4, seed=0)
    ds = DeblurPatchDataset(frames, patch_size=40, stride=20, degradation=deg, seed=5)
    item = ds[0]
    # Poisson noise of 1e4 quanta at brightness 0.5: std sqrt(0.5 / 1e4)
    assert abs(float(item["image"].std()) - math.sqrt(0.5 / 1e4)) < 0.002
    assert abs(float(item["image"].mean()) - 0.5) < 0.001
    # a new draw at every access, reproducible from the seed
    assert not torch.equal(ds[0]["image"], ds[0]["image"])
    again = DeblurPatchDataset(frames, patch_size=40, stride=20, degradation=FocalSpotDegradation(1.0, 1e4), seed=5)
    torch.testing.assert_close(again[0]["image"], item["image"])


def test_real_pairs_and_identical_augmentation():
    sharp = _frames(2, 48, 48)
    blurred = [0.5 * f for f in sharp]
    transform = Compose(
        [
            RandFlipd(keys=["image", "label"], prob=0.5, spatial_axis=0),
            RandRotate90d(keys=["image", "label"], prob=0.5),
        ]
    )
    ds = DeblurPatchDataset(sharp, blurred, patch_size=16, stride=16, transform=transform, seed=0)
    assert len(ds) == 2 * 9
    batch = next(iter(DataLoader(ds, batch_size=6, shuffle=True, num_workers=0)))
    assert batch["image"].shape == (6, 1, 16, 16)
    torch.testing.assert_close(torch.as_tensor(batch["image"]), 0.5 * torch.as_tensor(batch["label"]))
    assert torch.isnan(batch["focal_spot_mm"]).all()
    with pytest.raises(ValueError, match="blurred frame 1"):
        DeblurPatchDataset(sharp, [blurred[0], blurred[1][:40]])
    with pytest.raises(ValueError, match="blurred has 1 frames"):
        DeblurPatchDataset(sharp, blurred[:1])


def test_frame_checks():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        DeblurPatchDataset([np.full((48, 48), 2.0, np.float32)])
    with pytest.raises(ValueError, match="2-D frame"):
        DeblurPatchDataset([np.zeros(48, np.float32)])
    with pytest.raises(ValueError, match="empty"):
        DeblurPatchDataset([])
    with pytest.raises(TypeError, match="single"):
        DeblurPatchDataset(np.zeros((48, 48), np.float32))
    with pytest.raises(TypeError, match="FocalSpotDegradation"):
        DeblurPatchDataset(_frames(1), degradation=FocalSpotBlur())


def test_eval_dataset_is_deterministic():
    frames = _frames(2, 40, 36)
    ds = DeblurEvalDataset(frames, focal_spots_mm=(0.6, 1.2), photons=2e4, roi_size=32, seed=0)
    assert len(ds) == 4
    a, b = ds[3], ds[3]
    torch.testing.assert_close(a["image"], b["image"])
    assert a["image"].shape == (1, 32, 32) and a["frame"] == 1 and float(a["focal_spot_mm"]) == pytest.approx(1.2)
    torch.testing.assert_close(a["label"][0], torch.from_numpy(frames[1])[4:36, 2:34])
    # a larger focal spot blurs more (noise-free)
    clean = DeblurEvalDataset(frames, focal_spots_mm=(0.3, 1.5), photons=None)
    err = [float((clean[i]["image"] - clean[i]["label"]).abs().mean()) for i in (0, 1)]
    assert err[1] > err[0] > 0
    pairs = DeblurEvalDataset(frames, blurred=[f * 0.9 for f in frames])
    assert len(pairs) == 2 and math.isnan(float(pairs[0]["focal_spot_mm"]))


def test_load_frames_parts_from_arrays_and_folders(tmp_path):
    from monai_angio.io import write_frames

    cine = (np.arange(10, dtype=np.uint16)[:, None, None] * np.ones((1, 8, 6), np.uint16)) * 100
    parts = {p: load_frames(cine, part=p, val_frames=2, bits=12) for p in ("all", "train", "val", "test")}
    assert [len(parts[p]) for p in ("all", "train", "val", "test")] == [10, 5, 2, 3]
    assert parts["test"][0].dtype == np.float32 and parts["test"][0].shape == (8, 6)
    np.testing.assert_allclose(parts["test"][0], 700 / 4095, rtol=1e-6)
    np.testing.assert_allclose(parts["val"][1], 600 / 4095, rtol=1e-6)
    write_frames(tmp_path / "cine", cine[:3].astype(np.uint8), 8)
    frames = load_frames(tmp_path / "cine")
    assert len(frames) == 3
    np.testing.assert_allclose(frames[2], 200 / 255, rtol=1e-6)
    assert len(load_frames([cine, cine], part="test", bits=12)) == 6
    with pytest.raises(ValueError, match="part"):
        load_frames(cine, part="validation", bits=12)
    with pytest.raises(ValueError, match="val_frames"):
        load_frames(cine, part="train", val_frames=7, bits=12)


def test_phantom_frames():
    frames = phantom_frames(2, 48, frames_per_phantom=2, seed=7)
    assert len(frames) == 4
    assert all(f.shape == (48, 48) and f.dtype == np.float32 for f in frames)
    assert all(0.0 <= f.min() and f.max() <= 1.0 for f in frames)
    assert not np.array_equal(frames[0], frames[2])  # different seeds, different trees


def test_factories():
    cine = (np.random.default_rng(0).random((6, 48, 44)) * 255).astype(np.uint8)
    ds = deblur_patch_dataset(cine, part="all", patch_size=24, stride=24, phantom_count=1, phantom_size=48, seed=0)
    assert isinstance(ds, DeblurPatchDataset) and len(ds) == 6 * 2 + 4 * 4
    paired = deblur_patch_dataset(cine, cine, part="all", patch_size=24, stride=24, phantom_count=1, phantom_size=48)
    assert isinstance(paired, ConcatDataset) and len(paired) == 6 * 2 + 4 * 4
    torch.testing.assert_close(paired[0]["image"], paired[0]["label"])
    ev = deblur_eval_dataset(cine, part="test", max_frames=1, roi_size=16)
    assert len(ev) == 3 and ev[0]["image"].shape == (1, 16, 16)
    with pytest.raises(ValueError, match="no frames"):
        deblur_patch_dataset(None)


def test_temporal_patches_hold_the_frame_and_its_neighbours_mean():
    cine = _frames(4, 48, 40, seed=3)
    deg = FocalSpotDegradation(focal_spot_mm=(0.5, 1.5), photons=None, seed=0)
    ds = TemporalDeblurPatchDataset([cine, _frames(2, 40, 40, seed=4)], radius=2, patch_size=24, stride=8,
                                    degradation=deg, seed=1)  # fmt: skip
    assert len(ds) == 4 * len(patch_grid(48, 40, 24, 8)) + 2 * len(patch_grid(40, 40, 24, 8))
    for i in (0, len(ds) // 4 + 1, len(ds) - 1):
        item = ds[i]
        frame, r, c = (int(v) for v in ds.index[i])
        assert item["image"].shape == (2, 24, 24) and item["label"].shape == (1, 24, 24)
        sharp = [torch.from_numpy(f) for f in (cine if frame < 4 else _frames(2, 40, 40, seed=4))]
        k = frame if frame < 4 else frame - 4
        spot = float(item["focal_spot_mm"])
        torch.testing.assert_close(item["label"][0], sharp[k][r : r + 24, c : c + 24])
        blurred = [deg.degrade(f, spot, None)[r : r + 24, c : c + 24] for f in sharp]
        torch.testing.assert_close(item["image"][0], blurred[k], atol=1e-6, rtol=0)
        others = [blurred[j] for j in range(max(0, k - 2), min(len(sharp), k + 3)) if j != k]
        torch.testing.assert_close(item["image"][1], torch.stack(others).mean(0), atol=1e-6, rtol=0)


def test_temporal_patches_noise_and_drift():
    still = [np.full((48, 48), 0.5, np.float32)] * 5
    deg = FocalSpotDegradation(focal_spot_mm=1.0, photons=1e4, seed=0)
    item = TemporalDeblurPatchDataset([still], radius=2, patch_size=40, degradation=deg, seed=2)[0]
    # independent noise per frame: the mean of 2 neighbours (frame 0) has half the variance of one frame
    assert abs(float(item["image"][0].var()) / float(item["image"][1].var()) - 2.0) < 0.5
    ramp = np.tile(np.linspace(0.1, 0.9, 64, dtype=np.float32), (64, 1))  # changes along the columns only
    deg = FocalSpotDegradation(focal_spot_mm=0.3, photons=None, seed=0)
    fixed = TemporalDeblurPatchDataset([[ramp] * 3], radius=1, patch_size=32, degradation=deg, drift_prob=0.0)
    item = fixed[fixed.index.tolist().index([1, 20, 20])]
    torch.testing.assert_close(item["image"][1], item["image"][0], atol=1e-5, rtol=0)
    drifting = TemporalDeblurPatchDataset([[ramp] * 3], radius=1, patch_size=32, degradation=deg, drift_prob=1.0)
    i = drifting.index.tolist().index([0, 20, 20])  # one neighbour (frame 1), moved by the drift
    assert any(not torch.allclose(drifting[i]["image"][1], drifting[i]["image"][0], atol=1e-5) for _ in range(8))
    with pytest.raises(ValueError, match="radius"):
        TemporalDeblurPatchDataset([[ramp] * 3], radius=0)
    with pytest.raises(ValueError, match="at least 2"):
        TemporalDeblurPatchDataset([[ramp]], radius=1)
    with pytest.raises(ValueError, match="share a size"):
        TemporalDeblurPatchDataset([[ramp, ramp[:40]]], radius=1, patch_size=32)
    with pytest.raises(TypeError, match="list of cines"):
        TemporalDeblurPatchDataset(np.stack([ramp] * 3), radius=1)


def test_temporal_patches_kernel_channel():
    from monai_angio.phantoms import kernel_channel_value

    still = [np.full((48, 48), 0.5, np.float32)] * 3
    deg = FocalSpotDegradation(focal_spot_mm=(0.3, 1.5), photons=None, seed=0)
    ds = TemporalDeblurPatchDataset([still], radius=1, patch_size=32, degradation=deg, seed=0, kernel_channel=True,
                                    input_offset=0.6)  # fmt: skip
    values = []
    for i in [0, 1, 2] * 2:  # a new focal spot per item
        item = ds[i]
        assert item["image"].shape == (3, 32, 32)
        channel = item["image"][2]
        assert float(channel.max() - channel.min()) == 0.0  # constant
        expected = kernel_channel_value(deg.kernel(float(item["focal_spot_mm"])), 0.6)
        assert float(channel[0, 0]) == pytest.approx(expected, abs=1e-5)  # the item's own focal spot
        values.append(float(channel[0, 0]))
    assert len(set(values)) == 6 and min(values) > 0.6
    blind = TemporalDeblurPatchDataset([still], radius=1, patch_size=32, degradation=deg, seed=0)
    assert blind[0]["image"].shape == (2, 32, 32)
