"""Convolution primitives: conv2d, its two adjoints (conv_transpose2d and the weight
gradient), conv1d on top of conv2d, and the im2col pair unfold / fold.

A convolution is a matrix product once the input's windows are laid out as columns
(im2col): with K = C*kh*kw and L = N*Ho*Wo, `cols` is (K, L) and y = W (O, K) @ cols.
The windows are a strided view of the (padded) input; making `cols` is the one copy, and
each op is one BLAS product (per group). Its two adjoints are the two other products:

    dL/dx = col2im(W.T @ g)       (a transposed convolution of the upstream gradient)
    dL/dW = g @ cols.T            (a correlation of the input with the upstream gradient)

The three ops are bilinear, so each one's backward is written with the other two: the
gradients are differentiable again, to any order (gradgradcheck, Hessian-vector products).
col2im adds the columns back into the image with one strided add per kernel position
(kh*kw of them), never a loop over pixels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .tensor import Tensor, _make, _make_n
from .tensor_ops import _lift

_as_strided = np.lib.stride_tricks.as_strided


class Geometry(NamedTuple):
    """Everything the three bilinear ops share: shapes, stride, padding, dilation, groups."""

    x_shape: tuple  # (N, C, H, W)
    w_shape: tuple  # (O, C // groups, kh, kw)
    stride: tuple
    pads: tuple  # ((top, bottom), (left, right))
    dilation: tuple
    groups: int
    out_hw: tuple  # (Ho, Wo)


# ---------------------------------------------------------------------------- arguments
def pair(v, name: str, op: str, n: int = 2) -> tuple:
    """An int or a tuple of n ints (PyTorch's `_pair`)."""
    t = (v,) * n if isinstance(v, (int, np.integer)) else tuple(v)
    if len(t) != n or not all(isinstance(i, (int, np.integer)) for i in t):
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {v!r}")
    return tuple(int(i) for i in t)


def _padding(padding, k: tuple, dilation: tuple, stride: tuple, op: str) -> tuple:
    """((top, bottom), (left, right)) from an int, a pair, 'valid' or 'same' (PyTorch puts
    the odd pixel of 'same' padding at the end)."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            if stride != (1,) * len(stride):
                raise ValueError(f"{op}: padding='same' needs stride 1, got stride={stride}")
            total = [d * (kk - 1) for d, kk in zip(dilation, k)]
            return tuple((t // 2, t - t // 2) for t in total)
        raise ValueError(f"{op}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
    p = pair(padding, "padding", op, len(k))
    if min(p) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
    return tuple((i, i) for i in p)


def geometry(x_shape, w_shape, stride, padding, dilation, groups, op: str) -> Geometry:
    """Checked geometry of a 2-D convolution of x (N, C, H, W) with w (O, C/groups, kh, kw)."""
    if len(x_shape) != 4:
        raise ValueError(f"{op}: input must be (N, C, H, W) or (C, H, W), got shape {x_shape}")
    if len(w_shape) != 4:
        raise ValueError(f"{op}: weight must be (out_channels, in_channels/groups, kh, kw), got {w_shape}")
    n, c, h, w = x_shape
    o, cg, kh, kw = w_shape
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if c != cg * groups:
        raise ValueError(
            f"{op}: input {x_shape} has {c} channels but weight {w_shape} expects {cg * groups}"
            + (f" ({cg} per group x {groups} groups)" if groups > 1 else "")
        )
    if o % groups:
        raise ValueError(f"{op}: weight {w_shape} has {o} output channels, not divisible by groups={groups}")
    stride, dilation = pair(stride, "stride", op), pair(dilation, "dilation", op)
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{op}: stride and dilation must be positive, got {stride} and {dilation}")
    pads = _padding(padding, (kh, kw), dilation, stride, op)
    span = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    padded = (h + sum(pads[0]), w + sum(pads[1]))
    if padded[0] < span[0] or padded[1] < span[1]:
        raise ValueError(
            f"{op}: input {x_shape} padded to {padded} is smaller than the kernel {(kh, kw)}"
            + (f" dilated to {span}" if span != (kh, kw) else "")
        )
    out_hw = ((padded[0] - span[0]) // stride[0] + 1, (padded[1] - span[1]) // stride[1] + 1)
    return Geometry(tuple(x_shape), tuple(w_shape), stride, pads, dilation, int(groups), out_hw)


# --------------------------------------------------------------- numpy kernels (no graph)
def windows(x: np.ndarray, geo: Geometry, value=0.0) -> np.ndarray:
    """A (C, kh, kw, N, Ho, Wo) strided view of the windows of x padded with `value`."""
    (pt, pb), (pl, pr) = geo.pads
    if pt or pb or pl or pr:
        n, c, h, w = x.shape
        xp = np.full((n, c, h + pt + pb, w + pl + pr), value, dtype=x.dtype)
        xp[:, :, pt : pt + h, pl : pl + w] = x
        x = xp
    sn, sc, sh, sw = x.strides
    (st_h, st_w), (dh, dw) = geo.stride, geo.dilation
    kh, kw = geo.w_shape[2:]
    shape = (x.shape[1], kh, kw, x.shape[0]) + geo.out_hw
    strides = (sc, sh * dh, sw * dw, sn, sh * st_h, sw * st_w)
    return _as_strided(x, shape, strides, writeable=False)


def im2col(x: np.ndarray, geo: Geometry) -> np.ndarray:
    """The (C*kh*kw, N*Ho*Wo) matrix of windows: the one copy a convolution makes."""
    v = windows(x, geo)
    return v.reshape(v.shape[0] * v.shape[1] * v.shape[2], -1)


def col2im(cols: np.ndarray, geo: Geometry) -> np.ndarray:
    """The adjoint of im2col: each column added back where its window came from (N, C, H, W)."""
    n, c, h, w = geo.x_shape
    kh, kw = geo.w_shape[2:]
    (pt, pb), (pl, pr) = geo.pads
    (sh, sw), (dh, dw) = geo.stride, geo.dilation
    ho, wo = geo.out_hw
    cols = cols.reshape(c, kh, kw, n, ho, wo)
    img = np.zeros((c, n, h + pt + pb, w + pl + pr), dtype=cols.dtype)
    for i in range(kh):  # one strided add per kernel position, each over all pixels
        for j in range(kw):
            img[:, :, i * dh : i * dh + sh * ho : sh, j * dw : j * dw + sw * wo : sw] += cols[:, i, j]
    return img[:, :, pt : pt + h, pl : pl + w].transpose(1, 0, 2, 3)


def _blocks(a: np.ndarray, groups: int):
    """The row blocks of a matrix, one per group."""
    return np.split(a, groups, axis=0) if groups > 1 else (a,)


def _per_group(f, groups: int, *mats) -> np.ndarray:
    """f applied to each group's row blocks, results stacked back along rows."""
    if groups == 1:
        return f(*mats)
    return np.concatenate([f(*parts) for parts in zip(*(_blocks(m, groups) for m in mats))], axis=0)


def _as_nchw(y: np.ndarray, geo: Geometry) -> np.ndarray:
    """(O, N*Ho*Wo) product -> (N, O, Ho, Wo): a transposed view, no copy."""
    return y.reshape((y.shape[0], geo.x_shape[0]) + geo.out_hw).transpose(1, 0, 2, 3)


def _g_matrix(g: np.ndarray) -> np.ndarray:
    """(N, O, Ho, Wo) upstream gradient -> (O, N*Ho*Wo)."""
    return g.transpose(1, 0, 2, 3).reshape(g.shape[1], -1)


def conv_forward(x, w, geo: Geometry, bias=None):
    """y = W @ im2col(x) (+ b), and the columns kept for the weight gradient."""
    cols = im2col(x, geo)
    wm = w.reshape(w.shape[0], -1)
    y = _per_group(np.matmul, geo.groups, wm, cols)
    if bias is not None:
        y += bias[:, None]
    return _as_nchw(y, geo), cols


def conv_dx(g, w, geo: Geometry, gm=None) -> np.ndarray:
    """dL/dx = col2im(W.T @ g): the transposed convolution of g with w (gm: g as a matrix)."""
    wm = w.reshape(w.shape[0], -1)
    cols = _per_group(lambda a, b: a.T @ b, geo.groups, wm, _g_matrix(g) if gm is None else gm)
    return col2im(cols, geo)


def conv_dw(x, g, geo: Geometry, cols=None, gm=None) -> np.ndarray:
    """dL/dW = g @ im2col(x).T, per group."""
    cols = im2col(x, geo) if cols is None else cols
    gw = _per_group(lambda a, b: a @ b.T, geo.groups, _g_matrix(g) if gm is None else gm, cols)
    return gw.reshape(geo.w_shape)


# ------------------------------------------------------------------- the three primitives
def _conv(x: Tensor, w: Tensor, b, geo: Geometry) -> Tensor:
    data, cols = conv_forward(x._data, w._data, geo, None if b is None else b._data)
    need = (x.requires_grad, w.requires_grad, b is not None and b.requires_grad)
    # The columns are kept for the weight gradient in a list that the backward empties as
    # it uses them, so they are freed before the input gradient's own columns are made
    # (a second backward, with retain_graph=True, makes them again).
    ctx = (geo, need, [cols] if w.requires_grad else [])
    if b is None:
        return _make(data, x, w, "conv2d", _conv_rule, ctx)
    return _make_n(data, (x, w, b), "conv2d", _conv_rule, ctx)


def _conv_rule(ctx, g, out, x, w, b=None):
    geo, need, kept = ctx
    if g.__class__ is np.ndarray:
        gm = _g_matrix(g)  # (O, N*Ho*Wo): one copy at most, shared by the three gradients
        gb = np.add.reduce(gm, axis=1) if need[2] else None
        gw = conv_dw(x, g, geo, kept.pop() if kept else None, gm) if need[1] else None
        gx = conv_dx(g, w, geo, gm) if need[0] else None
    else:  # create_graph: the adjoints as ops, so the gradient has a graph of its own
        gb = g.sum(axis=(0, 2, 3)) if need[2] else None
        gx = _conv_dx_op(g, w, geo) if need[0] else None
        gw = _conv_dw_op(x, g, geo) if need[1] else None
    return gx, gw, gb


def _conv_dx_op(g, w, geo: Geometry) -> Tensor:
    """x-shaped: the transposed convolution of g (N, O, Ho, Wo) with w."""
    g, w = _lift(g, "conv_transpose2d"), _lift(w, "conv_transpose2d")
    return _make(conv_dx(g._data, w._data, geo), g, w, "conv_transpose2d", _conv_dx_rule, geo)


def _conv_dx_rule(geo, h, out, g, w):
    # z = Cx^T(g, w) is bilinear: dz/dg . h = C(h, w) and dz/dw . h = Cw^T(h, g)
    if h.__class__ is np.ndarray:
        return conv_forward(h, w, geo)[0], conv_dw(h, g, geo)
    return _conv(h, w, None, geo), _conv_dw_op(h, g, geo)


def _conv_dw_op(x, g, geo: Geometry) -> Tensor:
    """w-shaped: the correlation of x with the upstream gradient g."""
    x, g = _lift(x, "conv2d_weight"), _lift(g, "conv2d_weight")
    return _make(conv_dw(x._data, g._data, geo), x, g, "conv2d_weight", _conv_dw_rule, geo)


def _conv_dw_rule(geo, h, out, x, g):
    # z = Cw^T(x, g): dz/dx . h = Cx^T(g, h) and dz/dg . h = C(x, h)
    if h.__class__ is np.ndarray:
        return conv_dx(g, h, geo), conv_forward(x, h, geo)[0]
    return _conv_dx_op(g, h, geo), _conv(x, h, None, geo)


# ----------------------------------------------------------------------------- public ops
def _operands(op, *ts):
    out = [None if t is None else _lift(t, op) for t in ts]
    dtypes = {t._data.dtype for t in out if t is not None}
    if len(dtypes) > 1:
        names = ", ".join(str(t._data.dtype) for t in out if t is not None)
        raise TypeError(
            f"{op}: input, weight and bias must share one dtype, got {names}; cast one with .astype"
        )
    return out


def _unbatched(x: Tensor, dims: int, op: str):
    """(C, H, W) input as (1, C, H, W), as PyTorch accepts unbatched input."""
    if x.ndim == dims + 1:
        return x.reshape((1,) + x.shape), True
    if x.ndim != dims + 2:
        layout = "(N, C, H, W) or unbatched (C, H, W)" if dims == 2 else "(N, C, L) or unbatched (C, L)"
        raise ValueError(f"{op}: input must be {layout}, got shape {x.shape}")
    return x, False


def _check_bias(b, channels: int, op: str) -> None:
    if b is not None and b.shape != (channels,):
        raise ValueError(f"{op}: bias of shape {b.shape} does not match {channels} output channels")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o] = b[o] + sum_c,i,j w[o, c, i, j] x[n, c, s*h + d*i - p, s*w + d*j - p]
    (a cross-correlation, as every deep learning library computes it)"""
    x, w, b = _operands("conv2d", input, weight, bias)
    x, single = _unbatched(x, 2, "conv2d")
    geo = geometry(x.shape, w.shape, stride, padding, dilation, groups, "conv2d")
    _check_bias(b, w.shape[0], "conv2d")
    y = _conv(x, w, b, geo)
    return y.reshape(y.shape[1:]) if single else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv2d on (N, C, 1, L): y[n, o, l] = b[o] + sum_c,k w[o, c, k] x[n, c, s*l + d*k - p]"""
    x, w, b = _operands("conv1d", input, weight, bias)
    x, single = _unbatched(x, 1, "conv1d")
    if w.ndim != 3:
        raise ValueError(f"conv1d: weight must be (out_channels, in_channels/groups, k), got {w.shape}")
    n, c, length = x.shape
    pad = padding if isinstance(padding, str) else (0, pair(padding, "padding", "conv1d", 1)[0])
    st, dl = pair(stride, "stride", "conv1d", 1)[0], pair(dilation, "dilation", "conv1d", 1)[0]
    x4, w4 = x.reshape(n, c, 1, length), w.reshape(w.shape[:2] + (1, w.shape[2]))
    try:
        geo = geometry(x4.shape, w4.shape, (1, st), pad, (1, dl), groups, "conv1d")
    except ValueError as e:
        raise ValueError(f"{e} (conv1d input {x.shape}, weight {w.shape})") from None
    _check_bias(b, w.shape[0], "conv1d")
    y = _conv(x4, w4, b, geo)
    y = y.reshape(y.shape[0], y.shape[1], y.shape[3])
    return y.reshape(y.shape[1:]) if single else y


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv2d in its input: each input pixel scatters w * x into the output,
    H_out = (H - 1) s - 2p + d (k - 1) + output_padding + 1. weight is (C_in, C_out/groups, kh, kw)."""
    x, w, b = _operands("conv_transpose2d", input, weight, bias)
    x, single = _unbatched(x, 2, "conv_transpose2d")
    if w.ndim != 4:
        raise ValueError(
            f"conv_transpose2d: weight must be (in_channels, out_channels/groups, kh, kw), got {w.shape}"
        )
    op = "conv_transpose2d"
    st, dl, pd = pair(stride, "stride", op), pair(dilation, "dilation", op), pair(padding, "padding", op)
    opad = pair(output_padding, "output_padding", op)
    if any(o >= max(s, d) for o, s, d in zip(opad, st, dl)):
        raise ValueError(f"{op}: output_padding {opad} must be smaller than stride {st} or dilation {dl}")
    n, c = x.shape[:2]
    if c != w.shape[0]:
        raise ValueError(f"{op}: input {x.shape} has {c} channels but weight {w.shape} expects {w.shape[0]}")
    hw = tuple(
        (i - 1) * s - 2 * p + d * (k - 1) + o + 1
        for i, s, p, d, k, o in zip(x.shape[2:], st, pd, dl, w.shape[2:], opad)
    )
    if min(hw) < 1:
        raise ValueError(f"{op}: input {x.shape} with weight {w.shape} gives an empty output {hw}")
    out_c = w.shape[1] * groups
    geo = geometry((n, out_c) + hw, (c, w.shape[1]) + w.shape[2:], st, pd, dl, groups, op)
    if geo.out_hw != x.shape[2:]:
        raise ValueError(f"{op}: input {x.shape} does not fit output size {hw}")
    _check_bias(b, out_c, op)
    y = _conv_dx_op(x, w, geo)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y.reshape(y.shape[1:]) if single else y


# ------------------------------------------------------------------------ unfold and fold
def _unfold_geometry(shape, kernel_size, dilation, padding, stride, op):
    k = pair(kernel_size, "kernel_size", op)
    return geometry(shape, (1, shape[1]) + k, stride, padding, dilation, 1, op)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L), column l holding the l-th window"""
    x = _lift(input, "unfold")
    x, single = _unbatched(x, 2, "unfold")
    geo = _unfold_geometry(x.shape, kernel_size, dilation, padding, stride, "unfold")
    y = _make(_cols_nkl(im2col(x._data, geo), geo), x, None, "unfold", _unfold_rule, geo)
    return y.reshape(y.shape[1:]) if single else y


