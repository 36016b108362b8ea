# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Small tensor helpers shared by the networks and the inferers."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["pad_to_multiple"]


def pad_to_multiple(x: torch.Tensor, multiple: int, mode: str = "replicate") -> torch.Tensor:
    """Pad the last two dimensions of ``x (..., H, W)`` at the bottom and right to multiples of ``multiple``.

    Crop a result back with ``[..., :H, :W]``. ``x`` itself is returned when nothing needs padding.

    Args:
        x: ``(B, C, H, W)`` (or any tensor whose last two dimensions are spatial and that ``F.pad`` takes in ``mode``).
        multiple: the padding multiple (a network's ``stride``), >= 1.
        mode: ``F.pad`` mode (``"replicate"``: edge replication).
    """
    if isinstance(multiple, bool) or not isinstance(multiple, int) or multiple < 1:
        raise ValueError(f"multiple must be an integer >= 1, got {multiple!r}.")
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    return F.pad(x, (0, pw, 0, ph), mode=mode) if (ph or pw) else x
