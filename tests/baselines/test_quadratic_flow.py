# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
import pytest
import torch

from monai_angio.baselines import (
    DISFlowInterpolator,
    QuadraticDISInterpolator,
    get_baseline,
    intermediate_flows,
    quadratic_intermediate_flows,
)


def _blob_cine(positions: list[float], size: int = 96) -> torch.Tensor:
    """``(T, 1, size, size)`` frames of a textured blob whose centre is at ``(x, size / 2)`` for each x."""
    yy, xx = torch.meshgrid(
        torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32), indexing="ij"
    )
    frames = []
    for x in positions:
        r2 = (xx - x) ** 2 + (yy - size / 2) ** 2
        texture = 1 + 0.3 * torch.cos((xx - x) * 0.9) * torch.cos((yy - size / 2) * 0.7)
        frames.append(0.2 + 0.6 * torch.exp(-r2 / (2 * 6.0**2)) * texture)
    return torch.stack(frames).unsqueeze(1)


def _centroid_x(frame: torch.Tensor) -> float:
    w = (frame[0] - 0.2).clamp(min=0)
    xx = torch.arange(frame.shape[-1], dtype=torch.float32).expand_as(w)
    return float((w * xx).sum() / w.sum())


def test_without_neighbours_equals_linear_motion():
    torch.manual_seed(0)
    f01, f10 = torch.randn(2, 2, 8, 8), torch.randn(2, 2, 8, 8)
    t = torch.tensor([[0.25, 0.5], [0.5, 0.75]])
    for got, want in zip(quadratic_intermediate_flows(f01, f10, t), intermediate_flows(f01, f10, t), strict=True):
        assert torch.allclose(got, want, atol=1e-6)


def test_uniform_accelerated_motion_is_exact():
    # positions p(tau) = v tau + a tau^2 / 2 at tau = -1, 0, 1, 2 give these uniform flows between acquired frames
    v, a = torch.tensor([1.5, -0.5]), torch.tensor([2.0, 1.0])

    def p(tau: float) -> torch.Tensor:
        return v * tau + a * tau * tau / 2

    def uniform(d: torch.Tensor) -> torch.Tensor:
        return d.view(1, 2, 1, 1).expand(1, 2, 4, 4)

    t = torch.tensor([[0.25, 0.5, 0.75]])
    flow_t0, flow_t1 = quadratic_intermediate_flows(
        uniform(p(1) - p(0)), uniform(p(0) - p(1)), t, uniform(p(-1) - p(0)), uniform(p(2) - p(1))
    )
    for n, tn in enumerate(t[0].tolist()):
        assert torch.allclose(flow_t0[0, n, :, 0, 0], p(0) - p(tn), atol=1e-6)
        assert torch.allclose(flow_t1[0, n, :, 0, 0], p(1) - p(tn), atol=1e-6)
    with pytest.raises(ValueError, match="flow0p"):
        quadratic_intermediate_flows(uniform(v), uniform(v), t, torch.zeros(1, 2, 3, 3))


def test_accelerating_blob_lands_where_it_is():
    # x(tau) = 40 + 4 tau + 3 tau^2: 39, 40, 47, 62; at tau = 0.5 the blob is at 42.75 (linear motion says 43.5)
    cine = _blob_cine([39.0, 40.0, 47.0, 62.0])
    t = torch.tensor([[0.5]])
    quad = QuadraticDISInterpolator()(cine[1:2], cine[2:3], t, cine[0:1], cine[3:4])
    linear = DISFlowInterpolator()(cine[1:2], cine[2:3], t)
    truth = _blob_cine([42.75])
    assert abs(_centroid_x(quad[0, 0]) - 42.75) < 0.35
    assert abs(_centroid_x(linear[0, 0]) - 42.75) > 0.5
    assert (quad[0, 0] - truth[0]).pow(2).mean() < 0.5 * (linear[0, 0] - truth[0]).pow(2).mean()


def test_sequence_gaps_use_the_neighbours_and_are_linear_at_the_ends():
    cine = _blob_cine([30.0, 31.0, 34.0, 39.0, 46.0], size=80)
    times = torch.tensor([1 / 3, 2 / 3])
    q = get_baseline("dis_flow_quadratic")
    gaps = list(q.sequence_gaps(cine, times))
    assert len(gaps) == 4 and all(g.shape == (2, 1, 80, 80) for g in gaps)
    t = times.unsqueeze(0)
    assert torch.allclose(gaps[0], q(cine[0:1], cine[1:2], t, None, cine[2:3])[0], atol=1e-6)
    assert torch.allclose(gaps[2], q(cine[2:3], cine[3:4], t, cine[1:2], cine[4:5])[0], atol=1e-6)
    assert torch.allclose(gaps[3], q(cine[3:4], cine[4:5], t, cine[2:3], None)[0], atol=1e-6)
    # a lone pair is DIS flow
    assert torch.allclose(q(cine[0:1], cine[1:2], t), DISFlowInterpolator()(cine[0:1], cine[1:2], t), atol=1e-6)


def test_sequence_gaps_input_errors():
    q = QuadraticDISInterpolator()
    with pytest.raises(ValueError, match="T >= 2"):
        next(q.sequence_gaps(torch.rand(1, 1, 8, 8), torch.tensor([0.5])))
    with pytest.raises(ValueError, match=r"\(K,\)"):
        next(q.sequence_gaps(torch.rand(3, 1, 8, 8), torch.tensor([[0.5]])))
    with pytest.raises(ValueError, match=r"times in \[0, 1\]"):
        next(q.sequence_gaps(torch.rand(3, 1, 8, 8), torch.tensor([1.5])))
    with pytest.raises(ValueError, match="frame_prev"):
        q(torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16), torch.tensor([[0.5]]), torch.rand(1, 1, 4, 4))
