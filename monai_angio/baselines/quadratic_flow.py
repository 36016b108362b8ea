# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""DIS optical-flow interpolation with quadratic (accelerated) motion from four acquired frames.

Quadratic video interpolation (Xu et al., "Quadratic video interpolation", NeurIPS 2019) replaces the linear-motion
assumption by constant acceleration: with the flows from frame 0 to its two neighbours, ``F_0→1`` and ``F_0→-1``,
a pixel of frame 0 moves by ``F_0→t = t F_0→1 + (t² - t) a_0 / 2`` with ``a_0 = F_0→1 + F_0→-1``, and likewise
from frame 1 with ``F_1→0`` and ``F_1→2``. Cardiac motion is far from linear over the gap between two acquired frames
at a reduced frame rate, so the frames synthesized with the accelerated motion follow a beating heart better
(``docs/benchmarks.md``, "Quadratic motion"). Here the flows are OpenCV's DIS flows and the warping and blending are
those of :class:`~monai_angio.baselines.DISFlowInterpolator`; without a neighbour on a side (the ends of a cine) the
motion on that side is linear, so the interpolator equals DIS flow for a lone pair.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from tqdm.auto import tqdm

from .dis_flow import DISFlowInterpolator, dis_optical_flow, quadratic_intermediate_flows
from .simple import check_interpolator_inputs

__all__ = ["QuadraticDISInterpolator"]


class QuadraticDISInterpolator(DISFlowInterpolator):
    """DIS flow interpolation with the motion accelerated as measured on the acquired frames around the gap.

    ``forward(frame0, frame1, t, frame_prev, frame_next)`` interpolates one gap with its neighbours (each optional;
    a missing one makes that side linear). :meth:`sequence_gaps` interpolates every gap of a cine and estimates each
    pair's flows once, so a cine costs as much as :class:`DISFlowInterpolator` (two DIS flows per pair); the
    :class:`~monai_angio.inferers.SequenceInterpolator` uses it, as the main method or as the ``ensemble`` member.

    Args: those of :class:`~monai_angio.baselines.DISFlowInterpolator`.
    """

    @torch.no_grad()
    def forward(
        self,
        frame0: torch.Tensor,
        frame1: torch.Tensor,
        t: torch.Tensor,
        frame_prev: torch.Tensor | None = None,
        frame_next: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Interpolate ``frame0``, ``frame1`` ``(B, C, H, W)`` at ``t (B, N)``; returns ``(B, N, C, H, W)``.

        ``frame_prev`` and ``frame_next`` ``(B, C, H, W)`` are the acquired frames one gap before ``frame0`` and one
        gap after ``frame1`` (None: linear motion on that side).
        """
        name = type(self).__name__
        frame0, frame1, t = check_interpolator_inputs(frame0, frame1, t, name)
        if frame0.dtype not in (torch.float32, torch.float64):
            frame0, frame1, t = frame0.float(), frame1.float(), t.float()
        if frame_prev is not None:
            frame_prev = check_interpolator_inputs(frame_prev, frame0, t, f"{name} (frame_prev)")[0].to(frame0)
        if frame_next is not None:
            frame_next = check_interpolator_inputs(frame_next, frame1, t, f"{name} (frame_next)")[0].to(frame1)
        flow01, flow10 = dis_optical_flow(frame0, frame1, self.preset)
        flow0p = dis_optical_flow(frame0, frame_prev, self.preset)[0] if frame_prev is not None else None
        flow1n = dis_optical_flow(frame1, frame_next, self.preset)[0] if frame_next is not None else None
        flow_t0, flow_t1 = quadratic_intermediate_flows(flow01, flow10, t, flow0p, flow1n)
        return self.warp_and_blend(frame0, frame1, flow01, flow10, flow_t0, flow_t1, t)

    @torch.no_grad()
    def sequence_gaps(
        self, frames: torch.Tensor, times: torch.Tensor, progress: bool = False
    ) -> Iterator[torch.Tensor]:
        """Interpolate every gap of a cine, each with the acquired frames around it.

        Args:
            frames: ``(T, C, H, W)`` acquired frames, equally spaced in time, ``T >= 2``.
            times: ``(K,)`` times in [0, 1] within each gap.
            progress: show a tqdm progress bar.

        Yields:
            For each gap ``q = 0 .. T - 2``, the ``(K, C, H, W)`` frames between ``frames[q]`` and ``frames[q + 1]``.
        """
        if not isinstance(frames, torch.Tensor) or frames.ndim != 4 or frames.shape[0] < 2:
            shape = tuple(frames.shape) if isinstance(frames, torch.Tensor) else type(frames).__name__
            raise ValueError(f"{type(self).__name__}: frames must be (T, C, H, W) with T >= 2, got {shape}.")
        if not isinstance(times, torch.Tensor) or times.ndim != 1:
            raise ValueError(f"{type(self).__name__}: times must be a (K,) tensor, got {times!r}.")
        if not (torch.isfinite(frames).all() and ((times >= 0) & (times <= 1)).all()):
            raise ValueError(f"{type(self).__name__}: frames must be finite and times in [0, 1].")
        frames = frames if frames.dtype in (torch.float32, torch.float64) else frames.float()
        t = times.to(frames.device, frames.dtype).unsqueeze(0)
        flows: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}  # pair q -> (F_q→q+1, F_q+1→q)

        def pair(q: int) -> tuple[torch.Tensor, torch.Tensor] | None:
            if not 0 <= q < frames.shape[0] - 1:
                return None
            if q not in flows:
                flows[q] = dis_optical_flow(frames[q : q + 1], frames[q + 1 : q + 2], self.preset)
            return flows[q]

        for q in tqdm(range(frames.shape[0] - 1), desc="quadratic DIS flow", unit="gap", disable=not progress):
            flows.pop(q - 2, None)
            before, (flow01, flow10), after = pair(q - 1), pair(q), pair(q + 1)
            flow0p = before[1] if before is not None else None
            flow1n = after[0] if after is not None else None
            flow_t0, flow_t1 = quadratic_intermediate_flows(flow01, flow10, t, flow0p, flow1n)
            yield self.warp_and_blend(frames[q : q + 1], frames[q + 1 : q + 2], flow01, flow10, flow_t0, flow_t1, t)[0]
