"""Reductions and scans with PyTorch's signatures: prod, norm, amax, amin, all, any,
cumsum, cumprod. Dims are read by `dims.reduce_dims` (PyTorch's `dim`/`keepdim` or numpy's
`axis`/`keepdims`, one spelling per call).

Gradients with zeros in the input are exact, as PyTorch's: the gradient of a product is
the product of the other factors (computed without dividing), and a scan with a zero is
differentiated term by term. Rules run on arrays and on Tensors (second order).
"""

from __future__ import annotations

import math

import numpy as np

from . import surface
from . import tensor_ops as _ops
from .dims import one_dim, reduce_dims
from .reductions import _kept_shape
from .surface import raw as _raw
from .surface import where as _where
from .tensor import Tensor, _const, _make
from .tensor_ops import _lift, _masked
from .tensor_shape import flip, movedim


def _tensor(x, op: str) -> Tensor:
    return x if isinstance(x, Tensor) else _lift(x, op)


def _cast(a: Tensor, dtype) -> Tensor:
    return a if dtype is None or np.dtype(dtype) == a.dtype else a.astype(dtype)


def _kept(g, a_shape, axes, keepdim):
    """g in the reduction's keepdim shape, so that it broadcasts against the input."""
    return g if keepdim or axes == () else g.reshape(_kept_shape(a_shape, axes))


# dispatch: arrays (numpy) or Tensors (recorded) ---------------------------------------------
def _cumsum(x, d):
    return cumsum(x, d) if isinstance(x, Tensor) else np.cumsum(x, d)


def _cumprod(x, d):
    return cumprod(x, d) if isinstance(x, Tensor) else np.cumprod(x, d)


def _flip(x, d):
    return flip(x, d) if isinstance(x, Tensor) else np.flip(x, d)


def _moveaxis(x, s, d):
    return movedim(x, s, d) if isinstance(x, Tensor) else np.moveaxis(x, s, d)


def _join(parts, d):
    return _ops.cat(parts, d) if _has_tensor(parts) else np.concatenate(parts, d)


def _stack(parts, d):
    return _ops.stack(parts, d) if _has_tensor(parts) else np.stack(parts, d)


def _has_tensor(parts) -> bool:
    for p in parts:  # (not any(): in this module, `any` is the reduction)
        if isinstance(p, Tensor):
            return True
    return False


def _exclusive_cumprod(x, d: int):
    """prod of x[..., :i] along d at each i (1 at i = 0): a scan that never divides."""
    shape = list(x.shape)
    shape[d] = 1
    one = np.ones(shape, _raw(x).dtype)
    head = x[(slice(None),) * d + (slice(0, -1),)]
    return _cumprod(_join([one, head], d), d)


# products --------------------------------------------------------------------------------------
def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """the product of the elements over dim (None: all); d/dx_i = the product of the others"""
    a = _cast(_tensor(input, "prod"), dtype)
    axes, keep = reduce_dims("prod", a.ndim, dim, keepdim or None, axis, keepdims)
    data = np.prod(a._data, axis=axes, keepdims=keep)
    return _make(data, a, None, "prod", _prod_rule, (axes, keep))


def _prod_rule(ctx, g, out, a):
    axes, keep = ctx
    g, out = _kept(g, a.shape, axes, keep), _kept(out, a.shape, axes, keep)
    if (_raw(a) != 0).all():
        return (g * out / a,)
    # With zeros: the product of the others, as left and right exclusive products along
    # the reduced dims gathered into one last dim.
    nd = a.ndim
    red = tuple(range(nd)) if axes is None else axes
    rest = tuple(i for i in range(nd) if i not in red)
    moved = _moveaxis(a, red, tuple(range(nd - len(red), nd)))
    flat = moved.reshape(tuple(a.shape[i] for i in rest) + (-1,))
    last = flat.ndim - 1
    others = _exclusive_cumprod(flat, last) * _flip(_exclusive_cumprod(_flip(flat, last), last), last)
    back = _moveaxis(others.reshape(moved.shape), tuple(range(nd - len(red), nd)), red)
    return (g * back,)


def cumsum(input, dim=None, *, dtype=None, axis=None):
    """running sums along dim; the gradient is the reversed running sum of g"""
    a = _cast(_tensor(input, "cumsum"), dtype)
    d = _scan_dim("cumsum", a, dim, axis)
    if not a.ndim:  # a 0-d scan is the identity
        return _make(a._data.copy(), a, None, "cumsum", _scan0_rule)
    return _make(np.cumsum(a._data, d), a, None, "cumsum", _cumsum_rule, d)


def _cumsum_rule(d, g, out, a):
    return (_flip(_cumsum(_flip(g, d), d), d),)


def cumprod(input, dim=None, *, dtype=None, axis=None):
    """running products along dim; exact gradients where the input has zeros"""
    a = _cast(_tensor(input, "cumprod"), dtype)
    d = _scan_dim("cumprod", a, dim, axis)
    if not a.ndim:
        return _make(a._data.copy(), a, None, "cumprod", _scan0_rule)
    return _make(np.cumprod(a._data, d), a, None, "cumprod", _cumprod_rule, d)


def _scan0_rule(ctx, g, out, a):
    return (g,)


def _cumprod_rule(d, g, out, a):
    if (_raw(a) != 0).all():  # d out_k / d x_i = out_k / x_i for k >= i
        return (_flip(_cumsum(_flip(g * out, d), d), d) / a,)
    # With zeros, term by term: d/dx_i sum_k g_k out_k = sum_{k>=i} g_k prod_{j<=k, j!=i} x_j.
    x = _raw(a)
    n = x.shape[d]
    lead = (slice(None),) * d
    parts = []
    for i in range(n):
        ones_at_i = np.zeros(x.shape, bool)
        ones_at_i[lead + (i,)] = True
        without_i = _cumprod(_where(ones_at_i, 1.0, a), d)
        parts.append((g * without_i)[lead + (slice(i, None),)].sum(axis=d))
    return (_stack(parts, d),)


