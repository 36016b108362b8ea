# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from monai.transforms import Compose

from monai_angio.transforms import (
    RandTemporalReversed,
    RemoveDuplicateFramesd,
    SampleFrameTupled,
    find_duplicate_frames,
)


def _index_cine(num_frames=12, h=4, w=5, channels=1, name="cine.dcm"):
    """Frame t holds the value 100 * t + c everywhere: frame identity is readable from any pixel."""
    t = torch.arange(num_frames, dtype=torch.float32)[None, :, None, None] * 100
    c = torch.arange(channels, dtype=torch.float32)[:, None, None, None]
    data = (t + c).expand(channels, num_frames, h, w).clone()
    meta = {
        "filename_or_obj": name,
        "bits_stored": 12,
        "frame_times_ms": [66.7 * i for i in range(num_frames)],
        "modality": "XA",
        "patient_id": None,
    }
    return MetaTensor(data, meta=meta)


def _repeated_cine(seed=0):
    rng = np.random.default_rng(seed)
    distinct = rng.uniform(0.0, 1.0, size=(5, 16, 16))
    repeats = [3, 2, 3, 2, 3]  # a 25 fps recording of a ~10 fps cine
    frames, source = [], []
    for i, r in enumerate(repeats):
        for _ in range(r):
            frames.append(distinct[i] + rng.normal(0.0, 0.002, size=(16, 16)))  # compression noise
            source.append(i)
    return np.stack(frames).astype(np.float32), source


def test_find_duplicate_frames_repeats_with_noise():
    frames, source = _repeated_cine()
    removed = find_duplicate_frames(frames, threshold=0.01)
    expected = [t for t in range(1, len(source)) if source[t] == source[t - 1]]
    assert removed == expected
    # exact repeats only with threshold 0: the noisy repeats are all kept
    assert find_duplicate_frames(frames, threshold=0.0) == []
    exact = np.repeat(np.arange(3, dtype=np.uint8)[:, None, None], 2, axis=0) * np.ones((1, 3, 3), np.uint8)
    assert find_duplicate_frames(exact, threshold=0.0) == [1, 3, 5]


def test_find_duplicate_frames_slow_drift_is_kept():
    # each step changes the frame by 0.4 % of the range: below the threshold step by step, but comparing with the
    # last kept frame keeps every third frame instead of dropping the whole drift
    frames = np.stack([np.full((4, 4), 0.004 * t) for t in range(10)])
    removed = find_duplicate_frames(frames, threshold=0.01, data_range=1.0)
    kept = [t for t in range(10) if t not in removed]
    assert kept == [0, 3, 6, 9]


def test_find_duplicate_frames_errors():
    with pytest.raises(ValueError, match="threshold"):
        find_duplicate_frames(np.zeros((3, 2, 2)), threshold=-1)
    with pytest.raises(ValueError, match="NaN"):
        find_duplicate_frames(np.full((3, 2, 2), np.nan))
    with pytest.raises(ValueError, match="data_range"):
        find_duplicate_frames(np.zeros((3, 2, 2)), data_range=0)


def test_remove_duplicate_frames_updates_meta():
    frames, source = _repeated_cine()
    times = [40.0 * i for i in range(len(source))]
    img = MetaTensor(torch.from_numpy(frames)[None], meta={"filename_or_obj": "rec.mp4", "frame_times_ms": times})
    out = RemoveDuplicateFramesd("image", threshold=0.01)({"image": img})["image"]
    kept = [t for t in range(len(source)) if t == 0 or source[t] != source[t - 1]]
    assert isinstance(out, MetaTensor)
    assert out.shape == (1, 5, 16, 16)
    np.testing.assert_array_equal(out[0].numpy(), frames[kept])
    assert out.meta["frame_times_ms"] == [times[t] for t in kept]
    assert out.meta["removed_frame_indices"] == [t for t in range(len(source)) if t not in kept]
    assert out.meta["number_of_frames"] == 5
    assert out.meta["frame_time_ms"] == pytest.approx(np.mean(np.diff([times[t] for t in kept])))
    assert out.meta["filename_or_obj"] == "rec.mp4"
    assert img.meta["frame_times_ms"] == times  # input meta untouched


def test_remove_duplicate_frames_nominal_interval_and_errors():
    frames = np.repeat(np.arange(4, dtype=np.uint8), 2)[:, None, None] * np.ones((1, 2, 2), np.uint8)
    img = MetaTensor(torch.from_numpy(frames)[None], meta={"frame_time_ms": 40.0, "frame_times_ms": None})
    out = RemoveDuplicateFramesd("image", threshold=0.0)({"image": img})["image"]
    assert out.dtype == torch.uint8
    assert out.meta["frame_times_ms"] == [0.0, 80.0, 160.0, 240.0]
    assert out.meta["frame_time_ms"] == 80.0
    with pytest.raises(ValueError, match=r"\(C, T, H, W\)"):
        RemoveDuplicateFramesd("image")({"image": torch.zeros(3, 4, 4)})


