# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import csv
import json

import numpy as np
import pydicom
import pytest
import torch
from PIL import Image

from monai_angio.cli import AngioCLI, _interpolation_options, main
from monai_angio.inferers.methods import available_methods, is_network_method
from monai_angio.io import write_cine
from monai_angio.options import InterpolationOptions
from monai_angio.phantoms import AngiographyPhantom


@pytest.fixture(scope="module")
def phantom_dcm(tmp_path_factory):
    data, meta = AngiographyPhantom(size=64, num_frames=9, mode="coronary", seed=3).generate()
    path = tmp_path_factory.mktemp("cine") / "phantom.dcm"
    frames = torch.from_numpy(data.astype(np.float32) / 4095).unsqueeze(1)
    write_cine(path, frames, 12, method="phantom", frame_time_ms=meta["frame_time_ms"])
    return path, data


def _png_folder(folder, count=3, size=(20, 24)):
    folder.mkdir()
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(count, *size), dtype=np.uint8)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"frame{i + 1}.png")
    return frames


def test_info(phantom_dcm, capsys):
    main(["info", str(phantom_dcm[0])])
    out = capsys.readouterr().out
    assert "9" in out and "XA" in out


def test_methods(capsys):
    main(["methods"])
    out = capsys.readouterr().out
    for name in ("repeat", "linear", "dis_flow"):
        assert name in out


def test_interpolate_folder_to_folder(tmp_path):
    frames = _png_folder(tmp_path / "in")
    main(["interpolate", str(tmp_path / "in"), str(tmp_path / "out"), "--factor", "2", "--method", "linear"])
    written = sorted((tmp_path / "out").glob("*.png"))
    assert [p.name for p in written] == [f"{i:04d}.png" for i in range(7)]
    out = np.stack([np.asarray(Image.open(p)) for p in written])
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[::3], frames)  # acquired frames unchanged
    expected = np.rint(frames[0] * (2 / 3) + frames[1] * (1 / 3))
    assert np.abs(out[1].astype(float) - expected).max() <= 1
    with (tmp_path / "out" / "frame_labels.csv").open() as f:
        kinds = [row["kind"] for row in csv.DictReader(f)]
    assert kinds == ["acquired", "synthesized", "synthesized", "acquired", "synthesized", "synthesized", "acquired"]


def test_interpolate_dicom_to_dicom(phantom_dcm, tmp_path):
    src, data = phantom_dcm
    out = tmp_path / "out.dcm"
    main(["interpolate", str(src), str(out), "--factor", "1", "--method", "dis_flow"])
    ds = pydicom.dcmread(out)
    assert int(ds.NumberOfFrames) == 17 and ds.BitsStored == 12
    np.testing.assert_array_equal(ds.pixel_array[::2], data)
    labels = list(ds[0x0018, 0x2002].value)
    assert labels[0::2] == ["ACQUIRED"] * 9 and labels[1::2] == ["SYNTHESIZED"] * 8
    assert "dis_flow" in ds.DerivationDescription
    assert ds.SeriesInstanceUID != pydicom.dcmread(src).SeriesInstanceUID


