# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch
from torch import nn

from monai_angio.inferers import (
    InterpolationResult,
    SequenceInterpolator,
    dose_reduction_indices,
    dose_reduction_study,
    interpolate_cine,
    interpolation_times,
    upsampled_length,
)
from monai_angio.options import InterpolationOptions


class Blend(nn.Module):
    """(1 - t) f0 + t f1, refusing inputs that are not a multiple of ``stride``."""

    def __init__(self, stride: int = 1) -> None:
        super().__init__()
        self.stride = stride
        self.calls: list[tuple[int, ...]] = []

    def forward(self, f0: torch.Tensor, f1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        assert f0.shape[-1] % self.stride == 0 and f0.shape[-2] % self.stride == 0
        self.calls.append(tuple(f0.shape))
        tt = t[:, :, None, None, None]
        return (1 - tt) * f0.unsqueeze(1) + tt * f1.unsqueeze(1)


def _expected(frames: torch.Tensor, k: int) -> torch.Tensor:
    out = []
    for i in range(frames.shape[0] - 1):
        out.append(frames[i])
        for t in interpolation_times(k):
            out.append((1 - t) * frames[i] + t * frames[i + 1])
    out.append(frames[-1])
    return torch.stack(out)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_lengths_values_and_mask(k):
    frames = torch.rand(5, 1, 16, 20)
    result = SequenceInterpolator(Blend(), factor=k, batch_size=3, progress=False)(frames)
    assert isinstance(result, InterpolationResult)
    out, synth = result.frames, result.synthesized
    assert out.shape == (upsampled_length(5, k), 1, 16, 20) == (4 * (k + 1) + 1, 1, 16, 20)
    assert synth.dtype == torch.bool and int(synth.sum()) == 4 * k
    assert torch.equal(out[~synth], frames)  # acquired frames are kept bit-exact
    torch.testing.assert_close(out, _expected(frames, k))
    assert not synth[0] and not synth[-1] and synth[1]


def test_three_dimensional_input_and_stride_padding():
    frames = torch.rand(3, 30, 27)
    blend = Blend(stride=8)
    out = SequenceInterpolator(blend, factor=1, progress=False)(frames).frames
    assert out.shape == (5, 30, 27)
    assert all(s[-2] == 32 and s[-1] == 32 for s in blend.calls)
    torch.testing.assert_close(out[1], 0.5 * (frames[0] + frames[1]))


def test_tiling_matches_whole_frame():
    frames = torch.rand(3, 1, 70, 90)
    whole = SequenceInterpolator(Blend(), factor=2, progress=False)(frames).frames
    blend = Blend(stride=8)
    tiled = SequenceInterpolator(blend, factor=2, tile_size=32, progress=False)(frames).frames
    assert max(s[-1] for s in blend.calls) == 32  # really tiled
    torch.testing.assert_close(tiled, whole, atol=1e-5, rtol=0)


def test_times_and_dose_indices():
    torch.testing.assert_close(interpolation_times(3), torch.tensor([0.25, 0.5, 0.75]))
    kept, span = dose_reduction_indices(10, 2)
    assert kept == [0, 3, 6, 9] and span == 10
    kept, span = dose_reduction_indices(11, 3)
    assert kept == [0, 4, 8] and span == 9


@pytest.mark.parametrize(
    "frames, kwargs, err, match",
    [
        (torch.rand(1, 1, 8, 8), {"factor": 1}, ValueError, "at least 2 frames"),
        (torch.full((2, 1, 8, 8), float("nan")), {"factor": 1}, ValueError, "NaN"),
        (torch.zeros(2, 1, 8, 8, dtype=torch.uint8), {"factor": 1}, TypeError, "floating point"),
        (torch.rand(2, 8), {"factor": 1}, ValueError, "shape"),
    ],
)
def test_bad_frames(frames, kwargs, err, match):
    with pytest.raises(err, match=match):
        SequenceInterpolator(Blend(), progress=False, **kwargs)(frames)


@pytest.mark.parametrize("factor", [0, -1, 1.5, True])
def test_bad_factor(factor):
    with pytest.raises(ValueError, match="factor"):
        SequenceInterpolator(Blend(), factor=factor)
    with pytest.raises(ValueError, match="factor"):
        dose_reduction_indices(10, factor)


def test_too_short_for_dose_reduction():
    with pytest.raises(ValueError, match="at least 4 frames"):
        dose_reduction_indices(3, 2)


def _moving_cine(num_frames: int = 5, size: int = 48) -> torch.Tensor:
    """A textured blob accelerating to the right, ``(T, 1, size, size)``."""
    yy, xx = torch.meshgrid(
        torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij"
    )
    frames = []
    for i in range(num_frames):
        x = 14 + 1.5 * i + 0.5 * i * i
        frames.append(
            0.2 + 0.5 * torch.exp(-((xx - x) ** 2 + (yy - size / 2) ** 2) / 32) * (1 + 0.2 * torch.cos(xx - x))
        )
    return torch.stack(frames).unsqueeze(1)


def test_sequence_method_as_interpolator_and_as_ensemble_member():
    from monai_angio.baselines import QuadraticDISInterpolator

    frames, k = _moving_cine(), 2
    quad = QuadraticDISInterpolator()
    gaps = torch.stack(list(quad.sequence_gaps(frames, interpolation_times(k)))).clamp(0, 1)  # (T - 1, K, C, H, W)

    result = SequenceInterpolator(quad, factor=k, progress=False)(frames)
    out, synth = result.frames, result.synthesized
    assert torch.equal(out[::3], frames) and int(synth.sum()) == 4 * k
    assert torch.allclose(out[1:].unflatten(0, (4, 3))[:, :k], gaps, atol=1e-6)

    # as the ensemble member (by name): the average of the pairwise network's frames and the cine-wide ones
    blend = Blend()
    options = InterpolationOptions(ensemble="dis_flow_quadratic")
    result = SequenceInterpolator(blend, factor=k, options=options, progress=False)(frames)
    out = result.frames
    assert result.choices["members"] == ["Blend", "QuadraticDISInterpolator"]
    linear = _expected(frames, k)[1:].unflatten(0, (4, 3))[:, :k]
    assert torch.allclose(out[1:].unflatten(0, (4, 3))[:, :k], (linear + gaps) / 2, atol=1e-6)
    assert len(blend.calls) == 1  # the network ran once on the 4 pairs (batch 4), without the member's pairwise pass


class Offset(Blend):
    """The blend plus a constant, to tell members apart in an average."""

    def __init__(self, offset: float, stride: int = 1) -> None:
        super().__init__(stride)
        self.offset = offset

    def forward(self, f0, f1, t):
        return super().forward(f0, f1, t) + self.offset


def test_pairwise_ensemble_is_the_clamped_mean_padded_to_the_common_stride(monkeypatch):
    """Two frame-pair members: their mean, clamped; both see frames padded to the lcm of their strides."""
    import monai_angio.inferers.methods as methods

    frames = torch.rand(4, 1, 13, 10) * 0.5 + 0.25
    main, member = Offset(0.2, stride=4), Offset(-0.1, stride=6)
    monkeypatch.setattr(methods, "get_interpolator", lambda name, device=None: member)
    result = SequenceInterpolator(main, 2, InterpolationOptions(ensemble="other"), progress=False)(frames)
    expected = _expected(frames, 2)
    syn = result.synthesized
    torch.testing.assert_close(result.frames[syn], (expected[syn] + 0.05).clamp(0, 1))
    assert all(c[-2:] == (24, 12) for c in main.calls + member.calls)  # lcm(4, 6) = 12
    # clamping happens after the mean: a member far above 1 is pulled back by the other
    high, low = Offset(0.8), Offset(-0.8)
    monkeypatch.setattr(methods, "get_interpolator", lambda name, device=None: low)
    out = SequenceInterpolator(high, 1, InterpolationOptions(ensemble="low"), progress=False)(frames).frames
    torch.testing.assert_close(out[1], 0.5 * (frames[0] + frames[1]))


def test_temporal_window_stage_changes_only_synthesized_frames():
    g = torch.Generator().manual_seed(0)
    clean = torch.linspace(0.3, 0.6, 9)[:, None, None, None].expand(9, 1, 24, 24)
    frames = (clean + 0.02 * torch.randn(9, 1, 24, 24, generator=g)).clamp(0, 1)
    plain = SequenceInterpolator(Blend(), 1, progress=False)(frames)
    windowed = SequenceInterpolator(Blend(), 1, InterpolationOptions(denoise_window=4), progress=False)(frames)
    syn = windowed.synthesized
    assert torch.equal(windowed.frames[~syn], frames)
    truth = 0.5 * (clean[:-1] + clean[1:])
    err_plain = (plain.frames[syn] - truth).pow(2).mean()
    err_window = (windowed.frames[syn] - truth).pow(2).mean()
    assert err_window < 0.8 * err_plain  # the noise the blend inherits from its two anchors is reduced
    assert windowed.choices["window"] == 4 and plain.choices["window"] == 0
    assert set(windowed.timings) >= {"synthesize", "window", "total"} and "window" not in plain.timings
    # fewer than 3 frames: the window cannot be fitted and is skipped
    two = SequenceInterpolator(Blend(), 1, InterpolationOptions(denoise_window=4), progress=False)(frames[:2])
    assert two.choices["window"] == 0


def test_global_motion_stage_aligns_moving_pairs_and_restores_still_ones():
    """A translated texture: the aligned blend lands where the texture is; a still pair is left alone."""
    g = torch.Generator().manual_seed(1)
    texture = torch.nn.functional.avg_pool2d(torch.rand(1, 1, 96, 96, generator=g), 5, 1, 2)[0]
    shifts = [0, 4, 8]
    frames = torch.stack([torch.roll(texture, s, dims=-1) for s in shifts])[..., 16:80, 16:80]
    truth = torch.roll(texture, 2, dims=-1)[..., 16:80, 16:80]
    plain = SequenceInterpolator(Blend(), 1, progress=False)(frames)
    moved = SequenceInterpolator(Blend(), 1, InterpolationOptions(global_motion="translation"), progress=False)(frames)
    assert moved.choices["motion_pairs"] == 2
    inner = (..., slice(8, -8), slice(8, -8))
    err_plain = (plain.frames[1][inner] - truth[inner]).abs().mean()
    err_moved = (moved.frames[1][inner] - truth[inner]).abs().mean()
    assert err_moved < 0.3 * err_plain
    still = torch.stack([frames[0], frames[0]])
    result = SequenceInterpolator(Blend(), 1, InterpolationOptions(global_motion="similarity"), progress=False)(still)
    assert result.choices["motion_pairs"] == 0 and torch.equal(result.frames[1], frames[0])
    # the temporal window follows pixels through time: skipped on a moving scene, applied on a still one
    options = InterpolationOptions(global_motion="translation", denoise_window=2)
    assert SequenceInterpolator(Blend(), 1, options, progress=False)(frames).choices["window"] == 0
    still3 = torch.stack([frames[0]] * 3) + 0.01 * torch.rand(3, *frames.shape[1:], generator=g)
    assert SequenceInterpolator(Blend(), 1, options, progress=False)(still3).choices["window"] == 2


def test_adaptation_stage_is_recorded_and_needs_a_network():
    from monai_angio.baselines import LinearInterpolator

    with pytest.raises(ValueError, match="adapt"):
        SequenceInterpolator(LinearInterpolator(), 1, InterpolationOptions(adapt_steps=2))

    class Scaled(Blend):
        def __init__(self):
            super().__init__()
            self.gain = nn.Parameter(torch.tensor(0.9))

        def forward(self, f0, f1, t):
            return self.gain * super().forward(f0, f1, t)

    net = Scaled()
    frames = torch.linspace(0.2, 0.8, 6)[:, None, None, None].expand(6, 1, 32, 32).contiguous()
    result = SequenceInterpolator(net, 1, InterpolationOptions(adapt_steps=20), progress=False)(frames)
    assert "adapt" in result.timings and result.choices["adapted_steps"] in (0, 20)
    assert float(net.gain.detach()) == pytest.approx(0.9)  # the caller's network is never modified


def test_nothing_is_kept_between_calls():
    inferer = SequenceInterpolator(Blend(), 1, progress=False)
    state = dict(vars(inferer))
    first = inferer(torch.rand(3, 1, 8, 8))
    second = inferer(torch.rand(4, 1, 8, 8))
    assert first.frames.shape[0] == 5 and second.frames.shape[0] == 7
    assert vars(inferer).keys() == state.keys() and all(vars(inferer)[k] is v for k, v in state.items())


def test_interpolate_cine_and_dose_reduction_study_take_the_options():
    frames = torch.rand(7, 1, 16, 16)
    options = InterpolationOptions(denoise_window=2)
    direct = SequenceInterpolator(Blend(), 2, options, progress=False)(frames)
    once = interpolate_cine(frames, Blend(), 2, options, progress=False)
    assert torch.equal(direct.frames, once.frames) and torch.equal(direct.synthesized, once.synthesized)
    study = dose_reduction_study(frames, Blend(), 2, options, progress=False)
    assert study.interpolation is not None and study.interpolation.choices["window"] == 2
    assert torch.equal(study.reconstructed, interpolate_cine(frames[::3], Blend(), 2, options, progress=False).frames)
    with pytest.raises(TypeError, match="InterpolationOptions"):
        SequenceInterpolator(Blend(), 1, {"denoise_window": 2})


def test_fallback_interpolates_when_it_predicts_the_cines_own_frames_better():
    """The method with its options and the fallback each synthesize every other acquired frame; the closer one is
    used for the whole cine, and the choice is recorded."""
    frames = _moving_cine()
    # a method off by a constant loses to the linear fallback on the held-out frames
    result = SequenceInterpolator(Offset(0.2), 1, InterpolationOptions(fallback="linear"), progress=False)(frames)
    assert result.choices["fallback_chosen"] is True
    main_mse, fallback_mse = result.choices["fallback_mse"]
    assert fallback_mse < main_mse
    assert torch.allclose(result.frames, _expected(frames, 1), atol=1e-6)
    assert "choose" in result.timings
    # the linear blend as the method, a worse fallback: the method stays
    result = SequenceInterpolator(Blend(), 2, InterpolationOptions(fallback="repeat"), progress=False)(frames)
    assert result.choices["fallback_chosen"] is False
    assert torch.allclose(result.frames, _expected(frames, 2), atol=1e-6)
    # too few frames to hold every other one out: no choice, the method runs
    short = SequenceInterpolator(Offset(0.2), 1, InterpolationOptions(fallback="linear"), progress=False)(frames[:4])
    assert "fallback_chosen" not in short.choices
    assert torch.allclose(short.frames[1::2], (_expected(frames[:4], 1)[1::2] + 0.2).clamp(0, 1), atol=1e-6)
    # the label of the run names the fallback when it was used
    opts = InterpolationOptions(fallback="linear")
    assert opts.run_label("net", {"fallback_chosen": True}) == "net (fallback linear): linear chosen on this input"
    assert opts.run_label("net", {"fallback_chosen": False}) == "net (fallback linear)"
