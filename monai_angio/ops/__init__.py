"""Differentiable warping operators (PyTorch reference; Triton kernels on CUDA when available)."""

from .backward_warp import BackwardWarp, backward_warp

__all__ = ["BackwardWarp", "backward_warp"]
