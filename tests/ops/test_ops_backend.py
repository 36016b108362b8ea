# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Backend selection of the operators (monai_angio/ops/_backend.py)."""

from __future__ import annotations

import sys
import types

import pytest
import torch

from monai_angio.ops import _backend, adaptive_warp, correlation, depth_aware_flow_projection, forward_splat
from monai_angio.ops._backend import resolve_backend


def _calls() -> list:
    x = torch.rand(1, 2, 4, 4)
    flow = torch.rand(1, 2, 4, 4)
    return [
        lambda be: forward_splat(x, flow, backend=be),
        lambda be: depth_aware_flow_projection(flow, torch.ones(1, 1, 4, 4), 0.5, backend=be),
        lambda be: adaptive_warp(x, flow, torch.ones(1, 16, 4, 4), backend=be),
        lambda be: correlation(x, x, 1, backend=be),
    ]


def test_auto_uses_the_reference_on_cpu() -> None:
    x = torch.zeros(1)
    assert resolve_backend("auto", (x,), "op") == "torch"
    assert resolve_backend("torch", (x,), "op") == "torch"
    with pytest.raises(ValueError, match="op: backend must be one of"):
        resolve_backend("cuda", (x,), "op")


def test_without_triton(monkeypatch: pytest.MonkeyPatch) -> None:
    # make ``import triton`` fail, as when the optional dependency is not installed
    monkeypatch.setitem(sys.modules, "triton", None)
    monkeypatch.delitem(sys.modules, "monai_angio.ops._triton_kernels", raising=False)
    monkeypatch.setattr(_backend, "_state", {"module": None, "error": None})
    assert not _backend.triton_available()
    for call in _calls():
        assert torch.isfinite(call("auto")).all()
        torch.testing.assert_close(call("auto"), call("torch"))
        with pytest.raises(RuntimeError, match=r"needs the optional dependency triton .*monai-angio\[triton\]"):
            call("triton")


def test_triton_on_cpu_needs_the_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = types.SimpleNamespace(INTERPRET=False)
    monkeypatch.setattr(_backend, "_state", {"module": compiled, "error": None})
    for call in _calls():
        with pytest.raises(RuntimeError, match="TRITON_INTERPRET=1"):
            call("triton")
