# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Per-frame quality reports for interpolated cines: ``frames.csv``, a PSNR/SSIM plot and ``summary.json``.

A report holds one row per output frame: its index, whether it was acquired (kept from the input) or synthesized
(interpolated), and its PSNR, SSIM and interpolation error against the ground truth. Acquired frames usually carry no
measures (NaN; they equal the ground truth by construction). The summary statistics cover synthesized frames only.

Every writer writes to a temporary file in the destination folder and renames it, so no half-written file is left
(:func:`atomic_write`, over the one mechanism :func:`monai_angio.io.atomic.atomic_output`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from monai_angio.io.atomic import atomic_output, check_output_target

from .quality import as_bchw, check_data_range, interpolation_error, psnr, ssim

__all__ = [
    "FrameQuality",
    "FrameQualityReport",
    "summarize_frames",
    "write_frames_csv",
    "read_frames_csv",
    "plot_frame_quality",
    "plot_curves",
    "write_summary_json",
    "side_by_side_png",
    "atomic_write",
]

CSV_COLUMNS = ("frame", "kind", "psnr", "ssim", "ie")


@dataclass
class FrameQuality:
    """Quality of one output frame; measures are NaN when not computed (typically for acquired frames)."""

    frame: int
    synthesized: bool
    psnr: float = math.nan
    ssim: float = math.nan
    ie: float = math.nan

    @property
    def kind(self) -> str:
        return "synthesized" if self.synthesized else "acquired"


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None], *, overwrite: bool = True) -> Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path`` and rename it to ``path`` when it succeeds.

    A thin wrapper over :func:`monai_angio.io.atomic.atomic_output`, the one atomic-output mechanism: the temporary
    ``.<name>.partial-<random><suffix>`` keeps the suffix of ``path`` (writers that infer the format from it keep
    working). On any error the temporary file is removed and the error propagates; an existing ``path`` is left
    untouched.

    Args:
        path: the output file; its folder must exist.
        write: writes the file at the path it is given (which does not exist yet).
        overwrite: replace an existing ``path`` (the default: reports are rewritten); False refuses it.

    Raises:
        OutputExistsError: ``path`` exists and ``overwrite`` is False (a ``ValueError``).
        ValueError: the folder of ``path`` is missing or not writable, or ``path`` is a folder.
    """
    with atomic_output(path, overwrite) as tmp:
        write(tmp)
    return Path(path)


def _atomic_text(path: str | os.PathLike, text: str) -> Path:
    def _write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8", newline="")

    return atomic_write(path, _write)


def _fmt(value: float) -> str:
    return "" if math.isnan(value) else repr(float(value))


def write_frames_csv(path: str | os.PathLike, rows: Iterable[FrameQuality]) -> Path:
    """Write ``frame,kind,psnr,ssim,ie`` rows (kind ``acquired``/``synthesized``; empty cell for NaN, ``inf`` kept)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([r.frame, r.kind, _fmt(r.psnr), _fmt(r.ssim), _fmt(r.ie)])
    return _atomic_text(path, buf.getvalue())


