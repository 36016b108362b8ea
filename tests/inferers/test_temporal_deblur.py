# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest
import torch
from moving_texture import moving_texture, texture
from torch import nn

from monai_angio.inferers.temporal_deblur import (
    consistency_step,
    neighbour_mean,
    temporal_anatomy,
    temporal_deblur_cine,
)
from monai_angio.metrics import psnr
from monai_angio.networks import RDNDeblur
from monai_angio.phantoms.focal_spot import apply_kernel


def gaussian_kernel(sigma: float = 1.2, radius: int = 4) -> np.ndarray:
    g = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k = np.outer(g, g)
    return k / k.sum()


def static_cine(frames: int = 7, noise: float = 0.01, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """A still texture, blurred, with independent noise per frame: ``(blurred (T, 1, H, W), sharp, kernel)``."""
    sharp = texture(64, seed).expand(frames, 1, 64, 64).contiguous()
    kernel = gaussian_kernel()
    g = torch.Generator().manual_seed(seed)
    blurred = apply_kernel(sharp, kernel) + noise * torch.randn(sharp.shape, generator=g)
    return blurred.clamp(0, 1), sharp, kernel


def test_neighbour_mean_leaves_the_frame_out():
    frames = torch.arange(5, dtype=torch.float32).view(5, 1, 1, 1).expand(5, 1, 2, 2)
    mean, midpoint = neighbour_mean(frames, radius=1)
    torch.testing.assert_close(midpoint, 0.5 * (frames[:-2] + frames[2:]))
    mean = mean[:, 0, 0, 0]
    torch.testing.assert_close(mean, torch.tensor([1.0, 1.0, 2.0, 3.0, 3.0]))  # ends: the one neighbour there is
    mean2 = neighbour_mean(frames, radius=2)[0][:, 0, 0, 0]
    torch.testing.assert_close(mean2, torch.tensor([1.5, 5 / 3, 2.0, 7 / 3, 2.5]))
    with pytest.raises(ValueError, match="radius"):
        neighbour_mean(frames, radius=0)


def test_consistency_step_restores_what_the_estimate_misses():
    blurred, sharp, kernel = static_cine(frames=1, noise=0.0)
    # an exact estimate explains the frame: nothing is added
    torch.testing.assert_close(consistency_step(apply_kernel(sharp, kernel), sharp, kernel), sharp, atol=1e-4, rtol=0)
    # a blurred estimate gets the missing detail back from a noise-free frame
    corrected = consistency_step(blurred, blurred, kernel, balance=1e-3)
    assert float(psnr(corrected.clamp(0, 1), sharp, 1.0)) > float(psnr(blurred, sharp, 1.0)) + 3.0
    with pytest.raises(ValueError, match="balance"):
        consistency_step(blurred, blurred, kernel, balance=0.0)
    with pytest.raises(ValueError, match="match"):
        consistency_step(blurred, blurred[..., :32], kernel)


def test_temporal_deblurring_beats_single_frames_on_a_still_noisy_cine():
    blurred, sharp, kernel = static_cine(frames=7, noise=0.02)
    net = RDNDeblur(num_features=8, num_blocks=1, num_layers=1, growth_rate=4).eval()  # untrained: the identity
    anatomy = temporal_anatomy(blurred, net, radius=2, progress=False)
    assert anatomy.shape == blurred.shape
    # the blend averages the neighbours' noise away where the frames agree (a still scene: everywhere)
    assert float((anatomy - apply_kernel(sharp, kernel)).std()) < 0.6 * float(
        (blurred - apply_kernel(sharp, kernel)).std()
    )
    restored = temporal_deblur_cine(blurred, net, kernel, radius=2, balance=0.3, progress=False)
    assert restored.shape == blurred.shape and 0.0 <= float(restored.min()) and float(restored.max()) <= 1.0
    p_single = float(psnr(blurred, sharp, 1.0).mean())
    p_temporal = float(psnr(restored, sharp, 1.0).mean())
    assert p_temporal > p_single + 2.0


def test_changing_content_keeps_the_frame_own_values():
    blurred, _, kernel = static_cine(frames=9, noise=0.01)
    blurred[4, :, 24:40, 24:40] += 0.3  # a vessel filling in the middle frame only
    net = RDNDeblur(num_features=8, num_blocks=1, num_layers=1, growth_rate=4).eval()
    anatomy = temporal_anatomy(blurred, net, radius=2, progress=False)
    square = (4, 0, slice(28, 36), slice(28, 36))
    assert float((anatomy[square] - blurred[square]).abs().mean()) < 0.03  # the neighbours differ there by 0.3
    outside = (4, 0, slice(0, 16), slice(0, 64))
    assert float((anatomy[outside] - blurred[outside]).abs().mean()) > 0.003  # elsewhere the noise is averaged


def test_invalid_inputs():
    net = RDNDeblur(num_features=8, num_blocks=1, num_layers=1, growth_rate=4).eval()
    with pytest.raises(ValueError, match="at least 3 frames"):
        temporal_deblur_cine(torch.rand(2, 1, 16, 16), net, gaussian_kernel(), progress=False)
    with pytest.raises(ValueError, match=r"\(T, 1, H, W\)"):
        temporal_anatomy(torch.rand(4, 2, 16, 16), net)
    with pytest.raises(ValueError, match="balance"):
        temporal_deblur_cine(torch.rand(4, 1, 16, 16), net, gaussian_kernel(), balance=float("nan"))


def test_geometry_kernel_from_header_and_overrides():
    from monai_angio.inferers.temporal_deblur import geometry_kernel
    from monai_angio.phantoms import FocalSpotBlur

    meta = {
        "focal_spot_mm": 0.9,
        "distance_source_to_patient_mm": torch.tensor([700.0]),  # collated into a batch
        "distance_source_to_detector_mm": 1050.0,
        "imager_pixel_spacing_mm": 0.2,
    }
    kernel, geometry = geometry_kernel(meta)
    assert geometry == {"focal_spot_mm": 0.9, "sod_mm": 700.0, "sid_mm": 1050.0, "pixel_spacing_mm": 0.2}
    expected = FocalSpotBlur(focal_spot_mm=0.9, sod_mm=700.0, sid_mm=1050.0, pixel_spacing_mm=0.2).kernel()
    np.testing.assert_allclose(kernel, expected)
    wider, g2 = geometry_kernel(meta, focal_spot_mm=1.2, pixel_spacing_mm=0.1)
    assert g2["focal_spot_mm"] == 1.2 and g2["sod_mm"] == 700.0 and wider.shape[0] > kernel.shape[0]
    with pytest.raises(ValueError, match="needs sod_mm, sid_mm"):
        geometry_kernel({"focal_spot_mm": 0.6, "imager_pixel_spacing_mm": 0.15})


def test_global_motion_aligns_the_neighbours():
    sharp = moving_texture(5, deg=1.0, px=4.0, size=96, seed=2)
    inner = (slice(None), slice(None), slice(16, -16), slice(16, -16))
    plain, _ = neighbour_mean(sharp, radius=2)
    aligned, _ = neighbour_mean(sharp, radius=2, global_motion="similarity")
    assert float((aligned - sharp)[inner].abs().mean()) < 0.2 * float((plain - sharp)[inner].abs().mean())
    kernel = gaussian_kernel()
    g = torch.Generator().manual_seed(3)
    blurred = (apply_kernel(sharp, kernel) + 0.02 * torch.randn(sharp.shape, generator=g)).clamp(0, 1)
    net = RDNDeblur(num_features=8, num_blocks=1, num_layers=1, growth_rate=4).eval()  # untrained: the identity
    target = apply_kernel(sharp, kernel)
    err = {
        gm: float((temporal_anatomy(blurred, net, 2, global_motion=gm, progress=False) - target)[inner].pow(2).mean())
        for gm in (None, "similarity")
    }
    assert err["similarity"] < 0.7 * err[None]


def test_temporal_network_takes_the_frame_and_its_neighbours_mean():
    from monai_angio.inferers.temporal_deblur import takes_neighbours

    class Probe(nn.Module):
        in_channels = 2

        def forward(self, x):  # (B, 2, H, W) -> the neighbours' channel
            self.seen = x.clone()
            return x[:, 1:]

    blurred, _, kernel = static_cine(frames=5, noise=0.02)
    probe = Probe()
    assert takes_neighbours(probe) and not takes_neighbours(RDNDeblur(num_features=4, num_blocks=1))
    out = temporal_deblur_cine(blurred, probe, None, radius=2, progress=False, batch_size=5)  # no kernel needed
    mean, _ = neighbour_mean(blurred, 2)
    torch.testing.assert_close(probe.seen, torch.cat([blurred, mean], 1))
    torch.testing.assert_close(out, mean.clamp(0, 1))
    # with a kernel the consistency step follows
    corrected = temporal_deblur_cine(blurred, probe, kernel, radius=2, balance=0.3, progress=False)
    torch.testing.assert_close(corrected, consistency_step(blurred, mean, kernel, 0.3).clamp(0, 1))
    single = RDNDeblur(num_features=4, num_blocks=1, num_layers=1, growth_rate=2)
    with pytest.raises(ValueError, match="needs the focal-spot kernel"):
        temporal_deblur_cine(blurred, single, None, progress=False)
    told = RDNDeblur(in_channels=3, out_channels=1, num_features=4, num_blocks=1, num_layers=1, growth_rate=2)
    with pytest.raises(ValueError, match="non-blind network needs the focal-spot kernel"):
        temporal_deblur_cine(blurred, told, None, progress=False)
    with pytest.raises(ValueError, match="needs the focal-spot kernel"):
        temporal_anatomy(blurred, told, 2, progress=False)
    anatomy = temporal_anatomy(blurred, told, 2, kernel=kernel, progress=False)
    assert anatomy.shape == blurred.shape  # told the kernel, the non-blind network gets no consistency step
    torch.testing.assert_close(temporal_deblur_cine(blurred, told, kernel, progress=False), anatomy.clamp(0, 1))


def test_geometry_kernel_optional():
    from monai_angio.inferers.temporal_deblur import geometry_kernel

    assert geometry_kernel({}, required=False) == (None, {})
    assert geometry_kernel({"focal_spot_mm": 0.6}, required=False) == (None, {})  # header incomplete
    kernel, geometry = geometry_kernel(
        {}, focal_spot_mm=0.6, sod_mm=750, sid_mm=1100, pixel_spacing_mm=0.154, required=False
    )
    assert kernel is not None and geometry["focal_spot_mm"] == 0.6
    with pytest.raises(ValueError, match="needs sod_mm"):  # explicit but incomplete values still raise
        geometry_kernel({}, focal_spot_mm=0.6, required=False)
