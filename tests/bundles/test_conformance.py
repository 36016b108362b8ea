# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""MONAI's own bundle checks for every bundle in ``bundles/*/`` (and two tiny generated bundles).

Per bundle: offline metadata validation against the 20240725 schema, ``verify_net_in_out``, ConfigWorkflow property
checks with one short training epoch and one inference run on generated data (the model-zoo unit-test pattern),
TorchScript (``ckpt_export``) and ONNX (``onnx_export``) parity with the eager network, and DDP training with
``torchrun --nproc_per_node=2`` on CPU (gloo). The MONAI entry points are called in-process (they are the functions
``python -m monai.bundle <command>`` runs); one test runs the command line itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from module_loader import bundle_testing
from monai.bundle import ConfigParser, ConfigWorkflow, ckpt_export, verify_metadata, verify_net_in_out
from monai.bundle.scripts import _get_fake_spatial_shape

from monai_angio.bundle_utils import SCHEMA_URL, file_hash, validate_metadata

bt = bundle_testing()
SCHEMA_FILE = bt.SCHEMA_FILE
BundleWorkspace = bt.BundleWorkspace
ensure_weights = bt.ensure_weights
require_config = bt.require_config
tiny_bundles = bt.tiny_bundles

# TorchScript and ONNX parity tolerances (max absolute difference on outputs in [0, 1] scale).
TS_ATOL = 1e-5
ONNX_ATOL = 1e-4


def _load_output(path: Path) -> np.ndarray:
    if path.suffix.lower() == ".dcm":
        from monai_angio.io import load_sequence

        frames, _ = load_sequence(path)
        return np.asarray(frames, dtype=np.float32)
    from monai.transforms import LoadImage

    return np.asarray(LoadImage(image_only=True)(str(path)), dtype=np.float32)


def _parity_shape(meta: dict) -> tuple[int, ...]:
    """(2, C, *spatial) input for export parity: the metadata's spatial shape with n grown until every side >= 32."""
    image = meta["network_data_format"]["inputs"]["image"]
    for n in range(1, 65):
        spatial = _get_fake_spatial_shape(image["spatial_shape"], p=1, n=n, any=32)
        if min(spatial) >= 32:
            break
    return (2, int(image["num_channels"]), *spatial)


def _eager_network(ws: BundleWorkspace, ckpt: Path) -> torch.nn.Module:
    parser = ConfigParser()
    parser.read_config(str(ws.configs / "inference.json"))
    parser["bundle_root"] = str(ws.root)
    net = parser.get_parsed_content("network_def")
    net.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=True))
    return net.eval()


# ------------------------------------------------------------------------------------------------------ metadata
def test_metadata_validates_offline(bundle_case, workspace, monkeypatch, tmp_path):
    require_config(bundle_case, "metadata.json")
    meta = validate_metadata(workspace.meta_file, SCHEMA_FILE)
    assert meta["schema"].endswith("/meta_schema_20240725.json"), f"schema should be {SCHEMA_URL}"
    assert meta["version"] in meta["changelog"]

    # MONAI's own check, offline: the schema is already at `filepath` (hash checked), any download attempt fails.
    import monai.apps.utils

    def _no_download(*args, **kwargs):
        raise AssertionError("verify_metadata tried to download the schema")

    monkeypatch.setattr(monai.apps.utils, "urlretrieve", _no_download)
    schema_copy = tmp_path / "schema" / "meta_schema_20240725.json"
    schema_copy.parent.mkdir()
    shutil.copyfile(SCHEMA_FILE, schema_copy)
    verify_metadata(
        meta_file=workspace.meta_file,
        filepath=str(schema_copy),
        hash_val=file_hash(SCHEMA_FILE, "md5"),
        hash_type="md5",
    )


# ------------------------------------------------------------------------------------------------------ network I/O
def test_verify_net_in_out(bundle_case, workspace):
    require_config(bundle_case, "metadata.json")
    require_config(bundle_case, "inference.json")
    verify_net_in_out(
        net_id="network_def",
        meta_file=workspace.meta_file,
        config_file=str(workspace.configs / "inference.json"),
        device="cpu",
        bundle_root=str(workspace.root),
    )


