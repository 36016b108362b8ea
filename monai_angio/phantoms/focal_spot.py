# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Focal-spot blur model for X-ray projection images: geometric unsharpness, detector blur and quantum noise.

Geometry. A point of the object at distance ``sod_mm`` from the source (source-object distance) is imaged on a
detector at ``sid_mm`` (source-image distance); the magnification is ``M = SID / SOD``. Every point of an extended
focal spot projects the object point to a slightly different place, so the object point is imaged as the focal-spot
intensity distribution scaled by ``(M - 1)`` (and point-inverted, which does not matter for the symmetric profiles
here). A focal spot of nominal size ``f`` therefore gives a geometric unsharpness ``U = f (M - 1)`` mm on the
detector. The pixel spacing is taken **at the detector plane** (the detector pixel pitch, or the DICOM
``ImagerPixelSpacing``), so the kernel width in pixels is ``U / pixel_spacing``. If your spacing is given at the
isocentre (DICOM ``PixelSpacing`` after magnification correction), multiply it by ``M`` first.

Focal-spot profiles (``f`` is the full width at half maximum of the projected profile along each axis):

* ``"gaussian"``: isotropic 2-D Gaussian with FWHM ``f``.
* ``"line_focus"``: the two-lobed distribution typical of line-focus tubes (the filament emits mostly from its
  sides): across ``lobe_axis`` two Gaussian lobes at ``+-0.30 f`` with sigma ``0.17 f`` (outer half-maximum at
  ``+-f/2``; the centre dips to about 40 % of the peaks); along the other axis a flat top of length ``f`` with
  Gaussian edges (sigma ``0.08 f``). The anode heel effect and the variation of the effective focal spot across the
  field are not modelled.

Kernels are integrated analytically over each pixel (no point sampling), so sub-pixel spots give correct kernels and
a zero-size spot gives an exact delta. Detector blur (scintillator light spread, a Gaussian of ``detector_sigma_px``)
is convolved into the kernel, and quantum noise is Poisson with ``photons`` quanta per pixel at full brightness
(intensity 1), applied to the blurred brightness in [0, 1] (i.e. before any logarithm or subtraction).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from monai.config import KeysCollection
from monai.transforms import MapTransform, Randomizable, RandomizableTransform
from monai.utils import convert_to_dst_type

__all__ = [
    "FOCAL_SPOT_PROFILES",
    "KERNEL_CHANNEL_SCALE",
    "FocalSpotBlur",
    "RandFocalSpotBlurd",
    "apply_kernel",
    "focal_spot_kernel",
    "geometric_unsharpness_mm",
    "kernel_channel_value",
    "kernel_sigma",
]

FOCAL_SPOT_PROFILES = ("gaussian", "line_focus")

_FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))
_LOBE_OFFSET = 0.30  # lobe centres at +-0.30 f
_LOBE_SIGMA = 0.17  # lobe sigma 0.17 f
_EDGE_SIGMA = 0.08  # flat-top edge sigma 0.08 f
_RADIUS_FACTOR = 1.3  # default kernel half-width in units of the blur width (covers 3 sigma of the Gaussian)

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _check_geometry(sod_mm: float, sid_mm: float, name: str) -> None:
    if not (math.isfinite(sod_mm) and sod_mm > 0):
        raise ValueError(f"{name}: sod_mm must be a positive finite distance, got {sod_mm!r}.")
    if not (math.isfinite(sid_mm) and sid_mm > sod_mm):
        raise ValueError(
            f"{name}: sid_mm must be larger than sod_mm (object between source and detector), got sid_mm={sid_mm!r}, "
            f"sod_mm={sod_mm!r}."
        )


