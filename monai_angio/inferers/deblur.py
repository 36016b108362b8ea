# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Deblurring of whole cines with a fully convolutional network, and the bundle's cine input/output transforms."""

from __future__ import annotations

import math
import os
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from monai.config import KeysCollection
from monai.data import MetaTensor
from monai.inferers import Inferer, SlidingWindowInferer
from monai.transforms import MapTransform
from torch import nn
from tqdm.auto import tqdm

from monai_angio.networks.self_ensemble import SelfEnsemble, check_ensemble_order
from monai_angio.options import DeblurOptions

__all__ = [
    "deblur_cine",
    "deblur_frames",
    "load_deblur_network",
    "load_temporal_deblur_network",
    "temporal_deblur_network",
    "CineDeblurInferer",
    "OffsetInferer",
    "CollatableMetad",
    "SaveCined",
    "quantize",
]

DEFAULT_METHOD = "RDN focal-spot deblurring (cerebral_dsa_deblurring)"
DEFAULT_BUNDLE = "cerebral_dsa_deblurring"


def _check_tile(tile_size: int | None, overlap: float, batch_size: int) -> None:
    if tile_size is not None and (isinstance(tile_size, bool) or not isinstance(tile_size, int) or tile_size < 8):
        raise ValueError(f"tile_size must be None or an int >= 8, got {tile_size!r}.")
    if not (isinstance(overlap, (int, float)) and 0.0 <= overlap < 1.0):
        raise ValueError(f"overlap must be in [0, 1), got {overlap!r}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")


def _check_offset(input_offset: float) -> None:
    if isinstance(input_offset, bool) or not isinstance(input_offset, (int, float)) or not math.isfinite(input_offset):
        raise ValueError(f"input_offset must be a finite number, got {input_offset!r}.")


def _network_device(network: nn.Module) -> torch.device:
    for p in network.parameters():
        return p.device
    return torch.device("cpu")


def deblur_frames(
    frames: torch.Tensor,
    network: nn.Module,
    tile_size: int | None = None,
    overlap: float = 0.25,
    sw_batch_size: int = 1,
    input_offset: float = 0.0,
    self_ensemble: int = 1,
) -> torch.Tensor:
    """Run ``network`` on a batch of frames ``(B, C, H, W)``, in overlapping tiles when a side exceeds ``tile_size``.

    The network sees ``frames - input_offset`` and ``input_offset`` is added to its output (the intensity
    normalisation it was trained with; see :class:`OffsetInferer`). Tiles are blended with Gaussian weights by
    :class:`monai.inferers.SlidingWindowInferer` (frames smaller than a tile along one side are reflect-padded). No
    gradient is recorded; the network's mode is left unchanged. With ``self_ensemble > 1`` every frame (or tile) is
    restored under that many flips/rotations and the results averaged (:class:`~monai_angio.networks.SelfEnsemble`).

    Returns:
        ``(B, C_out, H, W)`` output (not clamped) on the device of ``frames``.
    """
    _check_tile(tile_size, overlap, sw_batch_size)
    _check_offset(input_offset)
    check_ensemble_order(self_ensemble, "self_ensemble")
    device = _network_device(network)
    if self_ensemble != 1:
        network = SelfEnsemble(network, self_ensemble)
    x = frames.as_tensor() if isinstance(frames, MetaTensor) else frames
    h, w = x.shape[-2:]
    with torch.no_grad():
        xd = x.to(device) - input_offset
        if tile_size is None or (h <= tile_size and w <= tile_size):
            out = network(xd)
        else:
            inferer = SlidingWindowInferer(
                roi_size=(tile_size, tile_size),
                sw_batch_size=sw_batch_size,
                overlap=overlap,
                mode="gaussian",
                padding_mode="reflect",
                progress=False,
            )
            out = inferer(xd, network)
    out = out.as_tensor() if isinstance(out, MetaTensor) else out
    return (out + input_offset).to(frames.device)


