"""Pooling: max_pool2d as a primitive (the windows as a strided view, the first maximum of
each window, as PyTorch picks it), avg_pool2d as a depthwise convolution with a constant
kernel, and adaptive_avg_pool2d as two averaging matrices (out = P_h @ x @ P_w.T).

max_pool2d's backward sends each output's gradient to its window's maximum: a scatter of
g by the saved indices, whose own backward is the gather at the same indices, so it is
differentiable again (the indices are constants of the graph). The other two are
compositions of conv2d and matmul and inherit their gradients to any order.
"""

from __future__ import annotations

import math

import numpy as np

from .conv import Geometry, conv2d, pair
from .tensor import Tensor, _make, _raw
from .tensor_ops import _lift


def _pool_geometry(shape, kernel_size, stride, padding, dilation, ceil_mode, op) -> Geometry:
    k = pair(kernel_size, "kernel_size", op)
    s = (
        k
        if stride is None or (not isinstance(stride, int) and len(stride) == 0)
        else pair(stride, "stride", op)
    )
    p, d = pair(padding, "padding", op), pair(dilation, "dilation", op)
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise ValueError(f"{op}: kernel_size, stride and dilation must be positive, got {k}, {s}, {d}")
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise ValueError(f"{op}: padding {p} must be at most half the kernel size {k}")
    out, pads = [], []
    for n, ki, si, pi, di in zip(shape[2:], k, s, p, d):
        span = di * (ki - 1) + 1
        num = n + 2 * pi - span
        if num < 0:
            raise ValueError(f"{op}: input {tuple(shape)} padded by {p} is smaller than the kernel {k}")
        o = (-(-num // si) if ceil_mode else num // si) + 1
        if ceil_mode and (o - 1) * si >= n + pi:  # PyTorch: the last window must start inside
            o -= 1
        out.append(o)
        pads.append((pi, max(pi, (o - 1) * si + span - n - pi)))
    return Geometry(tuple(shape), (shape[1], 1) + k, s, tuple(pads), d, 1, tuple(out))


def _nchw(x: Tensor, op: str):
    if x.ndim == 3:
        return x.reshape((1,) + x.shape), True
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be (N, C, H, W) or (C, H, W), got shape {x.shape}")
    return x, False


# ------------------------------------------------------------------------------- max pool
def _positions(a: np.ndarray, geo: Geometry):
    """For each kernel position (i, j), in row-major order: the (N, C, Ho, Wo) strided view of
    the padded array `a` that this position of every window reads, and its index slices."""
    (sh, sw), (dh, dw) = geo.stride, geo.dilation
    ho, wo = geo.out_hw
    for i in range(geo.w_shape[2]):
        for j in range(geo.w_shape[3]):
            key = (
                slice(None),
                slice(None),
                slice(i * dh, i * dh + sh * ho, sh),
                slice(j * dw, j * dw + sw * wo, sw),
            )
            yield a[key], key


def _padded(x: np.ndarray, geo: Geometry, value) -> np.ndarray:
    (pt, pb), (pl, pr) = geo.pads
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    xp = np.full((n, c, h + pt + pb, w + pl + pr), value, dtype=x.dtype)
    xp[:, :, pt : pt + h, pl : pl + w] = x
    return xp


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """y = the maximum of each window (padding counts as -inf); with return_indices, also
    each maximum's flat index h * W + w in its input plane (as PyTorch's)"""
    x, single = _nchw(_lift(input, "max_pool2d"), "max_pool2d")
    geo = _pool_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    # One elementwise maximum per kernel position (kh*kw of them), each over all windows at
    # once, in the input's memory order (a conv's output is channels-first); a nan wins,
    # as in PyTorch. Which element was the maximum is found again by the backward pass.
    data = None
    for v, _ in _positions(_padded(x._data, geo, -np.inf), geo):
        if data is None:
            data = v.copy(order="K")
        else:
            np.maximum(data, v, out=data)
    y = _make(data, x, None, "max_pool2d", _max_pool_rule, geo)
    if single:
        y = y.reshape(y.shape[1:])
    if not return_indices:
        return y
    arg = _argmax(x._data, data, geo)
    (pt, _), (pl, _) = geo.pads
    (sh, sw), (dh, dw) = geo.stride, geo.dilation
    kw = geo.w_shape[3]
    a = arg.astype(np.int64)
    rows = np.arange(geo.out_hw[0])[:, None] * sh + (a // kw) * dh - pt
    cols = np.arange(geo.out_hw[1]) * sw + (a % kw) * dw - pl
    idx = rows * x.shape[3] + cols
    return y, Tensor(idx[0] if single else idx, dtype=np.int64)


def _first_hits(x: np.ndarray, y: np.ndarray, geo: Geometry):
    """For each kernel position p in row-major order: (p, slices, hit), hit marking the windows
    whose first maximum (PyTorch's choice on a tie; a nan counts as the maximum) sits at p."""
    nan_aware = bool(np.isnan(np.add.reduce(y, axis=None)))  # rare: only then the nan test
    found = None
    for p, (v, key) in enumerate(_positions(_padded(x, geo, -np.inf), geo)):
        hit = v == y
        if nan_aware:
            hit |= np.isnan(v) & np.isnan(y)
        if found is None:
            found = hit.copy()
        else:
            hit &= ~found
            found |= hit
        yield p, key, hit


def _argmax(x: np.ndarray, y: np.ndarray, geo: Geometry) -> np.ndarray:
    """The kernel position of each window's first maximum."""
    kk = geo.w_shape[2] * geo.w_shape[3]
    arg = np.zeros_like(y, dtype=np.int8 if kk < 128 else np.int32)
    for p, _, hit in _first_hits(x, y, geo):
        if p:
            arg += hit * arg.dtype.type(p)
    return arg


def _max_pool_rule(geo, g, out, x):
    if g.__class__ is not np.ndarray:  # create_graph: a scatter by the indices, an op
        return (_unpool(g, _argmax(_raw(x), _raw(out), geo), geo),)
    n, c, h, w = geo.x_shape
    (pt, pb), (pl, pr) = geo.pads
    grad = _zeros_in_order((n, c, h + pt + pb, w + pl + pr), g, g.dtype)
    apart, zero = _apart(geo), g.dtype.type(0)
    finite = bool(np.isfinite(np.add.reduce(g, axis=None)))  # else g * False could be nan
    for _, key, hit in _first_hits(x, out, geo):
        part = (g * hit) if finite else np.where(hit, g, zero)
        if apart:  # each pixel in one window at most
            grad[key] = part
        else:  # windows that overlap add up
            grad[key] += part
    return (grad[:, :, pt : pt + h, pl : pl + w],)


def _apart(geo: Geometry) -> bool:
    (sh, sw), (dh, dw) = geo.stride, geo.dilation
    return sh > dh * (geo.w_shape[2] - 1) and sw > dw * (geo.w_shape[3] - 1)


def _unpool(g, arg, geo):
    """zeros of the input's shape with g added at each window's maximum (arg)"""
    if g.__class__ is not np.ndarray:
        return _make(_unpool(g._data, arg, geo), g, None, "max_unpool2d", _unpool_rule, (arg, geo))
    n, c, h, w = geo.x_shape
    (pt, pb), (pl, pr) = geo.pads
    out = _zeros_in_order((n, c, h + pt + pb, w + pl + pr), arg, g.dtype)
    for p, (v, _) in enumerate(_positions(out, geo)):
        v += np.where(arg == p, g, g.dtype.type(0))
    return out[:, :, pt : pt + h, pl : pl + w]


def _zeros_in_order(shape, like: np.ndarray, dtype) -> np.ndarray:
    """Zeros of `shape` laid out in memory with the axis order of `like` (so that the
    elementwise passes walk both arrays in one order)."""
    order = sorted(range(len(shape)), key=lambda i: -like.strides[i])
    inverse = np.argsort(order)
    return np.zeros([shape[i] for i in order], dtype).transpose(inverse)


def _gather(h, arg, geo):
    """h read at each window's maximum: the adjoint of _unpool"""
    if h.__class__ is not np.ndarray:
        return _make(_gather(h._data, arg, geo), h, None, "max_pool2d", _gather_rule, (arg, geo))
    out = np.zeros(arg.shape, dtype=h.dtype)
    for p, (v, _) in enumerate(_positions(_padded(h, geo, 0), geo)):
        out += np.where(arg == p, v, h.dtype.type(0))
    return out


def _gather_rule(ctx, g, out, h):
    return (_unpool(g, *ctx),)


def _unpool_rule(ctx, g, out, x):
    return (_gather(g, *ctx),)


# ---------------------------------------------------------------------------- average pool
def avg_pool2d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """y = the mean of each window: a depthwise conv2d with the kernel 1/(kh*kw); with
    count_include_pad=False the padded zeros are left out of each mean"""
    x, single = _nchw(_lift(input, "avg_pool2d"), "avg_pool2d")
    if ceil_mode:
        raise NotImplementedError("avg_pool2d: ceil_mode=True is not supported; pad the input instead")
    geo = _pool_geometry(x.shape, kernel_size, stride, padding, 1, False, "avg_pool2d")
    n, c, h, w = x.shape
    kh, kw = geo.w_shape[2:]
    p = (geo.pads[0][0], geo.pads[1][0])
    ones = np.ones((1, 1, kh, kw), dtype=x.dtype)
    y = conv2d(x.reshape(n * c, 1, h, w), Tensor(ones), None, geo.stride, p)
    y = y.reshape((n, c) + y.shape[2:])
    if divisor_override is not None:
        y = y * (1.0 / divisor_override)
    elif count_include_pad or not any(p):
        y = y * (1.0 / (kh * kw))
    else:  # each window's count of real pixels: the same convolution of a plane of ones
        plane = np.ones((1, 1, h, w), dtype=x.dtype)
        counts = conv2d(Tensor(plane), Tensor(ones), None, geo.stride, p).data
        y = y * Tensor((1.0 / counts).astype(x.dtype))
    return y.reshape(y.shape[1:]) if single else y


def _bins(n: int, m: int, dtype) -> np.ndarray:
    """(m, n) averaging matrix of PyTorch's adaptive bins [floor(i n/m), ceil((i+1) n/m))."""
    p = np.zeros((m, n), dtype=dtype)
    for i in range(m):  # m output bins, not pixels
        lo, hi = (i * n) // m, math.ceil((i + 1) * n / m)
        p[i, lo:hi] = 1.0 / (hi - lo)
    return p


def adaptive_avg_pool2d(input, output_size):
    """y = P_h @ x @ P_w.T, each row of P averaging one of PyTorch's adaptive bins"""
    x, single = _nchw(_lift(input, "adaptive_avg_pool2d"), "adaptive_avg_pool2d")
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size, output_size)
    h, w = x.shape[2:]
    oh, ow = (
        (h if output_size[0] is None else output_size[0]),
        (w if output_size[1] is None else output_size[1]),
    )
    if min(oh, ow) < 1:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {output_size}")
    y = Tensor(_bins(h, oh, x.dtype)) @ x @ Tensor(_bins(w, ow, x.dtype).T)
    return y.reshape(y.shape[1:]) if single else y
