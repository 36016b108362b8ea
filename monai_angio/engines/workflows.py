# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Bundle workflows of the interpolation networks: a padding inferer, the whole-cine inferer, the paper's
evaluation protocol (1, 2 and 3 interpolated frames per tuple) with per-frame and per-sequence CSV files."""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from monai.data import MetaTensor
from monai.inferers import Inferer
from torch import nn

from monai_angio.metrics import atomic_write, psnr, ssim
from monai_angio.networks.utils import pad_to_multiple
from monai_angio.options import InterpolationOptions

from .prepare_batch import PrepareInterpolationBatch

__all__ = [
    "CineInterpolationInferer",
    "InterpolationInferer",
    "evaluate_interpolation",
]


class InterpolationInferer(Inferer):
    """Call an interpolator as ``network(frame0, frame1, t)`` with the frames padded to ``network.stride``.

    Used by MONAI workflows (``SupervisedEvaluator`` passes ``inputs = frame0`` and ``args = (frame1, t)``, see
    :class:`~monai_angio.engines.PrepareInterpolationBatch`). Frames are padded at the bottom/right by edge
    replication and the output ``(B, N, C, H, W)`` is cropped back.
    """

    def __call__(self, inputs: torch.Tensor, network: nn.Module, *args: Any, **kwargs: Any) -> torch.Tensor:
        if len(args) != 2:
            raise ValueError("InterpolationInferer: expected the extra arguments (frame1, t).")
        frame1, t = args
        stride = int(getattr(network, "stride", getattr(getattr(network, "module", None), "stride", 1)))
        h, w = inputs.shape[-2:]
        out = network(pad_to_multiple(inputs, stride), pad_to_multiple(frame1, stride), t, **kwargs)
        return out[..., :h, :w]


class CineInterpolationInferer(Inferer):
    """Run :class:`~monai_angio.inferers.SequenceInterpolator` on a batch of one channel-first cine ``(1, C, T, H, W)``.

    Returns ``(1, C, T', H, W)`` with ``T' = (T - 1)(K + 1) + 1`` (acquired frames at every ``K + 1``-th position).

    Args:
        factor: ``K``, frames synthesized per gap.
        options: the test-time options (:class:`~monai_angio.options.InterpolationOptions`; a bundle builds them
            in the ``options`` entry of its ``inference.json``); default all off.
        batch_size: frame pairs per forward pass.
        tile_size: tile edge for large frames (``None``: whole frames).
        progress: show a progress bar.
    """

    def __init__(
        self,
        factor: int = 1,
        options: InterpolationOptions | None = None,
        batch_size: int = 1,
        tile_size: int | None = None,
        progress: bool = False,
    ) -> None:
        super().__init__()
        self.factor, self.batch_size, self.tile_size, self.progress = int(factor), batch_size, tile_size, progress
        self.options = InterpolationOptions() if options is None else options
        if not isinstance(self.options, InterpolationOptions):
            raise TypeError(f"options must be InterpolationOptions, got {type(self.options).__name__}.")

    def __call__(self, inputs: torch.Tensor, network: nn.Module, *args: Any, **kwargs: Any) -> torch.Tensor:
        from monai_angio.inferers import interpolate_cine

        if inputs.ndim != 5 or inputs.shape[0] != 1:
            raise ValueError(f"CineInterpolationInferer: expected one cine (1, C, T, H, W), got {tuple(inputs.shape)}.")
        frames = (inputs[0].as_tensor() if isinstance(inputs, MetaTensor) else inputs[0]).transpose(0, 1)
        result = interpolate_cine(
            frames,
            network,
            self.factor,
            self.options,
            batch_size=self.batch_size,
            tile_size=self.tile_size,
            progress=self.progress,
        )
        return result.frames.transpose(0, 1).unsqueeze(0)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    def _write(tmp: Path) -> None:
        with tmp.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["sequence"])
            writer.writeheader()
            writer.writerows(rows)

    return atomic_write(path, _write)


def _cine_sources(
    cines: Sequence[str | os.PathLike], num_targets: Sequence[int], holdout_fraction: float | None
) -> Iterable[tuple[str, int, Any]]:
    from monai_angio.data import cine_eval_tuples, prepare_cine, split_frames

    for path in cines:
        cine = prepare_cine(path)
        frame_range = None
        if holdout_fraction is not None:
            frame_range = split_frames(int(cine.shape[1]), holdout_fraction)[1]
        name = Path(str(path)).name
        for n in num_targets:
            try:
                ds = cine_eval_tuples(cine, n, gap=1, stride=n + 1, frame_range=frame_range)
            except ValueError:
                continue  # too short for n targets
            yield name, n, ds


@torch.no_grad()
def evaluate_interpolation(
    network: nn.Module,
    output_dir: str | os.PathLike,
    cines: Sequence[str | os.PathLike] | None = None,
    most_dsa_root: str | os.PathLike | None = None,
    num_targets: Sequence[int] = (1, 2, 3),
    holdout_fraction: float | None = 0.3,
    device: torch.device | str | None = None,
    max_tuples: int | None = None,
) -> dict[str, Any]:
    """The paper's protocol: PSNR and SSIM of every synthesized frame for 1, 2 and 3 interpolated frames per tuple.

    Tuples come from cines (non-overlapping tuples of ``N + 2`` consecutive frames in the last ``holdout_fraction``
    of each cine, or the whole cine with ``None``) and/or a dataset in the MoSt-DSA layout (its ``TestList``; ``N``
    is given by the data). Writes ``per_frame.csv`` (sequence, N, tuple, k, t, psnr, ssim), ``per_sequence.csv``
    (sequence, N, frames, mean PSNR/SSIM) and ``summary.json`` (means per N over all frames) into ``output_dir``.

    Returns:
        The summary dictionary.
    """
    if cines is None and most_dsa_root is None:
        raise ValueError("evaluate_interpolation: give cines and/or most_dsa_root.")
    if device is None:
        param = next(iter(network.parameters()), None)
        device = param.device if param is not None else torch.device("cpu")
    network = network.to(device).eval()
    inferer = InterpolationInferer()
    prepare = PrepareInterpolationBatch()
    sources: list[tuple[str, int | None, Any]] = []
    if cines:
        sources += list(_cine_sources(list(cines), list(num_targets), holdout_fraction))
    if most_dsa_root is not None:
        from monai_angio.data import MoStDSADataset

        sources.append(("", None, MoStDSADataset(most_dsa_root, "test")))
    if not sources:
        raise ValueError("evaluate_interpolation: no tuple could be cut from the inputs (cines too short?).")

    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    for name, _, ds in sources:
        count = len(ds) if max_tuples is None else min(len(ds), max_tuples)
        for j in range(count):
            item = ds[j]
            sequence = str(item.get("sequence", name)) if isinstance(item, Mapping) else name
            batch = {k: item[k].unsqueeze(0) for k in ("frame0", "frame1", "target", "time")}
            f0, target, (f1, t), _ = prepare(batch, device)
            pred = inferer(f0, network, f1, t).clamp(0.0, 1.0)
            n = t.shape[1]
            p = psnr(pred[0], target[0], 1.0)
            s = ssim(pred[0], target[0], 1.0)
            for k in range(n):
                rows.append(
                    {
                        "sequence": sequence or name,
                        "N": n,
                        "tuple": j,
                        "k": k + 1,
                        "t": round(float(t[0, k]), 6),
                        "psnr": float(p[k]),
                        "ssim": float(s[k]),
                    }
                )
    seconds = time.perf_counter() - start
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    per_seq: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows:
        per_seq.setdefault((r["sequence"], r["N"]), []).append(r)
    seq_rows = [
        {
            "sequence": seq,
            "N": n,
            "frames": len(rs),
            "psnr_mean": float(np.mean([r["psnr"] for r in rs])),
            "ssim_mean": float(np.mean([r["ssim"] for r in rs])),
        }
        for (seq, n), rs in sorted(per_seq.items())
    ]
    summary: dict[str, Any] = {"frames": len(rows), "seconds": seconds, "per_N": {}}
    for n in sorted({r["N"] for r in rows}):
        rs = [r for r in rows if r["N"] == n]
        summary["per_N"][str(n)] = {
            "frames": len(rs),
            "psnr_mean": float(np.mean([r["psnr"] for r in rs])),
            "psnr_std": float(np.std([r["psnr"] for r in rs])),
            "ssim_mean": float(np.mean([r["ssim"] for r in rs])),
            "ssim_std": float(np.std([r["ssim"] for r in rs])),
        }
    _write_csv(out / "per_frame.csv", rows)
    _write_csv(out / "per_sequence.csv", seq_rows)
    atomic_write(out / "summary.json", lambda tmp: tmp.write_text(json.dumps(summary, indent=2)))
    return summary
