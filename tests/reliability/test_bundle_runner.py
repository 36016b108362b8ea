# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""``python -m monai.bundle run`` on bad input ends with its cause as the last line of stderr.

It used to end with ``RuntimeError: applying transform <...LoadCined object at 0x...>`` (a bad option with
``RuntimeError: Failed to instantiate component ...``), the cause buried up to 250 lines above. The shipped bundles'
``"run"`` entry now calls :func:`monai_angio.bundle_utils.cause_last` first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from monai_angio.bundle_utils import cause_last, root_cause

REPO = Path(__file__).resolve().parents[2]


def _chain(*errors: BaseException) -> BaseException:
    """``errors[0]`` raised from ``errors[1]`` raised from ... (``raise ... from``)."""
    for outer, inner in zip(errors[:-1], errors[1:], strict=True):
        outer.__cause__ = inner
    return errors[0]


def test_root_cause_is_the_first_error_that_is_not_a_monai_wrapper():
    decoder = ValueError("The number of bytes of pixel data is less than expected")
    reader = ValueError("x.dcm: cannot decode pixel data")
    err = _chain(RuntimeError("Failed to evaluate"), RuntimeError("applying transform <LoadCined>"), reader, decoder)
    assert root_cause(err) is reader  # the reader's message names the file; the decoder's does not
    missing = FileNotFoundError("x.dcm: no such file or folder.")
    assert root_cause(_chain(RuntimeError("applying transform"), missing)) is missing
    only = _chain(RuntimeError("outer"), RuntimeError("inner"))
    assert str(root_cause(only)) == "inner"  # all wrappers: the last one
    subclass = _chain(RuntimeError("wrapper"), NotImplementedError("no kernel"))  # a RuntimeError subclass: no wrapper
    assert isinstance(root_cause(subclass), NotImplementedError)
    try:  # an error raised while handling another (__context__)
        try:
            raise KeyError("first")
        except KeyError:
            raise RuntimeError("while handling")  # noqa: B904 - the implicit __context__ is what is tested
    except RuntimeError as e:
        assert isinstance(root_cause(e), KeyError)
    loop = RuntimeError("a")
    loop.__cause__ = loop
    assert root_cause(loop) is loop


def test_cause_last_does_nothing_when_called_from_python():
    hook = sys.excepthook
    assert cause_last() is False  # pytest is not ``python -m monai.bundle``
    assert sys.excepthook is hook


def test_the_shipped_bundles_call_cause_last_before_running():
    for name in ("cerebral_dsa_deblurring", "cerebral_dsa_interpolation"):
        run = json.loads((REPO / "bundles" / name / "configs" / "inference.json").read_text())["run"]
        assert run == [
            "$import monai_angio.bundle_utils",
            "$monai_angio.bundle_utils.cause_last()",
            "$@evaluator.run()",
        ]


def _cli(bundle: str, tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess:
    root = REPO / "bundles" / bundle
    cmd = [sys.executable, "-m", "monai.bundle", "run", "--config_file", str(root / "configs" / "inference.json"),
           "--bundle_root", str(root), "--output_dir", str(tmp_path / "out")]  # fmt: skip
    for key, value in overrides.items():
        cmd += [f"--{key}", value]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=tmp_path, env=env)
    except subprocess.TimeoutExpired:
        pytest.skip("python -m monai.bundle run took over 3 minutes here (a loaded machine)")


def _noise(tmp_path: Path) -> str:
    path = tmp_path / "noise.dcm"
    path.write_bytes(np.random.default_rng(3).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    return str(path)


@pytest.mark.parametrize(
    "bundle, overrides, last",
    [
        ("cerebral_dsa_deblurring", {"dataset_dir": "MISSING"}, "error: MISSING: no such file or folder."),
        ("cerebral_dsa_deblurring", {"dataset_dir": "NOISE"}, "error: NOISE: not a DICOM file (no DICOM preamble"),
        ("cerebral_dsa_interpolation", {}, "error: LoadCined: no input for 'image': set --input_path to a DICOM file"),
        (
            "cerebral_dsa_interpolation",
            {"dataset_dir": "NOISE", "global_motion": "rigid"},
            "error: global_motion must be none or one of ('translation', 'similarity', 'affine'), got 'rigid'.",
        ),
    ],
    ids=["missing-input", "corrupt-input", "no-input", "bad-option"],
)
def test_python_m_monai_bundle_run_ends_with_the_cause(bundle, overrides, last, tmp_path):
    paths = {"MISSING": str(tmp_path / "missing.dcm"), "NOISE": _noise(tmp_path)}
    overrides = {k: paths.get(v, v) for k, v in overrides.items()}
    for key, value in paths.items():
        last = last.replace(key, value)
    result = _cli(bundle, tmp_path, **overrides)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr[-2000:]
    assert lines[-1].startswith(last), lines[-3:]
    assert "Traceback (most recent call last)" in result.stderr  # the traceback is still there, above
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
