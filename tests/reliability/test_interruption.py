# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""A ``monai-angio`` run stopped while it writes its output leaves the old output (or none), never a mix.

The write itself (:mod:`monai_angio.io.atomic`) is tested in ``tests/io``; here the whole command line is killed
(``SIGKILL``: a hidden ``.<name>.partial-*`` sibling may remain, nothing else changes) or interrupted (``SIGINT``,
Ctrl-C: exit status 130, one line, the temporary removed).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from monai_angio.io import read_cine, write_cine

#: ``monai-angio interpolate IN OUT --factor 100 --overwrite`` on a slow disk: each PNG takes a few milliseconds
_SLOW_RUN = """
import sys, time
import cv2
from monai_angio.cli import main

real = cv2.imwrite
def slow(*args, **kwargs):
    time.sleep(0.004)
    return real(*args, **kwargs)
cv2.imwrite = slow
main(["interpolate", sys.argv[1], sys.argv[2], "--method", "linear", "--factor", "100", "--overwrite"])
"""


def _tree(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def _stop_while_writing(source: Path, out: Path, sig: int) -> tuple[int, str]:
    """Start the slow run, wait until its temporary output folder appears, send ``sig``; (exit status, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_RUN, str(source), str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(out.parent.glob(f".{out.name}.partial-*/0002.png")):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the run never started writing: {proc.stderr.read()[-2000:]}")
            time.sleep(0.02)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, err


@pytest.fixture
def old_output(tmp_path):
    """An input cine of 3 frames and the output of an earlier run (5 frames, a complete folder)."""
    source = tmp_path / "in.dcm"
    write_cine(source, torch.rand(3, 1, 16, 16, generator=torch.Generator().manual_seed(0)), 8, method="test")
    out = write_cine(tmp_path / "out", torch.full((5, 1, 16, 16), 0.2), 8, synthesized=[0, 1, 0, 1, 0])
    return source, out


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_while_writing_leaves_the_old_output(old_output, tmp_path):
    source, out = old_output
    before = _tree(out)
    code, _ = _stop_while_writing(source, out, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert _tree(out) == before  # the old output, whole
    assert read_cine(out)[0].shape[0] == 5
    left = [p.name for p in tmp_path.iterdir() if p.name not in ("in.dcm", "out")]
    assert all(name.startswith(".out.partial-") for name in left), left  # only the hidden temporary may remain


def test_interrupted_while_writing_leaves_the_old_output_and_no_temporary(old_output, tmp_path):
    source, out = old_output
    before = _tree(out)
    code, err = _stop_while_writing(source, out, signal.SIGINT)
    assert code == 130
    assert (
        err.strip().splitlines()[-1]
        == "monai-angio: interrupted (nothing half-written is left: an output is complete or absent)."
    )
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.dcm", "out"]  # the temporary removed


def test_killed_first_run_leaves_no_output(tmp_path):
    source = tmp_path / "in.dcm"
    write_cine(source, torch.rand(3, 1, 16, 16, generator=torch.Generator().manual_seed(0)), 8, method="test")
    code, _ = _stop_while_writing(source, tmp_path / "out", signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert not (tmp_path / "out").exists()  # none, rather than a part