def test_dose_reduction_report(phantom_dcm, tmp_path):
    report = tmp_path / "report"
    main(["dose-reduction", str(phantom_dcm[0]), "--factor", "3", "--method", "linear", "--report", str(report)])
    summary = json.loads((report / "summary.json").read_text())
    assert summary["dose_saved"] == pytest.approx(0.75)
    assert summary["synthesized"] == 6 and summary["acquired"] == 3  # kept frames 0, 4, 8
    assert 20 < summary["psnr_mean"] < 80 and 0 < summary["ssim_mean"] <= 1
    with (report / "frames.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 9 and sum(r["kind"] == "synthesized" for r in rows) == 6
    for name in ("frames.png", "example.png", "reconstructed.dcm"):
        assert (report / name).stat().st_size > 0
    assert int(pydicom.dcmread(report / "reconstructed.dcm").NumberOfFrames) == 9


def test_demo(tmp_path, capsys):
    main(["demo", "--output-dir", str(tmp_path / "demo"), "--num-frames", "9", "--size", "64", "--factor", "1"])
    demo = tmp_path / "demo"
    summaries = json.loads((demo / "summary.json").read_text())
    networks = [m for m in available_methods() if is_network_method(m)]
    assert "cerebral_dsa_interpolation" in networks
    recommended = [InterpolationOptions.from_bundle(m).label(m) for m in networks]
    # every method with its options off, then each network with its bundle's recommended options
    assert [s["method"] for s in summaries] == available_methods() + recommended
    shipped = (
        "cerebral_dsa_interpolation (temporal window 12, ensemble with dis_flow_quadratic, global motion similarity)"
    )
    assert shipped in recommended
    assert all(s["synthesized"] == 4 for s in summaries)
    assert (demo / "phantom_xa.dcm").is_file()
    assert (demo / "report_dis_flow" / "frames.png").is_file()
    assert "dis_flow" in capsys.readouterr().out
    for method in available_methods():
        assert (demo / f"report_{method}" / "frames.csv").is_file()
        ds = pydicom.dcmread(demo / f"report_{method}" / "reconstructed.dcm")
        assert f"monai-angio {method} x1 frame" in ds.DerivationDescription  # options off: the name alone
    for method, label in zip(networks, recommended, strict=True):
        ds = pydicom.dcmread(demo / f"report_{method}+recommended" / "reconstructed.dcm")
        assert f"monai-angio {label} x1 frame" in ds.DerivationDescription


@pytest.mark.parametrize(
    "args, match",
    [
        (["--factor", "0"], "factor"),
        (["--method", "nope"], "unknown interpolation method"),
        (["--factr", "2"], "unknown option --factr"),
        (["--denoise-window", "1"], "denoise_window must be 0 (off) or an integer >= 2"),
        (["--global-motion", "rigid"], "global_motion must be none or one of"),
        (["--method", "linear", "--adapt-steps", "-1"], "adapt_steps must be an integer >= 0"),
        (["--ensemble", "nope"], "unknown interpolation method 'nope'"),
    ],
)
def test_bad_arguments_exit_2(tmp_path, capsys, args, match):
    _png_folder(tmp_path / "in")
    with pytest.raises(SystemExit) as exc:
        main(["interpolate", str(tmp_path / "in"), str(tmp_path / "out"), *args])
    assert exc.value.code == 2
    assert match in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_single_frame_input_exit_2(tmp_path, capsys):
    _png_folder(tmp_path / "in", count=1)
    with pytest.raises(SystemExit) as exc:
        main(["interpolate", str(tmp_path / "in"), str(tmp_path / "out.dcm")])
    assert exc.value.code == 2
    assert "at least 2 frames" in capsys.readouterr().err
    assert not (tmp_path / "out.dcm").exists()


def test_missing_input_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["info", str(tmp_path / "missing.dcm")])
    assert exc.value.code == 2
    assert "missing.dcm" in capsys.readouterr().err


def test_deblur_dicom_and_folder(phantom_dcm, tmp_path):
    src, data = phantom_dcm
    out = tmp_path / "sharp.dcm"
    main(["deblur", str(src), str(out), "--tile-size", "48"])
    ds = pydicom.dcmread(out)
    assert int(ds.NumberOfFrames) == data.shape[0] and ds.BitsStored == 12
    assert "deblurring" in ds.DerivationDescription and ds.ImageType[0] == "DERIVED"
    restored = ds.pixel_array.astype(float)
    assert restored.shape == data.shape and np.abs(restored - data).mean() < 200  # a restoration, not garbage
    folder = tmp_path / "sharp"
    main(["deblur", str(src), str(folder)])
    assert len(list(folder.glob("*.png"))) == data.shape[0]
    assert np.asarray(Image.open(folder / "0000.png")).dtype == np.uint16


def test_deblur_temporal_radius_on_a_small_cine_and_removed_flags_refused(phantom_dcm, tmp_path, capsys):
    src, data = phantom_dcm  # 9 frames of 64 x 64, no focal-spot geometry in the header: the blind temporal network
    out = tmp_path / "sharp.dcm"
    main(["deblur", str(src), str(out), "--temporal-radius", "1", "--tile-size", "none"])
    ds = pydicom.dcmread(out)
    assert int(ds.NumberOfFrames) == data.shape[0] and ds.BitsStored == 12
    assert "(temporal +-1 frames, global motion similarity); blind temporal network" in ds.DerivationDescription
    restored = ds.pixel_array.astype(float)
    assert restored.shape == data.shape and 0 < np.abs(restored - data).mean() < 200
    for flag in ("--self-ensemble", "--time-reversal"):
        with pytest.raises(SystemExit) as exc:
            main(["deblur", str(src), str(tmp_path / "refused.dcm"), flag, "4"])
        assert exc.value.code == 2
        assert f"unknown option {flag}; valid options: --temporal-radius" in capsys.readouterr().err
    assert not (tmp_path / "refused.dcm").exists()


