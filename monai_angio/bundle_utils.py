# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the MONAI bundles of this repository: discovery, offline metadata checks, packaging and running.

The packaging follows the MONAI model-zoo format: one zip per bundle whose top folder is the bundle name, with every
file larger than the model-zoo limit (25 MiB) left out of the zip and listed in ``large_files.yml`` (``path``,
``url``, ``hash_val``, ``hash_type``), which ``python -m monai.bundle download_large_files`` reads.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from monai_angio.io.atomic import atomic_output

__all__ = [
    "DEFAULT_EXCLUDES",
    "LARGE_FILE_LIMIT",
    "SCHEMA_URL",
    "PackagedBundle",
    "cause_last",
    "file_hash",
    "find_bundles",
    "input_list",
    "load_json",
    "metadata_problems",
    "package_bundle",
    "root_cause",
    "validate_metadata",
    "write_large_files_yml",
]

SCHEMA_URL = "https://github.com/Project-MONAI/MONAI-extra-test-data/releases/download/0.8.1/meta_schema_20240725.json"
"""URL of the MONAI bundle metadata schema the bundles declare (a copy is kept in ``tests/testdata``)."""

LARGE_FILE_LIMIT = 25 * 1024 * 1024
"""Files above this size (bytes) are not zipped but listed in ``large_files.yml`` (model-zoo rule)."""

DEFAULT_EXCLUDES: tuple[str, ...] = (
    "__pycache__",
    "*.pyc",
    ".ipynb_checkpoints",
    ".DS_Store",
    "eval",
    "logs",
    "runs",
    "mlruns",
    "*.zip",
)
"""fnmatch patterns (matched against every path component) of files and folders left out of a bundle zip."""

_TENSOR_KEYS = ("type", "format", "num_channels", "spatial_shape", "dtype", "value_range")
_HASH_TYPES = ("md5", "sha1", "sha256", "sha512")


class PackagedBundle(NamedTuple):
    """Result of :func:`package_bundle`: the zip written and the entries listed in its ``large_files.yml``."""

    zip_path: Path
    large_files: list[dict[str, str]]


def find_bundles(root: str | os.PathLike) -> list[Path]:
    """Return the bundle folders directly under ``root`` (folders holding a ``configs`` folder), sorted by name.

    Raises:
        ValueError: if ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"find_bundles: {root} is not a folder.")
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "configs").is_dir())


def load_json(path: str | os.PathLike) -> Any:
    """Read a JSON file, raising ``ValueError`` that names the file and the position of a syntax error."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: file not found.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: invalid JSON ({e.msg} at line {e.lineno}, column {e.colno}).") from e


def _tensor_problems(where: str, spec: Any) -> list[str]:
    if not isinstance(spec, dict):
        return [f"{where} must be a typed tensor description (a dict), got {type(spec).__name__}."]
    problems = [f"{where} lacks '{key}'." for key in _TENSOR_KEYS if key not in spec]
    shape = spec.get("spatial_shape")
    if isinstance(shape, list) and len(shape) == 0:
        problems.append(f"{where}#spatial_shape is empty.")
    value_range = spec.get("value_range")
    if isinstance(value_range, list) and len(value_range) not in (0, 2):
        problems.append(f"{where}#value_range must be [min, max] (or empty), got {value_range}.")
    return problems


def metadata_problems(metadata: dict, schema: dict | None = None) -> list[str]:
    """List everything wrong with a bundle's metadata, without raising.

    Checks, in order: validation against the JSON ``schema`` (MONAI's bundle metadata schema, when given; needs the
    ``jsonschema`` package), then this repository's stricter rules: ``changelog`` is present and lists ``version``,
    ``network_data_format`` has non-empty ``inputs`` and ``outputs`` with an ``image`` input and a ``pred`` output
    (the names MONAI's ``verify_net_in_out`` and MONAI Label read), each a typed tensor (type, format, num_channels,
    spatial_shape, dtype, value_range).

    Args:
        metadata: the parsed ``metadata.json``.
        schema: the parsed JSON schema, or None to skip schema validation.

    Returns:
        a list of human readable problems, empty when the metadata is valid.
    """
    if not isinstance(metadata, dict):
        return [f"metadata must be a JSON object, got {type(metadata).__name__}."]
    problems: list[str] = []
    if schema is not None:
        from jsonschema.validators import validator_for

        validator_cls = validator_for(schema)
        validator_cls.check_schema(schema)
        for error in sorted(validator_cls(schema).iter_errors(metadata), key=lambda e: list(e.absolute_path)):
            location = "/".join(str(p) for p in error.absolute_path) or "<root>"
            problems.append(f"schema: {location}: {error.message}")
    version = metadata.get("version")
    changelog = metadata.get("changelog")
    if not isinstance(changelog, dict) or not changelog:
        problems.append("'changelog' must be a non-empty object mapping versions to descriptions.")
    elif version not in changelog:
        problems.append(f"'changelog' has no entry for the current version {version!r}.")
    schema_url = metadata.get("schema")
    if isinstance(schema_url, str) and not schema_url.endswith(".json"):
        problems.append(f"'schema' must be the URL of a JSON schema file, got {schema_url!r}.")
    fmt = metadata.get("network_data_format")
    if isinstance(fmt, dict):
        for part, required in (("inputs", "image"), ("outputs", "pred")):
            entries = fmt.get(part)
            if not isinstance(entries, dict) or not entries:
                problems.append(f"network_data_format#{part} must be a non-empty object.")
                continue
            if required not in entries:
                problems.append(f"network_data_format#{part} has no '{required}' entry.")
            for name, spec in entries.items():
                problems.extend(_tensor_problems(f"network_data_format#{part}#{name}", spec))
    elif schema is None:
        problems.append("'network_data_format' is missing.")
    return problems


