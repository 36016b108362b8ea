# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch

from monai_angio.ops import BackwardWarp, backward_warp


def _image(b: int = 1, c: int = 2, h: int = 5, w: int = 6, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.rand(b, c, h, w, generator=torch.Generator().manual_seed(0), dtype=dtype)


def test_zero_flow_is_identity() -> None:
    image = _image()
    torch.testing.assert_close(backward_warp(image, torch.zeros(1, 2, 5, 6)), image)


def test_integer_flow_shifts_and_border_repeats() -> None:
    image = _image()
    flow = torch.zeros(1, 2, 5, 6)
    flow[:, 0] = 2.0  # sample two columns to the right
    flow[:, 1] = -1.0  # and one row up
    out = backward_warp(image, flow)
    torch.testing.assert_close(out[..., 1:, :-2], image[..., :-1, 2:])
    # border padding: beyond the last column the last column repeats
    torch.testing.assert_close(out[..., 1:, -1], image[..., :-1, -1])
    zeros = backward_warp(image, flow, padding_mode="zeros")
    assert torch.all(zeros[..., 0, :] == 0) and torch.all(zeros[..., -2:] == 0)


def test_half_pixel_flow_averages_neighbours() -> None:
    image = _image()
    flow = torch.zeros(1, 2, 5, 6)
    flow[:, 0] = 0.5
    out = backward_warp(image, flow)
    torch.testing.assert_close(out[..., :-1], 0.5 * (image[..., :-1] + image[..., 1:]))


@pytest.mark.parametrize("padding_mode", ["border", "zeros"])
def test_gradcheck(padding_mode: str) -> None:
    g = torch.Generator().manual_seed(1)
    image = torch.rand(1, 2, 4, 5, generator=g, dtype=torch.float64, requires_grad=True)
    flow = (torch.rand(1, 2, 4, 5, generator=g, dtype=torch.float64) * 3 - 1.5).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x, f: backward_warp(x, f, padding_mode), (image, flow))


def test_module_matches_function() -> None:
    image = _image()
    flow = torch.randn(1, 2, 5, 6, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(BackwardWarp("zeros")(image, flow), backward_warp(image, flow, "zeros"))


def test_errors() -> None:
    image = _image()
    with pytest.raises(ValueError, match="2 channels"):
        backward_warp(image, torch.zeros(1, 3, 5, 6))
    with pytest.raises(ValueError, match="share batch and spatial size"):
        backward_warp(image, torch.zeros(1, 2, 5, 7))
    with pytest.raises(TypeError, match="floating point"):
        backward_warp(image.to(torch.uint8), torch.zeros(1, 2, 5, 6))
    with pytest.raises(ValueError, match="4-D"):
        backward_warp(image[0], torch.zeros(1, 2, 5, 6))
    with pytest.raises(ValueError, match="padding_mode"):
        backward_warp(image, torch.zeros(1, 2, 5, 6), padding_mode="wrap")
    with pytest.raises(ValueError, match="padding_mode"):
        BackwardWarp("wrap")
