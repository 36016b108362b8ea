# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""MONAI Label serving our bundles: a real server (the ``monaibundle`` sample app) on loopback, and the Python task API.

Needs ``monailabel`` (0.8.5, which pulls torchvision), so it is skipped where that is not installed. The released
monailabel 0.8.5 cannot start its server beside pydicom 3 (which this project requires): ``monailabel.app`` imports
``pydicom_seg`` 0.4.1, which imports ``pydicom._storage_sopclass_uids``, a module pydicom 3.0 removed. The server test
therefore starts it with a ``sitecustomize`` that aliases that module to ``pydicom.uid`` (where pydicom 3 keeps the
same UIDs); the Python task API (``BundleInferTask``) needs no such shim and is tested directly as well.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import numpy as np
import pytest
from module_loader import bundle_testing

pytest.importorskip("torchvision", reason="monailabel needs torchvision")
pytest.importorskip("monailabel", reason="monailabel not installed")
from monailabel.tasks.infer.bundle import BundleInferTask  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 600


bt = bundle_testing()
REAL = [c for c in bt.all_cases(tiny=()) if c.name in ("cerebral_dsa_deblurring", "cerebral_dsa_interpolation")]

_SHIM = '''"""Let monailabel 0.8.5 (pydicom-seg 0.4.1) import beside pydicom 3: alias the module pydicom 3 removed."""
import sys

import pydicom.uid

sys.modules.setdefault("pydicom._storage_sopclass_uids", pydicom.uid)
'''


# --------------------------------------------------------------------------------------------------- helpers
def sample_app_dir() -> Path:
    """The installed ``monaibundle`` sample app (where ``monailabel apps --download`` copies it from)."""
    import monailabel

    candidates = [
        Path(monailabel.__file__).resolve().parents[1] / "sample-apps",
        Path(sys.prefix) / "monailabel" / "sample-apps",
        Path(sys.prefix) / "local" / "monailabel" / "sample-apps",
        Path.home() / ".local" / "monailabel" / "sample-apps",
    ]
    for folder in candidates:
        if (folder / "monaibundle" / "main.py").is_file():
            return folder / "monaibundle"
    pytest.skip(f"monaibundle sample app not found in {candidates}")


def _two_frame_input(path: Path, size: int = 32) -> Path:
    images = bt.tiny_bundles.make_dataset(path.parent / "pairs", "two_frame", count=1, size=size, seed=3)
    shutil.copyfile(images[0], path)
    return path


def _image_input(path: Path, size: int = 32) -> Path:
    images = bt.tiny_bundles.make_dataset(path.parent / "images", "image", count=1, size=size, seed=4)
    shutil.copyfile(images[0], path)
    return path


def _read_nifti(path: Path) -> np.ndarray:
    import nibabel as nib

    return np.squeeze(np.asarray(nib.load(str(path)).get_fdata(), dtype=np.float32))