@pytest.mark.slow
def test_verify_net_in_out_command_line(tmp_path):
    """``python -m monai.bundle verify_net_in_out`` itself, on the tiny two-frame bundle (wrapper in network_def)."""
    bundle = tiny_bundles.make_tiny_bundle(tmp_path, "two_frame")
    env = BundleWorkspace(None, bundle, tmp_path).env()
    cmd = [
        sys.executable,
        "-m",
        "monai.bundle",
        "verify_net_in_out",
        "network_def",
        "--meta_file",
        str(bundle / "configs" / "metadata.json"),
        "--config_file",
        str(bundle / "configs" / "inference.json"),
        "--device",
        "cpu",
        "--n",
        "8",
    ]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "data shape of network is verified with no error" in result.stdout + result.stderr


# ------------------------------------------------------------------------------------------------------ workflows
def test_infer_workflow_writes_outputs(bundle_case, workspace):
    require_config(bundle_case, "metadata.json")
    require_config(bundle_case, "inference.json")
    ensure_weights(workspace)
    settings = bundle_case.settings
    data, out = workspace.folder("infer_data"), workspace.folder("infer_out")
    inputs = settings.make_infer_data(data)
    workflow = ConfigWorkflow(
        workflow_type="infer",
        config_file=str(workspace.configs / "inference.json"),
        meta_file=workspace.meta_file,
        logging_file=workspace.logging_file,
        **workspace.overrides("infer", data, out),
    )
    workflow.initialize()
    assert workflow.check_properties() == [], "missing or misnamed inference properties"
    workflow.run()
    workflow.finalize()

    outputs = sorted(p for p in out.glob(settings.output_glob) if p.is_file())
    assert outputs, f"inference wrote nothing into {out}"
    for path in outputs:
        array = _load_output(path)
        assert np.isfinite(array).all(), path
        assert array.max() > array.min(), f"{path} is constant"

    if bundle_case.tiny_kind is not None:
        # exact content: the saved prediction is the network applied to the scaled input
        assert len(outputs) == len(inputs)
        for src, dst in zip(inputs, outputs, strict=True):
            expected = bt.expected_prediction(workspace.root, src)
            np.testing.assert_allclose(np.squeeze(_load_output(dst)), expected, atol=1e-5)


def test_train_workflow_one_epoch(bundle_case, workspace):
    require_config(bundle_case, "train.json", skip=True)
    require_config(bundle_case, "metadata.json")
    settings = bundle_case.settings
    data, out = workspace.folder("train_data"), workspace.folder("train_out")
    if settings.make_train_data is not None:
        settings.make_train_data(data)
    (workspace.root / "models" / "model.pt").unlink(missing_ok=True)
    workflow = ConfigWorkflow(
        workflow_type="train",
        config_file=str(workspace.configs / "train.json"),
        meta_file=workspace.meta_file,
        logging_file=workspace.logging_file,
        **workspace.overrides("train", data, out),
    )
    workflow.initialize()
    assert workflow.check_properties() == [], "missing or misnamed training properties"
    network = workflow.parser.get_parsed_content("network")
    before = [p.detach().clone() for p in network.parameters()]
    workflow.run()
    workflow.finalize()

    trainer = workflow.trainer
    assert trainer.state.epoch == 1
    assert trainer.state.iteration >= 1
    loss = trainer.state.output[0]["loss"] if isinstance(trainer.state.output, list) else trainer.state.output["loss"]
    assert torch.isfinite(torch.as_tensor(loss)).all()
    assert any(not torch.equal(a, b.detach()) for a, b in zip(before, network.parameters(), strict=True)), (
        "no weight changed in one epoch"
    )
    assert list((workspace.root / "models").glob("*.pt")), "training saved no checkpoint in models/"


