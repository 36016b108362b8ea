# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import doctest

import cv2
import numpy as np
import pytest
from contract import READER_META_KEYS

from monai_angio.phantoms import AngiographyPhantom, angiography, cardiac_waveform, gamma_variate

SIZE = (48, 40)
LOADER_KEYS = READER_META_KEYS


def _phantom(**kwargs) -> AngiographyPhantom:
    args = {"size": SIZE, "num_frames": 6, "frame_rate": 10.0}
    args.update(kwargs)
    return AngiographyPhantom(**args)


def _peak_ms(p: AngiographyPhantom) -> float:
    return p.bolus_arrival_ms + 0.5 * p.bolus_transit_ms + p.bolus_peak_ms


@pytest.mark.parametrize("mode", ["dsa", "coronary"])
@pytest.mark.parametrize("bits", [8, 10, 16])
def test_shapes_dtype_range(mode, bits):
    frames, meta = _phantom(mode=mode, bits=bits, num_frames=5).generate()
    assert frames.shape == (5, *SIZE)
    assert frames.dtype == np.uint16
    assert frames.max() <= 2**bits - 1
    # frames use the range without saturating
    assert 0 < frames.min() and frames.max() < 2**bits - 1
    assert meta["bits_stored"] == bits


def test_non_square_and_int_size():
    assert _phantom(size=(32, 64)).render([0.0]).shape == (1, 32, 64)
    assert _phantom(size=40).render([0.0]).shape == (1, 40, 40)


def test_meta_contract():
    p = _phantom(mode="coronary", num_frames=4, frame_rate=12.5, heart_rate_bpm=66.0, seed=5)
    frames, meta = p.generate()
    assert LOADER_KEYS <= set(meta)
    assert meta["filename"] == "phantom" and meta["format"] == "phantom"
    assert meta["frame_times_ms"] == pytest.approx([0.0, 80.0, 160.0, 240.0])
    assert meta["frame_time_ms"] == pytest.approx(80.0)
    assert meta["number_of_frames"] == 4 == len(frames)
    assert meta["modality"] == "XA"
    assert meta["photometric_interpretation"] == "MONOCHROME2"
    assert meta["burned_in_annotation"] == "NO"
    assert meta["patient_id"] is None and meta["series_instance_uid"] is None
    assert len(meta["pixel_spacing"]) == 2 and all(s > 0 for s in meta["pixel_spacing"])
    assert meta["pixel_spacing"][0] == pytest.approx(p.field_of_view_mm / min(SIZE))
    assert meta["mode"] == "coronary" and meta["seed"] == 5 and meta["heart_rate_bpm"] == 66.0
    phase = np.asarray(meta["cardiac_phase"])
    assert phase.shape == (4,) and np.all((phase >= 0) & (phase < 1))
    # the phase advances by heart rate * frame interval
    step = np.mod(np.diff(phase), 1.0)
    np.testing.assert_allclose(step, 66.0 / 60000.0 * 80.0, atol=1e-9)
    assert meta["respiratory_phase"] is None


def test_generate_at_given_times():
    p = _phantom(seed=2)
    times = [250.0, 300.0, 410.0]
    frames, meta = p.generate(times_ms=times)
    assert meta["frame_times_ms"] == pytest.approx([0.0, 50.0, 160.0])
    assert meta["render_times_ms"] == pytest.approx(times)
    assert meta["cardiac_phase"] == pytest.approx(list(p.cardiac_phase(times)))
    np.testing.assert_array_equal(frames, p.render(times))


def test_determinism_and_seed():
    a, _ = _phantom(seed=3).generate()
    b, _ = _phantom(seed=3).generate()
    c, _ = _phantom(seed=4).generate()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # the scenes (not only the noise) differ between seeds
    ta = _phantom(seed=3).vessel_thickness([0.0])
    tc = _phantom(seed=4).vessel_thickness([0.0])
    assert not np.allclose(ta, tc)


@pytest.mark.parametrize("mode", ["dsa", "coronary"])
def test_frame_alone_equals_batch(mode):
    p = _phantom(mode=mode, respiration=True, seed=1)
    frames, meta = p.generate()
    for k in (0, 3, 5):
        np.testing.assert_array_equal(p.render([meta["frame_times_ms"][k]])[0], frames[k])
    # order and company do not matter; a fresh object gives the same frame
    np.testing.assert_array_equal(p.render(p.frame_times_ms[::-1])[::-1], frames)
    np.testing.assert_array_equal(_phantom(mode=mode, respiration=True, seed=1).render(400.0)[0], frames[4])


