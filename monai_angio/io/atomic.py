# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Atomic outputs: the one mechanism by which every file and folder of ``monai_angio`` is written.

:func:`atomic_output` hands the writer a hidden temporary sibling of the output (``.<name>.partial-<random><suffix>``
in the same folder) and renames it into place only when the writer has finished. So the output is always either
the previous complete one or the new complete one:

- a file is renamed over the old one with :func:`os.replace` (atomic);
- a folder replacing an old one is swapped with it (one atomic ``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere
  the old folder is renamed aside, the new one renamed in, and the old one deleted), then the old one is deleted.

An existing output is never replaced unless ``overwrite`` is given (:class:`OutputExistsError`). After an error
(an exception, Ctrl-C) the temporary is removed; only a process killed outright (``SIGKILL``, power loss) can leave a
hidden ``.<name>.partial-*`` (or ``.<name>.old-*``) sibling behind, which is safe to delete.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["PARTIAL_MARK", "OutputExistsError", "atomic_output", "check_output_target"]

#: the mark in the name of a temporary output: ``.<name>.partial-<random><suffix>``
PARTIAL_MARK = ".partial-"
_OLD_MARK = ".old-"


class OutputExistsError(ValueError):
    """The output exists and ``overwrite`` was not given. A ``ValueError``, so callers that map bad input to an
    error message (the command line: exit status 2) handle it alike.

    Attributes:
        path: the existing output.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        super().__init__(f"{self.path} already exists: pass --overwrite to replace it.")


def _is_empty_dir(path: Path) -> bool:
    try:
        return path.is_dir() and not path.is_symlink() and next(os.scandir(path), None) is None
    except OSError:
        return False


def _existing_ancestor(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def check_output_target(
    target: str | os.PathLike, *, overwrite: bool = False, folder: bool = False, parents: bool = False
) -> Path:
    """Check that ``target`` can be written as a file (or, with ``folder``, a folder); nothing is created.

    An empty existing folder counts as absent when a folder is to be written.

    Args:
        target: the output path.
        overwrite: an existing output may be replaced.
        folder: a folder is to be written (else a file).
        parents: missing parent folders will be created (the nearest existing one must be a writable folder).

    Returns:
        ``target`` as a :class:`~pathlib.Path`.

    Raises:
        OutputExistsError: ``target`` exists and ``overwrite`` is False.
        ValueError: naming the path: the parent folder is missing (without ``parents``), not a folder or not
            writable; ``target`` is an existing folder when a file is to be written, or the reverse.
    """
    target = Path(target)
    parent = target.parent
    if parents:
        parent = _existing_ancestor(parent)
    if not parent.exists():
        raise ValueError(f"cannot write {target}: the folder {parent} does not exist.")
    if not parent.is_dir():
        raise ValueError(f"cannot write {target}: {parent} is not a folder.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write {target}: the folder {parent} is not writable.")
    if target.is_dir() and not folder:
        raise ValueError(f"cannot write {target}: {target} is an existing folder, but a file is to be written there.")
    if target.exists() and not target.is_dir() and folder:
        raise ValueError(f"cannot write {target}: {target} is an existing file, but a folder is to be written there.")
    if (target.exists() or target.is_symlink()) and not overwrite and not (folder and _is_empty_dir(target)):
        raise OutputExistsError(target)
    return target


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
        return False  # kernel or file system without the exchange: fall back to two renames
    raise OSError(err, os.strerror(err), str(b))


def _commit(tmp: Path, target: Path, overwrite: bool, folder: bool) -> None:
    if not tmp.exists():
        raise ValueError(f"cannot write {target}: nothing was written.")
    if tmp.is_dir() != folder:
        kinds = ("a folder", "a file") if tmp.is_dir() else ("a file", "a folder")
        raise ValueError(f"cannot write {target}: {kinds[0]} was written, but {kinds[1]} was asked.")
    check_output_target(target, overwrite=overwrite, folder=folder)  # again: the target may have appeared meanwhile
    if not folder or not target.exists() or _is_empty_dir(target):
        if folder and target.exists() and os.name == "nt":  # pragma: no cover - Windows renames onto no folder
            target.rmdir()
        os.replace(tmp, target)
        return
    if _exchange(tmp, target):
        _remove(tmp)  # now the old folder
        return
    old = target.with_name(f".{target.name}{_OLD_MARK}{uuid.uuid4().hex[:12]}")
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        os.replace(old, target)
        raise
    _remove(old)


@contextlib.contextmanager
def atomic_output(
    target: str | os.PathLike, overwrite: bool = False, *, folder: bool = False, parents: bool = False
) -> Iterator[Path]:
    """Write ``target`` (a file, or with ``folder`` a whole folder) under a hidden temporary name, then rename it.

    Yields ``<folder of target>/.<name>.partial-<random><suffix>``: a path to write the file to (not created; the
    suffix of ``target`` is kept for writers that pick the format from it), or, with ``folder``, an empty folder
    to fill. When the ``with`` block ends normally the temporary becomes ``target`` (see the module docstring); on
    any exception it is removed and the exception propagates, ``target`` untouched.

    Args:
        target: the output file or folder.
        overwrite: replace an existing ``target`` (a whole folder: nothing of the old one is kept).
        folder: a folder is written (else a file).
        parents: create missing parent folders first.

    Example:
        >>> with atomic_output("out.csv", overwrite=True) as tmp:
        ...     tmp.write_text("frame,kind\\n")

    Raises:
        OutputExistsError: ``target`` exists and ``overwrite`` is False (an empty folder counts as absent).
        ValueError: the parent folder is missing, not a folder or not writable (a ``PermissionError`` while writing
            becomes this too), the kinds of ``target`` and what is written differ (file vs. folder), or nothing was
            written (all naming the path).
    """
    target = check_output_target(target, overwrite=overwrite, folder=folder, parents=parents)
    tmp = target.with_name(f".{target.name}{PARTIAL_MARK}{uuid.uuid4().hex[:12]}{target.suffix}")
    try:
        if parents:
            target.parent.mkdir(parents=True, exist_ok=True)
        if folder:
            tmp.mkdir()
    except OSError as e:
        raise ValueError(f"cannot write {target}: {e.strerror or e} ({e.filename or target.parent}).") from e
    try:
        yield tmp
        _commit(tmp, target, overwrite, folder)
    except PermissionError as e:
        _remove(tmp)
        raise ValueError(f"cannot write {target}: {e.strerror or e} ({e.filename or target.parent}).") from e
    except BaseException:
        _remove(tmp)
        raise