# ------------------------------------------------------------------------------------------------------ export
def test_ckpt_export_torchscript_matches_eager(bundle_case, workspace, tmp_path):
    require_config(bundle_case, "metadata.json")
    require_config(bundle_case, "inference.json")
    ckpt = ensure_weights(workspace)
    meta = json.loads(Path(workspace.meta_file).read_text())
    shape = _parity_shape(meta)
    ts_file = tmp_path / "export" / "model.ts"
    ts_file.parent.mkdir()
    ckpt_export(
        net_id="network_def",
        filepath=str(ts_file),
        ckpt_file=str(ckpt),
        meta_file=workspace.meta_file,
        config_file=str(workspace.configs / "inference.json"),
        use_trace=bundle_case.settings.ts_use_trace,
        input_shape=list(shape) if bundle_case.settings.ts_use_trace else None,
        bundle_root=str(workspace.root),
    )
    from monai.data import load_net_with_metadata

    scripted, ts_meta, extra = load_net_with_metadata(str(ts_file), more_extra_files=("inference.json",))
    assert ts_meta["version"] == meta["version"]
    assert (
        json.loads(extra["inference.json"])["network_def"]
        == json.loads((workspace.configs / "inference.json").read_text())["network_def"]
    )

    eager = _eager_network(workspace, ckpt)
    torch.manual_seed(0)
    x = torch.rand(shape)
    with torch.no_grad():
        expected, got = eager(x), scripted(x)
    assert got.shape == expected.shape
    diff = (got - expected).abs().max().item()
    print(f"{bundle_case.name}: TorchScript max |diff| = {diff:.3g} on input {tuple(shape)}")
    assert diff <= TS_ATOL
    if bundle_case.settings.ts_use_trace and len(shape) == 4:
        # a traced model must not be tied to the traced size: another size, with sides off any stride
        other = (1, shape[1], shape[2] + 13, shape[3] + 6)
        x = torch.rand(other)
        with torch.no_grad():
            expected, got = eager(x), scripted(x)
        assert got.shape == expected.shape
        assert (got - expected).abs().max().item() <= TS_ATOL, f"traced model differs at size {other}"


def test_onnx_export_matches_eager(bundle_case, workspace, tmp_path):
    pytest.importorskip("onnx", reason="onnx not installed (pip install onnx onnxruntime onnxscript)")
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime not installed")
    require_config(bundle_case, "metadata.json")
    require_config(bundle_case, "inference.json")
    settings = bundle_case.settings
    if settings.onnx_xfail:
        pytest.xfail(settings.onnx_xfail)
    from monai.bundle import onnx_export

    ckpt = ensure_weights(workspace)
    meta = json.loads(Path(workspace.meta_file).read_text())
    shape = _parity_shape(meta)
    onnx_file = tmp_path / "export" / "model.onnx"
    onnx_file.parent.mkdir()
    onnx_export(
        net_id="network_def",
        filepath=str(onnx_file),
        ckpt_file=str(ckpt),
        meta_file=workspace.meta_file,
        config_file=str(workspace.configs / "inference.json"),
        use_trace=settings.onnx_use_trace,
        input_shape=list(shape),
        converter_kwargs=dict(settings.onnx_kwargs),
        bundle_root=str(workspace.root),
    )
    eager = _eager_network(workspace, ckpt)
    torch.manual_seed(0)
    x = torch.rand(shape)
    with torch.no_grad():
        expected = eager(x).numpy()
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    assert got.shape == expected.shape
    diff = float(np.abs(got - expected).max())
    print(f"{bundle_case.name}: ONNX Runtime max |diff| = {diff:.3g} on input {tuple(shape)}")
    assert diff <= ONNX_ATOL


# ------------------------------------------------------------------------------------------------------ distributed
@pytest.mark.parametrize("local_rank", ["0", "3"])
def test_multi_gpu_device_is_the_local_rank(ddp_case, ddp_workspace, monkeypatch, local_rank):
    """Each process takes the GPU of its local rank (multi-node safe), and the CPU when there is no GPU."""
    require_config(ddp_case, "multi_gpu_train.json")
    ws = ddp_workspace
    monkeypatch.setenv("LOCAL_RANK", local_rank)
    monkeypatch.setenv("RANK", "11")  # a global rank on a second node: must not pick the GPU
    for cuda, expected in ((True, f"cuda:{local_rank}"), (False, "cpu")):
        monkeypatch.setattr(torch.cuda, "is_available", lambda cuda=cuda: cuda)
        parser = ConfigParser()
        parser.read_config([str(ws.configs / "train.json"), str(ws.configs / "multi_gpu_train.json")])
        assert parser.get_parsed_content("device") == torch.device(expected)


