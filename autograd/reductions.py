"""Reductions and the softmax family: each primitive's forward with its backward below it.

Arguments follow PyTorch (`dim`, `keepdim`, `correction` / `unbiased`), with numpy's
keywords (`axis`, `keepdims`, `ddof`) accepted with numpy's meaning where the two differ:
`max(1)` / `max(dim=1)` give `(values, indices)`, `max(axis=1)` the values; `var()` is
unbiased, `var(axis=0)` divides by n. One spelling per call (`dims.reduce_dims`). The call
without arguments skips all parsing: it is the hot path of every loss.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .dims import one_dim, reduce_dims
from .tensor import Tensor, _const, _make

_ndarray = np.ndarray
_add_reduce = np.add.reduce  # ndarray.sum without its Python wrapper (float arrays)

# What max(dim) / min(dim) return, as torch.return_types: a named pair, unpackable.
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


def _exp(x):
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


def _broadcast_to(x, shape):
    if isinstance(x, Tensor):
        return x.expand(shape)
    out = np.empty(shape, x.dtype)  # a fresh array: cheaper than np.broadcast_to's wrapper
    out[...] = x
    return out


def _kept_shape(shape: tuple, axes) -> tuple:
    """The shape of a reduction over `axes` with keepdims=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape: tuple, axes) -> int:
    return math.prod(shape) if axes is None else math.prod(shape[i] for i in axes)


def _total(x, axes, keep: bool):
    if x.dtype.kind == "f":
        return _add_reduce(x, axes, None, None, keep)
    return x.sum(axes, keepdims=keep)  # ints and bools sum as int64, as PyTorch


def _dims(op, ndim, dim, keepdim, axis, keepdims):
    """reduce_dims for the ops whose two spellings mean the same (sum, mean, logsumexp,
    argmax, argmin): the keep flag may come in the other library's spelling, as PyTorch
    accepts (`x.sum(1, keepdims=True)` is valid numpy and valid PyTorch)."""
    if keepdims is not None and keepdim is None and axis is None:
        keepdim, keepdims = keepdims, None
    elif keepdim is not None and keepdims is None and dim is None and axis is not None:
        keepdim, keepdims = None, keepdim
    return reduce_dims(op, ndim, dim, keepdim, axis, keepdims)