@pytest.mark.parametrize("num_targets", [1, 3])
def test_sample_frame_tuple_values_and_meta(num_targets):
    cine = _index_cine(num_frames=20)
    sampler = SampleFrameTupled("image", num_targets=num_targets, max_gap=3)
    sampler.set_random_state(seed=0)
    gaps = set()
    for _ in range(30):
        out = sampler({"image": cine, "label": "keep me"})
        assert "image" not in out and out["label"] == "keep me"
        idx = out["tuple_indices"].tolist()
        gap = idx[1] - idx[0]
        gaps.add(gap)
        assert idx == [idx[0] + gap * k for k in range(num_targets + 2)] and idx[-1] < 20
        assert out["frame0"].shape == (1, 4, 5) and out["frame1"].shape == (1, 4, 5)
        assert out["target"].shape == (num_targets, 4, 5)
        assert torch.all(out["frame0"] == 100 * idx[0]) and torch.all(out["frame1"] == 100 * idx[-1])
        for k in range(num_targets):
            assert torch.all(out["target"][k] == 100 * idx[k + 1])
        assert out["time"].dtype == torch.float32
        torch.testing.assert_close(out["time"], torch.arange(1, num_targets + 1) / (num_targets + 1.0))
        for key in ("frame0", "frame1", "target"):
            assert isinstance(out[key], MetaTensor)
            assert out[key].meta["filename_or_obj"] == "cine.dcm"
            assert out[key].meta["bits_stored"] == 12
            assert "patient_id" not in out[key].meta  # None values dropped so that batches collate
    assert gaps == {1, 2, 3}


def test_sample_frame_tuple_colour_channels():
    cine = _index_cine(num_frames=6, channels=3)
    out = SampleFrameTupled("image", num_targets=2, fixed_gap=1).set_random_state(1)({"image": cine})
    i = out["tuple_indices"][0].item()
    assert out["frame0"].shape == (3, 4, 5) and out["target"].shape == (6, 4, 5)
    for k in range(2):
        for c in range(3):
            assert torch.all(out["target"][3 * k + c] == 100 * (i + 1 + k) + c)


def test_sample_frame_tuple_determinism():
    cine = _index_cine(num_frames=30)

    def draws(seed):
        t = Compose([SampleFrameTupled("image", num_targets=2, max_gap=4)])
        t.set_random_state(seed=seed)
        return [t({"image": cine})["tuple_indices"].tolist() for _ in range(10)]

    assert draws(5) == draws(5)
    assert draws(5) != draws(6)


def test_sample_frame_tuple_fixed_gap_and_range():
    cine = _index_cine(num_frames=20)
    t = SampleFrameTupled("image", num_targets=1, fixed_gap=2, frame_range=(10, 16), keep_source=True)
    t.set_random_state(0)
    for _ in range(20):
        out = t({"image": cine})
        idx = out["tuple_indices"].tolist()
        assert idx[1] - idx[0] == 2 and idx[0] >= 10 and idx[-1] < 16
        assert out["image"] is cine


def test_sample_frame_tuple_errors():
    short = _index_cine(num_frames=4, name="short_cine.dcm")
    with pytest.raises(ValueError, match="short_cine.dcm"):
        SampleFrameTupled("image", num_targets=3)({"image": short})
    with pytest.raises(ValueError, match="short_cine.dcm"):
        SampleFrameTupled("image", num_targets=1, fixed_gap=2)({"image": short})
    with pytest.raises(ValueError, match="exceeds"):
        SampleFrameTupled("image", frame_range=(0, 9))({"image": short})
    with pytest.raises(ValueError, match=r"\(C, T, H, W\)"):
        SampleFrameTupled("image")({"image": torch.zeros(5, 4, 4)})
    with pytest.raises(ValueError, match="num_targets"):
        SampleFrameTupled("image", num_targets=0)
    with pytest.raises(ValueError, match="max_gap"):
        SampleFrameTupled("image", max_gap=0)
    with pytest.raises(ValueError, match="exactly one key"):
        SampleFrameTupled(["a", "b"])


def test_rand_temporal_reversed_values():
    cine = _index_cine(num_frames=10, channels=2)
    tup = SampleFrameTupled("image", num_targets=3, fixed_gap=2).set_random_state(0)({"image": cine})
    out = RandTemporalReversed(prob=1.0)(tup)
    idx = tup["tuple_indices"].tolist()
    assert out["tuple_indices"].tolist() == idx[::-1]
    torch.testing.assert_close(out["frame0"], tup["frame1"])
    torch.testing.assert_close(out["frame1"], tup["frame0"])
    for k, frame in enumerate(reversed(idx[1:-1])):
        for c in range(2):
            assert torch.all(out["target"][2 * k + c] == 100 * frame + c)
    torch.testing.assert_close(out["time"], torch.tensor([0.25, 0.5, 0.75]))
    assert torch.all(torch.diff(out["time"]) > 0)
    # the time of each target relative to the new frame0 is consistent with its frame index
    new_idx = out["tuple_indices"]
    rel = (new_idx[0] - new_idx[1:-1]).float() / (new_idx[0] - new_idx[-1]).float()
    torch.testing.assert_close(out["time"], rel)
    same = RandTemporalReversed(prob=0.0)(tup)
    assert same["tuple_indices"].tolist() == idx


def test_rand_temporal_reversed_uneven_times_and_randomness():
    data = {
        "frame0": torch.zeros(1, 2, 2),
        "frame1": torch.ones(1, 2, 2),
        "target": torch.stack([torch.full((2, 2), 0.2), torch.full((2, 2), 0.9)]),
        "time": torch.tensor([0.2, 0.9]),
    }
    out = RandTemporalReversed(prob=1.0)(data)
    torch.testing.assert_close(out["time"], torch.tensor([0.1, 0.8]))
    torch.testing.assert_close(out["target"][:, 0, 0], torch.tensor([0.9, 0.2]))
    assert torch.all(out["frame0"] == 1) and "tuple_indices" not in out

    def flips(seed):
        t = RandTemporalReversed(prob=0.5)
        t.set_random_state(seed)
        return [bool(t(data)["frame0"][0, 0, 0] == 1) for _ in range(40)]

    assert flips(3) == flips(3)
    assert 5 < sum(flips(3)) < 35
    with pytest.raises(ValueError, match="prob"):
        RandTemporalReversed(prob=1.5)
    with pytest.raises(ValueError, match="N \\* C"):
        RandTemporalReversed(prob=1.0)({**data, "target": torch.zeros(3, 2, 2)})
