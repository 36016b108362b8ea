# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch
from torch import nn

from monai_angio.inferers.deblur import (
    CineDeblurInferer,
    OffsetInferer,
    deblur_cine,
    load_deblur_network,
    load_temporal_deblur_network,
    temporal_deblur_network,
)
from monai_angio.networks import RDNDeblur
from monai_angio.options import DeblurOptions


class _Pointwise(nn.Module):
    """A per-pixel network (1x1 conv): tiling cannot change its output."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 1)
        with torch.no_grad():
            self.conv.weight.fill_(0.8)
            self.conv.bias.fill_(0.05)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def _cine(t: int = 3, h: int = 40, w: int = 28) -> torch.Tensor:
    return torch.rand(t, 1, h, w, generator=torch.Generator().manual_seed(0))


def test_untrained_rdn_is_identity():
    frames = _cine()
    out = deblur_cine(frames, RDNDeblur(num_blocks=1, num_layers=1), progress=False)
    assert out.shape == frames.shape and out.dtype == torch.float32
    torch.testing.assert_close(out, frames)


def test_tiling_and_batching_give_the_whole_frame_result():
    frames = _cine(3, 70, 45)
    net = _Pointwise()
    expected = (0.8 * frames + 0.05).clamp(0, 1)
    whole = deblur_cine(frames, net, progress=False)
    torch.testing.assert_close(whole, expected)
    tiled = deblur_cine(frames, net, tile_size=32, batch_size=2, progress=False)
    torch.testing.assert_close(tiled, expected)
    # a frame smaller than the tile along one side (reflect padding inside the sliding window)
    tiled_wide = deblur_cine(frames[:, :, :20], net, tile_size=24, progress=False)
    torch.testing.assert_close(tiled_wide, expected[:, :, :20])


def test_tiled_conv_network_is_close_to_whole_frame():
    torch.manual_seed(0)
    net = RDNDeblur(num_features=8, num_blocks=1, num_layers=1, growth_rate=4, zero_init_last=False)
    frames = _cine(1, 96, 80) * 0.5 + 0.25
    whole = deblur_cine(frames, net, progress=False, clip=False)
    tiled = deblur_cine(frames, net, tile_size=48, progress=False, clip=False, overlap=0.5)
    assert whole.shape == tiled.shape
    # differences only where tiles end (zero padding inside a tile); the frame centre of a tile is exact-ish
    assert float((whole - tiled).abs().mean()) < 0.02 * float(whole.abs().mean())


def test_network_mode_and_numpy_input():
    net = _Pointwise().train()
    out = deblur_cine(_cine().numpy(), net, progress=False)
    assert isinstance(out, torch.Tensor) and net.training


def test_input_checks():
    net = _Pointwise()
    with pytest.raises(ValueError, match=r"\(T, C, H, W\)"):
        deblur_cine(torch.rand(3, 40, 28), net)
    with pytest.raises(TypeError, match="float"):
        deblur_cine(torch.ones(2, 1, 8, 8, dtype=torch.uint8), net)
    with pytest.raises(ValueError, match="NaN"):
        deblur_cine(torch.full((2, 1, 8, 8), float("nan")), net)
    with pytest.raises(ValueError, match="tile_size"):
        deblur_cine(_cine(), net, tile_size=4)
    with pytest.raises(ValueError, match="batch_size"):
        deblur_cine(_cine(), net, batch_size=0)


def test_cine_inferer_shapes():
    net = _Pointwise()
    inferer = CineDeblurInferer(options=DeblurOptions(tile_size=32))
    assert inferer.tile_size == 32
    cine = torch.rand(2, 1, 3, 40, 36)  # (B, C, T, H, W)
    out = inferer(cine, net)
    assert out.shape == cine.shape
    torch.testing.assert_close(out, (0.8 * cine + 0.05).clamp(0, 1))
    frames = torch.rand(2, 1, 20, 24)
    torch.testing.assert_close(inferer(frames, net), (0.8 * frames + 0.05).clamp(0, 1))
    with pytest.raises(ValueError, match="expected"):
        inferer(torch.rand(1, 20, 24), net)


def test_input_offset_is_removed_before_and_added_after_the_network():
    frames = _cine(2, 20, 16)
    seen = {}

    class Spy(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen["min"] = float(x.min())
            return 2.0 * x

    out = deblur_cine(frames, Spy(), progress=False, input_offset=0.6, clip=False)
    torch.testing.assert_close(out, 2.0 * (frames - 0.6) + 0.6)
    assert seen["min"] < 0
    inferer = CineDeblurInferer(input_offset=0.6)
    torch.testing.assert_close(inferer(frames, Spy()), (2.0 * (frames - 0.6) + 0.6).clamp(0, 1))
    # the training inferer keeps gradients and does not clip
    net = _Pointwise()
    x = torch.rand(2, 1, 8, 8)
    y = OffsetInferer(0.6)(x, net)
    torch.testing.assert_close(y, 0.8 * (x - 0.6) + 0.05 + 0.6)
    y.sum().backward()
    assert net.conv.weight.grad is not None
    with pytest.raises(ValueError, match="input_offset"):
        OffsetInferer(float("nan"))


def test_load_deblur_network_reads_the_bundle_offset(tmp_path):
    import json
    import shutil
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "bundles" / "cerebral_dsa_deblurring" / "configs"
    bundle = tmp_path / "bundle"
    shutil.copytree(src, bundle / "configs")
    (bundle / "models").mkdir()
    torch.manual_seed(0)
    ref = RDNDeblur(zero_init_last=False)
    torch.save(ref.state_dict(), bundle / "models" / "model.pt")
    net, offset = load_deblur_network(bundle, "cpu")
    assert offset == json.loads((src / "inference.json").read_text())["input_offset"]
    x = torch.rand(1, 1, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(net(x), ref(x))
    assert not net.training
    with pytest.raises(ValueError, match="no bundle"):
        load_deblur_network(tmp_path / "missing", "cpu")
    with pytest.raises(ValueError, match="no bundle"):  # not the single-frame fallback
        load_temporal_deblur_network(tmp_path / "missing", "cpu", kernel_known=True)
    with pytest.raises(ValueError, match="no weights at .*model_temporal.pt"):
        load_deblur_network(bundle, "cpu", "temporal")
    with pytest.raises(ValueError, match="kind must be one of"):
        load_deblur_network(bundle, "cpu", "video")
    # with the kernel known and no non-blind weights: the single-frame network
    assert load_temporal_deblur_network(bundle, "cpu", kernel_known=True)[0].in_channels == 1
    with pytest.raises(ValueError, match="no weights at .*model_temporal.pt"):
        load_temporal_deblur_network(bundle, "cpu", kernel_known=False)
    for kind, channels, name in (("temporal", 2, "model_temporal.pt"), ("kernel", 3, "model_kernel.pt")):
        ref = RDNDeblur(in_channels=channels, out_channels=1, zero_init_last=False)
        torch.save(ref.state_dict(), bundle / "models" / name)
        loaded, _ = load_deblur_network(bundle, "cpu", kind)
        x = torch.rand(1, channels, 16, 16)
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), ref(x))
    assert load_temporal_deblur_network(bundle, "cpu", kernel_known=False)[0].in_channels == 2
    assert load_temporal_deblur_network(bundle, "cpu", kernel_known=True)[0].in_channels == 3


def test_deblur_cine_checks_the_network_channels():
    net = RDNDeblur(in_channels=2, out_channels=1, num_features=4, num_blocks=1, num_layers=1, growth_rate=2)
    frames = _cine(3)
    assert deblur_cine(torch.cat([frames, frames], 1), net, progress=False).shape == frames.shape
    with pytest.raises(ValueError, match="takes 2 channel"):
        deblur_cine(frames, net, progress=False)


def test_cine_inferer_temporal_network_without_geometry():
    class Neighbours(nn.Module):
        in_channels = 2

        def forward(self, x):
            return x[:, 1:]  # the neighbours' mean (offset removed and added back)

    cine = _cine(5, 16, 16)
    unaligned = DeblurOptions(temporal_radius=1, global_motion=None)  # the plain mean of the neighbours
    inferer = CineDeblurInferer(options=unaligned, temporal_network=Neighbours())
    out = inferer(cine.permute(1, 0, 2, 3)[None], _Pointwise())[0].permute(1, 0, 2, 3)  # no geometry: Neighbours
    from monai_angio.inferers.temporal_deblur import neighbour_mean

    torch.testing.assert_close(out, neighbour_mean(cine, 1)[0].clamp(0, 1))
    with pytest.raises(ValueError, match="needs focal_spot_mm"):  # without a temporal network
        CineDeblurInferer(options=DeblurOptions(temporal_radius=1))(cine.permute(1, 0, 2, 3)[None], _Pointwise())
    with pytest.raises(ValueError, match="2 channels"):
        CineDeblurInferer(
            options=DeblurOptions(temporal_radius=1), temporal_network=RDNDeblur(num_features=4, num_blocks=1)
        )
    with pytest.raises(ValueError, match="3 channels"):
        CineDeblurInferer(options=DeblurOptions(temporal_radius=1), kernel_network=Neighbours())


def test_temporal_deblur_network_choice():
    single, blind, told = (RDNDeblur(in_channels=c, out_channels=1, num_features=4, num_blocks=1) for c in (1, 2, 3))
    assert temporal_deblur_network(single, blind, told, kernel_known=False) is blind
    assert temporal_deblur_network(single, blind, told, kernel_known=True) is told
    assert temporal_deblur_network(single, blind, None, kernel_known=True) is single  # the blend and the kernel
    assert temporal_deblur_network(single, None, told, kernel_known=False) is None


def test_cine_inferer_tells_a_temporal_network_the_kernel():
    from monai_angio.inferers.temporal_deblur import geometry_kernel
    from monai_angio.phantoms import KERNEL_CHANNEL_SCALE, kernel_sigma

    class Told(nn.Module):
        in_channels = 3

        def __init__(self) -> None:
            super().__init__()
            self.seen: list[torch.Tensor] = []

        def forward(self, x):
            self.seen.append(x[:, 2])  # the kernel channel, after the input offset was removed
            return x[:, :1]

    cine = _cine(5, 16, 16).permute(1, 0, 2, 3)[None]  # (1, 1, T, H, W)
    geometry = {"focal_spot_mm": 1.0, "sod_mm": 750.0, "sid_mm": 1100.0, "pixel_spacing_mm": 0.154}
    kernel, _ = geometry_kernel(None, **geometry)
    told = Told()
    # a known geometry goes to the non-blind network (not the single-frame one), told half the kernel width
    options = DeblurOptions(temporal_radius=1)
    inferer = CineDeblurInferer(options=options, kernel_network=told, input_offset=0.6, **geometry)
    inferer(cine, _Pointwise())
    seen = torch.cat(told.seen)
    torch.testing.assert_close(seen, torch.full_like(seen, KERNEL_CHANNEL_SCALE * kernel_sigma(kernel)))
    assert 0.3 < float(seen[0, 0, 0]) < 1.0
    told.seen.clear()  # an unknown geometry needs the blind temporal network
    with pytest.raises(ValueError, match="needs focal_spot_mm"):
        CineDeblurInferer(options=options, kernel_network=told, input_offset=0.6)(cine, _Pointwise())
    assert not told.seen


@pytest.mark.parametrize("n", [2, 4, 8])
def test_self_ensemble_averages_flipped_restorations(n):
    from monai_angio.networks.self_ensemble import dihedral, dihedral_inverse

    torch.manual_seed(0)
    net = nn.Conv2d(1, 1, 3, padding=1, padding_mode="replicate")  # random kernel: not flip-invariant
    frames = _cine(2, 24, 16)
    out = deblur_cine(frames, net, progress=False, clip=False, input_offset=0.5, self_ensemble=n)
    with torch.no_grad():
        x = frames - 0.5
        expected = sum(dihedral_inverse(net(dihedral(x, i)), i) for i in range(n)) / n + 0.5
    torch.testing.assert_close(out, expected)
    plain = deblur_cine(frames, net, progress=False, clip=False, input_offset=0.5)
    assert not torch.allclose(out, plain, atol=1e-4)


@pytest.mark.parametrize("bad", [0, 3, True, 16])
def test_self_ensemble_bad_values(bad):
    with pytest.raises(ValueError, match="self_ensemble"):
        deblur_cine(_cine(), _Pointwise(), progress=False, self_ensemble=bad)


def test_cine_inferer_takes_its_options():
    options = DeblurOptions(temporal_radius=2, global_motion="affine", balance=0.3, tile_size=None)
    inferer = CineDeblurInferer(options=options)
    assert inferer.options is options
    assert (inferer.temporal_radius, inferer.global_motion, inferer.balance, inferer.tile_size) == (
        2,
        "affine",
        0.3,
        None,
    )
    default = CineDeblurInferer()
    assert default.options == DeblurOptions() and default.tile_size == 512 and default.temporal_radius == 0
    with pytest.raises(TypeError, match="options must be DeblurOptions"):
        CineDeblurInferer(options={"temporal_radius": 1})
    with pytest.raises(ValueError, match="global_motion must be none or one of"):
        DeblurOptions(temporal_radius=1, global_motion="rigid")
    with pytest.raises(ValueError, match="temporal_radius"):
        DeblurOptions(temporal_radius=-1)
    with pytest.raises(ValueError, match="overlap"):  # the inferer's own arguments are still checked
        CineDeblurInferer(overlap=1.0)
