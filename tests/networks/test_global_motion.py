# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import math

import pytest
import torch
from moving_texture import moving_texture, similarity, texture

from monai_angio.baselines import LinearInterpolator
from monai_angio.inferers import SequenceInterpolator
from monai_angio.metrics import psnr
from monai_angio.networks import (
    align_pair,
    estimate_global_motion,
    fit_global_motion,
    is_identity,
    restore_times,
    transform_power,
    warp_global,
)
from monai_angio.options import InterpolationOptions


def test_fit_recovers_a_similarity_despite_outliers():
    h, w = 40, 60
    T = similarity(2.0, 1.01, 3.5, -1.25)
    ys, xs = torch.meshgrid(torch.arange(h) - (h - 1) / 2, torch.arange(w) - (w - 1) / 2, indexing="ij")
    p = torch.stack((xs, ys, torch.ones_like(xs))).double()
    moved = torch.einsum("ij,jhw->ihw", T, p)
    flow = (moved[:2] - p[:2]).float()[None]
    flow[:, :, :12, :20] += 15.0  # a region moving on its own (20 % of the frame)
    fitted = fit_global_motion(flow, model="similarity", step=1)
    torch.testing.assert_close(fitted[0], T, atol=0.02, rtol=0)  # Cauchy weights: outliers keep a tiny pull
    plain = fit_global_motion(flow, model="similarity", step=1, iterations=1)  # least squares, not robust
    assert (plain[0] - T).abs().max() > 0.5
    trans = fit_global_motion(torch.full((2, 2, 8, 8), 2.0), model="translation")
    torch.testing.assert_close(trans[:, :2, 2], torch.full((2, 2), 2.0, dtype=torch.float64))
    assert fit_global_motion(flow, model="affine", step=1).shape == (1, 3, 3)


def test_transform_power():
    T = similarity(4.0, 1.02, 10.0, -6.0)
    half = transform_power(T, 0.5)
    torch.testing.assert_close(half @ half, T)
    torch.testing.assert_close(transform_power(T, 1.0), T)
    torch.testing.assert_close(transform_power(T, 0.0), torch.eye(3, dtype=torch.float64))
    torch.testing.assert_close(transform_power(T, -1.0), torch.linalg.inv(T))
    assert math.degrees(math.atan2(half[1, 0], half[0, 0])) == pytest.approx(2.0)
    batch = transform_power(torch.stack([T, T]), torch.tensor([0.25, 0.75]))
    torch.testing.assert_close(batch[0] @ batch[1], T)
    with pytest.raises(ValueError, match="too far"):
        transform_power(similarity(60.0, 1.0, 0, 0), 0.5)


def test_warp_global_identity_and_shift():
    x = texture(32)
    torch.testing.assert_close(warp_global(x, torch.eye(3, dtype=torch.float64)[None]), x)
    shifted = warp_global(x, similarity(0, 1, 3.0, 0)[None])  # out(p) = x(p + 3 px in x)
    torch.testing.assert_close(shifted[..., :, :-3], x[..., :, 3:])
    with pytest.raises(ValueError, match="mode"):
        warp_global(x, torch.eye(3)[None], mode="nearest")


def test_estimate_and_align_a_moved_pair():
    cine = moving_texture(2, deg=1.5, px=5.0)
    T = estimate_global_motion(cine[:1], cine[1:])
    torch.testing.assert_close(T[0], similarity(1.5, 1.0, 5.0, 2.5), atol=0.1, rtol=0)
    assert is_identity(estimate_global_motion(cine[:1], cine[1:], min_motion=20.0))  # corners move about 7 px
    with pytest.raises(ValueError, match="min_motion"):
        estimate_global_motion(cine[:1], cine[1:], min_motion=-1.0)
    a0, a1, T2 = align_pair(cine[:1], cine[1:])
    inner = (slice(None), slice(None), slice(16, -16), slice(16, -16))
    assert (a0 - a1)[inner].abs().mean() < 0.1 * (cine[:1] - cine[1:])[inner].abs().mean()
    # no motion: the frames come back as they are, with an identity transform
    b0, b1, eye = align_pair(cine[:1], cine[:1].clone())
    assert b0 is cine[:1] or torch.equal(b0, cine[:1])
    assert torch.equal(eye[0], torch.eye(3, dtype=torch.float64))


