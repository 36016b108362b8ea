# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Per-image quality measures: PSNR and SSIM (computed by MONAI) and the interpolation error (IE).

All functions take a prediction and a reference of the same shape ``(B, C, H, W)`` (``(C, H, W)`` and ``(H, W)`` are
accepted and get the missing leading dimensions) as torch tensors or numpy arrays, and return one value per image, a
float32 tensor ``(B,)``. The intensity scale is never guessed: PSNR and SSIM need the ``data_range`` of the data
(1.0 for images scaled to [0, 1], 4095 for raw 12-bit frames, ...).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from monai.metrics import PSNRMetric, SSIMMetric
from monai.metrics.regression import RegressionMetric
from monai.utils import MetricReduction

__all__ = ["psnr", "ssim", "interpolation_error", "InterpolationErrorMetric", "as_bchw", "check_data_range"]


def check_data_range(data_range: Any, name: str = "data_range") -> float:
    """Return ``data_range`` as a float after checking that it is a finite positive number.

    Raises:
        TypeError: if it is not a real number.
        ValueError: if it is not finite and positive.
    """
    if isinstance(data_range, bool) or not isinstance(data_range, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number (e.g. 1.0, 255 or 4095), got {type(data_range).__name__}.")
    value = float(data_range)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and positive, got {data_range}.")
    return value


def as_bchw(x: torch.Tensor | np.ndarray, name: str = "image", dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Convert an ``(H, W)``, ``(C, H, W)`` or ``(B, C, H, W)`` image to a finite floating ``(B, C, H, W)`` tensor.

    Args:
        x: tensor or numpy array of any real dtype.
        name: used in error messages.
        dtype: floating dtype of the result.

    Raises:
        TypeError: for other types or non-real dtypes.
        ValueError: for other numbers of dimensions, empty images and NaN/Inf values.
    """
    if isinstance(x, np.ndarray):
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_) or np.iscomplexobj(x):
            raise TypeError(f"{name} must hold real numbers, got numpy dtype {x.dtype}.")
        x = torch.from_numpy(np.ascontiguousarray(x).astype(np.float64, copy=False))
    elif not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(x).__name__}.")
    if x.is_complex():
        raise TypeError(f"{name} must hold real numbers, got {x.dtype}.")
    if x.ndim == 2:
        x = x[None, None]
    elif x.ndim == 3:
        x = x[None]
    elif x.ndim != 4:
        raise ValueError(f"{name} must be (H, W), (C, H, W) or (B, C, H, W), got shape {tuple(x.shape)}.")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty, shape {tuple(x.shape)}.")
    x = x.to(dtype)
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or Inf values.")
    return x


def _pair(pred: torch.Tensor | np.ndarray, target: torch.Tensor | np.ndarray, dtype: torch.dtype):
    p = as_bchw(pred, "pred", dtype)
    g = as_bchw(target, "target", dtype)
    if p.shape != g.shape:
        raise ValueError(f"pred {tuple(p.shape)} and target {tuple(g.shape)} must have the same shape.")
    return p, g.to(p.device)


def psnr(pred: torch.Tensor | np.ndarray, target: torch.Tensor | np.ndarray, data_range: float) -> torch.Tensor:
    """Peak signal-to-noise ratio ``10 log10(R² / MSE)`` per image, with :class:`monai.metrics.PSNRMetric`.

    Args:
        pred: ``(B, C, H, W)`` (or ``(C, H, W)``, ``(H, W)``) prediction.
        target: reference of the same shape.
        data_range: ``R``, the range of the intensity scale (1.0, 255, 4095, ...). Required.

    Returns:
        ``(B,)`` float32 PSNR in dB; ``inf`` where the images are identical.
    """
    r = check_data_range(data_range)
    p, g = _pair(pred, target, torch.float64)
    out = PSNRMetric(max_val=r, reduction=MetricReduction.NONE)(p, g)
    return out.reshape(-1).to(torch.float32)


def ssim(
    pred: torch.Tensor | np.ndarray,
    target: torch.Tensor | np.ndarray,
    data_range: float,
    win_size: int = 11,
    kernel_sigma: float = 1.5,
) -> torch.Tensor:
    """Structural similarity per image, with :class:`monai.metrics.SSIMMetric` (``spatial_dims=2``, Gaussian window).

    The SSIM map is computed on the valid part of the window (no padding) and averaged over channels and pixels.

    Args:
        pred: ``(B, C, H, W)`` (or ``(C, H, W)``, ``(H, W)``) prediction.
        target: reference of the same shape.
        data_range: range of the intensity scale (1.0, 255, 4095, ...). Required.
        win_size: Gaussian window size; images must be at least this large.
        kernel_sigma: Gaussian window standard deviation.

    Returns:
        ``(B,)`` float32 SSIM, 1 for identical images.
    """
    r = check_data_range(data_range)
    p, g = _pair(pred, target, torch.float32)
    if min(p.shape[-2:]) < win_size:
        raise ValueError(f"ssim: images {tuple(p.shape[-2:])} are smaller than the SSIM window {win_size}.")
    # SSIM is scale invariant once the constants scale with R: work on [0, 1] for float32 accuracy
    metric = SSIMMetric(
        spatial_dims=2, data_range=1.0, win_size=win_size, kernel_sigma=kernel_sigma, reduction=MetricReduction.NONE
    )
    out = metric(p / r, g / r)
    return out.reshape(-1).to(torch.float32)


def interpolation_error(
    pred: torch.Tensor | np.ndarray,
    target: torch.Tensor | np.ndarray,
    data_range: float | None = None,
    grey_levels: float = 255.0,
) -> torch.Tensor:
    """Interpolation error (IE): root-mean-square intensity difference per image.

    ``IE = sqrt(mean((pred - target)²))`` over channels and pixels, as in the Middlebury interpolation benchmark
    (Baker et al., "A database and evaluation methodology for optical flow", IJCV 2011) and the EM slice
    interpolation literature. With ``data_range`` the result is expressed in grey levels of a ``grey_levels`` scale
    (``IE * grey_levels / data_range``, e.g. 8-bit grey levels for images in [0, 1]); without it, in input units.

    Args:
        pred: ``(B, C, H, W)`` (or ``(C, H, W)``, ``(H, W)``) prediction.
        target: reference of the same shape.
        data_range: range of the input intensity scale, or None to report in input units.
        grey_levels: range of the output scale when ``data_range`` is given (255 for 8-bit grey levels).

    Returns:
        ``(B,)`` float32 IE.
    """
    p, g = _pair(pred, target, torch.float64)
    rms = torch.sqrt(torch.mean((p - g).reshape(p.shape[0], -1) ** 2, dim=1))
    if data_range is not None:
        rms = rms * (check_data_range(grey_levels, "grey_levels") / check_data_range(data_range))
    return rms.to(torch.float32)


class InterpolationErrorMetric(RegressionMetric):
    """Cumulative MONAI metric form of :func:`interpolation_error`, e.g. for ``IgniteMetricHandler`` in bundles.

    Args:
        data_range: range of the input intensity scale, or None to report in input units.
        grey_levels: range of the output scale when ``data_range`` is given.
        reduction: MONAI reduction over the per-image values (default mean).
        get_not_nans: whether ``aggregate()`` also returns the count of non-NaN values.
    """

    def __init__(
        self,
        data_range: float | None = None,
        grey_levels: float = 255.0,
        reduction: MetricReduction | str = MetricReduction.MEAN,
        get_not_nans: bool = False,
    ) -> None:
        super().__init__(reduction=reduction, get_not_nans=get_not_nans)
        self.data_range = None if data_range is None else check_data_range(data_range)
        self.grey_levels = check_data_range(grey_levels, "grey_levels")

    def _compute_metric(self, y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return interpolation_error(y_pred, y, self.data_range, self.grey_levels)[:, None]
