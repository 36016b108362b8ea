# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Deblurring of whole cines with a fully convolutional network: the bundle's inferers and network loading.

The frame-by-frame pass (:func:`deblur_cine`, :func:`deblur_frames`) lives in :mod:`.frame_deblur` (the temporal way,
:mod:`.temporal_deblur`, builds on it); the bundle's cine input/output transforms are
:class:`monai_angio.transforms.LoadCined` and :class:`monai_angio.transforms.SaveCined`."""

from __future__ import annotations

import os
from typing import Any

import torch
from monai.data import MetaTensor
from monai.inferers import Inferer
from torch import nn

from monai_angio.inferers.frame_deblur import _check_offset, _check_tile, deblur_cine, deblur_frames
from monai_angio.options import DeblurOptions

__all__ = [
    "deblur_cine",
    "deblur_frames",
    "load_deblur_network",
    "load_temporal_deblur_network",
    "temporal_deblur_network",
    "CineDeblurInferer",
    "OffsetInferer",
]

DEFAULT_METHOD = "RDN focal-spot deblurring (cerebral_dsa_deblurring)"
DEFAULT_BUNDLE = "cerebral_dsa_deblurring"


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