def test_cardiac_phase_periodic():
    for bpm in (30.0, 75.0, 200.0):
        p = _phantom(heart_rate_bpm=bpm)
        t = np.array([0.0, 123.4, 987.0])
        a, b = p.cardiac_phase(t), p.cardiac_phase(t + 60000.0 / bpm)
        d = np.abs(a - b)
        np.testing.assert_allclose(np.minimum(d, 1 - d), 0.0, atol=1e-9)
        half = p.cardiac_phase(t + 30000.0 / bpm)
        np.testing.assert_allclose(np.mod(half - a, 1.0), 0.5, atol=1e-9)
    assert _phantom(cardiac_phase0=0.25).cardiac_phase(0.0)[0] == pytest.approx(0.25)


def test_motion_periodic_and_moving():
    bpm = 72.0
    period = 60000.0 / bpm
    p = _phantom(mode="coronary", heart_rate_bpm=bpm, cardiac_phase0=0.0, contrast=0.0, noise=False)
    # end-diastole (phase 0) vs end-systole (phase 0.35): the scene (catheter, vessels) moves
    t_ed, t_es = 0.0, 0.35 * period
    same = p.render([t_ed, t_ed + period, t_ed + 2 * period]).astype(int)
    assert np.abs(same - same[0]).max() <= 1
    moved = p.render([t_es])[0].astype(int)
    assert np.abs(moved - same[0]).max() > 10  # well above the 1 LSB round-off of equal phases
    th = p.vessel_thickness([t_ed, t_ed + period, t_es])
    np.testing.assert_allclose(th[0], th[1], atol=1e-3)
    assert np.abs(th[0] - th[2]).max() > 0.5
    d = p.displacement([t_ed, t_es])
    assert d.shape == (2, 2, *SIZE)
    assert np.abs(d[1] - d[0]).max() > 1.0  # pixels


def test_respiration_drifts_background():
    period = 60000.0 / 75.0
    kw = {"mode": "coronary", "contrast": 0.0, "noise": False, "cardiac_phase0": 0.0}
    still = _phantom(**kw).render([0.0, 2 * period]).astype(int)
    assert np.abs(still[1] - still[0]).max() <= 1
    breathing = _phantom(respiration=True, respiratory_rate_bpm=20.0, **kw)
    moved = breathing.render([0.0, 2 * period]).astype(int)
    assert np.abs(moved[1] - moved[0]).max() > 50
    _, meta = breathing.generate()
    assert len(meta["respiratory_phase"]) == 6


def test_contrast_arrives_and_washes_out():
    p = _phantom(mode="dsa", noise=False, num_frames=40, frame_rate=15.0, seed=0)
    frames, meta = p.generate()
    peak = _peak_ms(p)
    mask = p.vessel_thickness([peak])[0] > 0.3
    assert mask.sum() > 20
    first = p.render([0.0])[0]
    at_peak = p.render([peak])[0]
    # before arrival, the subtracted frame is a uniform grey (no vessels)
    assert first.max() - first.min() <= 1
    assert at_peak[mask].mean() < first[mask].mean() - 200  # vessels dark at peak
    late = p.render([peak + 6 * p.bolus_peak_ms])[0]
    assert late[mask].mean() > at_peak[mask].mean() + 100  # washout
    iod = p.iodine_attenuation([0.0, peak])
    assert iod[0].max() == 0.0 and iod[1][mask].min() > 0.0
    # in the cine itself, the darkest frame is after the first
    assert int(np.argmin(frames[:, mask].mean(axis=1))) > 0


def test_bolus_transit_delays_distal_vessels():
    p = _phantom(size=(96, 96), mode="dsa", noise=False, num_frames=30, seed=1)
    t_root = p.bolus_arrival_ms + 0.05 * p.bolus_transit_ms
    iod = p.iodine_attenuation([t_root])[0]
    thick = p.vessel_thickness([t_root])[0]
    # shortly after arrival only part of the tree is filled
    assert (iod > 1e-4).sum() < 0.5 * (thick > 1e-4).sum()
    assert (iod > 1e-4).sum() > 0