def read_frames_csv(path: str | os.PathLike) -> list[FrameQuality]:
    """Read a file written by :func:`write_frames_csv` back into :class:`FrameQuality` rows."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or tuple(reader.fieldnames) != CSV_COLUMNS:
            raise ValueError(f"{path}: expected columns {CSV_COLUMNS}, got {reader.fieldnames}.")
        rows = []
        for line in reader:
            if line["kind"] not in ("acquired", "synthesized"):
                raise ValueError(f"{path}: unknown frame kind {line['kind']!r} in frame {line['frame']}.")
            values = {k: math.nan if line[k] == "" else float(line[k]) for k in ("psnr", "ssim", "ie")}
            rows.append(FrameQuality(int(line["frame"]), line["kind"] == "synthesized", **values))
    return rows


def _stats(values: Sequence[float], prefix: str) -> dict[str, Any]:
    vals = np.asarray([v for v in values if not math.isnan(v)], dtype=np.float64)
    finite = vals[np.isfinite(vals)]
    out: dict[str, Any] = {
        f"{prefix}_mean": float(finite.mean()) if finite.size else None,
        f"{prefix}_std": float(finite.std()) if finite.size else None,
        f"{prefix}_count": int(vals.size),
    }
    if prefix == "psnr":
        # PSNR is infinite for a frame identical to its reference; such frames are counted, not averaged
        out["psnr_infinite"] = int(np.isposinf(vals).sum())
    return out


def summarize_frames(rows: Iterable[FrameQuality], **extra: Any) -> dict[str, Any]:
    """Summary over synthesized frames: mean/std (population) of PSNR, SSIM and IE, counts, plus ``extra`` fields.

    Mean and std are None when no value was measured; infinite PSNR values are excluded from mean/std and counted
    in ``psnr_infinite``.
    """
    rows = list(rows)
    syn = [r for r in rows if r.synthesized]
    summary: dict[str, Any] = {
        "frames": len(rows),
        "acquired": len(rows) - len(syn),
        "synthesized": len(syn),
    }
    for key in ("psnr", "ssim", "ie"):
        summary.update(_stats([getattr(r, key) for r in syn], key))
    clash = set(extra) & set(summary)
    if clash:
        raise ValueError(f"extra summary fields {sorted(clash)} clash with computed fields.")
    summary.update(extra)
    return summary


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.generic, torch.Tensor)) and np.ndim(value) == 0:
        value = value.item()
    elif isinstance(value, (np.ndarray, torch.Tensor)):
        return _json_safe(np.asarray(value).tolist())
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_summary_json(path: str | os.PathLike, summary: Mapping[str, Any]) -> Path:
    """Write ``summary`` as indented JSON (numpy/torch scalars converted, non-finite floats written as null)."""
    return _atomic_text(path, json.dumps(_json_safe(summary), indent=2, sort_keys=False, allow_nan=False) + "\n")


def _new_figure(width: float, height: float):
    # a bare Figure with the Agg canvas: no pyplot state, no GUI backend
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save_figure(fig, path: str | os.PathLike) -> Path:
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png"))


def plot_frame_quality(path: str | os.PathLike, rows: Iterable[FrameQuality], title: str | None = None) -> Path:
    """Plot PSNR and SSIM of synthesized frames against frame index (two panels) and write a PNG.

    Synthesized frames are blue markers joined by a line; acquired frames are thin grey vertical lines.
    """
    rows = sorted(rows, key=lambda r: r.frame)
    fig = _new_figure(10.0, 5.5)
    axes = fig.subplots(2, 1, sharex=True)
    syn = [r for r in rows if r.synthesized]
    acq = [r.frame for r in rows if not r.synthesized]
    for ax, key, label in ((axes[0], "psnr", "PSNR (dB)"), (axes[1], "ssim", "SSIM")):
        for i, f in enumerate(acq):
            ax.axvline(f, color="0.75", linewidth=0.8, zorder=0, label="acquired frame" if i == 0 else None)
        x = [r.frame for r in syn if math.isfinite(getattr(r, key))]
        y = [getattr(r, key) for r in syn if math.isfinite(getattr(r, key))]
        ax.plot(x, y, color="tab:blue", marker="o", markersize=3, linewidth=0.8, label="synthesized frame")
        ax.set_ylabel(label)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].legend(loc="best", fontsize="small")
    axes[1].set_xlabel("frame index")
    if title:
        axes[0].set_title(title)
    fig.tight_layout()
    return _save_figure(fig, path)


def plot_curves(
    path: str | os.PathLike,
    panels: Mapping[str, Mapping[str, Sequence[float]]],
    xlabel: str = "frame index",
    ylabel: str = "PSNR (dB)",
    title: str | None = None,
) -> Path:
    """Plot named curves in one panel per entry of ``panels`` (side by side) and write a PNG.

    Args:
        path: output ``.png`` file.
        panels: ``{panel title: {curve label: values}}``; values are plotted against their index.
        xlabel, ylabel: axis labels.
        title: figure title.
    """
    if not panels or any(not curves for curves in panels.values()):
        raise ValueError("plot_curves: every panel needs at least one curve.")
    fig = _new_figure(4.2 * len(panels), 3.8)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (name, curves) in zip(axes, panels.items(), strict=True):
        for label, values in curves.items():
            ax.plot(np.arange(len(values)), np.asarray(values, dtype=float), marker="o", markersize=2.5,
                    linewidth=0.9, label=label)  # fmt: skip
        ax.set_title(str(name), fontsize="medium")
        ax.set_xlabel(xlabel)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel(ylabel)
    axes[0].legend(loc="best", fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save_figure(fig, path)


def side_by_side_png(
    path: str | os.PathLike,
    images: Sequence[np.ndarray | torch.Tensor],
    titles: Sequence[str] | None = None,
    value_range: tuple[float, float] | None = None,
    cmap: str = "gray",
    panel_size: float = 3.0,
) -> Path:
    """Write a PNG showing ``images`` side by side with titles, for visual comparison.

    Args:
        path: output ``.png`` file.
        images: 2-D ``(H, W)`` grey images (``(1, H, W)`` accepted) or ``(H, W, 3)`` RGB images.
        titles: one title per image, or None.
        value_range: ``(vmin, vmax)`` grey display window shared by all panels; default the joint min-max of all
            grey images, so equal values look equal in every panel. RGB images are shown as given (float in [0, 1]
            or uint8).
        cmap: matplotlib colour map for grey images.
        panel_size: panel width and height in inches.
    """
    if len(images) == 0:
        raise ValueError("side_by_side_png: images is empty.")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"side_by_side_png: {len(titles)} titles for {len(images)} images.")
    arrays = []
    for i, im in enumerate(images):
        a = im.detach().cpu().numpy() if isinstance(im, torch.Tensor) else np.asarray(im)
        if a.ndim == 3 and a.shape[0] == 1:
            a = a[0]
        if not (a.ndim == 2 or (a.ndim == 3 and a.shape[-1] == 3)):
            raise ValueError(f"side_by_side_png: image {i} must be (H, W) or (H, W, 3), got shape {a.shape}.")
        if a.size == 0:
            raise ValueError(f"side_by_side_png: image {i} is empty.")
        arrays.append(a)
    grey = [a.astype(np.float64) for a in arrays if a.ndim == 2]
    if value_range is None and grey:
        value_range = (min(float(np.nanmin(a)) for a in grey), max(float(np.nanmax(a)) for a in grey))
    fig = _new_figure(panel_size * len(arrays), panel_size + (0.4 if titles else 0.0))
    axes = fig.subplots(1, len(arrays), squeeze=False)[0]
    for i, (ax, a) in enumerate(zip(axes, arrays, strict=True)):
        if a.ndim == 2:
            ax.imshow(a, cmap=cmap, vmin=value_range[0], vmax=value_range[1], interpolation="nearest")
        else:
            ax.imshow(a, interpolation="nearest")
        ax.set_axis_off()
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize="medium")
    fig.tight_layout()
    return _save_figure(fig, path)


class FrameQualityReport:
    """Collect per-frame quality rows and write ``frames.csv``, ``frames.png`` and ``summary.json``.

    Args:
        data_range: range of the intensity scale of the frames that will be compared (1.0, 255, 4095, ...); used
            for PSNR and SSIM and to express IE in grey levels of ``grey_levels``. Required.
        grey_levels: scale of the reported IE (255: 8-bit grey levels).

    SSIM needs images of at least 11 x 11 pixels (the Gaussian window); for smaller frames it is recorded as NaN.

    Example:
        >>> report = FrameQualityReport(data_range=1.0)
        >>> report.add(0, synthesized=False)
        >>> report.add(1, synthesized=True, pred=pred, target=target)  # (H, W), (C, H, W) or (1, C, H, W)
        >>> report.write("out", dose_saved=0.5)
    """

    csv_name = "frames.csv"
    plot_name = "frames.png"
    summary_name = "summary.json"

    def __init__(self, data_range: float, grey_levels: float = 255.0) -> None:
        self.data_range = check_data_range(data_range)
        self.grey_levels = check_data_range(grey_levels, "grey_levels")
        self.rows: list[FrameQuality] = []

    def __len__(self) -> int:
        return len(self.rows)

    def add(
        self,
        frame: int,
        synthesized: bool,
        pred: torch.Tensor | np.ndarray | None = None,
        target: torch.Tensor | np.ndarray | None = None,
        *,
        psnr: float | None = None,
        ssim: float | None = None,
        ie: float | None = None,
    ) -> FrameQuality:
        """Add one frame; with ``pred`` and ``target`` (one image each) its measures are computed.

        Measures given explicitly (``psnr=``, ``ssim=``, ``ie=``) override computed ones; missing ones are NaN.

        Raises:
            ValueError: if the frame index is already in the report, or only one of pred/target is given.
        """
        if isinstance(frame, bool) or not isinstance(frame, (int, np.integer)):
            raise TypeError(f"frame index must be an int, got {type(frame).__name__}.")
        if any(r.frame == int(frame) for r in self.rows):
            raise ValueError(f"frame {frame} is already in the report.")
        if (pred is None) != (target is None):
            raise ValueError("give both pred and target, or neither.")
        row = FrameQuality(int(frame), bool(synthesized))
        if pred is not None:
            p = as_bchw(pred, "pred")
            if p.shape[0] != 1:
                raise ValueError(f"add() takes one frame, got a batch of {p.shape[0]}; use add_batch().")
            row.psnr, row.ssim, row.ie = self._measure(p, target)[0]
        for key, value in (("psnr", psnr), ("ssim", ssim), ("ie", ie)):
            if value is not None:
                setattr(row, key, float(value))
        self.rows.append(row)
        return row

    def add_batch(
        self,
        frames: Sequence[int],
        pred: torch.Tensor | np.ndarray,
        target: torch.Tensor | np.ndarray,
        synthesized: bool = True,
    ) -> list[FrameQuality]:
        """Add ``B`` frames at once from ``(B, C, H, W)`` predictions and references."""
        p = as_bchw(pred, "pred")
        if len(frames) != p.shape[0]:
            raise ValueError(f"{len(frames)} frame indices for a batch of {p.shape[0]} images.")
        values = self._measure(p, target)
        return [
            self.add(int(f), synthesized, psnr=v[0], ssim=v[1], ie=v[2]) for f, v in zip(frames, values, strict=True)
        ]

    def _measure(self, p: torch.Tensor, target: torch.Tensor | np.ndarray) -> list[tuple[float, float, float]]:
        g = as_bchw(target, "target")
        a = psnr(p, g, self.data_range).tolist()
        b = ssim(p, g, self.data_range).tolist() if min(p.shape[-2:]) >= 11 else [math.nan] * p.shape[0]
        c = interpolation_error(p, g, self.data_range, self.grey_levels).tolist()
        return list(zip(a, b, c, strict=True))

    def summary(self, **extra: Any) -> dict[str, Any]:
        """Summary over synthesized frames (see :func:`summarize_frames`) with ``data_range`` and ``extra`` fields."""
        return summarize_frames(self.rows, data_range=self.data_range, ie_grey_levels=self.grey_levels, **extra)

    def write(
        self, folder: str | os.PathLike, title: str | None = None, *, overwrite: bool = True, **extra: Any
    ) -> dict[str, Path]:
        """Write ``frames.csv``, ``frames.png`` and ``summary.json`` into ``folder`` (created if needed).

        Args:
            folder: output folder.
            title: plot title.
            overwrite: replace the files of an earlier report (the default); False refuses to write when any of the
                three exists, before writing any of them.
            extra: additional summary fields, e.g. ``dose_saved=0.5``, ``method="dis_flow"``.

        Returns:
            ``{"csv": ..., "plot": ..., "summary": ...}`` paths.

        Raises:
            OutputExistsError: a report file exists and ``overwrite`` is False (a ``ValueError``).
        """
        if not self.rows:
            raise ValueError("FrameQualityReport.write: the report has no frames.")
        folder = Path(folder)
        for name in (self.csv_name, self.plot_name, self.summary_name):
            check_output_target(folder / name, overwrite=overwrite, parents=True)
        folder.mkdir(parents=True, exist_ok=True)
        rows = sorted(self.rows, key=lambda r: r.frame)
        summary = self.summary(**extra)
        return {
            "csv": write_frames_csv(folder / self.csv_name, rows),
            "plot": plot_frame_quality(folder / self.plot_name, rows, title=title),
            "summary": write_summary_json(folder / self.summary_name, summary),
        }

    def as_dicts(self) -> list[dict[str, Any]]:
        """Rows as plain dictionaries (``frame``, ``synthesized``, ``psnr``, ``ssim``, ``ie``)."""
        return [asdict(r) for r in sorted(self.rows, key=lambda r: r.frame)]
