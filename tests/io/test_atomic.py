# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Tests of monai_angio.io.atomic: the one mechanism by which outputs (files and folders) are written."""

from __future__ import annotations

import os

import pytest

from monai_angio.io.atomic import PARTIAL_MARK, OutputExistsError, atomic_output, check_output_target


def _hidden(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_file_written_under_a_hidden_partial_name_then_renamed(tmp_path):
    target = tmp_path / "out.dcm"
    with atomic_output(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.dcm" + PARTIAL_MARK)
        assert tmp.suffix == ".dcm"  # writers that pick the format from the extension keep working
        assert not tmp.exists() and not target.exists()
        tmp.write_text("new")
    assert target.read_text() == "new" and _hidden(tmp_path) == []


def test_existing_file_refused_unless_overwrite(tmp_path):
    target = tmp_path / "out.dcm"
    target.write_text("old")
    with pytest.raises(OutputExistsError, match=r"out\.dcm already exists: pass --overwrite to replace it") as err:
        with atomic_output(target) as tmp:
            tmp.write_text("new")
    assert isinstance(err.value, ValueError) and err.value.path == target
    assert target.read_text() == "old" and _hidden(tmp_path) == []
    with atomic_output(target, overwrite=True) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and _hidden(tmp_path) == []


def test_folder_written_whole_and_replaced_whole(tmp_path):
    target = tmp_path / "frames"
    with atomic_output(target, folder=True) as tmp:
        assert tmp.is_dir() and not any(tmp.iterdir())  # a fresh empty folder to fill
        for i in range(17):
            (tmp / f"{i:04d}.png").write_text(str(i))
    assert len(list(target.iterdir())) == 17
    with pytest.raises(OutputExistsError, match="pass --overwrite"):
        with atomic_output(target, folder=True):
            pass
    with atomic_output(target, overwrite=True, folder=True) as tmp:
        for i in range(9):
            (tmp / f"{i:04d}.png").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == [f"{i:04d}.png" for i in range(9)]  # nothing stale
    assert _hidden(tmp_path) == []  # neither the partial nor the old folder is left


def test_empty_existing_folder_counts_as_absent(tmp_path):
    target = tmp_path / "frames"
    target.mkdir()
    with atomic_output(target, folder=True) as tmp:
        (tmp / "0000.png").write_text("x")
    assert [p.name for p in target.iterdir()] == ["0000.png"]


@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("folder", [False, True])
def test_error_removes_the_partial_and_keeps_the_old_output(tmp_path, overwrite, folder):
    target = tmp_path / ("frames" if folder else "out.csv")
    if overwrite:
        if folder:
            target.mkdir()
            (target / "0000.png").write_text("old")
        else:
            target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_output(target, overwrite=overwrite, folder=folder) as tmp:
            if folder:
                (tmp / "0000.png").write_text("half")
            else:
                tmp.write_text("half")
            raise RuntimeError("boom")
    assert _hidden(tmp_path) == []
    if overwrite:
        assert (target / "0000.png" if folder else target).read_text() == "old"
    else:
        assert not target.exists()


def test_missing_or_unwritable_parent_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"cannot write .*out\.dcm: the folder .*missing does not exist"):
        with atomic_output(tmp_path / "missing" / "out.dcm"):
            pass
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=r"cannot write .*out\.dcm: .*file is not a folder"):
        with atomic_output(tmp_path / "file" / "out.dcm"):
            pass
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(tmp_path) else real_access(p, mode))
    with pytest.raises(ValueError, match=r"cannot write .*out\.dcm: the folder .* is not writable"):
        with atomic_output(tmp_path / "out.dcm"):
            pass


def test_permission_error_becomes_a_clear_error(tmp_path, monkeypatch):
    """Where ``os.access`` says yes but creating the temporary fails (root squash, ACLs): still a ValueError."""
    from pathlib import Path

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", denied)
    with pytest.raises(ValueError, match=r"cannot write .*frames: .*Permission denied"):
        with atomic_output(tmp_path / "frames", folder=True):
            pass


def test_parents_created_on_request(tmp_path):
    target = tmp_path / "a" / "b" / "out.txt"
    check_output_target(target, parents=True)  # a check only: creates nothing
    assert not (tmp_path / "a").exists()
    with atomic_output(target, parents=True) as tmp:
        tmp.write_text("x")
    assert target.read_text() == "x"
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match=r"cannot write .*out\.txt: .*f is not a folder"):
        check_output_target(tmp_path / "f" / "sub" / "out.txt", parents=True)


def test_file_and_folder_kinds_do_not_mix(tmp_path):
    (tmp_path / "out.dcm").mkdir()
    (tmp_path / "out.dcm" / "x").write_text("x")
    with pytest.raises(ValueError, match=r"out\.dcm is an existing folder, but a file is to be written"):
        with atomic_output(tmp_path / "out.dcm", overwrite=True):
            pass
    (tmp_path / "frames").write_text("x")
    with pytest.raises(ValueError, match=r"frames is an existing file, but a folder is to be written"):
        with atomic_output(tmp_path / "frames", overwrite=True, folder=True):
            pass
    with pytest.raises(ValueError, match=r"nothing was written"):
        with atomic_output(tmp_path / "empty.txt"):
            pass
    with pytest.raises(ValueError, match=r"a folder was written, but a file was asked"):
        with atomic_output(tmp_path / "x.txt") as tmp:
            tmp.mkdir()
    assert _hidden(tmp_path) == []
