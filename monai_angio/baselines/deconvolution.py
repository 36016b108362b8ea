# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Non-learned deblurring baselines: Wiener and Richardson-Lucy deconvolution with a known kernel, unsharp masking.

All functions take float images ``(..., H, W)`` (typically ``(B, C, H, W)`` in [0, 1]) as torch tensors and return
tensors of the same shape and dtype; each has a ``torch.nn.Module`` form (``forward((B, C, H, W)) -> (B, C, H, W)``)
so a baseline can be used wherever a deblurring network is. The kernel is the point-spread function of the blur
(a true convolution, as :func:`monai_angio.phantoms.focal_spot.apply_kernel` applies it), e.g. from
:meth:`monai_angio.phantoms.FocalSpotBlur.kernel`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from monai_angio.phantoms.focal_spot import apply_kernel

__all__ = [
    "wiener_deconvolution",
    "richardson_lucy",
    "unsharp_mask",
    "WienerDeconvolution",
    "RichardsonLucy",
    "UnsharpMask",
]

_REGULARIZERS = ("laplacian", "identity")


def _check_image(image: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"{name}: image must be a torch.Tensor, got {type(image).__name__}.")
    if not image.is_floating_point():
        raise TypeError(f"{name}: image must be floating point (scaled intensities), got {image.dtype}.")
    if image.ndim < 2 or image.shape[-1] < 1 or image.shape[-2] < 1:
        raise ValueError(f"{name}: image must be (..., H, W) with H, W >= 1, got shape {tuple(image.shape)}.")
    if not torch.isfinite(image).all():
        raise ValueError(f"{name}: image contains NaN or Inf values.")
    return image.as_tensor() if hasattr(image, "as_tensor") else image


def _check_kernel(kernel: np.ndarray | torch.Tensor, name: str) -> torch.Tensor:
    k = torch.as_tensor(np.asarray(kernel) if not isinstance(kernel, torch.Tensor) else kernel)
    if k.ndim != 2 or k.shape[0] % 2 == 0 or k.shape[1] % 2 == 0:
        raise ValueError(f"{name}: kernel must be 2-D with odd sides, got shape {tuple(k.shape)}.")
    k = k.to(torch.float64)
    if not torch.isfinite(k).all() or (k < 0).any():
        raise ValueError(f"{name}: kernel must hold finite non-negative values.")
    total = float(k.sum())
    if total <= 0:
        raise ValueError(f"{name}: kernel sums to {total}; it must have positive mass.")
    return k / total


