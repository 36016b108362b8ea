# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Helpers for the bundle conformance tests: every bundle in ``bundles/*/`` plus tiny generated bundles.

Each real bundle is tested on a copy in ``tmp_path`` (nothing is written into the repository) with config overrides
that make it run tiny on CPU. The overrides live in :data:`BUNDLE_SETTINGS`; a bundle without an entry is run with
:data:`DEFAULT_SETTINGS`, the conventional keys every bundle of this repository is expected to honour:

- train: ``epochs``, ``epoch_length``, ``batch_size``, ``num_workers``, ``dataset_dir``;
- inference: ``dataset_dir`` (input files), ``output_dir`` (where outputs are written).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from module_loader import load_module

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLES_DIR = Path(
    os.environ.get("MONAI_ANGIO_BUNDLES_DIR", REPO_ROOT / "bundles")
)  # override to test bundles elsewhere
SCHEMA_FILE = REPO_ROOT / "tests" / "testdata" / "meta_schema_20240725.json"


tiny_bundles = load_module("monai_angio_tests_tiny_bundles", Path(__file__).with_name("tiny_bundles.py"))


# ----------------------------------------------------------------------------------------------- generated inputs
def write_phantom_pngs(folder: Path, count: int = 2, size: int = 32, seed: int = 0) -> list[Path]:
    """Write ``count`` 16-bit PNG frames (12 bits stored) of a tiny DSA phantom into ``folder``."""
    from monai_angio.io import write_frames
    from monai_angio.phantoms import AngiographyPhantom

    frames, _ = AngiographyPhantom(size=size, num_frames=count, seed=seed).generate()
    return write_frames(folder, frames, 12)


def write_phantom_png(folder: Path, size: int = 32, seed: int = 0) -> Path:
    """Write one 16-bit PNG frame (12 bits stored) of a tiny DSA phantom as ``folder/frame.png``."""
    (path,) = write_phantom_pngs(folder / "frames", count=1, size=size, seed=seed)
    return path.replace(folder / "frame.png")


def write_phantom_pair_tiff(folder: Path, size: int = 64, seed: int = 0) -> Path:
    """Write two consecutive frames of a tiny DSA phantom as a 2-page 16-bit TIFF ``folder/pair.tif``."""
    import tifffile

    from monai_angio.phantoms import AngiographyPhantom

    frames, _ = AngiographyPhantom(size=size, num_frames=2, seed=seed).generate()
    folder.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(folder / "pair.tif", np.asarray(frames, dtype=np.uint16))
    return folder / "pair.tif"


def write_phantom_dicom(folder: Path, frames: int = 4, size: int = 32, seed: int = 0) -> list[Path]:
    """Write a tiny multi-frame DSA phantom cine ``cine.dcm`` into ``folder``."""
    from monai_angio.io import write_dicom_cine
    from monai_angio.phantoms import AngiographyPhantom

    data, meta = AngiographyPhantom(size=size, num_frames=frames, seed=seed).generate()
    folder.mkdir(parents=True, exist_ok=True)
    return [write_dicom_cine(folder / "cine.dcm", data, frame_time_ms=meta.get("frame_time_ms"), bits_stored=12)]


# ----------------------------------------------------------------------------------------------- per-bundle settings
@dataclass
class BundleSettings:
    """How to run one bundle tiny. Strings ``{data}`` and ``{out}`` in override values are replaced by folders."""

    train: dict[str, Any] = field(default_factory=dict)
    infer: dict[str, Any] = field(default_factory=dict)
    make_train_data: Callable[[Path], Any] | None = None
    make_infer_data: Callable[[Path], list[Path]] | None = None
    make_label_input: Callable[[Path], Path] = write_phantom_png
    output_glob: str = "**/*"
    ts_use_trace: bool = False
    onnx_use_trace: bool = True
    onnx_kwargs: dict[str, Any] = field(default_factory=dict)
    onnx_xfail: str | None = None