@pytest.mark.slow
def test_multi_gpu_train_torchrun_gloo(ddp_case, ddp_workspace):
    """``torchrun --nproc_per_node=2`` runs train.json + multi_gpu_train.json for one epoch on CPU (gloo)."""
    require_config(ddp_case, "train.json", skip=True)
    require_config(ddp_case, "multi_gpu_train.json")
    require_config(ddp_case, "metadata.json")
    ws = ddp_workspace
    settings = ddp_case.settings
    data, out, logs = ws.folder("train_data"), ws.folder("train_out"), ws.folder("torchrun_logs")
    if settings.make_train_data is not None:
        settings.make_train_data(data)
    configs = [str(ws.configs / "train.json"), str(ws.configs / "multi_gpu_train.json")]
    override_file = ws.tmp / "test_overrides.json"
    override_file.write_text(json.dumps(ws.overrides("train", data, out, configs), indent=2))
    configs.append(str(override_file))
    (ws.root / "models" / "model.pt").unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nnodes=1",
        "--nproc_per_node=2",
        "--log-dir",
        str(logs),
        "--redirects",
        "3",
        "-m",
        "monai.bundle",
        "run",
        "--config_file",
        json.dumps(configs),
        "--meta_file",
        ws.meta_file,
        "--logging_file",
        ws.logging_file,
    ]
    result = subprocess.run(cmd, env=ws.env(), capture_output=True, text=True, timeout=900, cwd=ws.tmp)
    rank_logs = {r: sorted(logs.glob(f"**/attempt_0/{r}/stdout.log")) for r in (0, 1)}
    text = {r: "".join(p.read_text() for p in paths) for r, paths in rank_logs.items()}
    detail = (
        f"\n--- torchrun ---\n{result.stderr[-3000:]}"
        f"\n--- rank 0 ---\n{text[0][-3000:]}\n--- rank 1 ---\n{text[1][-3000:]}"
    )
    assert result.returncode == 0, detail
    assert rank_logs[0] and rank_logs[1], f"no per-rank logs in {logs}" + detail
    assert list((ws.root / "models").glob("*.pt")), "rank 0 saved no checkpoint" + detail
    # rank-0-only handlers: the StatsHandler epoch summary appears in rank 0's log only
    assert "Epoch[1] Metrics --" in text[0], detail
    assert "Epoch[1] Metrics --" not in text[1], "rank 1 runs rank-0-only handlers" + detail
    if ddp_case.tiny_kind is not None:
        # DistributedSampler: 4 training images, batch 2, 2 ranks -> one iteration per rank (two on one process)
        assert "Iter: 1/1 --" in text[0], detail


def test_multi_gpu_teardown_is_shared_and_spares_rank0(monkeypatch):
    """Both shipped bundles end DDP alike: barrier, destroy, then only ranks > 0 leave early with ``os._exit``."""
    repo = Path(__file__).resolve().parents[2]
    finals = [
        json.loads((repo / "bundles" / b / "configs" / "multi_gpu_train.json").read_text())["finalize"]
        for b in ("cerebral_dsa_deblurring", "cerebral_dsa_interpolation")
    ]
    assert finals[0] == finals[1]
    assert finals[0][0].endswith("dist.barrier()") and "destroy_process_group" in finals[0][1]
    assert "os._exit(0)" in finals[0][-1]
    # evaluated on rank 0 (and in a plain single process) the exit step is a no-op: this test process goes on
    for rank in ("0", None):
        if rank is None:
            monkeypatch.delenv("RANK", raising=False)
        else:
            monkeypatch.setenv("RANK", rank)
        parser = ConfigParser({"finalize": finals[0][2:]})
        assert parser.get_parsed_content("finalize")[-1] is False