def test_adapt_steps_fine_tune_a_network_and_are_refused_for_baselines(phantom_dcm, tmp_path, capsys):
    src, _ = phantom_dcm
    report = tmp_path / "report"
    main(["dose-reduction", str(src), "--method", "cerebral_dsa_interpolation", "--report", str(report),
          "--adapt-steps", "3"])  # fmt: skip
    summary = json.loads((report / "summary.json").read_text())
    assert "cerebral_dsa_interpolation (adapted 3 steps, temporal window 12" in json.dumps(summary)
    with pytest.raises(SystemExit) as exc:
        main(["interpolate", str(src), str(tmp_path / "out.dcm"), "--method", "linear", "--adapt-steps", "3"])
    assert exc.value.code == 2
    assert "adapt_steps needs a trainable network" in capsys.readouterr().err


def test_a_bundle_method_takes_its_recommended_test_time_options(phantom_dcm, tmp_path):
    bundle = "cerebral_dsa_interpolation"
    recommended = InterpolationOptions.from_bundle(bundle)
    command = AngioCLI.interpolate
    assert _interpolation_options(bundle, {}, command) == recommended
    assert (recommended.ensemble, recommended.denoise_window) == ("dis_flow_quadratic", 12)
    assert _interpolation_options("linear", {}, command) == InterpolationOptions()  # a baseline: everything off
    flags = {"ensemble": "OFF", "global-motion": "none", "denoise_window": 0}
    assert _interpolation_options(bundle, flags, command) == InterpolationOptions()
    other = _interpolation_options(bundle, {"ensemble": "dis_flow"}, command)  # the others keep the bundle's values
    assert other == InterpolationOptions(ensemble="dis_flow", global_motion="similarity", denoise_window=12)
    # a flag Fire reads as None (--global-motion None) is given: it switches the option off
    assert _interpolation_options(bundle, {"global_motion": None}, command).global_motion is None
    src, data = phantom_dcm
    out = tmp_path / "interp.dcm"
    main(["interpolate", str(src), str(out), "--method", bundle, "--factor", "2"])
    ds = pydicom.dcmread(out)
    assert (
        f"monai-angio {bundle} (temporal window 12, ensemble with dis_flow_quadratic, global motion similarity) x2 "
        "frame interpolation;" in ds.DerivationDescription
    )
    np.testing.assert_array_equal(ds.pixel_array[::3], data)
    plain = tmp_path / "plain.dcm"
    main(["interpolate", str(src), str(plain), "--method", bundle, "--factor", "2", "--ensemble", "none",
          "--denoise-window", "0", "--global-motion", "none"])  # fmt: skip
    assert f"monai-angio {bundle} x2 frame interpolation;" in pydicom.dcmread(plain).DerivationDescription
    assert not np.array_equal(pydicom.dcmread(plain).pixel_array, ds.pixel_array)


def test_flags_override_only_the_options_they_name(phantom_dcm, tmp_path):
    """--ensemble none and --denoise-window 0 turn those off; the bundle's global motion stays on."""
    bundle = "cerebral_dsa_interpolation"
    src, data = phantom_dcm
    out = tmp_path / "interp.dcm"
    main(["interpolate", str(src), str(out), "--method", bundle, "--ensemble", "none", "--denoise-window", "0"])
    description = pydicom.dcmread(out).DerivationDescription
    assert f"monai-angio {bundle} (global motion similarity) x1 frame interpolation;" in description
    assert "ensemble" not in description and "temporal window" not in description
    np.testing.assert_array_equal(pydicom.dcmread(out).pixel_array[::2], data)
    report = tmp_path / "report"
    main(["dose-reduction", str(src), "--method", bundle, "--report", str(report), "--ensemble", "none"])
    summary = json.loads((report / "summary.json").read_text())
    assert summary["method"] == f"{bundle} (temporal window 12, global motion similarity)"


def test_a_baseline_runs_with_every_option_off(phantom_dcm, tmp_path):
    src, data = phantom_dcm
    out = tmp_path / "interp.dcm"
    main(["interpolate", str(src), str(out), "--method", "dis_flow"])
    ds = pydicom.dcmread(out)
    assert ds.DerivationDescription.startswith("monai-angio dis_flow x1 frame interpolation;")
    report = tmp_path / "report"
    main(["dose-reduction", str(src), "--method", "linear", "--report", str(report)])
    assert json.loads((report / "summary.json").read_text())["method"] == "linear"


