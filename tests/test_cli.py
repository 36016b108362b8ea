# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import csv
import json
import re

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
    # every method with its options off, then each network with its bundle's recommended options (and, when its
    # fallback interpolated the cine, a note saying so)
    names = [s["method"] for s in summaries]
    assert names[: len(available_methods())] == available_methods()
    for name, label in zip(names[len(available_methods()) :], recommended, strict=True):
        assert name in (label, f"{label}: dis_flow chosen on this input")
    shipped = (
        "cerebral_dsa_interpolation (temporal window 12, ensemble with dis_flow_quadratic, global motion similarity, "
        "fallback dis_flow)"
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
        err = capsys.readouterr().err
        assert f"unknown option {flag} for deblur; valid options: --input, --output, --bundle" in err
        assert "--overwrite, --temporal-radius, --global-motion, --balance, --tile-size." in err
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
    flags = {"ensemble": "OFF", "global-motion": "none", "denoise_window": 0, "fallback": "none"}
    assert _interpolation_options(bundle, flags, command) == InterpolationOptions()
    other = _interpolation_options(bundle, {"ensemble": "dis_flow"}, command)  # the others keep the bundle's values
    assert other == InterpolationOptions(
        ensemble="dis_flow", global_motion="similarity", denoise_window=12, fallback="dis_flow"
    )
    # a flag Fire reads as None (--global-motion None) is given: it switches the option off
    assert _interpolation_options(bundle, {"global_motion": None}, command).global_motion is None
    src, data = phantom_dcm
    out = tmp_path / "interp.dcm"
    main(["interpolate", str(src), str(out), "--method", bundle, "--factor", "2"])
    ds = pydicom.dcmread(out)
    label = f"monai-angio {bundle} (temporal window 12, ensemble with dis_flow_quadratic, global motion similarity, "
    assert re.search(
        re.escape(label) + r"fallback dis_flow\)(: dis_flow chosen on this input)? x2 frame interpolation;",
        ds.DerivationDescription,
    )
    np.testing.assert_array_equal(ds.pixel_array[::3], data)
    plain = tmp_path / "plain.dcm"
    main(["interpolate", str(src), str(plain), "--method", bundle, "--factor", "2", "--ensemble", "none",
          "--denoise-window", "0", "--global-motion", "none", "--fallback", "none"])  # fmt: skip
    assert f"monai-angio {bundle} x2 frame interpolation;" in pydicom.dcmread(plain).DerivationDescription
    assert not np.array_equal(pydicom.dcmread(plain).pixel_array, ds.pixel_array)


def test_flags_override_only_the_options_they_name(phantom_dcm, tmp_path):
    """--ensemble none and --denoise-window 0 turn those off; the bundle's global motion stays on."""
    bundle = "cerebral_dsa_interpolation"
    src, data = phantom_dcm
    out = tmp_path / "interp.dcm"
    main(["interpolate", str(src), str(out), "--method", bundle, "--ensemble", "none", "--denoise-window", "0",
          "--fallback", "none"])  # fmt: skip
    description = pydicom.dcmread(out).DerivationDescription
    assert f"monai-angio {bundle} (global motion similarity) x1 frame interpolation;" in description
    assert "ensemble" not in description and "temporal window" not in description
    np.testing.assert_array_equal(pydicom.dcmread(out).pixel_array[::2], data)
    report = tmp_path / "report"
    main(["dose-reduction", str(src), "--method", bundle, "--report", str(report), "--ensemble", "none",
          "--fallback", "none"])  # fmt: skip
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
            "--ensemble, --global-motion, --denoise-window, --adapt-steps, --fallback",
            "--input, --output, --factor, --method, --batch-size, --tile-size, --device, --overwrite",
        ),
        (
            ["dose-reduction", "--report", "OUT"],
            "--time-reversal",
            "--ensemble, --global-motion, --denoise-window, --adapt-steps, --fallback",
            "--input, --factor, --method, --report",
        ),
        (
            ["deblur", "OUT/out.dcm"],
            "--self-ensemble",
            "--temporal-radius, --global-motion, --balance, --tile-size",
            "--bundle, --batch-size, --device, --focal-spot, --sod, --sid, --pixel-spacing, --overwrite",
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
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert err.startswith(f"monai-angio: error: unknown option {flag} for {name}; valid options: ")
        assert own in err and err.endswith(f"{valid}.")
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


# ------------------------------------------------------------------ issue 23: outputs that never destroy, never mislead
def _tree(root) -> dict[str, bytes | None]:
    """Every file and folder under ``root`` with its content (folders: None): what is on disk."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def _exit_2(argv: list[str], capsys) -> str:
    """Run the command line, expect exit status 2 before anything was done (nothing on stdout) and return the last
    line of stderr."""
    capsys.readouterr()  # what earlier commands printed
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert err and err[-1].startswith("monai-angio: error: "), err
    assert captured.out == ""
    return err[-1]


@pytest.fixture
def cine_tree(tmp_path):
    """A folder ``g`` of PNG frames and a folder ``d`` holding a DICOM cine ``d/in.dcm``."""
    _png_folder(tmp_path / "g")
    (tmp_path / "d").mkdir()
    write_cine(tmp_path / "d" / "in.dcm", torch.rand(5, 1, 16, 16), 12, method="test")
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["interpolate", "d/in.dcm", "d/in.dcm"],  # the same file
        ["interpolate", "g", "g"],  # the same folder
        ["interpolate", "g", "g/out"],  # the output inside the input folder
        ["interpolate", "g", "g/out.dcm"],
        ["interpolate", "d/in.dcm", "d"],  # the input inside the output folder
        ["interpolate", "d/in.dcm", "d", "--overwrite"],  # --overwrite does not change that
        ["interpolate", "d/../d/in.dcm", "./d/in.dcm"],  # resolved
        ["deblur", "g", "g"],
        ["deblur", "g", "g/sharp"],
        ["deblur", "d/in.dcm", "d", "--overwrite"],
        ["dose-reduction", "g", "--report", "g"],
        ["dose-reduction", "g", "--report", "g/report"],
        ["dose-reduction", "d/in.dcm", "--report", "d", "--overwrite"],
    ],
)
def test_the_input_is_never_written(cine_tree, monkeypatch, capsys, args):
    monkeypatch.chdir(cine_tree)
    before = _tree(cine_tree)
    last = _exit_2([*args, "--method", "linear"] if args[0] != "deblur" else args, capsys)
    src, out = args[1], args[3] if args[0] == "dose-reduction" else args[2]
    assert f"the output {out} " in last and f" the input {src}: the input is never written" in last
    assert _tree(cine_tree) == before  # nothing written, nothing removed


def test_an_existing_output_is_refused_then_replaced_whole(cine_tree, capsys):
    src, out, dcm = cine_tree / "g", cine_tree / "out", cine_tree / "out.dcm"
    main(["interpolate", str(src), str(out), "--method", "linear", "--factor", "3"])
    main(["interpolate", str(src), str(dcm), "--method", "linear", "--factor", "3"])
    assert len(list(out.glob("*.png"))) == 9
    for target in (out, dcm):
        before = _tree(cine_tree)
        last = _exit_2(["interpolate", str(src), str(target), "--method", "linear"], capsys)
        assert last.endswith(f"{target} already exists: pass --overwrite to replace it.")
        last = _exit_2(["deblur", str(src), str(target)], capsys)  # refused before the network loads
        assert "already exists: pass --overwrite" in last
        assert _tree(cine_tree) == before
    main(["interpolate", str(src), str(out), "--method", "linear", "--factor", "1", "--overwrite"])
    main(["interpolate", str(src), str(dcm), "--method", "linear", "--factor", "1", "--overwrite"])
    assert sorted(p.name for p in out.iterdir()) == [
        "0000.png",
        "0001.png",
        "0002.png",
        "0003.png",
        "0004.png",
        "frame_labels.csv",
    ]  # fmt: skip  (no stale frames)
    assert int(pydicom.dcmread(dcm).NumberOfFrames) == 5
    assert not [p for p in cine_tree.iterdir() if p.name.startswith(".")]  # no temporary left


def test_an_existing_report_or_demo_folder_is_refused_then_replaced_whole(cine_tree, capsys):
    src, report = cine_tree / "d" / "in.dcm", cine_tree / "report"
    main(["dose-reduction", str(src), "--method", "linear", "--report", str(report)])
    first = json.loads((report / "summary.json").read_text())
    before = _tree(cine_tree)
    last = _exit_2(["dose-reduction", str(src), "--method", "linear", "--report", str(report)], capsys)
    assert last.endswith(f"{report} already exists: pass --overwrite to replace it.")
    assert _tree(cine_tree) == before
    (report / "stale.csv").write_text("x")  # a folder holding other files is never replaced, even with --overwrite
    last = _exit_2(["dose-reduction", str(src), "--method", "linear", "--report", str(report), "--overwrite"], capsys)
    assert f"{report}: the folder holds other files than this command writes (stale.csv)" in last
    (report / "stale.csv").unlink()
    main(["dose-reduction", str(src), "--method", "linear", "--report", str(report), "--factor", "2", "--overwrite"])
    assert json.loads((report / "summary.json").read_text())["factor"] == 2 != first["factor"]
    assert sorted(p.name for p in report.iterdir()) == sorted(
        ["frames.csv", "frames.png", "summary.json", "example.png", "reconstructed.dcm"]
    )
    demo = cine_tree / "demo"
    demo.mkdir()
    (demo / "phantom_xa.dcm").write_text("old")
    before = _tree(cine_tree)
    last = _exit_2(["demo", "--output-dir", str(demo), "--num-frames", "5", "--size", "32"], capsys)
    assert last.endswith(f"{demo} already exists: pass --overwrite to replace it.")
    (demo / "notes.txt").write_text("mine")
    last = _exit_2(["demo", "--output-dir", str(demo), "--overwrite"], capsys)
    assert "the folder holds other files than this command writes (notes.txt)" in last
    assert _tree(cine_tree) == {**before, "demo/notes.txt": b"mine"}


@pytest.mark.parametrize(
    "args, flag, valid",
    [
        (["info", "IN", "--verbose"], "--verbose", "--path."),
        (["methods", "--all"], "--all", "none."),
        (["demo", "--output-dirr", "x"], "--output-dirr", "--output-dir, --factor, --num-frames, --size, --seed"),
        (["demo", "--size", "32", "--fast"], "--fast", "--output-dir"),
        (["info", "IN", "-z"], "-z", "--path."),
    ],
)
def test_an_unknown_flag_stops_every_command_before_any_work(cine_tree, monkeypatch, capsys, args, flag, valid):
    """info, methods and demo take no **options: Fire ran them and only then said "Could not consume arg"."""
    monkeypatch.chdir(cine_tree)
    before = _tree(cine_tree)
    args = [str(cine_tree / "d" / "in.dcm") if a == "IN" else a for a in args]
    last = _exit_2(args, capsys)
    assert f"unknown option {flag} for {args[0]}; valid options: {valid}" in last  # and nothing ran (_exit_2)
    assert _tree(cine_tree) == before  # no demo folder


@pytest.mark.parametrize(
    "args, message",
    [
        (["interpolate", "g", "o", "--tile-size", "abc"], "--tile-size must be an integer >= 1 (or none), got 'abc'."),
        (["interpolate", "g", "o", "--batch-size", "2.5"], "--batch-size must be an integer >= 1, got 2.5."),
        (["interpolate", "g", "o", "--factor", "two"], "--factor must be an integer >= 1, got 'two'."),
        (["interpolate", "g", "o", "--overwrite", "yes"], "--overwrite is a switch and takes no value, got 'yes'."),
        (["deblur", "g", "o", "--focal-spot", "big"], "--focal-spot must be a positive number (or none), got 'big'."),
        (["deblur", "g", "o", "--sod", "-700"], "--sod must be a positive number (or none), got -700."),
        (["dose-reduction", "g", "--batch-size", "0"], "--batch-size must be an integer >= 1, got 0."),
        (["demo", "--num-frames", "many"], "--num-frames must be an integer >= 1, got 'many'."),
        (["demo", "--seed", "-1"], "--seed must be an integer >= 0, got -1."),
        (["dose-reduction", "g", "--report", "--factor", "2"], "--report takes one value (a path or a name), got True"),
        (["interpolate", "g"], "interpolate needs OUTPUT; see monai-angio interpolate --help."),
        (["info", "g", "extra"], "unexpected argument 'extra' for info"),
        (["interpolat", "g", "o"], "unknown command 'interpolat'; commands: deblur, demo, dose-reduction, info"),
    ],
)
def test_a_flag_of_the_wrong_type_is_named_with_the_type_expected(cine_tree, monkeypatch, capsys, args, message):
    monkeypatch.chdir(cine_tree)
    before = _tree(cine_tree)
    assert message in _exit_2(args + (["--method", "linear"] if args[0] == "interpolate" else []), capsys)
    assert _tree(cine_tree) == before


def test_fire_shortcuts_and_none_reach_the_command(cine_tree, monkeypatch):
    monkeypatch.chdir(cine_tree)
    main(["interpolate", "g", "out", "-m", "linear", "-f", "2", "--tile-size", "none", "-o"])  # as --help lists them
    assert len(list((cine_tree / "out").glob("*.png"))) == 7


@pytest.mark.parametrize(
    "device, message",
    [
        ("gpu0", "--device must be cpu, cuda or cuda:N, got 'gpu0'."),
        ("cuda", "--device cuda: CUDA is not available on this machine"),
    ],
)
@pytest.mark.parametrize("command", ["interpolate", "deblur", "dose-reduction"])
def test_a_bad_device_is_refused_before_any_work(cine_tree, monkeypatch, capsys, command, device, message):
    """A baseline ignored --device cuda silently; an unknown device ended in a traceback."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.chdir(cine_tree)
    before = _tree(cine_tree)
    args = [command, "g"] + ([] if command == "dose-reduction" else ["out"]) + ["--device", device]
    assert message in _exit_2(args + (["--method", "linear"] if command != "deblur" else []), capsys)
    assert _tree(cine_tree) == before


@pytest.mark.parametrize(
    "error, message",
    [
        (PermissionError(13, "Permission denied", "/x/in.dcm"), "/x/in.dcm: Permission denied"),
        (FileExistsError(17, "File exists", "/x/out"), "/x/out: File exists"),
        (IsADirectoryError(21, "Is a directory", "/x/dir"), "/x/dir: Is a directory"),
        (NotADirectoryError(20, "Not a directory", "/x/file/out"), "/x/file/out: Not a directory"),
        (OSError(28, "No space left on device"), "[Errno 28] No space left on device"),
        (ValueError("first line\n  second line"), "first line second line"),
    ],
)
def test_file_system_errors_end_with_one_line(monkeypatch, capsys, error, message):
    import monai_angio.io

    def fail(path):
        raise error

    monkeypatch.setattr(monai_angio.io, "describe", fail)
    last = _exit_2(["info", "anything"], capsys)
    assert last == f"monai-angio: error: {message}"
    assert "Traceback" not in capsys.readouterr().err


def test_interrupted_exits_130_with_one_line(monkeypatch, capsys):
    import monai_angio.io

    def interrupt(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(monai_angio.io, "describe", interrupt)
    with pytest.raises(SystemExit) as exc:
        main(["info", "anything"])
    assert exc.value.code == 130
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("monai-angio: interrupted")


def _malicious_bundle(root, name: str, marker) -> None:
    """A folder called like a shipped bundle whose inference.json writes ``marker`` when any entry is parsed."""
    payload = f"$open({str(marker)!r}, 'w').write('pwned')"
    config = {key: payload for key in ("imports", "options", "network_def", "input_offset", "ckpt_path", "device")}
    config["imports"] = [payload]
    (root / name / "configs").mkdir(parents=True)
    (root / name / "configs" / "inference.json").write_text(json.dumps(config))


def test_a_bundle_folder_in_the_working_directory_never_wins(tmp_path, monkeypatch, capsys):
    from monai_angio.bundles import find_bundle

    marker = tmp_path / "PWNED"
    for name in ("cerebral_dsa_deblurring", "cerebral_dsa_interpolation"):
        _malicious_bundle(tmp_path, name, marker)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONAI_ANGIO_BUNDLES", raising=False)
    write_cine(tmp_path / "in.dcm", torch.rand(3, 1, 16, 16), 12, method="test")
    main(["deblur", "in.dcm", "sharp.dcm", "--tile-size", "none"])  # the default --bundle cerebral_dsa_deblurring
    main(["interpolate", "in.dcm", "i.dcm", "--method", "cerebral_dsa_interpolation", "--ensemble", "none",
          "--denoise-window", "0", "--global-motion", "none", "--fallback", "none"])  # fmt: skip
    main(["interpolate", "in.dcm", "e.dcm", "--method", "linear", "--ensemble", "cerebral_dsa_interpolation"])
    assert not marker.exists()
    err = capsys.readouterr().err
    for name in ("cerebral_dsa_deblurring", "cerebral_dsa_interpolation"):
        assert f"using bundle {find_bundle(name).resolve()}\n" in err  # the installed one, named on stderr
        assert find_bundle(name).resolve() != (tmp_path / name).resolve()
    assert err.count("using bundle ") == 3
    # a folder is used only when given as a path, and then named too
    with pytest.raises(SystemExit):
        main(["deblur", "in.dcm", "x.dcm", "--bundle", "./cerebral_dsa_deblurring"])
    assert marker.exists()  # the user asked for that folder: it ran (and, here, failed)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"using bundle {(tmp_path / 'cerebral_dsa_deblurring').resolve()}"
    assert err[-1].startswith("monai-angio: error: bundle ./cerebral_dsa_deblurring: ")


def test_a_baseline_does_not_name_a_bundle(cine_tree, capsys):
    main(["interpolate", str(cine_tree / "g"), str(cine_tree / "o"), "--method", "linear"])
    assert "using bundle" not in capsys.readouterr().err