def _spacing_pair(pixel_spacing_mm: float | Sequence[float], name: str) -> tuple[float, float]:
    if isinstance(pixel_spacing_mm, numbers.Real):
        pair = (float(pixel_spacing_mm), float(pixel_spacing_mm))
    else:
        values = tuple(float(v) for v in pixel_spacing_mm)
        if len(values) != 2:
            raise ValueError(f"{name}: pixel_spacing_mm must be a number or (row, column), got {pixel_spacing_mm!r}.")
        pair = values  # type: ignore[assignment]
    if not all(math.isfinite(v) and v > 0 for v in pair):
        raise ValueError(f"{name}: pixel_spacing_mm must be positive, got {pixel_spacing_mm!r}.")
    return pair


def _check_focal_spot(focal_spot_mm: float, name: str) -> float:
    if isinstance(focal_spot_mm, bool) or not isinstance(focal_spot_mm, numbers.Real):
        raise TypeError(f"{name}: focal_spot_mm must be a number, got {type(focal_spot_mm).__name__}.")
    if not (math.isfinite(focal_spot_mm) and focal_spot_mm >= 0):
        raise ValueError(f"{name}: focal_spot_mm must be a non-negative finite size, got {focal_spot_mm!r}.")
    return float(focal_spot_mm)


def geometric_unsharpness_mm(focal_spot_mm: float, sod_mm: float, sid_mm: float) -> float:
    """Blur width on the detector ``f (M - 1)`` in mm, with magnification ``M = sid_mm / sod_mm``."""
    f = _check_focal_spot(focal_spot_mm, "geometric_unsharpness_mm")
    _check_geometry(sod_mm, sid_mm, "geometric_unsharpness_mm")
    return f * (sid_mm / sod_mm - 1.0)


def _gauss_cdf(x: np.ndarray, centre: float, sigma: float) -> np.ndarray:
    if sigma <= 0:
        return (x >= centre).astype(np.float64)
    return 0.5 * (1.0 + _erf((x - centre) / (sigma * math.sqrt(2.0))))


def _flat_top_cdf(x: np.ndarray, length: float, sigma: float) -> np.ndarray:
    """CDF of a unit-mass box of ``length`` convolved with a Gaussian of ``sigma`` (centred at 0)."""
    if length <= 0:
        return _gauss_cdf(x, 0.0, sigma)

    def antiderivative(u: np.ndarray) -> np.ndarray:  # integral of the Gaussian CDF
        if sigma <= 0:
            return np.maximum(u, 0.0)
        z = u / sigma
        return u * 0.5 * (1.0 + _erf(z / math.sqrt(2.0))) + sigma * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)

    return (antiderivative(x + length / 2) - antiderivative(x - length / 2)) / length


def _pixel_masses(cdf: Any, radius: int) -> np.ndarray:
    """Mass of each pixel ``[i - 0.5, i + 0.5]`` for ``i = -radius .. radius``."""
    edges = np.arange(-radius, radius + 2, dtype=np.float64) - 0.5
    values = cdf(edges)
    return np.clip(np.diff(values), 0.0, None)


def _profile_1d(kind: str, width_px: float, radius: int) -> np.ndarray:
    if width_px <= 0:
        return _pixel_masses(lambda x: _gauss_cdf(x, 0.0, 0.0), radius)
    if kind == "gaussian":
        sigma = width_px * _FWHM_TO_SIGMA
        return _pixel_masses(lambda x: _gauss_cdf(x, 0.0, sigma), radius)
    if kind == "lobes":
        a, s = _LOBE_OFFSET * width_px, _LOBE_SIGMA * width_px
        return _pixel_masses(lambda x: 0.5 * (_gauss_cdf(x, -a, s) + _gauss_cdf(x, a, s)), radius)
    # flat top
    return _pixel_masses(lambda x: _flat_top_cdf(x, width_px, _EDGE_SIGMA * width_px), radius)


def _check_size(size: int | None, name: str) -> None:
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1 or size % 2 == 0):
        raise ValueError(f"{name}: size must be a positive odd int or None, got {size!r}.")