DEFAULT_SETTINGS = BundleSettings(
    train={"epochs": 1, "epoch_length": 2, "batch_size": 2, "num_workers": 0, "dataset_dir": "{data}"},
    infer={"dataset_dir": "{data}", "output_dir": "{out}"},
    make_train_data=None,
    make_infer_data=write_phantom_pngs,
)

BUNDLE_SETTINGS: dict[str, BundleSettings] = {
    "cerebral_dsa_deblurring": BundleSettings(
        train={
            "epochs": 1,
            "epoch_length": 2,
            "batch_size": 2,
            "num_workers": 0,
            "dataset_dir": None,
            "data_dir": None,
            "phantom_count": 2,
            "phantom_size": 32,
            "val_phantom_count": 1,
            "val_roi_size": 32,
            "patch_size": 16,
            "patch_stride": 16,
            "num_threads": 1,
        },
        infer={"dataset_dir": "{data}", "input_path": "{data}", "output_dir": "{out}", "tile_size": 64},
        make_infer_data=write_phantom_pngs,
        output_glob="**/*.png",  # the frames; frame_labels.csv beside them
        ts_use_trace=True,  # RDNDeblur does not script (tuple(x.shape) in a message); its trace is exact at any size
    ),
    "cerebral_dsa_interpolation": BundleSettings(
        train={
            "epochs": 1,
            "epoch_length": 2,
            "batch_size": 2,
            "num_workers": 0,
            "num_threads": 1,
            "train_cines": [],
            "most_dsa_root": None,
            "phantom_count": 2,
            "phantom_size": 64,
            "phantom_frames": 8,
            "val_phantom_count": 1,
            "val_phantom_size": 64,
            "val_phantom_frames": 6,
            "crop_size": 32,
            "motion_margin": 4,
            "max_translation": 2.0,
            "warmup_steps": 1,
        },
        infer={"dataset_dir": "{data}", "input_path": "{data}", "output_dir": "{out}", "num_threads": 1},
        make_infer_data=lambda d: write_phantom_pngs(d, count=3, size=64),
        make_label_input=write_phantom_pair_tiff,
        output_glob="**/*.png",
        ts_use_trace=True,  # MoStDSA does not script (Sequence annotations); its trace is exact at any size
        onnx_kwargs={"dynamo": False},  # torch.export fails (data-dependent guard); the TorchScript exporter works
    ),
}


# ----------------------------------------------------------------------------------------------- cases
@dataclass
class BundleCase:
    """A bundle under test: a real one from ``bundles/`` or a tiny generated one."""

    name: str
    source: Path | None = None
    tiny_kind: str | None = None

    @property
    def settings(self) -> BundleSettings:
        if self.tiny_kind is not None:
            return BundleSettings(
                train={"epochs": 1, "dataset_dir": "{data}"},
                infer={"dataset_dir": "{data}", "output_dir": "{out}"},
                make_train_data=lambda d: tiny_bundles.make_dataset(d, self.tiny_kind),
                make_infer_data=lambda d: tiny_bundles.make_dataset(d, self.tiny_kind, count=2),
                output_glob="*_pred.nii.gz",
            )
        return BUNDLE_SETTINGS.get(self.name, DEFAULT_SETTINGS)

    def config(self, name: str) -> Path | None:
        """Path of ``configs/<name>`` in the source bundle (None for a tiny bundle: always present)."""
        return None if self.source is None else self.source / "configs" / name


def real_bundles() -> list[Path]:
    """The bundle folders in ``bundles/`` (folders with a ``configs`` folder)."""
    from monai_angio.bundle_utils import find_bundles

    return find_bundles(BUNDLES_DIR) if BUNDLES_DIR.is_dir() else []


def all_cases(tiny: tuple[str, ...] = tiny_bundles.TINY_KINDS) -> list[BundleCase]:
    cases = [BundleCase(f"tiny_{k}", tiny_kind=k) for k in tiny]
    return cases + [BundleCase(p.name, source=p) for p in real_bundles()]