def test_unrelated_or_tiny_frames_get_the_identity():
    eye = torch.eye(3, dtype=torch.float64)
    a, b = texture(128, seed=0), texture(128, seed=5)  # two unrelated scenes: no global motion to follow
    assert torch.equal(estimate_global_motion(a, b)[0], eye)
    assert not torch.equal(estimate_global_motion(a, b, min_inliers=0.0)[0], eye)  # a fit exists, it is rejected
    assert torch.equal(estimate_global_motion(torch.rand(2, 1, 8, 40), torch.rand(2, 1, 8, 40))[1], eye)
    with pytest.raises(ValueError, match="min_inliers"):
        estimate_global_motion(a, b, min_inliers=1.5)


def _compensated(frame0, frame1, t):
    """The linear blend in the half-way geometry, warped back to the times (the pipeline's alignment stage)."""
    a0, a1, transform = align_pair(frame0, frame1, "similarity")
    return restore_times(LinearInterpolator()(a0, a1, t), transform, t), transform


def test_compensated_interpolation_of_a_moving_cine():
    cine = moving_texture(3, deg=1.0, px=6.0)
    t = torch.tensor([[0.5]])
    inner = (slice(None), slice(None), slice(20, -20), slice(20, -20))
    plain = LinearInterpolator()(cine[:1], cine[2:], t)[:, 0]
    compensated, transform = _compensated(cine[:1], cine[2:], t)
    p_plain = float(psnr(plain[inner], cine[1:2][inner], 1.0))
    p_comp = float(psnr(compensated[:, 0][inner], cine[1:2][inner], 1.0))
    assert p_comp > p_plain + 10.0 and p_comp > 35.0
    assert not torch.equal(transform[0], torch.eye(3, dtype=torch.float64))
    # unmoved pair: exactly the interpolator's output
    still = torch.cat([cine[:1], cine[:1] * 0.9])
    out, transform = _compensated(still[:1], still[1:], t)
    torch.testing.assert_close(out, LinearInterpolator()(still[:1], still[1:], t))
    assert torch.equal(transform[0], torch.eye(3, dtype=torch.float64))


def test_sequence_interpolator_global_motion():
    cine = moving_texture(5, deg=0.5, px=4.0)
    kept = cine[::2]
    inner = (slice(None), slice(None), slice(20, -20), slice(20, -20))
    results = {}
    for gm in (None, "similarity"):
        result = SequenceInterpolator(LinearInterpolator(), 1, InterpolationOptions(global_motion=gm), progress=False)(
            kept
        )
        out, syn = result.frames, result.synthesized
        assert out.shape == cine.shape and syn.tolist() == [False, True, False, True, False]
        torch.testing.assert_close(out[~syn], kept)  # acquired frames untouched
        results[gm] = float(psnr(out[syn][inner], cine[syn][inner], 1.0).mean())
        assert result.choices["motion_pairs"] == (2 if gm else 0)  # both pairs move by several pixels
    assert results["similarity"] > results[None] + 8.0
    with pytest.raises(ValueError, match="global_motion must be none or one of"):
        InterpolationOptions(global_motion="rigid")


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"model": "rigid"}, ValueError),
        ({"mode": "nearest"}, ValueError),
        ({"min_motion": -1.0}, ValueError),
        ({"min_motion": float("nan")}, ValueError),
    ],
)
def test_invalid_arguments(kwargs, error):
    frames = torch.rand(2, 1, 16, 16)
    with pytest.raises(error):
        align_pair(frames[:1], frames[1:], **kwargs)


def test_invalid_inputs():
    with pytest.raises(ValueError, match="one shape"):
        align_pair(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 9))
    with pytest.raises(ValueError, match="flow"):
        fit_global_motion(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="weight"):
        fit_global_motion(torch.zeros(1, 2, 8, 8), torch.ones(1, 1, 4, 4))