def _cols_nkl(cols, geo):
    return cols.reshape(cols.shape[0], geo.x_shape[0], -1).transpose(1, 0, 2)


def _unfold_rule(geo, g, out, x):
    return (_fold(g, geo),)


def _fold(g, geo):
    if g.__class__ is np.ndarray:
        return col2im(g.transpose(1, 0, 2).reshape(g.shape[1], -1), geo)
    return _make(_fold(g._data, geo), g, None, "fold", _fold_rule, geo)


def _fold_rule(geo, g, out, cols):
    if g.__class__ is np.ndarray:
        return (_cols_nkl(im2col(g, geo), geo),)
    return (_make(_fold_rule(geo, g._data, None, None)[0], g, None, "unfold", _unfold_rule, geo),)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: (N, C*kh*kw, L) -> (N, C, H, W), overlapping windows adding up (unfold's adjoint)"""
    x = _lift(input, "fold")
    single = x.ndim == 2
    if single:
        x = x.reshape((1,) + x.shape)
    if x.ndim != 3:
        raise ValueError(f"fold: input must be (N, C*kh*kw, L) or (C*kh*kw, L), got {x.shape}")
    k = pair(kernel_size, "kernel_size", "fold")
    if x.shape[1] % (k[0] * k[1]):
        raise ValueError(f"fold: input {x.shape} has {x.shape[1]} rows, not divisible by kernel {k}")
    shape = (x.shape[0], x.shape[1] // (k[0] * k[1])) + pair(output_size, "output_size", "fold")
    geo = _unfold_geometry(shape, k, dilation, padding, stride, "fold")
    if geo.out_hw[0] * geo.out_hw[1] != x.shape[2]:
        raise ValueError(
            f"fold: input {x.shape} has {x.shape[2]} windows but output_size {shape[2:]} with kernel {k} "
            f"gives {geo.out_hw[0]} x {geo.out_hw[1]} = {geo.out_hw[0] * geo.out_hw[1]}"
        )
    y = _fold(x, geo)
    return y.reshape(y.shape[1:]) if single else y
