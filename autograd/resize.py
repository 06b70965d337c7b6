"""Padding and resizing: pad (constant, reflect, replicate, circular) and interpolate
(nearest, bilinear).

Constant padding is a primitive (its backward is the slice of g that lies over the input).
The other modes and both interpolations are compositions: reflect / replicate / circular
padding and nearest resizing are integer indexing along each axis (whose backward adds the
gradient of repeated pixels), bilinear resizing is one interpolation matrix per axis
(out = A_h @ x @ A_w.T). Their gradients come from indexing and matmul, to any order.
"""

from __future__ import annotations

import math

import numpy as np

from .tensor import Tensor, _make
from .tensor_ops import _lift

_NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_pairs(pad, ndim: int, op: str = "pad") -> list:
    """PyTorch's flat (last_lo, last_hi, prev_lo, prev_hi, ...) as numpy's per-axis pairs."""
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > ndim or not all(isinstance(p, (int, np.integer)) for p in pad):
        raise ValueError(
            f"{op}: pad must be an even number of ints, at most 2 per dimension of the input "
            f"({ndim} dimensions), got {pad}"
        )
    pairs = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        pairs[ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return pairs


def pad(input, pad, mode: str = "constant", value=None):
    """x padded by `pad` = (left, right, top, bottom, ...) from the last dimension backwards:
    with `value` (constant), the mirror image without the edge (reflect), the edge (replicate)
    or the other end (circular)"""
    x = _lift(input, "pad")
    pairs = _pad_pairs(pad, x.ndim)
    if mode == "constant":
        if any(lo < 0 or hi < 0 for lo, hi in pairs):
            raise ValueError(f"pad: negative padding {tuple(pad)} (cropping) is not supported; slice instead")
        data = np.pad(x._data, pairs, constant_values=0 if value is None else value)
        keep = tuple(slice(lo, lo + n) for (lo, _), n in zip(pairs, x.shape))
        return _make(data, x, None, "pad", _pad_rule, keep)
    if mode not in _NUMPY_MODE:
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if value is not None and value != 0:
        raise ValueError(f"pad: value= applies to mode='constant' only, got mode={mode!r}")
    n_spatial = len(tuple(pad)) // 2
    if x.ndim < n_spatial + 1:
        raise ValueError(
            f"pad: mode={mode!r} pads the dimensions after the batch/channel ones; input {x.shape}"
        )
    out = x
    for axis in range(x.ndim - n_spatial, x.ndim):
        lo, hi = pairs[axis]
        if not (lo or hi):
            continue
        n = x.shape[axis]
        if (
            min(lo, hi) < 0
            or (mode == "reflect" and max(lo, hi) >= n)
            or (mode == "circular" and max(lo, hi) > n)
        ):
            raise ValueError(
                f"pad: {mode} padding ({lo}, {hi}) of dimension {axis} (size {n}) must be non-negative and "
                f"{'smaller than' if mode == 'reflect' else 'at most'} the size"
            )
        idx = np.pad(np.arange(n), (lo, hi), mode=_NUMPY_MODE[mode])
        out = out[(slice(None),) * axis + (idx,)]
    return out


def _pad_rule(keep, g, out, x):
    return (g[keep],)


# ---------------------------------------------------------------------------- interpolate
def _sizes(shape, size, scale_factor, op):
    """Output sizes and the source/destination scales PyTorch uses (1/scale_factor when given)."""
    spatial = shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    if size is not None:
        size = (size,) * len(spatial) if isinstance(size, (int, np.integer)) else tuple(size)
        if len(size) != len(spatial):
            raise ValueError(f"{op}: size {size} must have one entry per spatial dimension of {shape}")
        return size, [n / s for n, s in zip(spatial, size)]
    sf = (scale_factor,) * len(spatial) if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
    size = tuple(int(math.floor(n * f)) for n, f in zip(spatial, sf))
    return size, [1.0 / f for f in sf]


def _linear_matrix(n: int, m: int, scale: float, align_corners: bool, dtype) -> np.ndarray:
    """(m, n) matrix of linear interpolation weights: row i mixes the two sources of output i."""
    dst = np.arange(m, dtype=np.float64)
    if align_corners:
        src = dst * ((n - 1) / (m - 1) if m > 1 else 0.0)
    else:
        src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    frac = src - i0
    a = np.zeros((m, n))
    np.add.at(a, (np.arange(m), i0), 1 - frac)
    np.add.at(a, (np.arange(m), i1), frac)
    return a.astype(dtype)


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None):
    """x resized to `size` (or by `scale_factor`): nearest takes source pixel floor(i * scale);
    bilinear / linear mixes the two nearest sources (align_corners as PyTorch's)"""
    op = "interpolate"
    x = _lift(input, op)
    if x.ndim < 3:
        raise ValueError(
            f"{op}: input must be (N, C, ...) with at least one spatial dimension, got {x.shape}"
        )
    size, scales = _sizes(x.shape, size, scale_factor, op)
    if min(size) < 1:
        raise ValueError(f"{op}: output size {size} must be positive")
    spatial = x.ndim - 2
    if mode == "nearest":
        if align_corners is not None:
            raise ValueError(f"{op}: align_corners applies to the linear modes only, not mode='nearest'")
        out = x
        for k, (n, m, sc) in enumerate(zip(x.shape[2:], size, scales)):
            idx = np.minimum(
                np.floor(np.arange(m, dtype=np.float32) * np.float32(sc)).astype(np.int64), n - 1
            )
            out = out[(slice(None),) * (2 + k) + (idx,)]
        return out
    wanted = {"linear": 1, "bilinear": 2}
    if mode not in wanted:
        raise ValueError(f"{op}: mode must be 'nearest', 'linear' or 'bilinear', got {mode!r}")
    if wanted[mode] != spatial:
        raise ValueError(
            f"{op}: mode={mode!r} needs {wanted[mode]} spatial dimensions, input {x.shape} has {spatial}"
        )
    ac = bool(align_corners)
    mats = [_linear_matrix(n, m, sc, ac, x.dtype) for n, m, sc in zip(x.shape[2:], size, scales)]
    out = x @ Tensor(mats[-1].T)  # the last axis
    if spatial == 2:
        out = Tensor(mats[0]) @ out
    return out