# sum and mean ---------------------------------------------------------------------------
def sum(a, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """sum over dim (None: all)"""
    if dim is None and axis is None and keepdim is None and keepdims is None:
        axes, keep = None, False
    else:
        axes, keep = _dims("sum", a._data.ndim, dim, keepdim, axis, keepdims)
    return _make(_total(a._data, axes, keep), a, None, "sum", _sum_rule, (axes, keep))


def _sum_rule(ctx, g, out, a):
    axes, keep = ctx
    if axes is not None and not keep:
        g = g.reshape(_kept_shape(a.shape, axes))
    return (_broadcast_to(g, a.shape),)


def mean(a, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """sum / number of elements summed (a primitive: one node fewer than sum * (1/n))"""
    if dim is None and axis is None and keepdim is None and keepdims is None:
        axes, keep = None, False
    else:
        axes, keep = _dims("mean", a._data.ndim, dim, keepdim, axis, keepdims)
    x = a._data
    n = _count(x.shape, axes)
    if n == 0:
        raise ValueError(f"mean: no elements to average (shape {x.shape}, dims {axes})")
    return _make(np.true_divide(_total(x, axes, keep), n), a, None, "mean", _mean_rule, (axes, keep, n))


def _mean_rule(ctx, g, out, a):
    axes, keep, n = ctx
    if axes is not None and not keep:
        g = g.reshape(_kept_shape(a.shape, axes))
    return (_broadcast_to(g / n, a.shape),)


# max and min ----------------------------------------------------------------------------
def _extremum(a, dim, keepdim, axis, keepdims, op: str, reduce, arg, result):
    x = a._data
    if dim is None and axis is None and keepdim is None and keepdims is None:
        axes, keep = None, False  # the whole tensor: a value
    elif axis is not None or keepdims is not None:
        # numpy's meaning, the values only; with a dim or keepdim (PyTorch's) it is an error
        axes, keep = reduce_dims(op, x.ndim, dim, keepdim, axis, keepdims)
    elif dim is None:
        raise TypeError(f"{op}: keepdim= needs a dim ({op}(dim, keepdim=True)); {op}() reduces everything")
    elif isinstance(dim, (Tensor, _ndarray)):
        if keepdim is not None:
            raise TypeError(f"{op}(other) is elementwise and takes no keepdim")
        return getattr(a, "maximum" if op == "max" else "minimum")(dim)  # torch.max(a, b)
    elif isinstance(dim, (tuple, list)):
        raise TypeError(
            f"{op}: {op}(dim) takes one dimension and returns (values, indices); for the values over "
            f"several dimensions use {op}(axis={tuple(dim)!r}) or a{op}(dim={tuple(dim)!r})"
        )
    else:  # PyTorch: (values, indices) along one dim
        return _extremum_dim(a, one_dim(op, x.ndim, dim), bool(keepdim), op, arg, result)
    if x.size == 0:
        raise ValueError(f"{op}: the tensor of shape {x.shape} is empty; {op} of nothing is undefined")
    data = reduce(x, axis=axes, keepdims=keep)
    return _make(data, a, None, op, _extremum_rule, (axes, keep))


def _extremum_rule(ctx, g, out, a):
    axes, keep = ctx
    x, y = a if a.__class__ is _ndarray else a._data, out if out.__class__ is _ndarray else out._data
    if axes is not None and not keep:
        kept = _kept_shape(x.shape, axes)
        y, g = y.reshape(kept), g.reshape(kept)
    hit = np.asarray(x == y, dtype=x.dtype)
    hit /= hit.sum(axis=axes, keepdims=True)  # tied extrema share the gradient, as torch.amax
    return (g * hit,)


def _extremum_dim(a, ax: int, keep: bool, op: str, arg, result):
    x = a._data
    if x.ndim == 0:
        return result(_make(x.copy(), a, None, op, _pick_rule, ((), keep, None)), _const(np.array(0)))
    if x.shape[ax] == 0:
        raise ValueError(f"{op}: dim {ax} of shape {x.shape} is empty; {op} of nothing is undefined")
    idx = np.expand_dims(arg(x, axis=ax), ax)
    values = np.take_along_axis(x, idx, ax)
    hit = np.zeros(x.shape, x.dtype if x.dtype.kind == "f" else np.float64)
    np.put_along_axis(hit, idx, 1, ax)  # the gradient goes to the index returned, as PyTorch
    if not keep:
        values, idx = values.squeeze(ax), idx.squeeze(ax)
    return result(_make(values, a, None, op, _pick_rule, ((ax,), keep, hit)), _const(idx))


def _pick_rule(ctx, g, out, a):
    axes, keep, hit = ctx  # (the dim,), keepdim, 1 at the index picked in each row
    if hit is None:  # 0-d
        return (g,)
    if not keep:
        ax = axes[0]
        g = g.reshape(g.shape[:ax] + (1,) + g.shape[ax:])
    return (g * hit,)


def max(a, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """max(): the largest element; max(dim): (values, indices); max(axis=): values (numpy)"""
    return _extremum(a, dim, keepdim, axis, keepdims, "max", np.max, np.argmax, MaxResult)


def min(a, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """min(): the smallest element; min(dim): (values, indices); min(axis=): values (numpy)"""
    return _extremum(a, dim, keepdim, axis, keepdims, "min", np.min, np.argmin, MinResult)


def _arg(a, dim, keepdim, axis, keepdims, op: str, fn):
    x = a._data
    axes, keep = _dims(op, x.ndim, dim, keepdim, axis, keepdims)
    if axes is not None and len(axes) > 1:
        raise TypeError(f"{op}: takes one dimension, got {dim if axis is None else axis!r}")
    if x.size == 0:
        raise ValueError(f"{op}: the tensor of shape {x.shape} is empty")
    if axes == ():  # a 0-d tensor, dim 0
        return _const(np.array(0))
    return _const(np.asarray(fn(x, axis=None if axes is None else axes[0], keepdims=keep)))


def argmax(a, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """index of the largest element (the first, at ties), as an int64 tensor"""
    return _arg(a, dim, keepdim, axis, keepdims, "argmax", np.argmax)


def argmin(a, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """index of the smallest element (the first, at ties), as an int64 tensor"""
    return _arg(a, dim, keepdim, axis, keepdims, "argmin", np.argmin)


# variance -------------------------------------------------------------------------------
def _var_args(op, ndim, dim, unbiased, keepdim, correction, axis, keepdims, ddof):
    """(axes, keepdim, correction): PyTorch's defaults unbiased, numpy's (axis=/ddof=) ddof=0."""
    if ddof is not None or axis is not None or keepdims is not None:
        if unbiased is not None or correction is not None or (ddof is not None and dim is not None):
            raise TypeError(
                f"{op}: got numpy's axis/keepdims/ddof with PyTorch's unbiased/correction; use one "
                f"spelling: {op}(dim, correction=1, keepdim=False) or {op}(axis=..., ddof=0, keepdims=False)"
            )
        axes, keep = reduce_dims(op, ndim, dim, keepdim, axis, keepdims)
        return axes, keep, 0 if ddof is None else ddof
    if dim.__class__ is bool:  # torch's legacy var(unbiased) overload
        dim, unbiased = None, dim
    axes, keep = reduce_dims(op, ndim, dim, keepdim)
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: give unbiased or correction, not both (unbiased=False is correction=0)")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return axes, keep, correction


def var(a, dim=None, unbiased=None, keepdim=None, *, correction=None, axis=None, keepdims=None, ddof=None):
    """sum of squared deviations from the mean / (n - correction); correction=1 unless
    unbiased=False, or numpy's spelling (axis=, ddof=: ddof=0 by default). n <= correction
    gives nan (inf where the deviations are not all 0), as PyTorch and numpy."""
    axes, keep, c = _var_args("var", a._data.ndim, dim, unbiased, keepdim, correction, axis, keepdims, ddof)
    n = _count(a._data.shape, axes)
    d = a - mean(a, axes, keepdim=True)
    return sum(d * d, axes, keep) * (1 / (n - c) if n > c else math.inf)


def std(a, dim=None, unbiased=None, keepdim=None, *, correction=None, axis=None, keepdims=None, ddof=None):
    """sqrt(var): the same arguments as var"""
    return var(
        a, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims, ddof=ddof
    ).sqrt()


# softmax family (fused: one pass each way, stable for large inputs) -----------------------
def _softmax_dim(op, a, dim, axis) -> int:
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: got both dim and axis; use {op}(dim=...)")
        dim = axis
    return one_dim(op, a._data.ndim, -1 if dim is None else dim)


def softmax(a, dim=None, *, axis=None):
    """e^x / sum e^x along dim (default -1), computed as e^(x - max): no overflow"""
    ax = _softmax_dim("softmax", a, dim, axis)
    x = a._data
    if not x.ndim:
        return _make(np.ones_like(x), a, None, "softmax", _softmax_rule, None)
    e = np.exp(x - x.max(axis=ax, keepdims=True))
    e /= e.sum(axis=ax, keepdims=True)
    return _make(e, a, None, "softmax", _softmax_rule, ax)


def _softmax_rule(ax, g, out, a):
    return (out * (g - (g * out).sum(axis=ax, keepdims=ax is not None)),)


def log_softmax(a, dim=None, *, axis=None):
    """x - logsumexp(x) along dim (default -1), stable for large inputs"""
    ax = _softmax_dim("log_softmax", a, dim, axis)
    x = a._data
    if not x.ndim:
        return _make(np.zeros_like(x), a, None, "log_softmax", _log_softmax_rule, None)
    s = x - x.max(axis=ax, keepdims=True)
    s -= np.log(np.exp(s).sum(axis=ax, keepdims=True))
    return _make(s, a, None, "log_softmax", _log_softmax_rule, ax)


def _log_softmax_rule(ax, g, out, a):
    return (g - _exp(out) * g.sum(axis=ax, keepdims=ax is not None),)


def logsumexp(a, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """log(sum(e^x)) over dim (None: all), shifted by the max so it cannot overflow"""
    x = a._data
    axes, keep = _dims("logsumexp", x.ndim, dim, keepdim, axis, keepdims)
    if x.size == 0:
        raise ValueError(f"logsumexp: the tensor of shape {x.shape} is empty")
    m = x.max(axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # rows of -inf give -inf, not nan
    kept = np.log(np.exp(x - m).sum(axis=axes, keepdims=True)) + m
    data = (
        kept
        if keep
        else kept.reshape(tuple(n for i, n in enumerate(x.shape) if axes is not None and i not in axes))
    )
    return _make(data, a, None, "logsumexp", _logsumexp_rule, (axes, keep))


def _logsumexp_rule(ctx, g, out, a):
    axes, keep = ctx
    if not keep:
        kept = _kept_shape(a.shape, axes)
        g, out = g.reshape(kept), out.reshape(kept)
    return (g * _exp(a - out),)


def bind() -> None:
    for fn in (sum, mean, max, min, argmax, argmin, var, std, softmax, log_softmax, logsumexp):
        setattr(Tensor, fn.__name__, fn)


READS = {
    _sum_rule: (False, False),
    _mean_rule: (False, False),
    _pick_rule: (False, False),
    _extremum_rule: (True, True),
    _softmax_rule: (False, True),
    _log_softmax_rule: (False, True),
    _logsumexp_rule: (True, True),
}