def focal_spot_kernel(
    focal_spot_mm: float,
    profile: str = "gaussian",
    sod_mm: float = 750.0,
    sid_mm: float = 1100.0,
    pixel_spacing_mm: float | Sequence[float] = 0.154,
    size: int | None = None,
    lobe_axis: int = 1,
) -> np.ndarray:
    """Geometric-unsharpness kernel of a focal spot projected to the detector, in pixels.

    Args:
        focal_spot_mm: nominal focal-spot size ``f`` (FWHM of the profile), mm, ``>= 0``.
        profile: ``"gaussian"`` or ``"line_focus"`` (two lobes separated along ``lobe_axis``).
        sod_mm: source-object distance, mm.
        sid_mm: source-image (detector) distance, mm, larger than ``sod_mm``.
        pixel_spacing_mm: pixel spacing at the detector plane, a number or ``(row, column)``.
        size: odd side length of the kernel; default: large enough for the whole profile (``1`` for a zero spot).
        lobe_axis: for ``"line_focus"``, the axis along which the two lobes are separated (0 rows, 1 columns).

    Returns:
        ``(size, size)`` float64 kernel, non-negative, summing to 1, centred on the middle pixel.

    Raises:
        ValueError: negative size, ``sid_mm <= sod_mm``, unknown profile, bad spacing or kernel size.
    """
    name = "focal_spot_kernel"
    f = _check_focal_spot(focal_spot_mm, name)
    if profile not in FOCAL_SPOT_PROFILES:
        raise ValueError(f"{name}: profile must be one of {FOCAL_SPOT_PROFILES}, got {profile!r}.")
    if lobe_axis not in (0, 1):
        raise ValueError(f"{name}: lobe_axis must be 0 (rows) or 1 (columns), got {lobe_axis!r}.")
    _check_geometry(sod_mm, sid_mm, name)
    spacing = _spacing_pair(pixel_spacing_mm, name)
    _check_size(size, name)
    blur_mm = f * (sid_mm / sod_mm - 1.0)
    width_row, width_col = blur_mm / spacing[0], blur_mm / spacing[1]
    if size is None:
        size = 2 * math.ceil(_RADIUS_FACTOR * max(width_row, width_col)) + 1
    radius = size // 2
    if profile == "gaussian":
        rows, cols = _profile_1d("gaussian", width_row, radius), _profile_1d("gaussian", width_col, radius)
    elif lobe_axis == 1:
        rows, cols = _profile_1d("flat", width_row, radius), _profile_1d("lobes", width_col, radius)
    else:
        rows, cols = _profile_1d("lobes", width_row, radius), _profile_1d("flat", width_col, radius)
    kernel = np.outer(rows, cols)
    return kernel / kernel.sum()


def kernel_sigma(kernel: np.ndarray | torch.Tensor) -> float:
    """Width of a point-spread function: its RMS radius per axis, ``sqrt(sum k r^2 / 2)`` about its centroid, pixels.

    The standard deviation for a Gaussian kernel; defined as well for the two-lobed line-focus profile.

    Args:
        kernel: ``(kh, kw)`` non-negative kernel (normalised here).

    Returns:
        the width in pixels (0 for a delta).
    """
    k = torch.as_tensor(kernel, dtype=torch.float64)
    if k.ndim != 2 or not bool((k >= 0).all()) or float(k.sum()) <= 0:
        raise ValueError(f"kernel_sigma: kernel must be a non-negative 2-D array with a positive sum, got {k.shape}.")
    k = k / k.sum()
    rows = torch.arange(k.shape[0], dtype=k.dtype)[:, None]
    cols = torch.arange(k.shape[1], dtype=k.dtype)[None, :]
    cr, cc = float((k * rows).sum()), float((k * cols).sum())
    return float(((k * ((rows - cr) ** 2 + (cols - cc) ** 2)).sum() / 2).sqrt())


