# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""SampleFrameTupled outputs compose with MONAI's random spatial transforms and collate into batches."""

from __future__ import annotations

import numpy as np
import torch
from monai.data import MetaTensor, list_data_collate
from monai.transforms import Compose, RandFlipd, RandRotate90d, RandSpatialCropd

from monai_angio.transforms import RandTemporalReversed, SampleFrameTupled

KEYS = ["frame0", "frame1", "target"]
N = 2


def _cine(num_frames=9, size=12, seed=0):
    """Every frame is the same random base image plus 10 * t, so frames differ only by a constant."""
    base = torch.from_numpy(np.random.default_rng(seed).uniform(0.0, 1.0, size=(size, size)).astype(np.float32))
    frames = torch.stack([base + 10.0 * t for t in range(num_frames)])[None]
    return MetaTensor(frames, meta={"filename_or_obj": "shifted.dcm", "bits_stored": 12}), base


def _pipeline(seed):
    t = Compose(
        [
            SampleFrameTupled("image", num_targets=N, max_gap=2),
            RandSpatialCropd(KEYS, roi_size=(8, 8), random_size=False),
            RandFlipd(KEYS, prob=0.5, spatial_axis=0),
            RandFlipd(KEYS, prob=0.5, spatial_axis=1),
            RandRotate90d(KEYS, prob=0.5, max_k=3),
            RandTemporalReversed(prob=0.5),
        ]
    )
    t.set_random_state(seed=seed)
    return t


def _dihedral_windows(base: torch.Tensor, size: int) -> list[torch.Tensor]:
    out = []
    for k in range(4):
        for flip in (False, True):
            img = torch.rot90(base.flip(0) if flip else base, k)
            for r in range(img.shape[0] - size + 1):
                for c in range(img.shape[1] - size + 1):
                    out.append(img[r : r + size, c : c + size])
    return out


def test_spatial_transforms_act_identically_on_tuple():
    cine, base = _cine()
    windows = _dihedral_windows(base, 8)
    pipeline = _pipeline(seed=0)
    changed = 0
    for _ in range(12):
        out = pipeline({"image": cine})
        idx = out["tuple_indices"]
        f0, f1, target = out["frame0"], out["frame1"], out["target"]
        assert f0.shape == (1, 8, 8) and f1.shape == (1, 8, 8) and target.shape == (N, 8, 8)
        # identical spatial transforms: the frames differ from frame0 by a constant only
        pattern = f0[0] - 10.0 * idx[0]
        torch.testing.assert_close(f1[0] - 10.0 * idx[-1], pattern, atol=1e-4, rtol=0)
        for k in range(N):
            torch.testing.assert_close(target[k] - 10.0 * idx[k + 1], pattern, atol=1e-4, rtol=0)
        # the pattern is a flipped/rotated crop of the base image
        assert any(torch.allclose(pattern, w, atol=1e-4) for w in windows)
        changed += int(not torch.allclose(pattern, base[:8, :8], atol=1e-4))
        assert torch.all(torch.diff(out["time"]) > 0)
        for key in KEYS:
            assert isinstance(out[key], MetaTensor) and out[key].meta["filename_or_obj"] == "shifted.dcm"
    assert changed > 0


def _plain(x):
    return x.as_tensor() if isinstance(x, MetaTensor) else x


def test_spatial_pipeline_deterministic_with_seed():
    cine, _ = _cine()
    runs = {}
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        pipeline = _pipeline(seed)
        runs[name] = [pipeline({"image": cine}) for _ in range(6)]
    for o1, o2 in zip(runs["a"], runs["b"], strict=True):
        for key in KEYS + ["time", "tuple_indices"]:
            torch.testing.assert_close(_plain(o1[key]), _plain(o2[key]))
    assert any(
        not torch.equal(_plain(o1["frame0"]), _plain(o3["frame0"])) for o1, o3 in zip(runs["a"], runs["c"], strict=True)
    )


def test_tuples_collate_into_batches():
    cine, _ = _cine()
    pipeline = _pipeline(seed=1)
    batch = list_data_collate([pipeline({"image": cine}) for _ in range(4)])
    assert batch["frame0"].shape == (4, 1, 8, 8)
    assert batch["frame1"].shape == (4, 1, 8, 8)
    assert batch["target"].shape == (4, N, 8, 8)
    assert batch["time"].shape == (4, N) and batch["time"].dtype == torch.float32
    assert batch["tuple_indices"].shape == (4, N + 2)
    assert list(batch["frame0"].meta["filename_or_obj"]) == ["shifted.dcm"] * 4
