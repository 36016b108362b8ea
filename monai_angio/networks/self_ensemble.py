# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Geometric self-ensemble: average a network's outputs over flips/rotations of its inputs (test-time augmentation)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

__all__ = ["DIHEDRAL_ORDERS", "SelfEnsemble", "check_ensemble_order", "dihedral", "dihedral_inverse"]

# (k quarter turns, flip of the last axis first); the first 4 keep the frame's shape, the last 4 swap H and W
_DIHEDRAL: tuple[tuple[int, bool], ...] = (
    (0, False),
    (0, True),
    (2, True),
    (2, False),
    (1, False),
    (3, False),
    (1, True),
    (3, True),
)
DIHEDRAL_ORDERS = (1, 2, 4, 8)


def check_ensemble_order(value: int, name: str = "transforms") -> None:
    """Raise ``ValueError`` unless ``value`` is a number of transforms :class:`SelfEnsemble` accepts (1, 2, 4, 8)."""
    if isinstance(value, bool) or value not in DIHEDRAL_ORDERS:
        raise ValueError(f"{name} must be one of {DIHEDRAL_ORDERS}, got {value!r}.")


def dihedral(x: torch.Tensor, index: int) -> torch.Tensor:
    """Apply the ``index``-th element of the dihedral group D4 to the last two (spatial) dimensions of ``x``.

    Index 0 is the identity, 1 a horizontal flip, 2 a vertical flip, 3 a half turn (these four keep ``H, W``);
    4-7 are quarter turns and transposes (``H`` and ``W`` swap).
    """
    k, flip = _DIHEDRAL[index]
    if flip:
        x = torch.flip(x, dims=(-1,))
    return torch.rot90(x, k, dims=(-2, -1)) if k else x


def dihedral_inverse(x: torch.Tensor, index: int) -> torch.Tensor:
    """Undo :func:`dihedral` with the same ``index`` on the last two dimensions of ``x``."""
    k, flip = _DIHEDRAL[index]
    if k:
        x = torch.rot90(x, -k, dims=(-2, -1))
    return torch.flip(x, dims=(-1,)) if flip else x


class SelfEnsemble(nn.Module):
    """Average a network's predictions over ``transforms`` flips/rotations of its image inputs.

    The "+" of EDSR/RDN ("geometric self-ensemble"): every image input is transformed by the same element of the
    dihedral group on its last two (spatial) dimensions, the network is run, the inverse transform is applied to its
    output and the outputs are averaged. Restoration networks trained with flip/rot90 augmentation are equivariant
    only approximately, so the average removes part of their error at ``transforms`` times the cost (run
    sequentially; memory as for one pass).

    For two-frame interpolators ``forward(frame0, frame1, t (B, N))`` set ``image_args=2``: ``t`` is passed through
    unchanged, and ``temporal=True`` also averages the time-reversed call ``network(frame1, frame0, 1 - t)`` (the
    same frames by symmetry), doubling the passes.

    Args:
        network: the wrapped module (or any callable returning a tensor whose last two dimensions are spatial).
        transforms: 1 (identity), 2 (+ horizontal flip), 4 (all flips, shape kept) or 8 (the whole group, needs a
            network that accepts ``W x H`` as well as ``H x W``).
        image_args: how many leading positional arguments are images ``(..., H, W)``; the rest are passed as given.
        temporal: also average the time-reversed call (needs ``image_args == 2`` and the time as the third argument).

    Shapes:
        image inputs ``(..., H, W)``; output as the network's, ``(..., H, W)``.
    """

    def __init__(
        self,
        network: nn.Module | Callable[..., torch.Tensor],
        transforms: int = 8,
        image_args: int = 1,
        temporal: bool = False,
    ) -> None:
        super().__init__()
        if not callable(network):
            raise TypeError(f"SelfEnsemble: network must be callable, got {type(network).__name__}.")
        check_ensemble_order(transforms, "SelfEnsemble: transforms")
        if isinstance(image_args, bool) or not isinstance(image_args, int) or image_args < 1:
            raise ValueError(f"SelfEnsemble: image_args must be a positive int, got {image_args!r}.")
        if temporal and image_args != 2:
            raise ValueError("SelfEnsemble: temporal=True needs image_args=2 (frame0, frame1, t).")
        self.network = network
        self.transforms = int(transforms)
        self.image_args = int(image_args)
        self.temporal = bool(temporal)
        self.stride = getattr(network, "stride", 1)  # padding multiple, for SequenceInterpolator and wrappers

    def forward(self, *args: torch.Tensor) -> torch.Tensor:
        """Return the mean of the inverse-transformed outputs over all transforms (and time reversals)."""
        if len(args) < self.image_args:
            raise ValueError(f"SelfEnsemble: expected at least {self.image_args} image argument(s), got {len(args)}.")
        images, rest = list(args[: self.image_args]), list(args[self.image_args :])
        for i, image in enumerate(images):
            if not isinstance(image, torch.Tensor) or image.dim() < 2:
                raise ValueError(f"SelfEnsemble: image argument {i} must be a tensor (..., H, W).")
        calls = [(images, rest)]
        if self.temporal:
            if not rest or not isinstance(rest[0], torch.Tensor):
                raise ValueError("SelfEnsemble: temporal=True needs the time tensor t as the third argument.")
            calls.append(([images[1], images[0]], [1.0 - rest[0], *rest[1:]]))
        total: torch.Tensor | None = None
        for imgs, others in calls:
            for index in range(self.transforms):
                out = self.network(*[dihedral(x, index) for x in imgs], *others)
                out = dihedral_inverse(out, index)
                total = out if total is None else total + out
        assert total is not None
        return total / (len(calls) * self.transforms)