def deblur_cine(
    frames: torch.Tensor | np.ndarray,
    network: nn.Module,
    tile_size: int | None = None,
    batch_size: int = 1,
    progress: bool = True,
    *,
    overlap: float = 0.25,
    clip: bool = True,
    input_offset: float = 0.0,
    self_ensemble: int = 1,
) -> torch.Tensor:
    """Deblur every frame of a cine with a fully convolutional network (any frame size).

    Args:
        frames: ``(T, C, H, W)`` float frames in [0, 1] (a numpy array is converted); ``C`` is 1, or the network's
            ``in_channels`` (e.g. 2: a frame and the mean of its neighbours, :mod:`.temporal_deblur`).
        network: module mapping ``(B, C, H, W)`` to ``(B, 1, H, W)``, e.g.
            :class:`monai_angio.networks.RDNDeblur`; it runs on its parameters' device, in eval mode.
        tile_size: process frames with a side above this size in overlapping tiles (MONAI
            :class:`~monai.inferers.SlidingWindowInferer`, Gaussian blending); ``None`` = whole frames.
        batch_size: frames per forward pass (tiles per pass when tiling).
        progress: show a tqdm progress bar.
        overlap: tile overlap fraction.
        clip: clip the output to [0, 1].
        input_offset: intensity subtracted before the network and added back after it (0.6 for the
            cerebral_dsa_deblurring weights; :func:`load_deblur_network` returns the bundle's value).
        self_ensemble: average over this many flips/rotations of each frame (1, 2, 4 or 8), at that many times the
            cost (:class:`~monai_angio.networks.SelfEnsemble`).

    Returns:
        ``(T, 1, H, W)`` float32 deblurred frames on the device of ``frames``.

    Raises:
        TypeError: if frames are not floating point.
        ValueError: for a wrong shape, NaN/Inf, or bad tiling arguments.
    """
    if isinstance(frames, np.ndarray):
        frames = torch.from_numpy(frames)
    if not isinstance(frames, torch.Tensor):
        raise TypeError(f"deblur_cine: frames must be a torch.Tensor or numpy array, got {type(frames).__name__}.")
    if not frames.is_floating_point():
        raise TypeError(f"deblur_cine: frames must be float in [0, 1] (scale stored values first), got {frames.dtype}.")
    if frames.ndim != 4 or frames.shape[0] < 1:
        raise ValueError(f"deblur_cine: frames must be (T, C, H, W), got shape {tuple(frames.shape)}.")
    channels = getattr(network, "in_channels", frames.shape[1])
    if frames.shape[1] != channels:
        raise ValueError(f"deblur_cine: the network takes {channels} channel(s), frames have {frames.shape[1]}.")
    if not torch.isfinite(frames).all():
        raise ValueError("deblur_cine: frames contain NaN or Inf values.")
    _check_tile(tile_size, overlap, batch_size)
    _check_offset(input_offset)
    check_ensemble_order(self_ensemble, "self_ensemble")
    was_training = network.training
    network.eval()
    try:
        x = frames.as_tensor() if isinstance(frames, MetaTensor) else frames
        x = x.to(torch.float32)
        starts = range(0, x.shape[0], batch_size)
        out = []
        for s in tqdm(starts, desc="deblur", unit="batch", disable=not progress):
            batch = x[s : s + batch_size]
            out.append(deblur_frames(batch, network, tile_size, overlap, batch_size, input_offset, self_ensemble))
        result = torch.cat(out)
    finally:
        network.train(was_training)
    return result.clamp(0.0, 1.0) if clip else result