@pytest.mark.parametrize(
    "command, flag, valid, own",
    [
        (
            ["interpolate", "OUT/out.dcm"],
            "--factr",
            "--ensemble, --global-motion, --denoise-window, --adapt-steps",
            "--factor, --method, --batch-size, --tile-size, --device",
        ),
        (
            ["dose-reduction", "--report", "OUT"],
            "--time-reversal",
            "--ensemble, --global-motion, --denoise-window, --adapt-steps",
            "--factor, --method",
        ),
        (
            ["deblur", "OUT/out.dcm"],
            "--self-ensemble",
            "--temporal-radius, --global-motion, --balance, --tile-size",
            "--bundle, --batch-size, --device, --focal-spot, --sod, --sid, --pixel-spacing",
        ),
        (
            ["deblur", "OUT/out.dcm"],
            "--temporal",  # renamed --temporal-radius
            "--temporal-radius, --global-motion, --balance, --tile-size",
            "--bundle",
        ),
    ],
)
def test_an_unknown_flag_exits_2_before_any_work(phantom_dcm, tmp_path, capsys, command, flag, valid, own):
    name, *rest = command
    rest = [r.replace("OUT", str(tmp_path / "out")) for r in rest]
    for src in (phantom_dcm[0], tmp_path / "missing.dcm"):  # refused before the input is read
        with pytest.raises(SystemExit) as exc:
            main([name, str(src), *rest, flag, "4"])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert f"unknown option {flag}; valid options: {valid}." in err
        assert f"Command flags: {own}" in err
        assert not (tmp_path / "out").exists()


def test_denoise_window_named_in_the_output(phantom_dcm, tmp_path):
    src, data = phantom_dcm
    out = tmp_path / "interp.dcm"
    main(["interpolate", str(src), str(out), "--method", "linear", "--factor", "2", "--denoise-window", "4"])
    ds = pydicom.dcmread(out)
    assert "linear (temporal window 4)" in ds.DerivationDescription
    np.testing.assert_array_equal(ds.pixel_array[::3], data)  # acquired frames unchanged
    plain = tmp_path / "plain.dcm"
    main(["interpolate", str(src), str(plain), "--method", "linear", "--factor", "2"])
    assert not np.array_equal(pydicom.dcmread(plain).pixel_array, ds.pixel_array)
    report = tmp_path / "report"
    main(["dose-reduction", str(src), "--method", "linear", "--report", str(report), "--denoise-window", "4"])
    assert "linear (temporal window 4)" in json.loads((report / "summary.json").read_text())["method"]


def test_ensemble_with_a_second_method_is_averaged_and_named(phantom_dcm, tmp_path):
    src, _ = phantom_dcm
    outs = {}
    for name, extra in (("repeat", []), ("linear", []), ("both", ["--ensemble", "linear"])):
        outs[name] = tmp_path / f"{name}.dcm"
        method = "linear" if name == "linear" else "repeat"
        main(["interpolate", str(src), str(outs[name]), "--method", method, "--factor", "1", *extra])
    ds = pydicom.dcmread(outs["both"])
    assert "repeat (ensemble with linear)" in ds.DerivationDescription
    rep, lin = (pydicom.dcmread(outs[n]).pixel_array[1::2].astype(float) for n in ("repeat", "linear"))
    np.testing.assert_allclose(ds.pixel_array[1::2], 0.5 * (rep + lin), atol=1.0)  # rounding to the bit depth


def test_global_motion_compensation_is_applied_and_named(tmp_path):
    from moving_texture import moving_texture

    truth = moving_texture(5, deg=1.0, px=5.0, size=96, seed=1)  # every second frame is kept in the DICOM
    src = tmp_path / "moving.dcm"
    write_cine(src, truth[::2], 12, method="moving texture", frame_time_ms=100.0)
    err = {}
    for gm in (None, "none", "similarity"):  # off by default; "none" switches it off explicitly
        out = tmp_path / f"{gm}.dcm"
        main(["interpolate", str(src), str(out), "--method", "linear"] + (["--global-motion", gm] if gm else []))
        ds = pydicom.dcmread(out)
        assert ("global motion" in ds.DerivationDescription) == (gm == "similarity")
        synth = ds.pixel_array[1::2].astype(float) / 4095
        err[gm] = np.abs(synth - truth[1::2, 0].numpy())[:, 16:-16, 16:-16].mean()
    assert err["none"] == err[None]
    assert err["similarity"] < 0.25 * err[None]