def _symmetric_extension(x: torch.Tensor, min_h: int, min_w: int) -> torch.Tensor:
    """Periodic mirror extension of ``(N, 1, H, W)``: ``a0 .. a(H-1) a(H-2) .. a1`` along each axis, tiled up to
    at least ``min_h x min_w``.

    Its circular convolution with a point-symmetric kernel equals, on the image, the convolution with reflective
    borders (torch ``"reflect"``), so the FFT's periodic boundary matches the blur model exactly.
    """
    h, w = x.shape[-2:]
    if h > 2:
        x = torch.cat([x, torch.flip(x[..., 1 : h - 1, :], dims=(-2,))], dim=-2)
    if w > 2:
        x = torch.cat([x, torch.flip(x[..., :, 1 : w - 1], dims=(-1,))], dim=-1)
    rh = -(-min_h // x.shape[-2])
    rw = -(-min_w // x.shape[-1])
    return x.repeat(1, 1, rh, rw) if rh > 1 or rw > 1 else x


def wiener_deconvolution(
    image: torch.Tensor,
    kernel: np.ndarray | torch.Tensor,
    balance: float = 0.01,
    regularizer: str = "laplacian",
    clip: bool = True,
) -> torch.Tensor:
    """Wiener (Tikhonov-regularised) deconvolution in the Fourier domain.

    The estimate is ``X = conj(K) Y / (|K|^2 + balance |R|^2)`` with ``K`` the kernel's transfer function and ``R``
    the regulariser: the discrete Laplacian (penalises roughness, as in scikit-image's ``wiener``) or the identity (a
    constant noise-to-signal ratio). The image is extended by mirror symmetry before the FFT, so the periodic boundary
    of the FFT matches reflective image borders (exact for the point-symmetric focal-spot kernels).

    Args:
        image: float tensor ``(..., H, W)``.
        kernel: ``(kh, kw)`` point-spread function with odd sides (normalised to sum 1 here).
        balance: regularisation weight ``>= 0`` (0 = plain inverse filter, unstable with noise).
        regularizer: ``"laplacian"`` or ``"identity"``.
        clip: clip the result to [0, 1].

    Returns:
        the deconvolved image, same shape and dtype as ``image``.
    """
    name = "wiener_deconvolution"
    x = _check_image(image, name)
    k = _check_kernel(kernel, name)
    if not (math.isfinite(balance) and balance >= 0):
        raise ValueError(f"{name}: balance must be a finite number >= 0, got {balance!r}.")
    if regularizer not in _REGULARIZERS:
        raise ValueError(f"{name}: regularizer must be one of {_REGULARIZERS}, got {regularizer!r}.")
    rh, rw = k.shape[0] // 2, k.shape[1] // 2
    shape = x.shape
    h, w = shape[-2:]
    work = torch.float64 if x.dtype == torch.float64 else torch.float32
    y = _symmetric_extension(x.reshape(-1, 1, h, w).to(work), k.shape[0], k.shape[1])
    hp, wp = y.shape[-2:]
    # transfer function: kernel zero-padded to the image size with its centre moved to the origin (true convolution)
    kp = torch.zeros(hp, wp, dtype=torch.float64, device=x.device)
    kp[: k.shape[0], : k.shape[1]] = k.to(x.device)
    kp = torch.roll(kp, shifts=(-rh, -rw), dims=(0, 1))
    otf = torch.fft.rfft2(kp)
    if regularizer == "laplacian":
        lap = torch.zeros(hp, wp, dtype=torch.float64, device=x.device)
        lap[0, 0] = 4.0
        lap[0, 1] = lap[1, 0] = lap[0, -1] = lap[-1, 0] = -1.0
        reg = torch.fft.rfft2(lap).abs() ** 2
    else:
        reg = torch.ones_like(otf.real)
    filt = (otf.conj() / (otf.abs() ** 2 + balance * reg)).to(
        torch.complex128 if work == torch.float64 else torch.complex64
    )
    out = torch.fft.irfft2(torch.fft.rfft2(y) * filt, s=(hp, wp))
    out = out[..., :h, :w]
    if clip:
        out = out.clamp(0.0, 1.0)
    return out.reshape(shape).to(x.dtype)


def richardson_lucy(
    image: torch.Tensor,
    kernel: np.ndarray | torch.Tensor,
    num_iter: int = 20,
    eps: float = 1e-6,
    clip: bool = True,
) -> torch.Tensor:
    """Richardson-Lucy deconvolution (maximum-likelihood restoration under Poisson noise).

    Starting from the blurred image, each iteration updates ``x <- x * (K^T * (y / (K * x)))`` with ``*`` the
    convolution (reflective borders) and ``K^T`` the point-mirrored kernel. Iterations act as the regulariser: more
    iterations sharpen more and amplify more noise.

    Args:
        image: float tensor ``(..., H, W)`` with non-negative values (negative values are clipped to 0).
        kernel: ``(kh, kw)`` point-spread function with odd sides (normalised to sum 1 here).
        num_iter: number of iterations ``>= 0`` (0 returns the input).
        eps: floor of the denominator ``K * x``.
        clip: clip the result to [0, 1].

    Returns:
        the deconvolved image, same shape and dtype as ``image``.
    """
    name = "richardson_lucy"
    x = _check_image(image, name)
    k = _check_kernel(kernel, name)
    if isinstance(num_iter, bool) or not isinstance(num_iter, (int, np.integer)) or num_iter < 0:
        raise ValueError(f"{name}: num_iter must be an int >= 0, got {num_iter!r}.")
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"{name}: eps must be positive, got {eps!r}.")
    work = torch.float64 if x.dtype == torch.float64 else torch.float32
    y = x.to(work).clamp(min=0.0)
    k = k.to(device=x.device, dtype=work)
    k_mirror = torch.flip(k, dims=(0, 1))
    est = y.clone()
    for _ in range(int(num_iter)):
        ratio = y / apply_kernel(est, k).clamp(min=eps)
        est = est * apply_kernel(ratio, k_mirror)
    if clip:
        est = est.clamp(0.0, 1.0)
    return est.to(x.dtype)


def _gaussian_kernel(sigma: float) -> np.ndarray:
    radius = max(1, math.ceil(3.0 * sigma))
    edges = np.arange(-radius, radius + 2, dtype=np.float64) - 0.5
    cdf = 0.5 * (1.0 + np.array([math.erf(e / (sigma * math.sqrt(2.0))) for e in edges]))
    g = np.diff(cdf)
    k = np.outer(g, g)
    return k / k.sum()


def unsharp_mask(image: torch.Tensor, sigma: float = 1.0, amount: float = 1.0, clip: bool = True) -> torch.Tensor:
    """Unsharp masking: ``x + amount * (x - G_sigma * x)`` with a Gaussian blur ``G_sigma`` (pixel-integrated).

    Args:
        image: float tensor ``(..., H, W)``.
        sigma: Gaussian standard deviation in pixels, ``> 0``.
        amount: strength of the added high-pass detail (0 returns the input).
        clip: clip the result to [0, 1].

    Returns:
        the sharpened image, same shape and dtype as ``image``.
    """
    name = "unsharp_mask"
    x = _check_image(image, name)
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"{name}: sigma must be positive, got {sigma!r}.")
    if not math.isfinite(amount):
        raise ValueError(f"{name}: amount must be finite, got {amount!r}.")
    out = x + amount * (x - apply_kernel(x, _gaussian_kernel(float(sigma))))
    if clip:
        out = out.clamp(0.0, 1.0)
    return out