def validate_metadata(meta_file: str | os.PathLike, schema_file: str | os.PathLike) -> dict:
    """Validate a bundle's ``metadata.json`` offline against a local copy of the schema and the rules above.

    Args:
        meta_file: path of ``configs/metadata.json``.
        schema_file: path of the schema JSON (e.g. ``tests/testdata/meta_schema_20240725.json``).

    Returns:
        the parsed metadata.

    Raises:
        ValueError: naming ``meta_file`` and listing every problem found by :func:`metadata_problems`.
    """
    metadata = load_json(meta_file)
    schema = load_json(schema_file)
    problems = metadata_problems(metadata, schema)
    if problems:
        raise ValueError(f"{meta_file}: invalid bundle metadata:\n  - " + "\n  - ".join(problems))
    return metadata


def file_hash(path: str | os.PathLike, hash_type: str = "sha256", chunk_size: int = 1 << 20) -> str:
    """Hex digest of a file (``hash_type`` one of md5, sha1, sha256, sha512), read in chunks."""
    if hash_type not in _HASH_TYPES:
        raise ValueError(f"file_hash: hash_type must be one of {_HASH_TYPES}, got {hash_type!r}.")
    digest = hashlib.new(hash_type)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def _excluded(relative: Path, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in patterns)


def write_large_files_yml(path: str | os.PathLike, entries: Sequence[dict[str, str]]) -> Path:
    """Write a model-zoo ``large_files.yml`` listing ``entries`` (dicts with path, url, hash_val, hash_type).

    Strings are written as YAML double-quoted scalars (JSON string syntax), so no YAML library is needed to write it.
    """
    lines = ["large_files:"]
    for entry in entries:
        for i, key in enumerate(("path", "url", "hash_val", "hash_type")):
            lines.append(f"{'  - ' if i == 0 else '    '}{key}: {json.dumps(str(entry[key]))}")
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def package_bundle(
    bundle_dir: str | os.PathLike,
    output_dir: str | os.PathLike,
    *,
    max_file_size: int = LARGE_FILE_LIMIT,
    large_file_url: str | None = None,
    hash_type: str = "sha256",
    exclude: Sequence[str] = DEFAULT_EXCLUDES,
) -> PackagedBundle:
    """Zip one bundle in the model-zoo format: ``<output_dir>/<name>_v<version>.zip`` with top folder ``<name>/``.

    Files larger than ``max_file_size`` bytes are left out of the zip and listed in a ``large_files.yml`` placed at
    the top of the bundle inside the zip, with their hash. Their ``url`` is ``<large_file_url>/<name>/<path>``
    (where you will host them); without ``large_file_url`` the files are copied to
    ``<output_dir>/<name>_large_files/<path>`` and the url is that copy's ``file://`` URI, so
    ``python -m monai.bundle download_large_files`` works on this machine right away. A ``large_files.yml`` or
    ``.yaml``/``.json`` already in the bundle is replaced when large files are found, else zipped as it is.

    Args:
        bundle_dir: the bundle folder (its name is the bundle name).
        output_dir: folder for the zip (created if needed).
        max_file_size: size limit in bytes for zipped files.
        large_file_url: base URL where the large files will be hosted.
        hash_type: hash written for large files (md5, sha1, sha256, sha512).
        exclude: fnmatch patterns of file or folder names left out (caches, logs, evaluation outputs, zips).

    Returns:
        the zip path and the large-file entries.

    Raises:
        ValueError: if ``bundle_dir`` is not a bundle (no ``configs/metadata.json``) or its version is missing.
    """
    bundle_dir = Path(bundle_dir).resolve()
    meta_file = bundle_dir / "configs" / "metadata.json"
    if not meta_file.is_file():
        raise ValueError(f"package_bundle: {bundle_dir} is not a bundle folder ({meta_file} not found).")
    version = load_json(meta_file).get("version")
    if not isinstance(version, str) or not version:
        raise ValueError(f"package_bundle: {meta_file} has no 'version' string.")
    if hash_type not in _HASH_TYPES:
        raise ValueError(f"package_bundle: hash_type must be one of {_HASH_TYPES}, got {hash_type!r}.")
    name = bundle_dir.name
    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)

    files: list[Path] = []
    large: list[Path] = []
    for path in sorted(bundle_dir.rglob("*")):
        rel = path.relative_to(bundle_dir)
        if not path.is_file() or _excluded(rel, exclude):
            continue
        (large if path.stat().st_size > max_file_size else files).append(rel)

    entries: list[dict[str, str]] = []
    for rel in large:
        if large_file_url is None:
            copy = output_dir / f"{name}_large_files" / rel
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(bundle_dir / rel, copy)
            url = copy.as_uri()
        else:
            url = f"{large_file_url.rstrip('/')}/{name}/{rel.as_posix()}"
        entries.append(
            {
                "path": rel.as_posix(),
                "url": url,
                "hash_val": file_hash(bundle_dir / rel, hash_type),
                "hash_type": hash_type,
            }
        )
    if entries:
        files = [rel for rel in files if not (len(rel.parts) == 1 and rel.name.startswith("large_files"))]

    zip_path = output_dir / f"{name}_v{version}.zip"
    with atomic_output(zip_path, overwrite=True) as tmp_zip:
        with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for rel in files:
                zf.write(bundle_dir / rel, f"{name}/{rel.as_posix()}")
            if entries:
                with tempfile.TemporaryDirectory() as tmp:
                    yml = write_large_files_yml(Path(tmp) / "large_files.yml", entries)
                    zf.write(yml, f"{name}/large_files.yml")
    return PackagedBundle(zip_path, entries)