#: the kernel channel of a non-blind temporal deblurring network holds this times the kernel width (pixels)
KERNEL_CHANNEL_SCALE = 0.5


def kernel_channel_value(kernel: np.ndarray | torch.Tensor, input_offset: float = 0.0) -> float:
    """The value of the constant kernel channel that tells a non-blind temporal deblurring network the blur.

    The channel is given in the frames' intensity units: ``input_offset + KERNEL_CHANNEL_SCALE * kernel_sigma(kernel)``,
    so that after the network's input normalisation (``inputs - input_offset``, :class:`~monai_angio.inferers.deblur.
    OffsetInferer`) it holds half the kernel width in pixels.

    Args:
        kernel: ``(kh, kw)`` point-spread function in pixels.
        input_offset: the network's input offset.

    Returns:
        the channel's value.
    """
    return float(input_offset) + KERNEL_CHANNEL_SCALE * kernel_sigma(kernel)


def _gaussian_kernel_1d(sigma: float) -> np.ndarray:
    radius = math.ceil(3.0 * sigma) if sigma > 0 else 0
    return _pixel_masses(lambda x: _gauss_cdf(x, 0.0, sigma), radius)


def _convolve_separable(kernel: np.ndarray, k1d: np.ndarray) -> np.ndarray:
    if k1d.size == 1:
        return kernel
    out = np.apply_along_axis(lambda r: np.convolve(r, k1d, mode="full"), 1, kernel)
    out = np.apply_along_axis(lambda c: np.convolve(c, k1d, mode="full"), 0, out)
    return out / out.sum()


def _crop_or_pad(kernel: np.ndarray, size: int) -> np.ndarray:
    k = kernel.shape[0]
    if size < k:
        start = (k - size) // 2
        kernel = kernel[start : start + size, start : start + size]
    elif size > k:
        pad = (size - k) // 2
        kernel = np.pad(kernel, pad)
    return kernel / kernel.sum()


def apply_kernel(image: torch.Tensor, kernel: np.ndarray | torch.Tensor, padding_mode: str = "reflect") -> torch.Tensor:
    """Convolve every 2-D plane of ``image`` with ``kernel`` (true convolution, same size output).

    Args:
        image: float tensor ``(..., H, W)`` (at least 2-D).
        kernel: ``(kh, kw)`` with odd sides.
        padding_mode: ``"reflect"`` (falls back to ``"replicate"`` when the image is smaller than the kernel
            radius), ``"replicate"``, ``"circular"`` or ``"constant"`` (zeros).

    Returns:
        tensor of the same shape and dtype as ``image``.
    """
    if not isinstance(image, torch.Tensor) or not image.is_floating_point():
        raise TypeError(f"apply_kernel: image must be a floating point torch.Tensor, got {type(image).__name__}.")
    if image.ndim < 2:
        raise ValueError(f"apply_kernel: image must be at least 2-D (..., H, W), got shape {tuple(image.shape)}.")
    k = torch.as_tensor(kernel, dtype=image.dtype, device=image.device)
    if k.ndim != 2 or k.shape[0] % 2 == 0 or k.shape[1] % 2 == 0:
        raise ValueError(f"apply_kernel: kernel must be 2-D with odd sides, got shape {tuple(k.shape)}.")
    shape = image.shape
    h, w = shape[-2:]
    x = image.reshape(-1, 1, h, w)
    ph, pw = k.shape[0] // 2, k.shape[1] // 2
    if ph or pw:
        mode = padding_mode
        if mode == "reflect" and (ph >= h or pw >= w):
            mode = "replicate"
        x = F.pad(x, (pw, pw, ph, ph), mode=mode)
    # conv2d is a correlation: flip the kernel for a true convolution
    out = F.conv2d(x, torch.flip(k, dims=(0, 1))[None, None])
    return out.reshape(shape)


