# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Bundle workflows of the interpolation networks: a padding inferer, cine interpolation to files, the paper's
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
import torch.nn.functional as F
from monai.config import KeysCollection
from monai.data import MetaTensor
from monai.inferers import Inferer
from monai.transforms import MapTransform
from torch import nn

from monai_angio.metrics import atomic_write, psnr, ssim

from .prepare_batch import PrepareInterpolationBatch

__all__ = [
    "CineInterpolationInferer",
    "InterpolationInferer",
    "LoadCined",
    "SaveInterpolatedCined",
    "evaluate_interpolation",
    "interpolate_to_files",
    "load_frames",
]


def _pad_to(x: torch.Tensor, stride: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    ph, pw = (-h) % stride, (-w) % stride
    return F.pad(x, (0, pw, 0, ph), mode="replicate") if (ph or pw) else x


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
        out = network(_pad_to(inputs, stride), _pad_to(frame1, stride), t, **kwargs)
        return out[..., :h, :w]


def load_frames(input_path: str | os.PathLike | Sequence[str | os.PathLike]) -> tuple[torch.Tensor, dict[str, Any]]:
    """Load a cine (any :func:`~monai_angio.io.load_sequence` input) or a list of single-frame files as ``(T, 1, H, W)``
    float frames in [0, 1] (luminance, scaled by the stored bit depth), with the meta of the (first) source.

    Raises:
        ValueError: fewer than two frames, or listed frames of different sizes or bit depths.
    """
    from monai_angio.cli import load_cine
    from monai_angio.io import load_sequence
    from monai_angio.transforms import scale_bit_depth

    if isinstance(input_path, (str, os.PathLike)):
        return load_cine(input_path)
    paths = list(input_path)
    if len(paths) < 2:
        raise ValueError(f"load_frames: a list needs at least two frame files, got {paths}.")
    frames, metas = [], []
    for p in paths:
        arr, meta = load_sequence(p, luminance=True)
        frames.append(arr)
        metas.append(meta)
    shapes = {a.shape[1:] for a in frames}
    bits = {m["bits_stored"] for m in metas}
    if len(shapes) != 1 or len(bits) != 1:
        raise ValueError(f"load_frames: frames {paths} differ in size {sorted(shapes)} or bit depth {sorted(bits)}.")
    stack = np.concatenate(frames, axis=0)
    meta = dict(metas[0])
    meta["number_of_frames"] = int(stack.shape[0])
    meta["frame_times_ms"] = None
    meta["frame_time_ms"] = None
    return torch.from_numpy(scale_bit_depth(stack, int(metas[0]["bits_stored"]))).unsqueeze(1), meta


def interpolate_to_files(
    network: nn.Module,
    input_path: str | os.PathLike | Sequence[str | os.PathLike],
    output_dir: str | os.PathLike,
    factor: int = 1,
    output_format: str = "png",
    batch_size: int = 1,
    tile_size: int | None = None,
    device: torch.device | str | None = None,
    method: str = "MoSt-DSA",
    progress: bool = False,
) -> Path:
    """Synthesize ``factor`` frames between every two frames of a cine (or a pair) and write the new cine.

    Args:
        network: the interpolator.
        input_path: a cine (DICOM file or series folder, frame folder, multi-page TIFF, video) or a list of two or more
            single-frame files (e.g. a pair of PNGs).
        output_dir: output folder (created).
        factor: frames synthesized per gap.
        output_format: ``"png"`` (``0000.png, ...`` at the input bit depth with ``frame_labels.csv``) or ``"dicom"``
            (``interpolated.dcm``, a derived multi-frame DICOM).
        batch_size: frame pairs per forward pass.
        tile_size: process large frames in tiles of this size.
        device: where the network runs (default: where its parameters are).
        method: written into the DICOM derivation description.
        progress: show a progress bar.

    Returns:
        The folder of PNG frames or the DICOM file written.
    """
    from monai_angio.cli import save_cine
    from monai_angio.inferers import SequenceInterpolator

    if output_format not in ("png", "dicom"):
        raise ValueError(f"interpolate_to_files: output_format must be 'png' or 'dicom', got {output_format!r}.")
    frames, meta = load_frames(input_path)
    if device is not None:
        network = network.to(device)
    out, synthesized = SequenceInterpolator(
        network, factor, batch_size=batch_size, tile_size=tile_size, device=device, progress=progress
    )(frames)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / "interpolated.dcm" if output_format == "dicom" else output_dir
    ft = meta.get("frame_time_ms")
    reference = (
        str(input_path) if meta.get("format") == "dicom" and isinstance(input_path, (str, os.PathLike)) else None
    )
    return save_cine(
        target,
        out,
        int(meta["bits_stored"]),
        synthesized=synthesized,
        method=method,
        factor=factor,
        frame_time_ms=None if ft is None else ft / (factor + 1),
        reference=reference,
    )


class LoadCined(MapTransform):
    """Load a cine (or a list of single-frame files) at ``keys`` as a MetaTensor ``(1, T, H, W)`` in [0, 1].

    Channel first with time as the first spatial axis, MONAI's layout (as :class:`~monai_angio.transforms.LoadSequenced`
    and the deblurring bundle): MONAI Label and MONAI Deploy read the result as one single-channel volume. See
    :func:`load_frames`. The meta data keep the scalar entries of the source (file name, format, bits stored,
    nominal frame time; see :func:`~monai_angio.transforms.utils.collatable_meta`) plus ``"source"`` (the input as a
    string), so that batches collate and :class:`SaveInterpolatedCined` can write the result at the source bit depth.
    """

    def __init__(self, keys: KeysCollection = "image", allow_missing_keys: bool = False) -> None:
        super().__init__(keys, allow_missing_keys)

    def __call__(self, data: Mapping[Any, Any]) -> dict[Any, Any]:
        from monai_angio.transforms.utils import collatable_meta

        d = dict(data)
        for key in self.key_iterator(d):
            src = d[key]
            frames, meta = load_frames(src)
            meta = collatable_meta(meta)
            meta["source"] = json.dumps([str(p) for p in src]) if isinstance(src, (list, tuple)) else str(src)
            d[key] = MetaTensor(frames.transpose(0, 1), meta=meta)  # (T, C, H, W) -> (C, T, H, W)
        return d


class CineInterpolationInferer(Inferer):
    """Run :class:`~monai_angio.inferers.SequenceInterpolator` on a batch of one channel-first cine ``(1, C, T, H, W)``.

    Returns ``(1, C, T', H, W)`` with ``T' = (T - 1)(K + 1) + 1`` (acquired frames at every ``K + 1``-th position).

    Args:
        factor: ``K``, frames synthesized per gap.
        batch_size: frame pairs per forward pass.
        tile_size: tile edge for large frames (``None``: whole frames).
        progress: show a progress bar.
        self_ensemble: flips averaged per pair (1, 2, 4 or 8; see :class:`~monai_angio.networks.SelfEnsemble`).
        time_reversal: also average the time-reversed call ``network(frame1, frame0, 1 - t)``.
        adapt_steps: fine-tune a copy of the network on each cine's own frames first (test-time adaptation,
            :func:`~monai_angio.engines.adapt_interpolator`); 0 uses the weights as they are.
        adapt_lr: learning rate of the adaptation.
        denoise_anchors: blend each acquired frame with the network's prediction of it from its neighbours first
            (see :class:`~monai_angio.inferers.SequenceInterpolator`).
        fallback: a method name (e.g. ``"dis_flow"``) or module used instead of the network for a cine whose acquired
            frames it predicts better (see :class:`~monai_angio.inferers.SequenceInterpolator`); ``None``: none.
        ensemble: a method name (e.g. ``"dis_flow"``) or module whose frames are averaged with the network's (see
            :class:`~monai_angio.inferers.SequenceInterpolator`); ``None``: none.
        global_motion: ``None`` or a motion model (``"translation"``, ``"similarity"``, ``"affine"``) whose global
            motion is removed from each frame pair before the network sees it (see
            :class:`~monai_angio.inferers.SequenceInterpolator`).
        denoise_window: ``0`` (off) or ``R >= 2``: pull the synthesized frames towards a line in time through up to
            ``R`` acquired frames on each side of their gap (see :class:`~monai_angio.inferers.SequenceInterpolator`).
    """

    def __init__(
        self,
        factor: int = 1,
        batch_size: int = 1,
        tile_size: int | None = None,
        progress: bool = False,
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
        super().__init__()
        self.factor, self.batch_size, self.tile_size, self.progress = int(factor), batch_size, tile_size, progress
        self.self_ensemble, self.time_reversal = self_ensemble, bool(time_reversal)
        self.adapt_steps, self.adapt_lr = adapt_steps, adapt_lr
        self.denoise_anchors = bool(denoise_anchors)
        self.fallback, self.ensemble, self.global_motion = fallback, ensemble, global_motion
        self.denoise_window = denoise_window

    def __call__(self, inputs: torch.Tensor, network: nn.Module, *args: Any, **kwargs: Any) -> torch.Tensor:
        from monai_angio.inferers import SequenceInterpolator

        if inputs.ndim != 5 or inputs.shape[0] != 1:
            raise ValueError(f"CineInterpolationInferer: expected one cine (1, C, T, H, W), got {tuple(inputs.shape)}.")
        frames = (inputs[0].as_tensor() if isinstance(inputs, MetaTensor) else inputs[0]).transpose(0, 1)
        out, _ = SequenceInterpolator(
            network,
            self.factor,
            batch_size=self.batch_size,
            tile_size=self.tile_size,
            progress=self.progress,
            self_ensemble=self.self_ensemble,
            time_reversal=self.time_reversal,
            adapt_steps=self.adapt_steps,
            adapt_lr=self.adapt_lr,
            denoise_anchors=self.denoise_anchors,
            fallback=self.fallback,
            ensemble=self.ensemble,
            global_motion=self.global_motion,
            denoise_window=self.denoise_window,
        )(frames)
        return out.transpose(0, 1).unsqueeze(0)


class SaveInterpolatedCined(MapTransform):
    """Write an interpolated channel-first cine ``(C, T', H, W)`` (a decollated ``pred``) as PNG frames or a DICOM.

    PNG: ``output_dir/0000.png ...`` (``output_dir/<source name>/`` when ``subfolder``) at the source bit depth, with
    ``frame_labels.csv``; DICOM: ``output_dir/<source name>_interpolated.dcm``. ``"auto"`` writes DICOM for DICOM
    input and PNG otherwise. Acquired and synthesized frames are labelled from ``factor``.

    Args:
        keys: key of the cine.
        output_dir: output folder.
        factor: ``K`` used for the cine.
        output_format: ``"png"``, ``"dicom"`` or ``"auto"``.
        meta_key: key whose MetaTensor carries the source meta (default: the image key of :class:`LoadCined`).
        method: written into the DICOM derivation description.
        subfolder: PNG frames in a sub-folder named after the source.
    """

    def __init__(
        self,
        keys: KeysCollection = "pred",
        output_dir: str | os.PathLike = ".",
        factor: int = 1,
        output_format: str = "auto",
        meta_key: str = "image",
        method: str = "MoSt-DSA",
        subfolder: bool = False,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        if output_format not in ("png", "dicom", "auto"):
            raise ValueError(f"SaveInterpolatedCined: output_format must be png, dicom or auto, got {output_format!r}.")
        self.output_dir, self.factor, self.output_format = Path(output_dir), int(factor), output_format
        self.meta_key, self.method, self.subfolder = meta_key, method, bool(subfolder)

    def __call__(self, data: Mapping[Any, Any]) -> dict[Any, Any]:
        from monai_angio.cli import save_cine

        d = dict(data)
        src = d.get(self.meta_key)
        meta = dict(src.meta) if isinstance(src, MetaTensor) else {}
        source = str(meta.get("source", "cine"))
        name = Path(json.loads(source)[0] if source.startswith("[") else source).name
        stem = name.split(".")[0] or "cine"
        fmt = self.output_format
        if fmt == "auto":
            fmt = "dicom" if meta.get("format") in ("dicom", "dicom_series") else "png"
        for key in self.key_iterator(d):
            frames = d[key].as_tensor() if isinstance(d[key], MetaTensor) else torch.as_tensor(d[key])
            if frames.ndim != 4:
                raise ValueError(f"SaveInterpolatedCined: expected a cine (C, T, H, W), got {tuple(frames.shape)}.")
            frames = frames.transpose(0, 1)  # (T, C, H, W)
            t = frames.shape[0]
            synthesized = torch.tensor([i % (self.factor + 1) != 0 for i in range(t)])
            self.output_dir.mkdir(parents=True, exist_ok=True)
            if fmt == "dicom":
                target = self.output_dir / f"{stem}_interpolated.dcm"
            else:
                target = self.output_dir / stem if self.subfolder else self.output_dir
            ft = meta.get("frame_time_ms")
            reference = source if meta.get("format") == "dicom" and not source.startswith("[") else None
            written = save_cine(
                target,
                frames.detach().cpu().float(),
                int(meta.get("bits_stored", 8)),
                synthesized=synthesized,
                method=self.method,
                factor=self.factor,
                frame_time_ms=None if ft is None else float(ft) / (self.factor + 1),
                reference=reference,
            )
            d[f"{key}_path"] = str(written)
        return d


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
