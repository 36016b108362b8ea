# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Run a two-frame interpolator over a whole cine."""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from monai.inferers import SlidingWindowInferer
from torch import nn
from tqdm.auto import tqdm

from monai_angio.inferers.anchor_denoising import blend_anchors, estimate_noise_variance
from monai_angio.inferers.temporal_window import check_window, temporal_window_correction
from monai_angio.networks.ensemble import InterpolatorEnsemble
from monai_angio.networks.global_motion import align_pair, check_global_motion, restore_times
from monai_angio.networks.self_ensemble import SelfEnsemble

__all__ = [
    "SequenceInterpolator",
    "interpolation_times",
    "upsampled_length",
    "dose_reduction_indices",
    "gap_frames",
]


def interpolation_times(factor: int) -> torch.Tensor:
    """The ``(K,)`` times ``k / (K + 1)``, ``k = 1..K``, of the frames synthesized between two acquired ones."""
    _check_factor(factor)
    return torch.arange(1, factor + 1, dtype=torch.float32) / (factor + 1)


def upsampled_length(num_frames: int, factor: int) -> int:
    """Length of a cine of ``num_frames`` acquired frames once ``factor`` frames are synthesized in every gap."""
    _check_factor(factor)
    return (num_frames - 1) * (factor + 1) + 1