class FocalSpotBlur(Randomizable):
    """Degrade sharp X-ray frames as a large focal spot would: geometric unsharpness, detector blur, quantum noise.

    Args:
        focal_spot_mm: nominal focal-spot size in mm, or a ``(low, high)`` range from which each call draws uniformly.
        profile: ``"gaussian"`` or ``"line_focus"``.
        sod_mm: source-object distance, mm.
        sid_mm: source-image distance, mm (``> sod_mm``).
        pixel_spacing_mm: pixel spacing at the detector plane, a number or ``(row, column)``.
        detector_sigma_px: Gaussian detector blur in pixels (0 = none).
        photons: quanta per pixel at intensity 1 for Poisson noise; ``None`` = no noise.
        seed: seed of the random state (focal-spot draws and noise).
        lobe_axis: line-focus lobe axis (0 rows, 1 columns).
        clip: clip the output to [0, 1].
        padding_mode: border handling of the convolution (see :func:`apply_kernel`).

    Call with a float image ``(H, W)``, ``(C, H, W)`` or ``(B, C, H, W)`` (numpy or torch, values in [0, 1]); the
    result has the same type, shape and dtype. The focal-spot size used by the last call is ``last_focal_spot_mm``.
    """

    def __init__(
        self,
        focal_spot_mm: float | Sequence[float] = 1.2,
        profile: str = "gaussian",
        sod_mm: float = 750.0,
        sid_mm: float = 1100.0,
        pixel_spacing_mm: float | Sequence[float] = 0.154,
        detector_sigma_px: float = 0.0,
        photons: float | None = None,
        seed: int | None = None,
        lobe_axis: int = 1,
        clip: bool = True,
        padding_mode: str = "reflect",
    ) -> None:
        name = "FocalSpotBlur"
        if isinstance(focal_spot_mm, numbers.Real):
            self.focal_spot_range: tuple[float, float] | None = None
            self.focal_spot_mm: float | None = _check_focal_spot(focal_spot_mm, name)
        else:
            values = tuple(focal_spot_mm)
            if len(values) != 2:
                raise ValueError(f"{name}: focal_spot_mm must be a number or a (low, high) range, got {values!r}.")
            low, high = (_check_focal_spot(v, name) for v in values)
            if low > high:
                raise ValueError(f"{name}: focal_spot_mm range must have low <= high, got {values!r}.")
            self.focal_spot_range = (low, high)
            self.focal_spot_mm = None
        if profile not in FOCAL_SPOT_PROFILES:
            raise ValueError(f"{name}: profile must be one of {FOCAL_SPOT_PROFILES}, got {profile!r}.")
        if lobe_axis not in (0, 1):
            raise ValueError(f"{name}: lobe_axis must be 0 (rows) or 1 (columns), got {lobe_axis!r}.")
        _check_geometry(sod_mm, sid_mm, name)
        self.pixel_spacing_mm = _spacing_pair(pixel_spacing_mm, name)
        if not (math.isfinite(detector_sigma_px) and detector_sigma_px >= 0):
            raise ValueError(f"{name}: detector_sigma_px must be >= 0, got {detector_sigma_px!r}.")
        if photons is not None and not (math.isfinite(photons) and photons > 0):
            raise ValueError(f"{name}: photons must be positive or None, got {photons!r}.")
        if padding_mode not in ("reflect", "replicate", "circular", "constant"):
            raise ValueError(f"{name}: unsupported padding_mode {padding_mode!r}.")
        self.profile = profile
        self.sod_mm = float(sod_mm)
        self.sid_mm = float(sid_mm)
        self.detector_sigma_px = float(detector_sigma_px)
        self.photons = None if photons is None else float(photons)
        self.lobe_axis = lobe_axis
        self.clip = clip
        self.padding_mode = padding_mode
        self.last_focal_spot_mm: float | None = self.focal_spot_mm
        self.set_random_state(seed)

    @property
    def magnification(self) -> float:
        """Geometric magnification ``SID / SOD``."""
        return self.sid_mm / self.sod_mm

    def kernel(self, focal_spot_mm: float | None = None, size: int | None = None) -> np.ndarray:
        """Total point-spread function (focal spot convolved with the detector blur).

        Args:
            focal_spot_mm: focal-spot size; default: the fixed size, or the size drawn by the last call.
            size: odd side length; default: large enough for the whole PSF.

        Returns:
            ``(size, size)`` float64 kernel summing to 1.
        """
        if focal_spot_mm is None:
            focal_spot_mm = self.last_focal_spot_mm
            if focal_spot_mm is None:
                raise ValueError(
                    "FocalSpotBlur.kernel: focal_spot_mm is a random range and no image was blurred yet; "
                    "pass focal_spot_mm explicitly."
                )
        _check_size(size, "FocalSpotBlur.kernel")
        spot = focal_spot_kernel(
            focal_spot_mm, self.profile, self.sod_mm, self.sid_mm, self.pixel_spacing_mm, lobe_axis=self.lobe_axis
        )
        psf = _convolve_separable(spot, _gaussian_kernel_1d(self.detector_sigma_px))
        return psf if size is None else _crop_or_pad(psf, size)

    def randomize(self, data: Any = None) -> None:
        """Draw the focal-spot size (when a range was given) from ``self.R``."""
        if self.focal_spot_range is not None:
            self.last_focal_spot_mm = float(self.R.uniform(*self.focal_spot_range))

    def apply(
        self, image: np.ndarray | torch.Tensor, focal_spot_mm: float, generator: torch.Generator | None = None
    ) -> np.ndarray | torch.Tensor:
        """Deterministic degradation with a given focal-spot size; ``generator`` drives the Poisson noise.

        Args:
            image: float ``(H, W)``, ``(C, H, W)`` or ``(B, C, H, W)`` numpy array or tensor in [0, 1].
            focal_spot_mm: focal-spot size, mm.
            generator: torch random generator for the noise (``None`` = torch's global generator).

        Returns:
            the degraded image, same type, shape and dtype as ``image``.
        """
        if isinstance(image, np.ndarray):
            if not np.issubdtype(image.dtype, np.floating):
                raise TypeError(f"FocalSpotBlur: image must be floating point in [0, 1], got dtype {image.dtype}.")
            x = torch.from_numpy(np.ascontiguousarray(image))
        elif isinstance(image, torch.Tensor):
            if not image.is_floating_point():
                raise TypeError(f"FocalSpotBlur: image must be floating point in [0, 1], got dtype {image.dtype}.")
            x = image.as_tensor() if hasattr(image, "as_tensor") else image
        else:
            raise TypeError(f"FocalSpotBlur: image must be a numpy array or torch tensor, got {type(image).__name__}.")
        if x.ndim not in (2, 3, 4):
            raise ValueError(
                f"FocalSpotBlur: image must be (H, W), (C, H, W) or (B, C, H, W), got shape {tuple(x.shape)}."
            )
        out = apply_kernel(x, self.kernel(focal_spot_mm), self.padding_mode)
        if self.photons is not None:
            rate = out.clamp(min=0).double() * self.photons
            out = (torch.poisson(rate, generator=generator) / self.photons).to(out.dtype)
        if self.clip:
            out = out.clamp(0.0, 1.0)
        return convert_to_dst_type(out, dst=image)[0]

    def __call__(self, image: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        """Blur ``image`` (drawing the focal-spot size when a range was given) and add noise."""
        self.randomize()
        generator = None
        if self.photons is not None:
            generator = torch.Generator().manual_seed(int(self.R.randint(0, 2**31 - 1)))
        assert self.last_focal_spot_mm is not None
        return self.apply(image, self.last_focal_spot_mm, generator)


class RandFocalSpotBlurd(RandomizableTransform, MapTransform):
    """Dictionary transform creating (sharp, blurred) training pairs with a random focal-spot size.

    For each key, the degraded copy is stored under the matching output key; the sharp input is left unchanged.
    All keys of one call share the focal-spot size; their noise is independent.

    Args:
        keys: keys of the sharp images (float ``(C, H, W)`` in [0, 1]).
        output_key: output key (or one per key); ``None`` overwrites the inputs.
        focal_spot_mm: ``(low, high)`` range of focal-spot sizes in mm (or one size).
        profile, sod_mm, sid_mm, pixel_spacing_mm, detector_sigma_px, photons, lobe_axis, clip: as
            :class:`FocalSpotBlur`.
        prob: probability of degrading; otherwise the output is a copy of the input.
        focal_spot_key: if given, the focal-spot size used (0.0 when not degraded) is stored under this key.
        allow_missing_keys: do not raise for missing keys.
    """

    backend = [np.ndarray, torch.Tensor]

    def __init__(
        self,
        keys: KeysCollection = ("image",),
        output_key: str | Sequence[str] | None = "blurred",
        focal_spot_mm: float | Sequence[float] = (0.3, 1.2),
        profile: str = "gaussian",
        sod_mm: float = 750.0,
        sid_mm: float = 1100.0,
        pixel_spacing_mm: float | Sequence[float] = 0.154,
        detector_sigma_px: float = 0.0,
        photons: float | None = None,
        lobe_axis: int = 1,
        clip: bool = True,
        prob: float = 1.0,
        focal_spot_key: str | None = None,
        allow_missing_keys: bool = False,
    ) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        RandomizableTransform.__init__(self, prob)
        if output_key is None:
            self.output_keys: tuple[Hashable, ...] = tuple(self.keys)
        elif isinstance(output_key, str):
            self.output_keys = (output_key,)
        else:
            self.output_keys = tuple(output_key)
        if len(self.output_keys) != len(self.keys):
            raise ValueError(
                f"RandFocalSpotBlurd: need one output key per key, got keys {self.keys} and output keys "
                f"{self.output_keys}."
            )
        self.blur = FocalSpotBlur(
            focal_spot_mm=focal_spot_mm,
            profile=profile,
            sod_mm=sod_mm,
            sid_mm=sid_mm,
            pixel_spacing_mm=pixel_spacing_mm,
            detector_sigma_px=detector_sigma_px,
            photons=photons,
            lobe_axis=lobe_axis,
            clip=clip,
        )
        self.blur.set_random_state(state=self.R)
        self.focal_spot_key = focal_spot_key
        self._focal_spot_mm = 0.0
        self._noise_seed = 0

    def set_random_state(self, seed: int | None = None, state: np.random.RandomState | None = None) -> Randomizable:
        super().set_random_state(seed, state)
        self.blur.set_random_state(state=self.R)
        return self

    def randomize(self, data: Any = None) -> None:
        super().randomize(None)
        self.blur.randomize()
        assert self.blur.last_focal_spot_mm is not None
        self._focal_spot_mm = self.blur.last_focal_spot_mm
        self._noise_seed = int(self.R.randint(0, 2**31 - 1))

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        d = dict(data)
        self.randomize()
        generator = torch.Generator().manual_seed(self._noise_seed)
        for key, out_key in zip(self.keys, self.output_keys, strict=True):
            if key not in d:
                if self.allow_missing_keys:
                    continue
                raise KeyError(f"RandFocalSpotBlurd: key {key!r} not found in the data.")
            image = d[key]
            if self._do_transform:
                d[out_key] = self.blur.apply(image, self._focal_spot_mm, generator)
            else:
                d[out_key] = image.clone() if isinstance(image, torch.Tensor) else np.array(image, copy=True)
        if self.focal_spot_key is not None:
            d[self.focal_spot_key] = self._focal_spot_mm if self._do_transform else 0.0
        return d
