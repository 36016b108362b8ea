# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Choice between the PyTorch reference and the Triton kernels of the warping operators.

Triton is an optional dependency (``pip install monai-angio[triton]``). It is imported lazily, the first time a
kernel is wanted, so that the package imports and runs without it. Triton decides whether a kernel is compiled for
the GPU or run by its CPU interpreter when the kernel is defined, that is when :mod:`monai_angio.ops._triton_kernels`
is first imported: set ``TRITON_INTERPRET=1`` before the first call that uses the Triton backend to run the kernels
on CPU tensors (slow; meant for tests).
"""

from __future__ import annotations

import importlib
from types import ModuleType

import torch

__all__ = ["BACKENDS", "resolve_backend", "triton_kernels", "triton_available"]

BACKENDS = ("auto", "torch", "triton")

_state: dict[str, object] = {"module": None, "error": None}


def triton_kernels() -> ModuleType | None:
    """Return the module of Triton kernels, importing it on first use; ``None`` when Triton cannot be imported."""
    if _state["module"] is None and _state["error"] is None:
        try:
            _state["module"] = importlib.import_module("monai_angio.ops._triton_kernels")
        except Exception as e:  # ImportError, or a Triton install that fails to initialise
            _state["error"] = f"{type(e).__name__}: {e}"
    return _state["module"]  # type: ignore[return-value]


def triton_available() -> bool:
    """Whether the Triton kernels can be used (Triton installed and importable)."""
    return triton_kernels() is not None


def resolve_backend(backend: str, tensors: tuple[torch.Tensor, ...], name: str) -> str:
    """Resolve ``backend`` (``"auto"``, ``"torch"`` or ``"triton"``) to ``"torch"`` or ``"triton"`` for ``tensors``.

    ``"auto"`` picks Triton when every tensor is on a CUDA device and Triton is importable, the PyTorch reference
    otherwise. ``"triton"`` forces the kernels: CPU tensors then need Triton's interpreter (``TRITON_INTERPRET=1``).

    Raises:
        ValueError: if ``backend`` is not one of :data:`BACKENDS`.
        RuntimeError: if ``"triton"`` is forced but Triton is missing, or the tensors are on the CPU and the kernels
            were not built for the interpreter.
    """
    if backend not in BACKENDS:
        raise ValueError(f"{name}: backend must be one of {BACKENDS}, got {backend!r}.")
    if backend == "torch":
        return "torch"
    on_cuda = all(t.is_cuda for t in tensors)
    if backend == "auto":
        return "triton" if on_cuda and triton_kernels() is not None else "torch"
    kernels = triton_kernels()
    if kernels is None:
        raise RuntimeError(
            f"{name}: backend='triton' needs the optional dependency triton (pip install 'monai-angio[triton]'); "
            f"importing the kernels failed with {_state['error']}."
        )
    if not on_cuda and not kernels.INTERPRET:
        devices = sorted({str(t.device) for t in tensors})
        raise RuntimeError(
            f"{name}: backend='triton' with tensors on {', '.join(devices)} needs Triton's CPU interpreter: set the "
            "environment variable TRITON_INTERPRET=1 before the first call that uses the Triton backend."
        )
    return "triton"
