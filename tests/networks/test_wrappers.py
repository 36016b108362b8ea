# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of TwoFrameImageWrapper: two frames as a 2C-channel image in, the frame at t out; checkpoint transparency."""

from __future__ import annotations

import pytest
import torch
from monai.networks.utils import copy_model_state
from torch import nn

from monai_angio.baselines import LinearInterpolator
from monai_angio.networks import TwoFrameImageWrapper


class StrideInterpolator(nn.Module):
    """Scriptable test interpolator: blend plus a conv correction; refuses sizes that are not a multiple of 4."""

    stride: int = 4

    def __init__(self, channels: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2 * channels + 1, channels, 3, padding=1)

    def forward(self, frame0: torch.Tensor, frame1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if frame0.shape[2] % 4 != 0 or frame0.shape[3] % 4 != 0:
            raise ValueError("size must be a multiple of 4")
        frames = []
        for i in range(t.shape[1]):
            ti = t[:, i].reshape(-1, 1, 1, 1)
            tmap = ti.expand(-1, 1, frame0.shape[2], frame0.shape[3])
            frames.append((1 - ti) * frame0 + ti * frame1 + self.conv(torch.cat([frame0, frame1, tmap], 1)))
        return torch.stack(frames, 1)


def test_splits_frames_and_returns_frame_at_t():
    torch.manual_seed(0)
    image = torch.rand(3, 4, 8, 6)  # two 2-channel frames
    for t in (0.5, 0.25):
        out = TwoFrameImageWrapper(LinearInterpolator(), t=t)(image)
        assert out.shape == (3, 2, 8, 6)
        torch.testing.assert_close(out, (1 - t) * image[:, :2] + t * image[:, 2:])


def test_calls_network_with_b_by_1_time():
    seen = {}

    class Spy(nn.Module):
        def forward(self, frame0, frame1, t):
            seen["t"] = t
            return frame0.unsqueeze(1)

    TwoFrameImageWrapper(Spy(), t=0.3)(torch.rand(5, 2, 4, 4, dtype=torch.float64))
    assert seen["t"].shape == (5, 1)
    assert seen["t"].dtype == torch.float64
    assert torch.all(seen["t"] == 0.3)


def test_pads_to_stride_and_crops_back():
    torch.manual_seed(0)
    net = StrideInterpolator()
    image = torch.rand(2, 2, 10, 13)
    out = TwoFrameImageWrapper(net)(image)
    assert out.shape == (2, 1, 10, 13)
    padded = nn.functional.pad(image, [0, 3, 0, 2], mode="replicate")
    expected = net(padded[:, :1], padded[:, 1:], torch.full((2, 1), 0.5))[:, 0, :, :10, :13]
    torch.testing.assert_close(out, expected)
    with pytest.raises(ValueError, match="multiple of 4"):
        TwoFrameImageWrapper(net, pad=False)(image)


def test_state_dict_is_the_wrapped_network_state_dict():
    net = StrideInterpolator()
    wrapper = TwoFrameImageWrapper(net)
    assert list(wrapper.state_dict()) == list(net.state_dict())

    other = StrideInterpolator()
    wrapper.load_state_dict(other.state_dict())  # bare-network checkpoint
    torch.testing.assert_close(net.conv.weight, other.conv.weight)
    third = StrideInterpolator()
    wrapper.load_state_dict({f"network.{k}": v for k, v in third.state_dict().items()})  # prefixed checkpoint
    torch.testing.assert_close(net.conv.weight, third.conv.weight)

    bare = StrideInterpolator()
    bare.load_state_dict(wrapper.state_dict())  # and back into a bare network
    torch.testing.assert_close(bare.conv.bias, third.conv.bias)


def test_state_dict_nested_and_monai_copy_model_state():
    outer = nn.Sequential(TwoFrameImageWrapper(StrideInterpolator()))
    assert sorted(outer.state_dict()) == ["0.conv.bias", "0.conv.weight"]
    outer.load_state_dict(outer.state_dict())

    src = StrideInterpolator()
    wrapper = TwoFrameImageWrapper(StrideInterpolator())
    _, updated, unchanged = copy_model_state(wrapper, src.state_dict())
    assert sorted(updated) == ["conv.bias", "conv.weight"] and not unchanged
    torch.testing.assert_close(wrapper.network.conv.weight, src.conv.weight)


def test_load_state_dict_reports_wrong_keys():
    wrapper = TwoFrameImageWrapper(StrideInterpolator())
    with pytest.raises(RuntimeError, match="Unexpected key"):
        wrapper.load_state_dict({**StrideInterpolator().state_dict(), "bogus": torch.zeros(1)})


def test_torchscript_script_and_trace_match_eager():
    torch.manual_seed(0)
    wrapper = TwoFrameImageWrapper(StrideInterpolator()).eval()
    image = torch.rand(1, 2, 9, 12)
    with torch.no_grad():
        expected = wrapper(image)
        torch.testing.assert_close(torch.jit.script(wrapper)(image), expected)
        torch.testing.assert_close(torch.jit.trace(wrapper, image)(image), expected)


def test_stride_attribute_forwarded():
    assert TwoFrameImageWrapper(StrideInterpolator()).stride == 4
    assert TwoFrameImageWrapper(LinearInterpolator()).stride == 1


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (torch.rand(2, 2, 4), "4 dimensions|dimensions"),
        (torch.rand(1, 3, 4, 4), "even number"),
        (torch.rand(1, 0, 4, 4), "even"),
    ],
)
def test_rejects_bad_images(image, match):
    with pytest.raises(ValueError, match=match):
        TwoFrameImageWrapper(LinearInterpolator())(image)


def test_rejects_bad_arguments():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        TwoFrameImageWrapper(lambda a, b, t: a)
    for t in (-0.1, 1.5, True, "0.5"):
        with pytest.raises(ValueError, match="t must be"):
            TwoFrameImageWrapper(LinearInterpolator(), t=t)

    class BadStride(LinearInterpolator):
        stride = 0

    with pytest.raises(ValueError, match="stride"):
        TwoFrameImageWrapper(BadStride())
