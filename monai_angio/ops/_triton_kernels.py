# Copyright (c) 2026 monai-angio developers
# SPDX-License-Identifier: Apache-2.0
"""Triton kernels (forward and backward) of the warping operators, wrapped as autograd functions.

Imported lazily by :mod:`monai_angio.ops._backend`; importing this module needs Triton. Every kernel works on
contiguous ``(B, C, H, W)`` tensors, one program per block of ``BLOCK`` pixels of one batch element (grid
``(cdiv(H * W, BLOCK), B)``), looping over channels. Inputs are computed in float32 (float64 when any input is
float64) and the results are cast back to the input dtype. Scatters use atomic additions, so their float32 results
may differ from run to run in the last bits; gathers are deterministic. The kernels are first-order: their backward
passes are not themselves differentiable.

The primitives are the parts of each operator that PyTorch cannot do efficiently; the operators in the sibling
modules compose them with ordinary tensor operations (normalisation, hole filling) shared with the reference.
"""

from __future__ import annotations

import contextlib

import torch
import triton
import triton.language as tl
from torch.autograd.function import once_differentiable

__all__ = ["INTERPRET", "splat_sum", "project_scatter", "adaptive_warp", "correlation"]

# pixels per program; chosen (without a GPU to tune on) so that every kernel compiles for sm_80 in at most ~140
# registers per thread without spilling
_BLOCK = 128
_BLOCK_ADAPTIVE_FWD = 64
_BLOCK_ADAPTIVE_BWD = 32
_BLOCK_CORR = 32