def gap_frames(cine: torch.Tensor, factor: int) -> torch.Tensor:
    """The frames between the acquired ones of an interpolated cine, gap by gap.

    Args:
        cine: ``(T', C, H, W)`` with ``T' = (T - 1)(K + 1) + 1`` and acquired frames at every ``(K + 1)``-th position.
        factor: ``K``.

    Returns:
        A ``(T - 1, K, C, H, W)`` view of ``cine``.
    """
    _check_factor(factor)
    if (cine.shape[0] - 1) % (factor + 1):
        raise ValueError(f"a cine interpolated x{factor} has (T - 1)({factor + 1}) + 1 frames, got {cine.shape[0]}.")
    return cine[1:].unflatten(0, ((cine.shape[0] - 1) // (factor + 1), factor + 1))[:, :factor]


def dose_reduction_indices(num_frames: int, factor: int) -> tuple[list[int], int]:
    """Frames kept when only every ``(K + 1)``-th frame of a cine is acquired.

    Returns:
        The kept indices ``[0, K+1, 2(K+1), ...]`` and the number of leading frames of the real cine that the kept ones
        span (frames after the last kept one cannot be interpolated and are left out of comparisons).
    """
    _check_factor(factor)
    step = factor + 1
    kept = list(range(0, num_frames, step))
    if len(kept) < 2:
        raise ValueError(
            f"dose reduction with factor {factor} needs at least {step + 1} frames, the cine has {num_frames}."
        )
    return kept, kept[-1] + 1


def _method_module(method: nn.Module | str | None, name: str, device: torch.device | str | None) -> nn.Module | None:
    """A second interpolator given as a module, a method name (``"dis_flow"``, a bundle) or ``None``."""
    if isinstance(method, str):
        from monai_angio.inferers.methods import get_interpolator

        method = get_interpolator(method, device)
    if method is not None and not isinstance(method, nn.Module):
        raise TypeError(f"{name} must be an nn.Module, a method name or None, got {type(method).__name__}.")
    return method


def _is_sequence_method(method: nn.Module | None) -> bool:
    """Whether ``method`` interpolates whole cines with the frames around each gap (``sequence_gaps``)."""
    return callable(getattr(method, "sequence_gaps", None))


def _check_factor(factor: int) -> None:
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValueError(f"factor must be an integer >= 1 (frames synthesized per gap), got {factor!r}.")


class SequenceInterpolator:
    """Synthesize ``K`` frames between every pair of consecutive acquired frames of a cine.

    The interpolator is any module with ``forward(frame0 (B, C, H, W), frame1 (B, C, H, W), t (B, N)) ->
    (B, N, C, H, W)`` and an integer ``stride`` attribute (inputs are padded to a multiple of it). Frames larger than
    ``tile_size`` are processed in overlapping tiles with MONAI's :class:`~monai.inferers.SlidingWindowInferer`
    (Gaussian blending).

    Args:
        interpolator: the two-frame interpolator.
        factor: ``K``, the number of frames synthesized in each gap (dose reduction ``K / (K + 1)``).
        batch_size: frame pairs per forward pass.
        tile_size: tile edge in pixels for large frames; ``None`` processes whole frames.
        tile_overlap: fraction of overlap between tiles.
        device: where the interpolator runs; default its parameters' device (CPU for parameter-free baselines).
        progress: show a tqdm progress bar.
        self_ensemble: average over this many flips of the frame pair (1, 2, 4 or 8;
            :class:`~monai_angio.networks.SelfEnsemble`), at that many times the cost.
        time_reversal: also average the time-reversed call ``interpolator(frame1, frame0, 1 - t)`` (twice the cost).
        adapt_steps: fine-tune a copy of a network interpolator for this many steps on every cine it is called with,
            on the triplets of consecutive acquired frames, before interpolating
            (:func:`~monai_angio.engines.adapt_interpolator`); 0 (default) uses the weights as they are.
        adapt_lr: learning rate of the adaptation.
        denoise_anchors: before interpolating, blend every interior acquired frame with the interpolator's prediction
            of it from its two neighbours, with the MSE-optimal weight measured on the cine
            (:mod:`~monai_angio.inferers.anchor_denoising`), so that the synthesized frames inherit less quantum
            noise; the acquired frames themselves are output unchanged. Costs one extra interpolation per acquired
            frame; needs at least 3 frames (fewer are interpolated as they are).
        denoise_window: ``0`` (default) or ``R >= 2``: after interpolating, correct every synthesized frame towards
            a least-squares line in time through up to ``R`` acquired frames on each side of its gap, with locally
            MSE-optimal weights that vanish where the scene does not follow the line
            (:mod:`~monai_angio.inferers.temporal_window`). Removes much of the quantum noise the synthesized frames
            inherit from their two anchors wherever the scene changes slowly; 12 was chosen on validation cines
            (``scripts/bench_temporal_window.py``); about 0.2-0.4 s per synthesized frame at 1024 x 791 on two CPU
            threads. An alternative to ``denoise_anchors``. Needs at least 3 acquired frames (fewer are left as they
            are).
        fallback: a second interpolator (a module, or a method name such as ``"dis_flow"``). Before interpolating a
            cine of at least 3 frames, both predict every interior acquired frame from its two neighbours (t = 0.5)
            and the one with the lower mean squared error interpolates the whole cine (``self.selected``: ``"main"``
            or ``"fallback"``; ``self.selection_mse``). Guards a network against motion it was not trained for; costs
            one extra interpolation per acquired frame for each of the two.
        ensemble: a second interpolator (a module or a method name: ``"dis_flow_quadratic"``, the best measured, or
            ``"dis_flow"``, ...) whose frames are averaged with the interpolator's
            (:class:`~monai_angio.networks.InterpolatorEnsemble`, equal weights), at the sum of the two costs. With a
            ``fallback`` the average competes with the fallback.
        global_motion: ``None`` (default) or a motion model (``"translation"``, ``"similarity"``, ``"affine"``):
            before the interpolator (with its ensemble, not the fallback) sees a pair of whole frames, the global
            motion between them is fitted to their DIS optical flow and removed by warping both to the half-way
            geometry; the synthesized frames are warped back to their times
            (:mod:`~monai_angio.networks.global_motion`). Pairs that move less than 1 pixel at the frame's corners
            are left as they are. For camera or patient motion a network was not trained for; about 90 ms per pair
            at 512² on one CPU thread (``scripts/bench_global_motion.py``).

    Methods with a ``sequence_gaps(frames, times, progress)`` generator (``"dis_flow_quadratic"``,
    :class:`~monai_angio.baselines.QuadraticDISInterpolator`) read the acquired frames around each gap too: as the
    interpolator, the ``ensemble`` or the selected ``fallback`` they interpolate the whole cine that way, on whole
    frames and without ``global_motion`` (their flows follow the motion); the ``fallback`` selection and
    ``denoise_anchors`` predict each acquired frame with them from the cine of every other frame (its two
    neighbours, and the acquired frames two further on each side for the motion's acceleration).

    Example:
        >>> from monai_angio.baselines import LinearInterpolator
        >>> cine = torch.rand(5, 1, 32, 32)
        >>> out, synthesized = SequenceInterpolator(LinearInterpolator(), factor=2, progress=False)(cine)
        >>> out.shape, int(synthesized.sum())
        (torch.Size([13, 1, 32, 32]), 8)
    """

    #: width (pixels) of the local weights of ``denoise_anchors`` (:func:`blend_anchors`); ``None``: one per frame
    anchor_sigma: float | None = 4.0

    def __init__(
        self,
        interpolator: nn.Module,
        factor: int,
        batch_size: int = 4,
        tile_size: int | None = None,
        tile_overlap: float = 0.25,
        device: torch.device | str | None = None,
        progress: bool = True,
        self_ensemble: int = 1,
        time_reversal: bool = False,
        adapt_steps: int = 0,
        adapt_lr: float = 5e-5,
        denoise_anchors: bool = False,
        fallback: nn.Module | str | None = None,
        ensemble: nn.Module | str | None = None,
        global_motion: str | None = None,
        denoise_window: int = 0,
    ) -> None:
        from monai_angio.engines.adaptation import check_adapt_steps, check_trainable

        _check_factor(factor)
        if check_adapt_steps(adapt_steps):
            check_trainable(interpolator)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
        self.fallback = _method_module(fallback, "fallback", device)
        self.ensemble = _method_module(ensemble, "ensemble", device)
        # inputs are padded for every interpolator that may run
        stride = math.lcm(*(int(getattr(m, "stride", 1)) for m in (interpolator, self.fallback, self.ensemble) if m))
        if tile_size is not None and (tile_size < stride or tile_size % stride):
            raise ValueError(
                f"tile_size must be a positive multiple of the interpolator stride {stride}, got {tile_size}."
            )
        if not 0.0 <= tile_overlap < 1.0:
            raise ValueError(f"tile_overlap must be in [0, 1), got {tile_overlap}.")
        self.network = interpolator
        self.self_ensemble, self.time_reversal = self_ensemble, time_reversal
        self.adapt_steps, self.adapt_lr = adapt_steps, adapt_lr
        if not isinstance(denoise_anchors, bool):
            raise TypeError(f"denoise_anchors must be a bool, got {denoise_anchors!r}.")
        self.denoise_anchors = denoise_anchors
        check_window(denoise_window, "denoise_window", off=True)
        if denoise_window and denoise_anchors:
            raise ValueError(
                "denoise_anchors and denoise_window are alternatives (the window assumes the synthesized frames carry "
                "the acquired frames' noise, which denoised anchors have removed in part); use denoise_window."
            )
        self.denoise_window = denoise_window
        check_global_motion(global_motion)
        self.global_motion = global_motion
        self.interpolator = self._wrap(interpolator)
        self.factor = factor
        self.batch_size = batch_size
        self.stride = stride
        self.tile_size = tile_size
        self.tile_overlap = tile_overlap
        if device is None:
            param = next(iter(interpolator.parameters()), None)
            device = param.device if param is not None else torch.device("cpu")
        self.device = torch.device(device)
        self.progress = progress
        self.adaptation = None  # AdaptationResult of the last call when adapt_steps > 0
        self.anchor_weights: torch.Tensor | None = None  # (T - 2,) prediction weights of the last call
        self.noise_var: float | None = None  # noise variance estimated on the last cine (denoise_anchors)
        self.selected: str | None = None  # "main" or "fallback": the interpolator used for the last cine
        self.selection_mse: tuple[float, float] | None = None  # (main, fallback) triplet errors of the last cine

    def _wrap(self, network: nn.Module, ensemble: bool = True) -> nn.Module:
        """The network with the test-time ensembles asked for (flips/time reversal, then a second method)."""
        if self.self_ensemble != 1 or self.time_reversal:
            network = SelfEnsemble(network, self.self_ensemble, image_args=2, temporal=self.time_reversal)
        if ensemble and self.ensemble is not None:
            network = InterpolatorEnsemble([network, self.ensemble])
        return network

    @torch.no_grad()
    def __call__(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Interpolate a cine.

        Args:
            frames: ``(T, C, H, W)`` or ``(T, H, W)`` float frames in [0, 1], ``T >= 2``.

        Returns:
            The new cine ``(T', C, H, W)`` (or ``(T', H, W)``) with ``T' = (T - 1)(K + 1) + 1``, and a bool ``(T',)``
            mask that is True for synthesized frames.
        """
        squeeze = False
        if not isinstance(frames, torch.Tensor):
            raise TypeError(f"frames must be a torch.Tensor, got {type(frames).__name__}.")
        if frames.ndim == 3:
            frames, squeeze = frames.unsqueeze(1), True
        if frames.ndim != 4:
            raise ValueError(f"frames must be (T, C, H, W) or (T, H, W), got shape {tuple(frames.shape)}.")
        if frames.shape[0] < 2:
            raise ValueError(f"interpolation needs at least 2 frames, got {frames.shape[0]}.")
        if not frames.is_floating_point():
            raise TypeError(f"frames must be floating point in [0, 1] (scale the bit depth first), got {frames.dtype}.")
        if not torch.isfinite(frames).all():
            raise ValueError("frames contain NaN or Inf values.")

        network, interpolator = self.network, self.interpolator
        if self.adapt_steps:
            from monai_angio.engines.adaptation import adapt_interpolator

            self.adaptation = adapt_interpolator(
                self.network, frames, self.adapt_steps, self.adapt_lr, progress=self.progress
            )
            network = self.adaptation.network
            interpolator = self._wrap(network)
        t_count, k = frames.shape[0], self.factor
        out = frames.new_empty((upsampled_length(t_count, k), *frames.shape[1:]))
        synthesized = torch.arange(out.shape[0]) % (k + 1) != 0
        out[:: k + 1] = frames
        was_training = interpolator.training
        interpolator.eval()
        try:
            chosen, predicted = interpolator, None
            if self.fallback is not None and t_count >= 3:
                chosen, predicted = self._select(interpolator, network, frames)
            pairwise, sequence = self._split(chosen, interpolator, network)
            anchors = frames
            if self.denoise_anchors and t_count >= 3:
                anchors = self._anchors(pairwise, sequence, frames, predicted)
            times = interpolation_times(k).to(self.device)
            if pairwise is not None:
                desc = f"interpolating x{k}"
                batches = self._batches(pairwise, anchors[:-1], anchors[1:], times, desc, clamp=sequence is None)
                for start, mid in batches:
                    for i in range(mid.shape[0]):
                        first = (start + i) * (k + 1) + 1
                        out[first : first + k] = mid[i].to(out.dtype).cpu()
            if sequence is not None:  # averaged before clamping, as InterpolatorEnsemble does
                gaps = sequence.sequence_gaps(anchors, times, progress=self.progress)
                for q, mid in enumerate(gaps):
                    first = q * (k + 1) + 1
                    mid = mid.to(out.dtype).cpu()
                    mid = mid if pairwise is None else (out[first : first + k] + mid) / 2
                    out[first : first + k] = mid.clamp_(0.0, 1.0)
        finally:
            interpolator.train(was_training)
        if self.denoise_window and t_count >= 3:
            gaps = gap_frames(out, k)  # a view of out
            gaps.copy_(temporal_window_correction(frames, gaps, self.denoise_window)[0].clamp_(0.0, 1.0))
        return (out.squeeze(1) if squeeze else out), synthesized

    def _split(
        self, chosen: nn.Module, interpolator: nn.Module, network: nn.Module
    ) -> tuple[nn.Module | None, nn.Module | None]:
        """``(pairwise, sequence)``: the parts of ``chosen`` that interpolate frame pairs and whole cines.

        A method that reads the frames around each gap (``sequence_gaps``) runs on the whole cine: as the ``chosen``
        method (``pairwise`` None), or as the ensemble member of the main ``interpolator`` (``pairwise`` = the
        ``network`` without its ensemble; the two are averaged). Otherwise ``sequence`` is None.
        """
        if chosen is interpolator and _is_sequence_method(self.ensemble):
            return self._wrap(network, ensemble=False), self.ensemble
        if _is_sequence_method(chosen):
            return None, chosen
        return chosen, None

    def _predict_inner(
        self, pairwise: nn.Module | None, sequence: nn.Module | None, frames: torch.Tensor
    ) -> torch.Tensor:
        """``(T - 2, C, H, W)`` predictions of ``frames[1:-1]`` from their two neighbours at t = 0.5.

        The parts are those of :meth:`_split`; a sequence-wide method predicts from every other frame around them
        too (the odd frames from the cine of the even ones and vice versa), as it interpolates a cine.
        """
        half = torch.full((1,), 0.5, device=self.device)
        parts = []
        if pairwise is not None:
            batches = self._batches(
                pairwise, frames[:-2], frames[2:], half, "predicting acquired frames", clamp=sequence is None
            )
            parts.append(torch.cat([mid[:, 0].to(frames) for _, mid in batches]))
        if sequence is not None:
            inner = torch.empty_like(frames[1:-1])
            for parity in (0, 1):  # frames[parity::2] predict the frames between them, parity + 1 + 2q
                sub = frames[parity::2]
                if sub.shape[0] >= 2:
                    for q, mid in enumerate(sequence.sequence_gaps(sub.to(self.device), half, progress=False)):
                        inner[parity + 2 * q] = mid[0].to(frames)
            parts.append(inner)
        return (sum(parts) / len(parts)).clamp_(0.0, 1.0)

    def _select(
        self, interpolator: nn.Module, network: nn.Module, frames: torch.Tensor
    ) -> tuple[nn.Module, torch.Tensor]:
        """The interpolator (main or fallback) that predicts the acquired frames best, and its predictions."""
        candidates = {"main": interpolator.eval(), "fallback": self.fallback.eval()}
        predicted = {
            name: self._predict_inner(*self._split(net, interpolator, network), frames)
            for name, net in candidates.items()
        }
        mse = {name: float((p - frames[1:-1]).double().pow(2).mean()) for name, p in predicted.items()}
        self.selection_mse = (mse["main"], mse["fallback"])
        self.selected = "fallback" if mse["fallback"] < mse["main"] else "main"
        return candidates[self.selected], predicted[self.selected]

    def _anchors(
        self,
        pairwise: nn.Module | None,
        sequence: nn.Module | None,
        frames: torch.Tensor,
        predicted: torch.Tensor | None,
    ) -> torch.Tensor:
        """The acquired frames blended with their predictions from their neighbours (``denoise_anchors``)."""
        if predicted is None:
            predicted = self._predict_inner(pairwise, sequence, frames)
        self.noise_var = estimate_noise_variance(frames, predicted)
        anchors, self.anchor_weights = blend_anchors(frames, predicted, self.noise_var, self.anchor_sigma)
        return anchors

    def _batches(
        self,
        interpolator: nn.Module,
        first: torch.Tensor,
        second: torch.Tensor,
        times: torch.Tensor,
        desc: str,
        clamp: bool = True,
    ) -> Iterator[tuple[int, torch.Tensor]]:
        """``(start, (B, N, C, H, W) frames at times)`` for the pairs ``first[i], second[i]``, batch by batch.

        The frames are clamped to [0, 1] unless ``clamp`` is False.
        """
        pairs = first.shape[0]
        starts = range(0, pairs, self.batch_size)
        for start in tqdm(starts, desc=desc, unit="batch", disable=not self.progress):
            stop = min(start + self.batch_size, pairs)
            f0 = first[start:stop].to(self.device)
            f1 = second[start:stop].to(self.device)
            t = times.expand(f0.shape[0], -1)
            mid = self._run(interpolator, f0, f1, t)
            yield start, mid.clamp_(0.0, 1.0) if clamp else mid

    def _run(self, interpolator: nn.Module, f0: torch.Tensor, f1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` pairs → ``(B, N, C, H, W)``, global motion removed, padding and tiling when asked."""
        if self.global_motion is None or interpolator is self.fallback:
            return self._tiled(interpolator, f0, f1, t)
        a0, a1, transform = align_pair(f0, f1, self.global_motion)
        return restore_times(self._tiled(interpolator, a0, a1, t), transform, t)

    def _tiled(self, interpolator: nn.Module, f0: torch.Tensor, f1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` pairs → ``(B, N, C, H, W)``, padding to the stride and tiling when asked."""
        b, c, h, w = f0.shape
        n = t.shape[1]
        if self.tile_size is not None and max(h, w) > self.tile_size:
            inferer = SlidingWindowInferer(
                roi_size=(self.tile_size, self.tile_size), sw_batch_size=1, overlap=self.tile_overlap, mode="gaussian"
            )

            def window(x: torch.Tensor) -> torch.Tensor:
                tt = t[:1].expand(x.shape[0], -1)  # all pairs of a call share the same times
                return self._padded(interpolator, x[:, :c], x[:, c:], tt).flatten(1, 2)

            return inferer(torch.cat([f0, f1], dim=1), window).reshape(b, n, c, h, w)
        return self._padded(interpolator, f0, f1, t)

    def _padded(self, interpolator: nn.Module, f0: torch.Tensor, f1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        h, w = f0.shape[-2:]
        stride = int(getattr(interpolator, "stride", self.stride))  # the main network's or the fallback's
        ph, pw = (-h) % stride, (-w) % stride
        if ph or pw:
            f0 = F.pad(f0, (0, pw, 0, ph), mode="replicate")
            f1 = F.pad(f1, (0, pw, 0, ph), mode="replicate")
        out = interpolator(f0, f1, t)
        if out.ndim != 5 or out.shape[1] != t.shape[1]:
            raise ValueError(
                f"the interpolator must return (B, N, C, H, W) with N = {t.shape[1]}, got shape {tuple(out.shape)}."
            )
        return out[..., :h, :w]