#: what a bundle's cine input may be (the error of a missing input names it)
CINE_INPUTS = "a DICOM file, a folder of DICOM instances or frames (PNG/TIFF/JPEG), a multi-page TIFF or a video"


def input_list(value: Any, option: str, *, optional: bool = False, alternative: str = "") -> list[Any] | None:
    """The inputs a bundle option gives, as a list, for the configs' data entries (``"$...input_list(@dataset_dir,
    '--dataset_dir')"``): the bundles ship without data, so a run that needs some must be told where it is.

    Args:
        value: the option's value: a path, a list of paths, or ``None``/``""``/``[]`` when unset.
        option: the option, as the user sets it (``"--dataset_dir"``), named in the error.
        optional: an unset option gives ``None`` (another source, e.g. phantoms, provides the data) instead of an
            error.
        alternative: another way to provide the data, named in the error (``"phantom_count > 0"``).

    Returns:
        ``[value]`` for a path, ``list(value)`` for a list, ``None`` when unset and ``optional``.

    Raises:
        ValueError: when unset and not ``optional``, naming ``option``.
    """
    if value is None or (isinstance(value, (str, list, tuple)) and len(value) == 0):
        if optional:
            return None
        other = f", or {alternative}" if alternative else ""
        raise ValueError(f"no input data: set {option} to {CINE_INPUTS}{other}.")
    return list(value) if isinstance(value, (list, tuple)) else [value]


def root_cause(err: BaseException) -> BaseException:
    """The error that names what went wrong, down the chain of ``err`` (``raise ... from``, or raised while handling
    another): the first one that is not a plain ``RuntimeError``, the type MONAI wraps errors in (``applying
    transform <...>``, ``Failed to instantiate component ...``, ``Failed to evaluate ...``); the last one when all
    are. A reader's ``ValueError`` naming the file is kept, not the decoder's error it was raised from."""
    chain, seen = [err], {id(err)}
    while (
        nxt := chain[-1].__cause__ or (None if chain[-1].__suppress_context__ else chain[-1].__context__)
    ) is not None:
        if id(nxt) in seen:
            break
        chain.append(nxt)
        seen.add(id(nxt))
    return next((e for e in chain if type(e) is not RuntimeError), chain[-1])


def cause_last() -> bool:
    """Make a failed ``python -m monai.bundle run`` end with its cause: the first entry of a bundle's ``"run"``
    (``"$monai_angio.bundle_utils.cause_last()"``, after ``"$import monai_angio.bundle_utils"``).

    A missing or corrupt input ends the run with ``RuntimeError: applying transform <...LoadCined object at 0x...>``
    (a bad option with ``RuntimeError: Failed to instantiate component ...``), the cause buried tens to hundreds of
    lines above. Under ``python -m monai.bundle`` this installs a :data:`sys.excepthook` that prints the traceback as
    before and then ``error: <the root error>`` (:func:`root_cause`) as the last line of stderr; the exit status
    stays 1. It covers every error after it: building the evaluator (options, devices, networks) and running it.
    Called from Python (``monai.bundle.run``, a test, MONAI Label) it does nothing: errors propagate unchanged.

    Returns:
        Whether the hook was installed (False from Python, or when it already is).
    """
    if not _bundle_command_line() or getattr(sys.excepthook, "cause_last", False):
        return False
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        previous(kind, value, tb)
        if isinstance(value, Exception):
            root = root_cause(value)
            text = " ".join(line.strip() for line in str(root).splitlines() if line.strip())
            print(f"error: {text or type(root).__name__}", file=sys.stderr, flush=True)

    hook.cause_last = True  # type: ignore[attr-defined]
    sys.excepthook = hook
    return True


def _bundle_command_line() -> bool:
    """Whether this process is ``python -m monai.bundle`` (possibly started by ``torchrun``)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return spec is not None and spec.name in ("monai.bundle", "monai.bundle.__main__")