# --------------------------------------------------------------------------------------------------------------------
# bilinear forward splatting (summation)
# --------------------------------------------------------------------------------------------------------------------
@triton.jit
def _splat_setup(flow_ptr, b, offs, m, H, W):
    """Corner indices, bilinear weights and masks of the splat of the pixels ``offs`` of batch element ``b``."""
    HW = H * W
    fbase = flow_ptr + b * 2 * HW
    fx = tl.load(fbase + offs, mask=m, other=0.0)
    fy = tl.load(fbase + HW + offs, mask=m, other=0.0)
    px = (offs % W).to(fx.dtype) + fx
    py = (offs // W).to(fy.dtype) + fy
    finite = (px == px) & (py == py)
    # keep the integer conversion in range; positions clamped here have no corner inside the image anyway
    px = tl.minimum(tl.maximum(tl.where(finite, px, -2.0), -2.0), W + 1.0)
    py = tl.minimum(tl.maximum(tl.where(finite, py, -2.0), -2.0), H + 1.0)
    x0f = tl.floor(px)
    y0f = tl.floor(py)
    ax = px - x0f
    ay = py - y0f
    x0 = x0f.to(tl.int32)
    y0 = y0f.to(tl.int32)
    m = m & finite
    vx0 = (x0 >= 0) & (x0 < W)
    vx1 = (x0 + 1 >= 0) & (x0 + 1 < W)
    vy0 = (y0 >= 0) & (y0 < H)
    vy1 = (y0 + 1 >= 0) & (y0 + 1 < H)
    i00 = y0 * W + x0
    return ax, ay, i00, m & vx0 & vy0, m & vx1 & vy0, m & vx0 & vy1, m & vx1 & vy1


@triton.jit
def _splat_fwd_kernel(val_ptr, flow_ptr, out_ptr, C, H, W, BLOCK: tl.constexpr):
    b = tl.program_id(1).to(tl.int64)
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    HW = H * W
    m = offs < HW
    ax, ay, i00, m00, m01, m10, m11 = _splat_setup(flow_ptr, b, offs, m, H, W)
    w00 = (1.0 - ax) * (1.0 - ay)
    w01 = ax * (1.0 - ay)
    w10 = (1.0 - ax) * ay
    w11 = ax * ay
    vptr = val_ptr + b * C * HW + offs
    optr = out_ptr + b * C * HW + i00
    for _ in range(C):
        v = tl.load(vptr, mask=m, other=0.0)
        tl.atomic_add(optr, v * w00, mask=m00, sem="relaxed")
        tl.atomic_add(optr + 1, v * w01, mask=m01, sem="relaxed")
        tl.atomic_add(optr + W, v * w10, mask=m10, sem="relaxed")
        tl.atomic_add(optr + W + 1, v * w11, mask=m11, sem="relaxed")
        vptr += HW
        optr += HW


@triton.jit
def _splat_bwd_kernel(
    gout_ptr,
    val_ptr,
    flow_ptr,
    gval_ptr,
    gflow_ptr,
    C,
    H,
    W,
    NEED_VAL: tl.constexpr,
    NEED_FLOW: tl.constexpr,
    BLOCK: tl.constexpr,
):
    b = tl.program_id(1).to(tl.int64)
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    HW = H * W
    m = offs < HW
    ax, ay, i00, m00, m01, m10, m11 = _splat_setup(flow_ptr, b, offs, m, H, W)
    gptr = gout_ptr + b * C * HW + i00
    vptr = val_ptr + b * C * HW + offs
    gvptr = gval_ptr + b * C * HW + offs
    gfx = tl.zeros([BLOCK], dtype=ax.dtype)
    gfy = tl.zeros([BLOCK], dtype=ax.dtype)
    for _ in range(C):
        g00 = tl.load(gptr, mask=m00, other=0.0)
        g01 = tl.load(gptr + 1, mask=m01, other=0.0)
        g10 = tl.load(gptr + W, mask=m10, other=0.0)
        g11 = tl.load(gptr + W + 1, mask=m11, other=0.0)
        if NEED_VAL:
            gv = (1.0 - ay) * ((1.0 - ax) * g00 + ax * g01) + ay * ((1.0 - ax) * g10 + ax * g11)
            tl.store(gvptr, gv, mask=m)
        if NEED_FLOW:
            v = tl.load(vptr, mask=m, other=0.0)
            gfx += v * ((1.0 - ay) * (g01 - g00) + ay * (g11 - g10))
            gfy += v * ((1.0 - ax) * (g10 - g00) + ax * (g11 - g01))
        gptr += HW
        vptr += HW
        gvptr += HW
    if NEED_FLOW:
        fptr = gflow_ptr + b * 2 * HW + offs
        tl.store(fptr, gfx, mask=m)
        tl.store(fptr + HW, gfy, mask=m)


# --------------------------------------------------------------------------------------------------------------------
# depth-aware flow projection (scatter of -flow / depth and 1 / depth to the 4 integer neighbours)
# --------------------------------------------------------------------------------------------------------------------
@triton.jit
def _project_setup(flow_ptr, b, offs, m, H, W):
    HW = H * W
    fbase = flow_ptr + b * 2 * HW
    fx = tl.load(fbase + offs, mask=m, other=0.0)
    fy = tl.load(fbase + HW + offs, mask=m, other=0.0)
    px = (offs % W).to(fx.dtype) + fx
    py = (offs // W).to(fy.dtype) + fy
    valid = m & (px >= 0.0) & (px <= W - 1.0) & (py >= 0.0) & (py <= H - 1.0)
    x0 = tl.floor(tl.where(valid, px, 0.0)).to(tl.int32)
    y0 = tl.floor(tl.where(valid, py, 0.0)).to(tl.int32)
    vx1 = x0 + 1 < W
    vy1 = y0 + 1 < H
    i00 = y0 * W + x0
    return fx, fy, i00, valid, valid & vx1, valid & vy1, valid & vx1 & vy1


@triton.jit
def _project_fwd_kernel(flow_ptr, w_ptr, out_ptr, H, W, BLOCK: tl.constexpr):
    b = tl.program_id(1).to(tl.int64)
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    HW = H * W
    m = offs < HW
    fx, fy, i00, m00, m01, m10, m11 = _project_setup(flow_ptr, b, offs, m, H, W)
    wt = tl.load(w_ptr + b * HW + offs, mask=m, other=0.0)
    ax = -fx * wt
    ay = -fy * wt
    obase = out_ptr + b * 3 * HW + i00
    for k in tl.static_range(4):
        if k == 0:
            mk = m00
            optr = obase
        elif k == 1:
            mk = m01
            optr = obase + 1
        elif k == 2:
            mk = m10
            optr = obase + W
        else:
            mk = m11
            optr = obase + W + 1
        tl.atomic_add(optr, ax, mask=mk, sem="relaxed")
        tl.atomic_add(optr + HW, ay, mask=mk, sem="relaxed")
        tl.atomic_add(optr + 2 * HW, wt, mask=mk, sem="relaxed")


@triton.jit
def _project_bwd_kernel(gout_ptr, flow_ptr, w_ptr, gflow_ptr, gw_ptr, H, W, BLOCK: tl.constexpr):
    b = tl.program_id(1).to(tl.int64)
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    HW = H * W
    m = offs < HW
    fx, fy, i00, m00, m01, m10, m11 = _project_setup(flow_ptr, b, offs, m, H, W)
    wt = tl.load(w_ptr + b * HW + offs, mask=m, other=0.0)
    gbase = gout_ptr + b * 3 * HW + i00
    s0 = tl.zeros([BLOCK], dtype=wt.dtype)
    s1 = tl.zeros([BLOCK], dtype=wt.dtype)
    s2 = tl.zeros([BLOCK], dtype=wt.dtype)
    for k in tl.static_range(4):
        if k == 0:
            mk = m00
            gptr = gbase
        elif k == 1:
            mk = m01
            gptr = gbase + 1
        elif k == 2:
            mk = m10
            gptr = gbase + W
        else:
            mk = m11
            gptr = gbase + W + 1
        s0 += tl.load(gptr, mask=mk, other=0.0)
        s1 += tl.load(gptr + HW, mask=mk, other=0.0)
        s2 += tl.load(gptr + 2 * HW, mask=mk, other=0.0)
    fptr = gflow_ptr + b * 2 * HW + offs
    tl.store(fptr, -wt * s0, mask=m)
    tl.store(fptr + HW, -wt * s1, mask=m)
    tl.store(gw_ptr + b * HW + offs, s2 - fx * s0 - fy * s1, mask=m)


# --------------------------------------------------------------------------------------------------------------------
# adaptive (kernel) warping, DAIN's filter interpolation with a 4 x 4 window
# --------------------------------------------------------------------------------------------------------------------
@triton.jit
def _adaptive_setup(flow_ptr, k_ptr, b, offs, m, H, W, BLOCK: tl.constexpr):
    """Window indices ``(BLOCK, 16)``, quadrant bilinear factors and kernel weights of the pixels ``offs``."""
    HW = H * W
    fbase = flow_ptr + b * 2 * HW
    fx = tl.load(fbase + offs, mask=m, other=0.0)
    fy = tl.load(fbase + HW + offs, mask=m, other=0.0)
    px = (offs % W).to(fx.dtype) + fx
    py = (offs // W).to(fy.dtype) + fy
    # positions are clamped into the image (border); the clamp passes gradients on [0, W - 1] like torch.clamp
    inx = (px >= 0.0) & (px <= W - 1.0)
    iny = (py >= 0.0) & (py <= H - 1.0)
    px = tl.minimum(tl.maximum(px, 0.0), W - 1.0)
    py = tl.minimum(tl.maximum(py, 0.0), H - 1.0)
    x0f = tl.floor(px)
    y0f = tl.floor(py)
    ax = px - x0f
    ay = py - y0f
    taps = tl.arange(0, 16)
    ti = taps % 4
    tj = taps // 4
    xi = tl.minimum(tl.maximum(x0f.to(tl.int32)[:, None] + ti[None, :] - 1, 0), W - 1)
    yj = tl.minimum(tl.maximum(y0f.to(tl.int32)[:, None] + tj[None, :] - 1, 0), H - 1)
    idx = yj * W + xi
    left = ti[None, :] < 2
    top = tj[None, :] < 2
    bx = tl.where(left, 1.0 - ax[:, None], ax[:, None])
    by = tl.where(top, 1.0 - ay[:, None], ay[:, None])
    sx = tl.where(left, -1.0, 1.0)
    sy = tl.where(top, -1.0, 1.0)
    m2 = m[:, None] & (taps[None, :] < 16)
    kv = tl.load(k_ptr + b * 16 * HW + taps[None, :] * HW + offs[:, None], mask=m2, other=0.0)
    return idx, bx, by, sx, sy, kv, m2, inx, iny


@triton.jit
def _adaptive_fwd_kernel(img_ptr, flow_ptr, k_ptr, out_ptr, C, H, W, BLOCK: tl.constexpr):
    b = tl.program_id(1).to(tl.int64)
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    HW = H * W
    m = offs < HW
    idx, bx, by, sx, sy, kv, m2, inx, iny = _adaptive_setup(flow_ptr, k_ptr, b, offs, m, H, W, BLOCK)
    coef = kv * bx * by
    iptr = img_ptr + b * C * HW + idx
    optr = out_ptr + b * C * HW + offs
    for _ in range(C):
        vals = tl.load(iptr, mask=m2, other=0.0)
        tl.store(optr, tl.sum(vals * coef, axis=1), mask=m)
        iptr += HW
        optr += HW


@triton.jit
def _adaptive_bwd_kernel(
    gout_ptr,
    img_ptr,
    flow_ptr,
    k_ptr,
    gimg_ptr,
    gflow_ptr,
    gk_ptr,
    C,
    H,
    W,
    NEED_IMG: tl.constexpr,
    BLOCK: tl.constexpr,
):
    b = tl.program_id(1).to(tl.int64)
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    HW = H * W
    m = offs < HW
    idx, bx, by, sx, sy, kv, m2, inx, iny = _adaptive_setup(flow_ptr, k_ptr, b, offs, m, H, W, BLOCK)
    coef = kv * bx * by
    gptr = gout_ptr + b * C * HW + offs
    iptr = img_ptr + b * C * HW + idx
    giptr = gimg_ptr + b * C * HW + idx
    acc = tl.zeros([BLOCK, 16], dtype=bx.dtype)  # sum over channels of grad_out * image at each tap
    for _ in range(C):
        g = tl.load(gptr, mask=m, other=0.0)
        vals = tl.load(iptr, mask=m2, other=0.0)
        acc += g[:, None] * vals
        if NEED_IMG:
            tl.atomic_add(giptr, g[:, None] * coef, mask=m2, sem="relaxed")
        gptr += HW
        iptr += HW
        giptr += HW
    tl.store(gk_ptr + b * 16 * HW + (tl.arange(0, 16) * HW)[None, :] + offs[:, None], acc * bx * by, mask=m2)
    gx = tl.sum(acc * kv * sx * by, axis=1)
    gy = tl.sum(acc * kv * bx * sy, axis=1)
    fptr = gflow_ptr + b * 2 * HW + offs
    tl.store(fptr, tl.where(inx, gx, 0.0), mask=m)
    tl.store(fptr + HW, tl.where(iny, gy, 0.0), mask=m)


# --------------------------------------------------------------------------------------------------------------------
# correlation (cost volume)
# --------------------------------------------------------------------------------------------------------------------
@triton.jit
def _corr_row(offs, m, H, W, dy, D: tl.constexpr, XP: tl.constexpr, SIGN: tl.constexpr):
    """For one row ``dy`` of displacements: indices ``(BLOCK, XP)`` of the pixels moved by ``SIGN * (dx, dy)``,
    ``dx = -D..D``, their validity, and the mask of the real (not padding) ``dx``."""
    jj = tl.arange(0, XP)
    yy = (offs // W)[:, None] + SIGN * dy
    xx = (offs % W)[:, None] + SIGN * (jj[None, :] - D)
    real = m[:, None] & (jj[None, :] < 2 * D + 1)
    ok = real & (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)
    return jj, yy * W + xx, ok, real


@triton.jit
def _corr_fwd_kernel(f1_ptr, f2_ptr, out_ptr, C, H, W, D: tl.constexpr, XP: tl.constexpr, BLOCK: tl.constexpr):
    b = tl.program_id(1).to(tl.int64)
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    HW = H * W
    m = offs < HW
    K: tl.constexpr = (2 * D + 1) * (2 * D + 1)
    for r in range(2 * D + 1):  # one row of displacements at a time keeps the accumulator small
        jj, idx, ok, real = _corr_row(offs, m, H, W, r - D, D, XP, 1)
        p1 = f1_ptr + b * C * HW + offs
        p2 = f2_ptr + b * C * HW + idx
        acc = tl.zeros([BLOCK, XP], dtype=f1_ptr.dtype.element_ty)
        for _ in range(C):
            a = tl.load(p1, mask=m, other=0.0)
            v = tl.load(p2, mask=ok, other=0.0)
            acc += a[:, None] * v
            p1 += HW
            p2 += HW
        kk = r * (2 * D + 1) + jj
        tl.store(out_ptr + b * K * HW + kk[None, :] * HW + offs[:, None], acc / C, mask=real)


@triton.jit
def _corr_bwd_kernel(
    gout_ptr, f1_ptr, f2_ptr, g1_ptr, g2_ptr, C, H, W, D: tl.constexpr, XP: tl.constexpr, BLOCK: tl.constexpr
):
    """``grad_f1(p) = sum_k g(k, p) f2(p + d_k) / C``, ``grad_f2(q) = sum_k g(k, q - d_k) f1(q - d_k) / C``;
    both gathered for the program's own pixels (no atomics), accumulated over the rows of displacements."""
    b = tl.program_id(1).to(tl.int64)
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    HW = H * W
    m = offs < HW
    K: tl.constexpr = (2 * D + 1) * (2 * D + 1)
    for r in range(2 * D + 1):
        jj, idx_p, ok_p, real = _corr_row(offs, m, H, W, r - D, D, XP, 1)
        jj, idx_m, ok_m, real = _corr_row(offs, m, H, W, r - D, D, XP, -1)
        gbase = gout_ptr + b * K * HW + (r * (2 * D + 1) + jj)[None, :] * HW
        g_p = tl.load(gbase + offs[:, None], mask=ok_p, other=0.0) / C
        g_m = tl.load(gbase + idx_m, mask=ok_m, other=0.0) / C
        p2 = f2_ptr + b * C * HW + idx_p
        p1 = f1_ptr + b * C * HW + idx_m
        o1 = g1_ptr + b * C * HW + offs
        o2 = g2_ptr + b * C * HW + offs
        for _ in range(C):
            s1 = tl.sum(g_p * tl.load(p2, mask=ok_p, other=0.0), axis=1)
            s2 = tl.sum(g_m * tl.load(p1, mask=ok_m, other=0.0), axis=1)
            tl.store(o1, tl.load(o1, mask=m, other=0.0) + s1, mask=m)
            tl.store(o2, tl.load(o2, mask=m, other=0.0) + s2, mask=m)
            p1 += HW
            p2 += HW
            o1 += HW
            o2 += HW


# --------------------------------------------------------------------------------------------------------------------
# launchers and autograd functions
# --------------------------------------------------------------------------------------------------------------------
INTERPRET: bool = type(_splat_fwd_kernel).__name__ == "InterpretedFunction"
"""Whether the kernels run in Triton's CPU interpreter (``TRITON_INTERPRET=1`` when this module was imported)."""


def _compute_dtype(*tensors: torch.Tensor) -> torch.dtype:
    return torch.float64 if any(t.dtype == torch.float64 for t in tensors) else torch.float32


def _prep(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return t.detach().to(dtype).contiguous()


def _device(t: torch.Tensor) -> contextlib.AbstractContextManager:
    return torch.cuda.device(t.device) if t.is_cuda else contextlib.nullcontext()


def _grid(b: int, hw: int, block: int) -> tuple[int, int]:
    return (triton.cdiv(hw, block), b)


class _SplatSum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, values: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        dtype = _compute_dtype(values, flow)
        v, f = _prep(values, dtype), _prep(flow, dtype)
        b, c, h, w = v.shape
        out = torch.zeros_like(v)
        if out.numel() > 0:
            with _device(v):
                _splat_fwd_kernel[_grid(b, h * w, _BLOCK)](v, f, out, c, h, w, BLOCK=_BLOCK)
        ctx.save_for_backward(v, f)
        ctx.dtypes = (values.dtype, flow.dtype)
        return out.to(values.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        v, f = ctx.saved_tensors
        need_val, need_flow = ctx.needs_input_grad[:2]
        g = _prep(grad_out, v.dtype)
        b, c, h, w = v.shape
        gv = torch.empty_like(v) if need_val else v.new_empty(1)
        gf = torch.empty_like(f) if need_flow else f.new_empty(1)
        if v.numel() > 0 and (need_val or need_flow):
            with _device(v):
                _splat_bwd_kernel[_grid(b, h * w, _BLOCK)](
                    g, v, f, gv, gf, c, h, w, NEED_VAL=need_val, NEED_FLOW=need_flow, BLOCK=_BLOCK
                )
        return (gv.to(ctx.dtypes[0]) if need_val else None, gf.to(ctx.dtypes[1]) if need_flow else None)


class _ProjectScatter(torch.autograd.Function):
    @staticmethod
    def forward(ctx, flow: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        dtype = _compute_dtype(flow, weight)
        f, wt = _prep(flow, dtype), _prep(weight, dtype)
        b, _, h, w = f.shape
        out = f.new_zeros(b, 3, h, w)
        if out.numel() > 0:
            with _device(f):
                _project_fwd_kernel[_grid(b, h * w, _BLOCK)](f, wt, out, h, w, BLOCK=_BLOCK)
        ctx.save_for_backward(f, wt)
        ctx.dtypes = (flow.dtype, weight.dtype)
        return out.to(flow.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        f, wt = ctx.saved_tensors
        g = _prep(grad_out, f.dtype)
        b, _, h, w = f.shape
        gf, gw = torch.empty_like(f), torch.empty_like(wt)
        if f.numel() > 0:
            with _device(f):
                _project_bwd_kernel[_grid(b, h * w, _BLOCK)](g, f, wt, gf, gw, h, w, BLOCK=_BLOCK)
        return gf.to(ctx.dtypes[0]), gw.to(ctx.dtypes[1])


class _AdaptiveWarp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, image: torch.Tensor, flow: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        dtype = _compute_dtype(image, flow, kernel)
        x, f, k = _prep(image, dtype), _prep(flow, dtype), _prep(kernel, dtype)
        b, c, h, w = x.shape
        out = torch.empty_like(x)
        if out.numel() > 0:
            with _device(x):
                _adaptive_fwd_kernel[_grid(b, h * w, _BLOCK_ADAPTIVE_FWD)](
                    x, f, k, out, c, h, w, BLOCK=_BLOCK_ADAPTIVE_FWD
                )
        ctx.save_for_backward(x, f, k)
        ctx.dtypes = (image.dtype, flow.dtype, kernel.dtype)
        return out.to(image.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, f, k = ctx.saved_tensors
        need_img = ctx.needs_input_grad[0]
        g = _prep(grad_out, x.dtype)
        b, c, h, w = x.shape
        gx = torch.zeros_like(x) if need_img else x.new_empty(1)
        gf, gk = torch.empty_like(f), torch.empty_like(k)
        if x.numel() > 0:
            with _device(x):
                _adaptive_bwd_kernel[_grid(b, h * w, _BLOCK_ADAPTIVE_BWD)](
                    g, x, f, k, gx, gf, gk, c, h, w, NEED_IMG=need_img, BLOCK=_BLOCK_ADAPTIVE_BWD
                )
        return (gx.to(ctx.dtypes[0]) if need_img else None, gf.to(ctx.dtypes[1]), gk.to(ctx.dtypes[2]))


class _Correlation(torch.autograd.Function):
    @staticmethod
    def forward(ctx, feat1: torch.Tensor, feat2: torch.Tensor, max_displacement: int) -> torch.Tensor:
        dtype = _compute_dtype(feat1, feat2)
        a, v = _prep(feat1, dtype), _prep(feat2, dtype)
        b, c, h, w = a.shape
        d = max_displacement
        out = a.new_zeros(b, (2 * d + 1) ** 2, h, w)
        xp = triton.next_power_of_2(2 * d + 1)
        if out.numel() > 0 and c > 0:
            with _device(a):
                _corr_fwd_kernel[_grid(b, h * w, _BLOCK_CORR)](a, v, out, c, h, w, D=d, XP=xp, BLOCK=_BLOCK_CORR)
        ctx.save_for_backward(a, v)
        ctx.d = d
        ctx.dtypes = (feat1.dtype, feat2.dtype)
        return out.to(feat1.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        a, v = ctx.saved_tensors
        g = _prep(grad_out, a.dtype)
        b, c, h, w = a.shape
        d = ctx.d
        xp = triton.next_power_of_2(2 * d + 1)
        g1, g2 = torch.zeros_like(a), torch.zeros_like(v)
        if a.numel() > 0:
            with _device(a):
                _corr_bwd_kernel[_grid(b, h * w, _BLOCK_CORR)](g, a, v, g1, g2, c, h, w, D=d, XP=xp, BLOCK=_BLOCK_CORR)
        return g1.to(ctx.dtypes[0]), g2.to(ctx.dtypes[1]), None


def splat_sum(values: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Bilinear summation splat of ``values`` ``(B, C, H, W)`` to ``x + flow(x)``; ``flow`` ``(B, 2, H, W)``."""
    return _SplatSum.apply(values, flow)


def project_scatter(flow: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)``: sums of ``-flow * weight`` (2 channels) and ``weight`` over the 4 integer neighbours."""
    return _ProjectScatter.apply(flow, weight)


def adaptive_warp(image: torch.Tensor, flow: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """DAIN adaptive warping: ``image`` ``(B, C, H, W)``, ``flow`` ``(B, 2, H, W)``, ``kernel`` ``(B, 16, H, W)``."""
    return _AdaptiveWarp.apply(image, flow, kernel)


def correlation(feat1: torch.Tensor, feat2: torch.Tensor, max_displacement: int) -> torch.Tensor:
    """Cost volume ``(B, (2d + 1)^2, H, W)`` of ``feat1`` and ``feat2`` ``(B, C, H, W)``, mean over channels."""
    return _Correlation.apply(feat1, feat2, max_displacement)