class _KernelDeblur(nn.Module):
    def __init__(self, kernel: np.ndarray | torch.Tensor, name: str) -> None:
        super().__init__()
        self.register_buffer("kernel", _check_kernel(kernel, name).to(torch.float32), persistent=False)

    @staticmethod
    def _check_bchw(x: torch.Tensor, name: str) -> None:
        if not isinstance(x, torch.Tensor) or x.ndim != 4:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"{name}: expected input (B, C, H, W), got {shape}.")


class WienerDeconvolution(_KernelDeblur):
    """Module form of :func:`wiener_deconvolution`: ``(B, C, H, W) -> (B, C, H, W)``.

    Args:
        kernel: ``(kh, kw)`` point-spread function.
        balance: regularisation weight.
        regularizer: ``"laplacian"`` or ``"identity"``.
        clip: clip the output to [0, 1].
    """

    stride: int = 1

    def __init__(
        self,
        kernel: np.ndarray | torch.Tensor,
        balance: float = 0.01,
        regularizer: str = "laplacian",
        clip: bool = True,
    ) -> None:
        super().__init__(kernel, "WienerDeconvolution")
        if not (math.isfinite(balance) and balance >= 0):
            raise ValueError(f"WienerDeconvolution: balance must be a finite number >= 0, got {balance!r}.")
        if regularizer not in _REGULARIZERS:
            raise ValueError(f"WienerDeconvolution: regularizer must be one of {_REGULARIZERS}, got {regularizer!r}.")
        self.balance, self.regularizer, self.clip = float(balance), regularizer, clip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_bchw(x, "WienerDeconvolution")
        return wiener_deconvolution(x, self.kernel, self.balance, self.regularizer, clip=self.clip)


class RichardsonLucy(_KernelDeblur):
    """Module form of :func:`richardson_lucy`: ``(B, C, H, W) -> (B, C, H, W)``.

    Args:
        kernel: ``(kh, kw)`` point-spread function.
        num_iter: number of iterations.
        clip: clip the output to [0, 1].
    """

    stride: int = 1

    def __init__(self, kernel: np.ndarray | torch.Tensor, num_iter: int = 20, clip: bool = True) -> None:
        super().__init__(kernel, "RichardsonLucy")
        if isinstance(num_iter, bool) or not isinstance(num_iter, (int, np.integer)) or num_iter < 0:
            raise ValueError(f"RichardsonLucy: num_iter must be an int >= 0, got {num_iter!r}.")
        self.num_iter, self.clip = int(num_iter), clip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_bchw(x, "RichardsonLucy")
        return richardson_lucy(x, self.kernel, self.num_iter, clip=self.clip)


class UnsharpMask(nn.Module):
    """Module form of :func:`unsharp_mask`: ``(B, C, H, W) -> (B, C, H, W)``.

    Args:
        sigma: Gaussian standard deviation in pixels.
        amount: strength of the added detail.
        clip: clip the output to [0, 1].
    """

    stride: int = 1

    def __init__(self, sigma: float = 1.0, amount: float = 1.0, clip: bool = True) -> None:
        super().__init__()
        if not (math.isfinite(sigma) and sigma > 0):
            raise ValueError(f"UnsharpMask: sigma must be positive, got {sigma!r}.")
        if not math.isfinite(amount):
            raise ValueError(f"UnsharpMask: amount must be finite, got {amount!r}.")
        self.sigma, self.amount, self.clip = float(sigma), float(amount), clip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _KernelDeblur._check_bchw(x, "UnsharpMask")
        return unsharp_mask(x, self.sigma, self.amount, self.clip)
