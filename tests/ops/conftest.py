# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the operator tests.

Triton fixes whether a kernel is compiled for the GPU or run by its CPU interpreter when the kernel is defined, i.e.
when ``monai_angio.ops._triton_kernels`` is first imported (lazily, on the first call that uses the Triton backend).
Setting ``TRITON_INTERPRET=1`` here, while pytest collects, comes before that, so the kernel/reference parity tests
run on the CPU. On a GPU machine run ``TRITON_INTERPRET=0 pytest tests/ops`` to test the compiled kernels on CUDA.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import pytest
import torch

os.environ.setdefault("TRITON_INTERPRET", "1")


@pytest.fixture
def triton_device() -> torch.device:
    """The device on which the Triton kernels can run here; skips when Triton is not installed or cannot run."""
    from monai_angio.ops._backend import triton_kernels

    kernels = triton_kernels()
    if kernels is None:
        pytest.skip("triton is not installed (pip install 'monai-angio[triton]')")
    if kernels.INTERPRET:
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    pytest.skip("the Triton kernels were built without TRITON_INTERPRET=1 and there is no CUDA device")


@pytest.fixture
def assert_parity() -> Callable[..., None]:
    """Check that ``fn(*inputs, backend)`` agrees between ``"torch"`` and ``"triton"``, values and gradients (with
    respect to the inputs flagged in ``differentiable``, all by default)."""

    def check(
        fn: Callable[..., torch.Tensor],
        inputs: Sequence[torch.Tensor],
        atol: float = 1e-10,
        rtol: float = 1e-8,
        differentiable: Sequence[bool] | None = None,
    ) -> None:
        differentiable = differentiable or [True] * len(inputs)
        results = {}
        for backend in ("torch", "triton"):
            xs = [x.detach().clone().requires_grad_(d) for x, d in zip(inputs, differentiable, strict=True)]
            out = fn(*xs, backend)
            upstream = torch.linspace(-1.0, 1.0, out.numel(), dtype=out.dtype, device=out.device).reshape(out.shape)
            upstream = upstream[..., torch.randperm(out.shape[-1], generator=torch.Generator().manual_seed(0))]
            grads = torch.autograd.grad(out, [x for x in xs if x.requires_grad], upstream)
            results[backend] = (out.detach(), grads)
        (ref, ref_grads), (got, got_grads) = results["torch"], results["triton"]
        assert got.dtype == ref.dtype and got.shape == ref.shape
        torch.testing.assert_close(got, ref, atol=atol, rtol=rtol)
        for i, (g_ref, g_got) in enumerate(zip(ref_grads, got_grads, strict=True)):
            torch.testing.assert_close(g_got, g_ref, atol=atol, rtol=rtol, msg=lambda m, i=i: f"input {i}: {m}")

    return check