def require_config(case: BundleCase, name: str, *, skip: bool = False) -> None:
    """xfail (or skip) a test while a real bundle's ``configs/<name>`` does not exist yet."""
    path = case.config(name)
    if path is not None and not path.is_file():
        reason = f"{case.name}: configs/{name} does not exist yet"
        pytest.skip(reason) if skip else pytest.xfail(reason)


@dataclass
class BundleWorkspace:
    """A working copy of a bundle in ``tmp_path`` with folders for generated data and outputs."""

    case: BundleCase
    root: Path
    tmp: Path
    weights_generated: bool = False

    @property
    def configs(self) -> Path:
        return self.root / "configs"

    @property
    def meta_file(self) -> str:
        return str(self.configs / "metadata.json")

    @property
    def logging_file(self) -> str:
        return str(self.configs / "logging.conf")

    def folder(self, name: str) -> Path:
        path = self.tmp / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def overrides(self, which: str, data: Path, out: Path, configs: list[str] | None = None) -> dict[str, Any]:
        """The ``which`` ("train" or "infer") overrides with folders filled in.

        Only ids that exist in ``configs`` (default: the config of ``which``) are kept, so an override never adds a
        property the bundle lacks (the property checks would not see it missing).
        """
        from monai.bundle import ConfigParser

        if configs is None:
            configs = [str(self.configs / ("train.json" if which == "train" else "inference.json"))]
        parser = ConfigParser()
        parser.read_config(configs)
        raw = getattr(self.case.settings, which)
        resolved: dict[str, Any] = {"bundle_root": str(self.root)}
        for key, value in raw.items():
            if key not in parser:
                continue
            if isinstance(value, str):
                value = value.replace("{data}", str(data)).replace("{out}", str(out))
            resolved[key] = value
        return resolved

    def env(self) -> dict[str, str]:
        """Environment for subprocesses: the tiny module folder on PYTHONPATH, one thread per process."""
        env = dict(os.environ)
        paths = [str(self.tmp / "modules"), str(REPO_ROOT)]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env.setdefault("OMP_NUM_THREADS", "1")
        return env


def ensure_weights(workspace: BundleWorkspace) -> Path:
    """Return ``models/model.pt`` of the working copy, writing randomly initialised weights if the bundle has none."""
    from monai.bundle import ConfigParser

    model = workspace.root / "models" / "model.pt"
    if not model.is_file():
        parser = ConfigParser()
        parser.read_config(str(workspace.configs / "inference.json"))
        parser["bundle_root"] = str(workspace.root)
        torch.manual_seed(0)
        net = parser.get_parsed_content("network_def")
        model.parent.mkdir(parents=True, exist_ok=True)
        torch.save(net.state_dict(), model)
        workspace.weights_generated = True
    return model


def make_workspace(case: BundleCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BundleWorkspace:
    if case.tiny_kind is not None:
        root = tiny_bundles.make_tiny_bundle(tmp_path, case.tiny_kind, name=case.name)
        monkeypatch.syspath_prepend(str(tmp_path / "modules"))
    else:
        root = tmp_path / case.name
        shutil.copytree(
            case.source, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "eval", "logs", "runs", "*.zip")
        )
    return BundleWorkspace(case, root, tmp_path)


def expected_prediction(bundle: Path, image: Path) -> np.ndarray:
    """The bundle's own preprocessing, inferer and network (weights from models/model.pt) applied to ``image``.

    Returns the prediction of the first batch item without its channel dimension when that is 1, as a numpy array.
    """
    from monai.bundle import ConfigParser

    parser = ConfigParser()
    parser.read_config(str(bundle / "configs" / "inference.json"))
    parser["bundle_root"] = str(bundle)
    parser["device"] = "$torch.device('cpu')"
    net = parser.get_parsed_content("network_def")
    net.load_state_dict(torch.load(bundle / "models" / "model.pt", map_location="cpu", weights_only=True))
    net.eval()
    data = parser.get_parsed_content("preprocessing")({"image": str(image)})
    inferer = parser.get_parsed_content("inferer")
    with torch.no_grad():
        pred = inferer(torch.as_tensor(data["image"])[None].float(), net)
    return np.squeeze(np.asarray(pred[0]))