def _check_content(result: np.ndarray, expected: np.ndarray) -> None:
    assert result.shape == expected.shape, (result.shape, expected.shape)
    assert np.isfinite(result).all()
    assert result.max() > result.min()
    np.testing.assert_allclose(result, expected, atol=1e-4)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabelServer:
    """A ``monailabel start_server`` subprocess on 127.0.0.1 serving the bundles in ``app/model``."""

    def __init__(self, tmp: Path, bundles: dict[str, Path], studies: dict[str, Path], module_dirs=()) -> None:
        self.app = tmp / "app"
        shutil.copytree(sample_app_dir(), self.app, ignore=shutil.ignore_patterns("__pycache__", "model", "logs"))
        (self.app / "model").mkdir()
        for name, folder in bundles.items():
            (self.app / "model" / name).symlink_to(folder, target_is_directory=True)
        self.studies = tmp / "studies"
        self.studies.mkdir()
        for name, path in studies.items():
            shutil.copyfile(path, self.studies / f"{name}{''.join(path.suffixes)}")
        shim = tmp / "shim"
        shim.mkdir()
        (shim / "sitecustomize.py").write_text(_SHIM)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(shim), *map(str, module_dirs), env.get("PYTHONPATH", "")])
        env.update(
            {
                "MONAI_LABEL_SESSION_PATH": str(tmp / "sessions"),
                "MONAI_LABEL_DATASTORE_AUTO_RELOAD": "false",
                "MONAI_LABEL_TRACKING_ENABLED": "false",
                "OMP_NUM_THREADS": "1",
            }
        )
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "server.log"
        cmd = [sys.executable, "-m", "monailabel.main", "start_server", "--app", str(self.app)]
        cmd += ["--studies", str(self.studies), "--host", "127.0.0.1", "--port", str(self.port)]
        for key, value in (("models", ",".join(bundles)), ("zoo_source", "local"), ("sam2", "false")):
            cmd += ["--conf", key, value]
        cmd += ["--conf", "skip_trainers", "true"]
        self._log_handle = open(self.log, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log_handle, stderr=subprocess.STDOUT, cwd=tmp)

    def wait(self) -> dict:
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"MONAI Label server exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/info/", timeout=10) as response:
                    return json.loads(response.read())
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(2)
        raise AssertionError(f"MONAI Label server not up after {TIMEOUT_S} s:\n{self.tail()}")

    def infer(self, model: str, image_id: str, out: Path) -> Path:
        boundary = uuid.uuid4().hex
        params = json.dumps({"device": "cpu", "result_extension": ".nii.gz", "result_dtype": "float32"})
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="params"\r\n\r\n{params}\r\n--{boundary}--\r\n'
        ).encode()
        request = urllib.request.Request(
            f"{self.url}/infer/{model}?image={image_id}&output=image",
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                assert response.status == 200
                out.write_bytes(response.read())
        except urllib.error.HTTPError as e:
            raise AssertionError(f"infer {model} failed: {e.code} {e.read()[:2000]!r}\n{self.tail()}") from e
        return out

    def tail(self, n: int = 6000) -> str:
        self._log_handle.flush()
        return self.log.read_text()[-n:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._log_handle.close()


# --------------------------------------------------------------------------------------------------- tests
@pytest.mark.slow
def test_pydicom3_breaks_released_monailabel_server_import():
    """Documents the failure the shim works around (fails once monailabel/pydicom-seg fix it: drop the shim then)."""
    import pydicom

    if int(pydicom.__version__.split(".")[0]) < 3:
        pytest.skip("pydicom < 3")
    code = "import monailabel.app"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode != 0
    assert "pydicom._storage_sopclass_uids" in result.stderr


@pytest.mark.slow
def test_server_serves_tiny_bundles(tmp_path):
    image_bundle = bt.tiny_bundles.make_tiny_bundle(tmp_path / "bundles", "image")
    pair_bundle = bt.tiny_bundles.make_tiny_bundle(tmp_path / "bundles", "two_frame")
    single = _image_input(tmp_path / "inputs" / "single.nii.gz")
    pair = _two_frame_input(tmp_path / "inputs" / "pair.tif")
    server = LabelServer(
        tmp_path / "label",
        {"tiny_image": image_bundle, "tiny_two_frame": pair_bundle},
        {"single": single, "pair": pair},
        module_dirs=[tmp_path / "bundles" / "modules"],
    )
    try:
        info = server.wait()
        assert {"tiny_image", "tiny_two_frame"} <= set(info["models"])
        assert info["datastore"]["total"] == 2
        for model, image_id, source, bundle in (
            ("tiny_image", "single", single, image_bundle),
            ("tiny_two_frame", "pair", pair, pair_bundle),
        ):
            result = server.infer(model, image_id, tmp_path / f"{model}_result.nii.gz")
            _check_content(_read_nifti(result), bt.expected_prediction(bundle, source))
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("case", REAL, ids=[c.name for c in REAL])
def test_server_serves_real_bundle(case, tmp_path, monkeypatch):
    bt.require_config(case, "metadata.json")
    bt.require_config(case, "inference.json")
    ws = bt.make_workspace(case, tmp_path / "ws", monkeypatch)
    bt.ensure_weights(ws)
    source = case.settings.make_label_input(tmp_path / "inputs")
    server = LabelServer(tmp_path / "label", {case.name: ws.root}, {"case1": source})
    try:
        info = server.wait()
        assert case.name in info["models"]
        result = server.infer(case.name, "case1", tmp_path / "result.nii.gz")
        _check_content(_read_nifti(result), bt.expected_prediction(ws.root, source))
    finally:
        server.stop()


API_CASES = [c for c in bt.all_cases() if c.tiny_kind is not None] + REAL


@pytest.mark.parametrize("case", API_CASES, ids=[c.name for c in API_CASES])
def test_python_task_api(case, tmp_path, monkeypatch):
    """MONAI Label's BundleInferTask (what the server runs per request), in-process."""
    if case.tiny_kind is not None:
        bundle = bt.tiny_bundles.make_tiny_bundle(tmp_path / "bundles", case.tiny_kind)
        monkeypatch.syspath_prepend(str(tmp_path / "bundles" / "modules"))
        if case.tiny_kind == "two_frame":
            source = _two_frame_input(tmp_path / "in" / "x.tif")
        else:
            source = _image_input(tmp_path / "in" / "x.nii.gz")
    else:
        bt.require_config(case, "metadata.json")
        bt.require_config(case, "inference.json")
        ws = bt.make_workspace(case, tmp_path / "ws", monkeypatch)
        bt.ensure_weights(ws)
        bundle = ws.root
        source = case.settings.make_label_input(tmp_path / "in")
    task = BundleInferTask(str(bundle), {"preload": "false"})
    assert task.is_valid()
    result_file, result_json = task(
        {"image": str(source), "device": "cpu", "result_extension": ".nii.gz", "result_dtype": "float32"}
    )
    assert isinstance(result_json, dict)
    _check_content(_read_nifti(Path(result_file)), bt.expected_prediction(bundle, source))