def test_temporal_deblurring_uses_the_dicom_geometry(tmp_path, capsys):
    from moving_texture import texture

    from monai_angio.phantoms import FocalSpotBlur
    from monai_angio.phantoms.focal_spot import apply_kernel

    sharp = texture(64, seed=3).expand(7, 1, 64, 64)
    kernel = FocalSpotBlur(focal_spot_mm=1.2, sod_mm=700.0, sid_mm=1000.0, pixel_spacing_mm=0.154).kernel()
    g = torch.Generator().manual_seed(0)
    blurred = (apply_kernel(sharp, kernel) + 0.01 * torch.randn(sharp.shape, generator=g)).clamp(0, 1)
    src = tmp_path / "blurred.dcm"
    write_cine(src, blurred, 12, method="blurred texture", frame_time_ms=100.0)
    ds = pydicom.dcmread(src)
    ds.FocalSpots = [0.6, 1.2]
    ds.DistanceSourceToPatient, ds.DistanceSourceToDetector, ds.ImagerPixelSpacing = 700, 1000, [0.154, 0.154]
    ds.save_as(src)
    err = {}
    for name, extra in (("single", []), ("temporal", ["--temporal-radius", "2"])):
        out = tmp_path / f"{name}.dcm"
        main(["deblur", str(src), str(out), *extra])
        restored = pydicom.dcmread(out)
        err[name] = np.abs(restored.pixel_array / 4095 - sharp[:, 0].numpy()).mean()
    assert (
        "(temporal +-2 frames, global motion similarity); temporal network, focal spot 1.2 mm kernel"
        in restored.DerivationDescription
    )
    assert err["temporal"] < 0.9 * err["single"]  # the non-blind network (trained on DSA, not on this texture)
    assert "global motion similarity" in restored.DerivationDescription  # the bundle's default
    still = tmp_path / "still.dcm"  # a still cine: the global motion step changes (almost) nothing
    main(["deblur", str(src), str(still), "--temporal-radius", "2", "--global-motion", "none"])
    ds_still = pydicom.dcmread(still)
    assert "global motion" not in ds_still.DerivationDescription
    assert np.abs(ds_still.pixel_array.astype(float) - restored.pixel_array).mean() < 2.0
    with pytest.raises(SystemExit):
        main(["deblur", str(src), str(tmp_path / "bad.dcm"), "--temporal-radius", "2", "--global-motion", "rigid"])
    assert "global_motion must be none or one of" in capsys.readouterr().err
    # without the geometry in the header: the temporal network alone, or the geometry given on the command line
    plain = tmp_path / "plain.dcm"
    write_cine(plain, blurred, 12, method="blurred texture")
    main(["deblur", str(plain), str(tmp_path / "x.dcm"), "--temporal-radius", "2"])
    alone = pydicom.dcmread(tmp_path / "x.dcm")
    assert "(temporal +-2 frames, global motion similarity); blind temporal network" in alone.DerivationDescription
    assert np.abs(alone.pixel_array / 4095 - sharp[:, 0].numpy()).mean() < err["single"]
    with pytest.raises(SystemExit):  # incomplete geometry
        main(["deblur", str(plain), str(tmp_path / "w.dcm"), "--temporal-radius", "1", "--focal-spot", "1.2"])
    assert "needs sod_mm, sid_mm, pixel_spacing_mm" in capsys.readouterr().err
    main(["deblur", str(plain), str(tmp_path / "y.dcm"), "--temporal-radius", "1", "--focal-spot", "1.2",
          "--sod", "700", "--sid", "1000", "--pixel-spacing", "0.154"])  # fmt: skip
    assert "focal spot 1.2 mm" in pydicom.dcmread(tmp_path / "y.dcm").DerivationDescription
    write_cine(tmp_path / "two.dcm", blurred[:2], 12, method="two frames")
    with pytest.raises(SystemExit):
        main(
            [
                "deblur",
                str(tmp_path / "two.dcm"),
                str(tmp_path / "z.dcm"),
                "--temporal-radius",
                "1",
                "--focal-spot",
                "1",
            ]
        )
    assert "at least 3 frames" in capsys.readouterr().err