def _scan_dim(op: str, a, dim, axis) -> int:
    if dim is not None and axis is not None:
        raise TypeError(f"{op}: got both dim and axis; use one ({op}(x, dim=...))")
    d = dim if axis is None else axis
    if d is None:
        raise TypeError(f"{op}: dim is required, as in PyTorch ({op}(x, dim=0)); flatten() first for all")
    return one_dim(op, a.ndim, d)


# extrema and norms --------------------------------------------------------------------------------
def _amax_like(op: str, reduce):
    def fn(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
        a = _tensor(input, op)
        dim = None if isinstance(dim, (tuple, list)) and not dim else dim  # (): all dims
        axes, keep = reduce_dims(op, a.ndim, dim, keepdim or None, axis, keepdims)
        if a._data.size == 0:
            raise ValueError(f"{op}: the tensor of shape {a.shape} is empty; {op} of nothing is undefined")
        return _make(reduce(a._data, axis=axes, keepdims=keep), a, None, op, _amax_rule, (axes, keep))

    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"the {op[1:]}imum over dim (all by default); tied elements share the gradient evenly"
    return fn


def _amax_rule(ctx, g, out, a):
    axes, keep = ctx
    x = _raw(a)
    hit = np.asarray(x == _kept(_raw(out), x.shape, axes, keep), dtype=x.dtype)
    hit /= hit.sum(axis=axes, keepdims=True)
    return (_kept(g, x.shape, axes, keep) * hit,)


amax, amin = _amax_like("amax", np.max), _amax_like("amin", np.min)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    """the vector p-norm (sum |x|^p)^(1/p) over dim (None: all elements): p = 'fro' or 2,
    1, inf, -inf, 0 (count of nonzeros) or any p > 0; gradients at 0 as PyTorch's"""
    a = _cast(_tensor(input, "norm"), dtype)
    if isinstance(p, str):
        if p != "fro":
            raise ValueError(
                f"norm: p={p!r} is not supported; use p='fro', a number or inf ('nuc' is not here)"
            )
        p = 2.0
    if (
        p.__class__ is bool
        or not isinstance(p, (int, float, np.integer, np.floating))
        or not (p >= 0 or p == -math.inf)
    ):
        raise ValueError(f"norm: p must be 'fro', inf, -inf or a number >= 0, got {p!r}")
    axes, keep = reduce_dims("norm", a.ndim, dim, keepdim or None, axis, keepdims)
    x = np.abs(a._data)
    p = float(p)
    if p == 2:
        data = np.sqrt(np.sum(x * x, axis=axes, keepdims=keep))
    elif p == 1:
        data = np.sum(x, axis=axes, keepdims=keep)
    elif p == math.inf:
        data = np.max(x, axis=axes, keepdims=keep)
    elif p == -math.inf:
        data = np.min(x, axis=axes, keepdims=keep)
    elif p == 0:
        data = np.sum(x != 0, axis=axes, keepdims=keep).astype(x.dtype)
    else:
        data = np.sum(x**p, axis=axes, keepdims=keep) ** (1 / p)
    return _make(np.asarray(data, a.dtype), a, None, "norm", _norm_rule, (p, axes, keep))


def _norm_rule(ctx, g, out, a):
    p, axes, keep = ctx
    x = _raw(a)
    g, out = _kept(g, x.shape, axes, keep), _kept(out, x.shape, axes, keep)
    sign = np.sign(x)
    if p == 0:
        return (np.zeros(x.shape, x.dtype),)  # a count (PyTorch leaves .grad None)
    if p == 1:
        return (g * sign,)
    if p in (math.inf, -math.inf):
        hit = np.asarray(np.abs(x) == _raw(out), dtype=x.dtype)
        hit /= hit.sum(axis=axes, keepdims=True)
        return (g * (sign * hit),)
    zero = _raw(out) == 0  # the gradient at a zero norm is 0, as PyTorch's
    if p == 2:
        return (a * _where(zero, 0.0, g / _where(zero, 1.0, out)),)
    if p < 1:
        nonzero = x != 0  # |x|^(p - 1) is infinite at 0, where PyTorch's gradient is 0
        scaled = _masked(abs(_where(nonzero, a, 1.0)) ** (p - 1), nonzero) * sign
        return (scaled * g * out ** (1 - p),)
    scaled = sign * abs(a) ** (p - 1) if p < 2 else a * abs(a) ** (p - 2)
    return (scaled * _where(zero, 0.0, g / _where(zero, 1.0, out ** (p - 1))),)


# logical reductions (no gradient) -------------------------------------------------------------------
def _logical(op: str, reduce):
    def fn(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
        x = _raw(_tensor(input, op))
        axes, keep = reduce_dims(op, x.ndim, dim, keepdim or None, axis, keepdims)
        return _const(np.asarray(reduce(x, axis=axes, keepdims=keep)))

    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"whether {'every' if op == 'all' else 'any'} element over dim is nonzero (a bool tensor)"
    return fn


all, any = _logical("all", np.all), _logical("any", np.any)

METHODS = (prod, cumsum, cumprod, amax, amin, norm, all, any)
__all__ = [fn.__name__ for fn in METHODS]


surface.bind(
    METHODS,
    reads={_prod_rule: surface.BOTH, _cumsum_rule: surface.NOTHING, _scan0_rule: surface.NOTHING,
           _cumprod_rule: surface.BOTH, _amax_rule: surface.BOTH, _norm_rule: surface.BOTH},
)  # fmt: skip
