# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Bad input to every command, one table: what each command says (the last line of stderr) and what is on disk after.

Commands: ``interpolate``, ``deblur``, ``dose-reduction``, ``info`` (run in-process through
:func:`monai_angio.cli.main`) and the bundle runner (``python -m monai.bundle run`` on the shipped deblurring bundle,
run in-process through :func:`monai.bundle.run`; that the root cause is also the last line a real
``python -m monai.bundle run`` prints is checked in ``test_bundle_runner.py``).

Every row asserts the exit status, that the last line of stderr names the problem (a substring) and that the disk
holds nothing new (an old output intact), or, for a row that succeeds, what was written.
"""

from __future__ import annotations

import contextlib
import io
import os
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

from monai_angio.cli import main
from monai_angio.io import write_cine

REPO = Path(__file__).resolve().parents[2]
DEBLUR_BUNDLE = REPO / "bundles" / "cerebral_dsa_deblurring"

# ------------------------------------------------------------------------------------------------------------ inputs


def _cine(path: Path, frames: int = 3, size: int = 16) -> Path:
    write_cine(path, torch.rand(frames, 1, size, size, generator=torch.Generator().manual_seed(0)), 12, method="t")
    return path


def _pngs(folder: Path, shapes_dtypes: list[tuple[tuple[int, int], type]]) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i, (shape, dtype) in enumerate(shapes_dtypes):
        Image.fromarray(rng.integers(0, 200, shape).astype(dtype)).save(folder / f"{i:02d}.png")
    return folder


def _tiff(path: Path, data: np.ndarray) -> Path:
    tifffile.imwrite(path, data, photometric="minisblack")
    return path


def _float_frames(bad: float | None = None) -> np.ndarray:
    data = np.random.default_rng(0).random((3, 16, 16)).astype(np.float32)
    if bad is not None:
        data[1, 2, 3] = bad
    return data


def _truncated(path: Path) -> Path:
    whole = _cine(path.with_name("whole.dcm")).read_bytes()
    path.write_bytes(whole[: len(whole) - 700])  # the header intact, the pixel data cut short
    path.with_name("whole.dcm").unlink()
    return path


def _non_image() -> Path:
    from pydicom.data import get_testdata_file

    return Path(get_testdata_file("rtplan.dcm"))  # an RT Plan: a DICOM object without pixel data


def _random_bytes(path: Path) -> Path:
    path.write_bytes(np.random.default_rng(3).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    return path


def _rle() -> Path:
    from pydicom.data import get_testdata_file

    return Path(get_testdata_file("SC_rgb_rle_2frame.dcm"))  # 2 RLE frames: needs a decoder (simulated missing)


#: kind -> a function making the input in a folder (``None``: no input at all)
INPUTS: dict[str, Callable[[Path], Path]] = {
    "missing": lambda d: d / "missing.dcm",
    "empty": lambda d: (d / "empty").mkdir() or d / "empty",
    "one_frame": lambda d: _cine(d / "one.dcm", frames=1),
    "mixed_sizes": lambda d: _pngs(d / "sizes", [((16, 16), np.uint8), ((16, 20), np.uint8), ((16, 16), np.uint8)]),
    "mixed_depths": lambda d: _pngs(d / "depths", [((16, 16), np.uint8), ((16, 16), np.uint16), ((16, 16), np.uint8)]),
    "truncated": lambda d: _truncated(d / "truncated.dcm"),
    "non_image": lambda d: _non_image(),
    "random_bytes": lambda d: _random_bytes(d / "noise.dcm"),
    "missing_decoder": lambda d: _rle(),
    "nan": lambda d: _tiff(d / "nan.tif", _float_frames(np.nan)),
    "inf": lambda d: _tiff(d / "inf.tif", _float_frames(np.inf)),
    "float": lambda d: _tiff(d / "float.tif", _float_frames()),
}

#: kind -> what the last line says, for every command that reads the input
PROBLEM = {
    "missing": "missing.dcm: no such file or folder",
    "empty": "empty: the folder holds no DICOM or image files",
    "one_frame": "one.dcm: at least 2 frames are needed, the input holds 1",
    "mixed_sizes": "frame size (16, 20) differs from (16, 16)",
    "mixed_depths": "the frames mix bit depths: 00.png is 8-bit (uint8) but 01.png is 16-bit (uint16)",
    "truncated": "truncated.dcm: cannot decode pixel data",
    "non_image": "rtplan.dcm: DICOM file has no pixel data",
    "random_bytes": "noise.dcm: not a DICOM file (no DICOM preamble",
    "missing_decoder": "needs a decoder that is not installed (pylibjpeg: pylibjpeg-rle)",
    "nan": "nan.tif: data contain non-finite values (1 NaN, 0 Inf)",
    "inf": "inf.tif: data contain non-finite values (0 NaN, 1 Inf)",
    "float": "float.tif: float32 images are not supported as cines",
}

COMMANDS = ("interpolate", "deblur", "dose-reduction", "info", "bundle")
#: (kind, command) -> None: the command succeeds on that input (and writes its output)
SUCCEEDS = {("one_frame", "deblur"), ("one_frame", "info"), ("one_frame", "bundle")}


# ----------------------------------------------------------------------------------------------------------- running


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every file and folder under ``root`` with its content (folders: None)."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def run_cli(argv: list[str]) -> tuple[int, list[str], str]:
    """``monai-angio ARGV`` in-process: (exit status, stderr lines, stdout)."""
    err, out = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    return code, err.getvalue().strip().splitlines(), out.getvalue()


def run_bundle(source: Path, output_dir: Path, **overrides: object) -> tuple[int, str]:
    """The deblurring bundle's inference on ``source``: (exit status, the line ``python -m monai.bundle run``
    prints last on an error: ``error: <root cause>``; "" on success)."""
    from monai.bundle import run

    from monai_angio.bundle_utils import root_cause

    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            run(
                config_file=str(DEBLUR_BUNDLE / "configs" / "inference.json"),
                bundle_root=str(DEBLUR_BUNDLE),
                dataset_dir=str(source),
                output_dir=str(output_dir),
                **overrides,
            )
        except Exception as e:  # what the excepthook of bundle_utils.cause_last prints last
            return 1, f"error: {root_cause(e)}"
    return 0, ""


def _argv(command: str, source: Path, out: Path) -> list[str]:
    return {
        "interpolate": ["interpolate", str(source), str(out / "interp"), "--method", "linear"],
        "deblur": ["deblur", str(source), str(out / "sharp.dcm"), "--tile-size", "none"],
        "dose-reduction": ["dose-reduction", str(source), "--method", "linear", "--report", str(out / "report")],
        "info": ["info", str(source)],
    }[command]


@pytest.fixture
def missing_decoder(monkeypatch):
    """No decoder for compressed transfer syntaxes, as on an installation without pylibjpeg/pillow plugins."""
    import pydicom.pixels

    fake = types.SimpleNamespace(is_available=False, missing_dependencies={"pylibjpeg": ["pylibjpeg-rle"]})
    monkeypatch.setattr(pydicom.pixels, "get_decoder", lambda ts: fake)


def _input_rows() -> list:
    return [pytest.param(kind, command, id=f"{kind}-{command}") for kind in INPUTS for command in COMMANDS]


@pytest.mark.parametrize("kind, command", _input_rows())
def test_bad_input(kind, command, tmp_path, request):
    if kind == "missing_decoder":
        request.getfixturevalue("missing_decoder")
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    out.mkdir()
    source = INPUTS[kind](data)
    before = _tree(tmp_path)
    succeeds = (kind, command) in SUCCEEDS
    if command == "bundle":
        code, last = run_bundle(source, out)
        assert code == (0 if succeeds else 1)
        if not succeeds:
            assert PROBLEM[kind] in last
    else:
        code, err, stdout = run_cli(_argv(command, source, out))
        assert code == (0 if succeeds else 2), err
        if not succeeds:
            assert err[-1].startswith("monai-angio: error: ") and PROBLEM[kind] in err[-1], err[-1]
            assert stdout == ""
    after = _tree(tmp_path)
    if not succeeds or command == "info":
        assert after == before  # nothing new, nothing removed
    else:
        new = sorted(set(after) - set(before))
        assert new == {"deblur": ["out/sharp.dcm"], "bundle": ["out/one_deblurred.dcm"]}[command]
        assert {k: v for k, v in after.items() if k in before} == before


# ----------------------------------------------------------------------------------------------- bad option values

OPTION_ROWS = [
    ("interpolate", ["--factor", "0"], "--factor must be an integer >= 1, got 0."),
    ("dose-reduction", ["--factor", "0"], "--factor must be an integer >= 1, got 0."),
    ("interpolate", ["--denoise-window", "1"], "denoise_window must be 0 (off) or an integer >= 2"),
    ("dose-reduction", ["--denoise-window", "1"], "denoise_window must be 0 (off) or an integer >= 2"),
    ("interpolate", ["--global-motion", "rigid"], "global_motion must be none or one of"),
    ("deblur", ["--global-motion", "rigid"], "global_motion must be none or one of"),
    ("interpolate", ["--tile-size", "abc"], "--tile-size must be an integer >= 1 (or none), got 'abc'."),
    ("dose-reduction", ["--tile-size", "abc"], "--tile-size must be an integer >= 1 (or none), got 'abc'."),
    ("deblur", ["--tile-size", "abc"], "tile_size must be an integer >= 8, got 'abc'."),
    ("deblur", ["--batch-size", "x"], "--batch-size must be an integer >= 1, got 'x'."),
    ("interpolate", ["--device", "gpu0"], "--device must be cpu, cuda or cuda:N, got 'gpu0'."),
    ("deblur", ["--device", "gpu0"], "--device must be cpu, cuda or cuda:N, got 'gpu0'."),
    ("interpolate", ["--device", "cuda"], "--device cuda: CUDA is not available on this machine"),
    ("deblur", ["--device", "cuda"], "--device cuda: CUDA is not available on this machine"),
    ("dose-reduction", ["--device", "cuda"], "--device cuda: CUDA is not available on this machine"),
    # unknown flags: every command, before any work
    ("interpolate", ["--factr", "2"], "unknown option --factr for interpolate; valid options: --input"),
    ("deblur", ["--temporal", "2"], "unknown option --temporal for deblur; valid options: --input"),
    ("dose-reduction", ["--time-reversal"], "unknown option --time-reversal for dose-reduction; valid options:"),
    ("info", ["--verbose"], "unknown option --verbose for info; valid options: --path."),
    ("methods", ["--all"], "unknown option --all for methods; valid options: none."),
    ("demo", ["--fast"], "unknown option --fast for demo; valid options: --output-dir"),
]


@pytest.mark.parametrize("command, extra, message", OPTION_ROWS, ids=[f"{c}{' '.join(e)}" for c, e, _ in OPTION_ROWS])
def test_bad_option_value(command, extra, message, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.chdir(tmp_path)  # demo would write ./monai_angio_demo
    source, out = _cine(tmp_path / "in.dcm", frames=5), tmp_path / "out"
    out.mkdir()
    before = _tree(tmp_path)
    argv = _argv(command, source, out) if command in ("interpolate", "deblur", "dose-reduction", "info") else [command]
    code, err, stdout = run_cli(argv + extra)
    assert code == 2 and err[-1].startswith("monai-angio: error: ") and message in err[-1], err
    assert stdout == "" and _tree(tmp_path) == before


def test_bad_option_value_bundle(tmp_path):
    code, last = run_bundle(_cine(tmp_path / "in.dcm"), tmp_path / "out", global_motion="rigid")
    assert code == 1 and "global_motion must be none or one of" in last
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------------------------------------- outputs


@pytest.mark.parametrize("command", ["interpolate", "deblur", "dose-reduction"])
@pytest.mark.parametrize("where", ["same", "inside", "holds"])
def test_output_equal_to_or_overlapping_the_input(command, where, tmp_path):
    folder = _pngs(tmp_path / "frames", [((16, 16), np.uint8)] * 3)
    source, output = {
        "same": (folder, folder),
        "inside": (folder, folder / "out"),
        "holds": (folder / "01.png", folder),
    }[where]
    argv = {
        "interpolate": ["interpolate", str(source), str(output), "--method", "linear", "--overwrite"],
        "deblur": ["deblur", str(source), str(output), "--overwrite"],
        "dose-reduction": ["dose-reduction", str(source), "--report", str(output), "--overwrite", "--method", "linear"],
    }[command]
    before = _tree(tmp_path)
    code, err, _ = run_cli(argv)
    assert code == 2 and f"the output {output} " in err[-1]
    assert err[-1].endswith(f"the input {source}: the input is never written; choose another output.")
    assert _tree(tmp_path) == before


def _existing(command: str, tmp_path: Path) -> tuple[list[str], Path]:
    source = _cine(tmp_path / "in.dcm", frames=5)
    target = tmp_path / {"interpolate": "interp", "deblur": "sharp.dcm", "dose-reduction": "report"}[command]
    argv = {
        "interpolate": ["interpolate", str(source), str(target), "--method", "linear"],
        "deblur": ["deblur", str(source), str(target), "--tile-size", "none"],
        "dose-reduction": ["dose-reduction", str(source), "--method", "linear", "--report", str(target)],
    }[command]
    return argv, target


@pytest.mark.parametrize("command", ["interpolate", "deblur", "dose-reduction"])
def test_existing_output_refused_without_overwrite_and_replaced_whole_with_it(command, tmp_path):
    argv, target = _existing(command, tmp_path)
    assert run_cli(argv)[0] == 0
    old = _tree(tmp_path)
    code, err, stdout = run_cli(argv)
    assert code == 2 and err[-1] == f"monai-angio: error: {target} already exists: pass --overwrite to replace it."
    assert stdout == "" and _tree(tmp_path) == old
    assert run_cli([*argv, "--factor", "2", "--overwrite"] if command != "deblur" else [*argv, "--overwrite"])[0] == 0
    new = _tree(tmp_path)
    assert not [name for name in new if name.startswith(".") or "/." in name]  # no temporary left
    if command == "interpolate":  # 5 frames: 9 at --factor 1, 13 at --factor 2, no stale frame
        assert len([n for n in new if n.startswith("interp/") and n.endswith(".png")]) == 13
    elif command == "dose-reduction":
        assert set(new) == set(old) and new["report/summary.json"] != old["report/summary.json"]
    else:
        assert set(new) == set(old)


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in: a chmod 555 folder, or for root (who ignores permissions)
    ``/sys``, where no one can create a file."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        if not Path("/sys").is_dir():
            pytest.skip("running as root without /sys: no folder this process cannot write")
        return Path("/sys")
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


@pytest.mark.parametrize(
    "command, name",
    [
        ("interpolate", "monai_angio_test_out.dcm"),
        ("interpolate", "monai_angio_test_out"),
        ("deblur", "monai_angio_test_out.dcm"),
        ("deblur", "monai_angio_test_out"),
        ("dose-reduction", "monai_angio_test_out"),
    ],
)
def test_non_writable_output_folder(command, name, tmp_path):
    folder = _read_only_folder(tmp_path)
    try:
        target = folder / name
        source = _cine(tmp_path / "in.dcm", frames=3)
        argv = {
            "interpolate": ["interpolate", str(source), str(target), "--method", "linear"],
            "deblur": ["deblur", str(source), str(target), "--tile-size", "none"],
            "dose-reduction": ["dose-reduction", str(source), "--method", "linear", "--report", str(target)],
        }[command]
        before = sorted(p.name for p in folder.iterdir())
        code, err, _ = run_cli(argv)
        assert code == 2 and err[-1].startswith(f"monai-angio: error: cannot write {target}"), err
        assert sorted(p.name for p in folder.iterdir()) == before
    finally:
        if folder != Path("/sys"):
            folder.chmod(0o755)