class CineDeblurInferer(Inferer):
    """MONAI inferer for deblurring networks: frames ``(B, C, H, W)`` or cines ``(B, C, T, H, W)``.

    A cine is processed frame by frame (``batch_size`` frames per pass) with :func:`deblur_cine`, or with its
    neighbours (``options.temporal_radius``); frames with a side above ``options.tile_size`` are tiled. The network
    sees the input minus ``input_offset`` (added back to its output). The output has the shape of the input and is
    clipped to [0, 1]. No gradient is recorded (inference, validation).

    Args:
        options: the test-time options (:class:`~monai_angio.options.DeblurOptions`; a bundle builds them in the
            ``options`` entry of its ``inference.json``); default :class:`~monai_angio.options.DeblurOptions`'s.
        batch_size: frames (or tiles) per forward pass.
        overlap: tile overlap fraction.
        progress: show a progress bar over the frames of a cine.
        input_offset: intensity normalisation of the network's input (see :class:`OffsetInferer`).
        focal_spot_mm, sod_mm, sid_mm, pixel_spacing_mm: the kernel's geometry for the temporal way; ``None`` takes
            it from the input's meta (the DICOM X-ray geometry,
            :func:`~monai_angio.inferers.temporal_deblur.geometry_kernel`); the temporal network skips the
            consistency step when neither has it.
        temporal_network: with ``options.temporal_radius``, the blind temporal network (2 input channels: a frame and
            its neighbours' mean) for the cines whose focal-spot geometry is unknown; ``None``: the geometry is
            required.
        kernel_network: with ``options.temporal_radius``, the non-blind temporal network (3 input channels, also told
            the kernel) for the cines whose geometry is known; ``None``: those go to the single-frame network with the
            temporal blend and the kernel (:func:`temporal_deblur_network`).
    """

    def __init__(
        self,
        options: DeblurOptions | None = None,
        batch_size: int = 1,
        overlap: float = 0.25,
        progress: bool = False,
        input_offset: float = 0.0,
        focal_spot_mm: float | None = None,
        sod_mm: float | None = None,
        sid_mm: float | None = None,
        pixel_spacing_mm: float | None = None,
        temporal_network: nn.Module | None = None,
        kernel_network: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.options = DeblurOptions() if options is None else options
        if not isinstance(self.options, DeblurOptions):
            raise TypeError(f"options must be DeblurOptions, got {type(self.options).__name__}.")
        self.tile_size = self.options.tile_size
        _check_tile(self.tile_size, overlap, batch_size)
        _check_offset(input_offset)
        self.batch_size, self.overlap, self.progress = batch_size, overlap, progress
        self.input_offset = float(input_offset)
        from monai_angio.inferers.temporal_deblur import takes_kernel, takes_neighbours

        self.temporal_radius = self.options.temporal_radius
        self.balance, self.global_motion = self.options.balance, self.options.global_motion
        self.geometry = {"focal_spot_mm": focal_spot_mm, "sod_mm": sod_mm, "sid_mm": sid_mm}
        self.geometry["pixel_spacing_mm"] = pixel_spacing_mm
        if temporal_network is not None and (not takes_neighbours(temporal_network) or takes_kernel(temporal_network)):
            raise ValueError("temporal_network must take 2 channels (a frame and the mean of its neighbours).")
        if kernel_network is not None and not takes_kernel(kernel_network):
            raise ValueError("kernel_network must take 3 channels (a frame, its neighbours' mean, the kernel).")
        self.temporal_network, self.kernel_network = temporal_network, kernel_network

    def __call__(self, inputs: torch.Tensor, network: nn.Module, *args: Any, **kwargs: Any) -> torch.Tensor:
        x = inputs.as_tensor() if isinstance(inputs, MetaTensor) else inputs
        if x.ndim == 4:
            out = deblur_frames(x, network, self.tile_size, self.overlap, self.batch_size, self.input_offset)
            return out.clamp(0.0, 1.0)
        if x.ndim != 5:
            raise ValueError(f"CineDeblurInferer: expected (B, C, H, W) or (B, C, T, H, W), got {tuple(x.shape)}.")
        b, c, t, h, w = x.shape
        if self.temporal_radius:
            return self._temporal(inputs, network)
        frames = x.permute(0, 2, 1, 3, 4).reshape(b * t * c, 1, h, w)
        out = deblur_cine(
            frames,
            network,
            self.tile_size,
            self.batch_size,
            self.progress,
            overlap=self.overlap,
            clip=True,
            input_offset=self.input_offset,
        )
        return out.reshape(b, t, c, h, w).permute(0, 2, 1, 3, 4).contiguous()

    def _temporal(self, inputs: torch.Tensor, network: nn.Module) -> torch.Tensor:
        """Cines ``(B, 1, T, H, W)`` deblurred with their neighbours and each cine's focal-spot kernel."""
        from monai_angio.inferers.temporal_deblur import geometry_kernel, temporal_deblur_cine

        x = inputs.as_tensor() if isinstance(inputs, MetaTensor) else inputs
        if x.shape[1] != 1:
            raise ValueError(f"CineDeblurInferer: temporal deblurring takes one channel, got {x.shape[1]}.")
        meta = inputs.meta if isinstance(inputs, MetaTensor) else {}
        out = []
        for i in range(x.shape[0]):
            item_meta = {k: (v[i] if isinstance(v, (list, tuple, torch.Tensor)) and len(v) == x.shape[0] else v)
                         for k, v in meta.items()}  # fmt: skip
            kernel, _ = geometry_kernel(item_meta, required=self.temporal_network is None, **self.geometry)
            out.append(
                temporal_deblur_cine(
                    x[i].transpose(0, 1),  # (T, 1, H, W)
                    kernel=kernel,
                    network=temporal_deblur_network(
                        network, self.temporal_network, self.kernel_network, kernel is not None
                    ),
                    radius=self.temporal_radius,
                    balance=self.balance,
                    global_motion=self.global_motion,
                    tile_size=self.tile_size,
                    batch_size=self.batch_size,
                    progress=self.progress,
                    overlap=self.overlap,
                    input_offset=self.input_offset,
                ).transpose(0, 1)
            )
        return torch.stack(out)


def temporal_deblur_network(
    single_frame: nn.Module | None, temporal: nn.Module | None, kernel: nn.Module | None, kernel_known: bool
) -> nn.Module | None:
    """The network that deblurs a cine with its neighbours: with a known kernel the non-blind temporal network
    (``kernel``), else the single-frame network (with the temporal blend and the kernel's consistency step); with an
    unknown kernel the blind ``temporal`` network (:mod:`monai_angio.inferers.temporal_deblur`). ``None`` when that
    network is not given."""
    if kernel_known:
        return kernel if kernel is not None else single_frame
    return temporal


class OffsetInferer(Inferer):
    """Training inferer: ``network(inputs - input_offset) + input_offset`` with gradients (no clipping).

    DSA frames lie on a bright background (about 0.6 in [0, 1]). Removing that level before the network (and adding
    it back after) is the input normalisation of the EDSR/RDN family (their "mean shift"): the first convolution then
    learns its high-pass (deblurring) filters instead of spending its updates on the constant level, and the zero
    padding of the convolutions continues the background instead of a black border. Networks trained this way must
    be run with the same ``input_offset`` (:class:`CineDeblurInferer`, :func:`deblur_cine`).

    Args:
        input_offset: the intensity subtracted from the input and added to the output.
    """

    def __init__(self, input_offset: float = 0.0) -> None:
        super().__init__()
        _check_offset(input_offset)
        self.input_offset = float(input_offset)

    def __call__(self, inputs: torch.Tensor, network: nn.Module, *args: Any, **kwargs: Any) -> torch.Tensor:
        return network(inputs - self.input_offset, *args, **kwargs) + self.input_offset


#: the inference-config keys (network definition, weights) of each network a deblurring bundle can hold
NETWORK_KEYS = {
    "single": ("network_def", "ckpt_path"),
    "temporal": ("temporal_network_def", "temporal_ckpt_path"),
    "kernel": ("kernel_network_def", "kernel_ckpt_path"),
}


def load_deblur_network(
    bundle: str | os.PathLike = DEFAULT_BUNDLE, device: torch.device | str | None = None, kind: str = "single"
) -> tuple[nn.Module, float]:
    """Load a deblurring bundle's network with its weights, and the ``input_offset`` its inference config uses.

    Args:
        bundle: a bundle folder or name (see :func:`monai_angio.bundles.load_bundle_network`).
        device: where to put the network (default CUDA when available).
        kind: ``"single"`` (the single-frame network, ``models/model.pt``), ``"temporal"`` (the blind temporal
            network: a frame and the mean of its neighbours, ``models/model_temporal.pt``) or ``"kernel"`` (the
            non-blind temporal network, also told the kernel, ``models/model_kernel.pt``); see
            :data:`NETWORK_KEYS`.

    Returns:
        ``(network, input_offset)``: pass both to :func:`deblur_cine` (or, for the temporal networks, to
        :func:`~monai_angio.inferers.temporal_deblur.temporal_deblur_cine`).
    """
    from monai.bundle import ConfigParser

    from monai_angio.bundles import find_bundle, load_bundle_network

    if kind not in NETWORK_KEYS:
        raise ValueError(f"kind must be one of {sorted(NETWORK_KEYS)}, got {kind!r}.")
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    network = load_bundle_network(bundle, device, *NETWORK_KEYS[kind])  # raises ValueError for an unknown bundle
    root = find_bundle(bundle)
    parser = ConfigParser()
    parser.read_config(root / "configs" / "inference.json")
    offset = float(parser.get("input_offset", 0.0))
    return network, offset


def load_temporal_deblur_network(
    bundle: str | os.PathLike = DEFAULT_BUNDLE, device: torch.device | str | None = None, kernel_known: bool = False
) -> tuple[nn.Module, float]:
    """Load the network a deblurring bundle uses on a cine with its neighbours (:func:`temporal_deblur_network`):
    with a known kernel the non-blind temporal network (the single-frame network when the bundle has none), else the
    blind temporal network.

    Returns:
        ``(network, input_offset)`` for :func:`~monai_angio.inferers.temporal_deblur.temporal_deblur_cine`.

    Raises:
        ValueError: the bundle lacks the network needed.
    """
    from monai_angio.bundles import find_bundle

    if not kernel_known:
        return load_deblur_network(bundle, device, "temporal")
    if find_bundle(bundle) is None:
        raise ValueError(f"no bundle {str(bundle)!r}: expected a folder with configs/inference.json.")
    try:  # a bundle without the non-blind network (no definition or no weights): the single-frame way
        return load_deblur_network(bundle, device, "kernel")
    except ValueError:
        return load_deblur_network(bundle, device, "single")


class CollatableMetad(MapTransform):
    """Keep only the scalar meta entries of MetaTensors (filename, format, bits stored, frame time, ...).

    Sequence meta from :func:`monai_angio.io.load_sequence` holds ``None`` values and lists that the default
    :class:`monai.data.DataLoader` collation rejects; this keeps what :class:`SaveCined` needs
    (see :func:`monai_angio.transforms.utils.collatable_meta`).
    """

    def __init__(self, keys: KeysCollection, allow_missing_keys: bool = False) -> None:
        super().__init__(keys, allow_missing_keys)

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        from monai_angio.transforms.utils import collatable_meta

        d = dict(data)
        for key in self.key_iterator(d):
            img = d[key]
            if isinstance(img, MetaTensor):
                d[key] = MetaTensor(img.as_tensor(), meta=collatable_meta(img.meta))
        return d


def quantize(frames: np.ndarray | torch.Tensor, bits: int) -> np.ndarray:
    """Float values in [0, 1] to stored integers ``round(x * (2**bits - 1))`` (uint8 up to 8 bits, else uint16)."""
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= bits <= 16:
        raise ValueError(f"quantize: bits must be an int in [1, 16], got {bits!r}.")
    arr = frames.detach().cpu().numpy() if isinstance(frames, torch.Tensor) else np.asarray(frames)
    top = float(2 ** int(bits) - 1)
    out = np.clip(np.rint(arr.astype(np.float64) * top), 0.0, top)
    return out.astype(np.uint8 if bits <= 8 else np.uint16)


def _source_name(meta: Mapping[str, Any]) -> str:
    name = str(meta.get("filename") or meta.get("filename_or_obj") or "cine")
    p = Path(name)
    return p.name if p.suffix.lower() in ("", ".") else p.stem


def _dicom_reference(meta: Mapping[str, Any]) -> str | None:
    fmt, name = meta.get("format"), meta.get("filename") or meta.get("filename_or_obj")
    if not name:
        return None
    if fmt == "dicom":
        return str(name)
    if fmt == "dicom_series":
        from monai_angio.io.dicom import list_dicom_files

        files = list_dicom_files(name)
        return str(files[0]) if files else None
    return None


class SaveCined(MapTransform):
    """Write a deblurred cine ``(1, T, H, W)`` (or a frame ``(1, H, W)``) in [0, 1] at the source's bit depth.

    The output is ``<output_dir>/<source name>_<postfix>.dcm`` (a derived multi-frame DICOM from
    :func:`monai_angio.io.write_dicom_cine`, whose DerivationDescription names ``method``; the source DICOM is the
    reference) or the folder ``<output_dir>/<source name>_<postfix>/`` with ``0000.png, ...`` (8- or 16-bit PNG via
    :func:`monai_angio.io.write_frames`). The source meta (``filename``, ``format``, ``bits_stored``,
    ``frame_time_ms``) is read from ``meta_key``. The path written is stored under ``"<key>_path"``.

    Args:
        keys: keys of the outputs to write (usually ``"pred"``).
        output_dir: output folder (created if needed).
        meta_key: key of the input MetaTensor carrying the source meta (default: the output's own meta).
        output_format: ``"dicom"``, ``"png"`` or ``"auto"`` (DICOM when the source is DICOM, PNG frames otherwise).
        output_postfix: appended to the source name.
        method: method name written to the DICOM DerivationDescription.
        bits_stored: output bit depth; default the source's.
        allow_missing_keys: do not raise if a key is missing.
    """

    def __init__(
        self,
        keys: KeysCollection,
        output_dir: str | os.PathLike,
        meta_key: str | None = "image",
        output_format: str = "auto",
        output_postfix: str = "deblurred",
        method: str = DEFAULT_METHOD,
        bits_stored: int | None = None,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        if output_format not in ("auto", "dicom", "png"):
            raise ValueError(f"SaveCined: output_format must be 'auto', 'dicom' or 'png', got {output_format!r}.")
        self.output_dir = Path(output_dir)
        self.meta_key = meta_key
        self.output_format = output_format
        self.output_postfix = output_postfix
        self.method = method
        self.bits_stored = bits_stored

    def _meta(self, d: Mapping[Hashable, Any], key: Hashable) -> dict[str, Any]:
        src = d.get(self.meta_key) if self.meta_key is not None else d[key]
        return dict(src.meta) if isinstance(src, MetaTensor) else {}

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        from monai_angio.io import write_dicom_cine, write_frames

        d = dict(data)
        for key in self.key_iterator(d):
            meta = self._meta(d, key)
            value = d[key]
            arr = value.detach().cpu().float() if isinstance(value, torch.Tensor) else torch.as_tensor(value).float()
            if arr.ndim == 3:
                arr = arr[:, None]
            if arr.ndim != 4 or arr.shape[0] != 1:
                raise ValueError(f"SaveCined: '{key}' must be (1, T, H, W) or (1, H, W), got {tuple(arr.shape)}.")
            bits = self.bits_stored or meta.get("bits_stored") or meta.get("scaled_bits")
            if bits is None:
                raise ValueError(f"SaveCined: no bits_stored for '{key}' in the meta of '{self.meta_key}'; pass one.")
            stored = quantize(arr[0], int(bits))
            reference = _dicom_reference(meta)
            fmt = self.output_format
            if fmt == "auto":
                fmt = "dicom" if meta.get("format") in ("dicom", "dicom_series") else "png"
            self.output_dir.mkdir(parents=True, exist_ok=True)
            stem = f"{_source_name(meta)}_{self.output_postfix}" if self.output_postfix else _source_name(meta)
            frame_time = meta.get("frame_time_ms")
            if isinstance(frame_time, torch.Tensor):
                frame_time = float(frame_time)
            if frame_time is not None and not (isinstance(frame_time, (int, float)) and math.isfinite(frame_time)):
                frame_time = None
            if fmt == "dicom":
                path = write_dicom_cine(
                    self.output_dir / f"{stem}.dcm",
                    stored,
                    reference=reference,
                    method=self.method,
                    frame_time_ms=frame_time,
                    bits_stored=int(bits),
                )
            else:
                write_frames(self.output_dir / stem, stored, int(bits))
                path = self.output_dir / stem
            d[f"{key}_path"] = str(path)
        return d