def test_noise_grows_as_dose_decreases():
    def noise_std(dose):
        p = _phantom(mode="dsa", dose=dose, seed=0)
        a, b = p.render([0.0, 10.0]).astype(float)  # before arrival: only noise differs
        return np.std(a - b)

    hi, lo = noise_std(1.0), noise_std(0.1)
    assert hi > 0
    assert lo > 2.0 * hi  # sqrt(10) in theory


def test_noise_free_options():
    p = _phantom(mode="coronary", seed=1)
    clean = p.render([200.0], noise=False)
    np.testing.assert_array_equal(clean, _phantom(mode="coronary", seed=1, noise=False).render([200.0]))
    np.testing.assert_array_equal(clean, _phantom(mode="coronary", seed=1, dose=float("inf")).render([200.0]))
    # noise-free frames do not depend on the dose, noisy frames scatter around them
    np.testing.assert_array_equal(clean, _phantom(mode="coronary", seed=1, dose=0.3, noise=False).render([200.0]))
    noisy = p.render([200.0]).astype(float)
    assert 0 < np.std(noisy - clean) < 50
    assert _phantom(noise=False).generate()[1]["noise"] is False


def test_dsa_background_flat_coronary_structured():
    def background_std(mode):
        p = _phantom(size=(64, 64), mode=mode, noise=False, seed=2)
        t = _peak_ms(p)
        frame = p.render([t])[0].astype(float)
        vessels = (p.vessel_thickness([t])[0] > 0).astype(np.uint8)
        far = cv2.dilate(vessels, np.ones((9, 9), np.uint8)) == 0
        assert far.sum() > 100
        return frame[far].std()

    assert background_std("dsa") < 1.0
    assert background_std("coronary") > 50.0


def test_detector_blur_smooths_noise():
    def diff_std(blur):
        a, b = _phantom(detector_blur_px=blur, seed=0).render([0.0, 10.0]).astype(float)
        return np.std(a - b)

    assert diff_std(1.5) < 0.7 * diff_std(0.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"size": (16, 64)},
        {"size": (64, 0)},
        {"size": (64, 64, 3)},
        {"num_frames": 0},
        {"frame_rate": 0.0},
        {"frame_rate": -5.0},
        {"heart_rate_bpm": 20.0},
        {"heart_rate_bpm": 250.0},
        {"bits": 7},
        {"bits": 17},
        {"mode": "cine"},
        {"dose": 0.0},
        {"seed": -1},
        {"detector_blur_px": -1.0},
        {"cardiac_phase0": 1.5},
        {"motion_amplitude": 0.9},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        _phantom(**kwargs)


def test_bad_times_and_types():
    p = _phantom()
    with pytest.raises(ValueError):
        p.render([0.0, float("nan")])
    with pytest.raises(ValueError):
        p.render(np.zeros((2, 2)))
    with pytest.raises(ValueError):
        p.render([])
    with pytest.raises(TypeError):
        _phantom(size=(64.0, 64.0))
    with pytest.raises(TypeError):
        _phantom(frame_rate="15")


def test_gamma_variate_and_waveform():
    t = np.array([-10.0, 0.0, 50.0, 100.0, 200.0, 400.0])
    c = gamma_variate(t, 100.0)
    assert c[0] == 0.0 and c[1] == 0.0
    assert c[3] == pytest.approx(1.0) and np.all(c <= 1.0 + 1e-12)
    assert c[2] < c[3] and c[4] < c[3] and c[5] < c[4]
    phase = np.linspace(0.0, 1.0, 101)
    w = cardiac_waveform(phase)
    assert w[0] == pytest.approx(0.0, abs=1e-12) and w[-1] == pytest.approx(0.0, abs=1e-12)
    assert cardiac_waveform(0.35) == pytest.approx(1.0)
    np.testing.assert_allclose(cardiac_waveform(phase + 1.0), w, atol=1e-12)
    assert np.all((w >= 0) & (w <= 1))


def test_docstring_example():
    result = doctest.testmod(angiography, verbose=False)
    assert result.attempted > 0 and result.failed == 0
