"""Gathering, scattering and sorting with PyTorch's names and arguments: gather, scatter,
scatter_add, index_select, masked_fill, masked_select, take_along_dim, sort, topk, argsort.

gather and scatter_add are each other's backward (so second order works); the others
compose numpy indexing (whose backward scatters, repeated indices adding up) or `where`.
Indices are integer arrays, lists or integer tensors; they carry no gradient. sort and
topk return (values, indices) named tuples; the gradient flows through the values.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import surface
from . import tensor_ops as _ops
from .dims import one_dim
from .surface import raw as _raw
from .tensor import Tensor, _const, _make
from .tensor_ops import _lift

sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])


def _tensor(x, op: str) -> Tensor:
    return x if isinstance(x, Tensor) else _lift(x, op)


def _index_array(op: str, index) -> np.ndarray:
    idx = np.asarray(_raw(index))
    if idx.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: index must hold integers, got dtype {idx.dtype}; pass an integer array, "
            "list or tensor (e.g. np.array([0, 2]) or x.astype(np.int64))"
        )
    return idx


def _along(index: np.ndarray, d: int) -> tuple:
    """The advanced index that picks input[..., index[...], ...] at dim d, elementwise."""
    grid = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    grid[d] = index
    return tuple(grid)


def _check_gather(op: str, shape: tuple, index: np.ndarray, d: int, what: str = "input") -> None:
    if index.ndim != len(shape):
        raise ValueError(
            f"{op}: index has {index.ndim} dims but {what} has {len(shape)} (shape {shape}); "
            "they must have the same number of dims"
        )
    for i, (m, n) in enumerate(zip(index.shape, shape)):
        if i != d and m > n:
            raise ValueError(f"{op}: index shape {index.shape} exceeds {what} shape {shape} at dim {i}")
    if index.size and (index.min() < 0 or index.max() >= shape[d]):
        raise IndexError(f"{op}: index out of range for dim {d} of size {shape[d]} ({what} shape {shape})")


# gather and scatter_add: each the other's backward --------------------------------------
def gather(input, dim: int, index, *, sparse_grad: bool = False):
    """out[i][j] = input[index[i][j]][j] for dim 0 (any rank, any dim); sparse_grad is
    accepted and ignored (gradients are dense arrays)"""
    a = _tensor(input, "gather")
    d = one_dim("gather", a.ndim, dim)
    idx = _index_array("gather", index)
    _check_gather("gather", a.shape, idx, d)
    return _make(a._data[_along(idx, d)], a, None, "gather", _gather_rule, (d, idx))


def _gather_rule(ctx, g, out, a):
    d, idx = ctx
    return (scatter_add(np.zeros(a.shape, _raw(g).dtype), d, idx, g) if isinstance(g, Tensor)
            else _add_at(np.zeros(a.shape, g.dtype), idx, d, g),)  # fmt: skip


def _add_at(z, idx, d, values):
    np.add.at(z, _along(idx, d), values)  # repeated indices add up
    return z


def scatter_add(input, dim: int, index, src):
    """input with src[i][j] added at [index[i][j]][j] (dim 0); repeated indices add up"""
    a, s = _tensor(input, "scatter_add"), _tensor(src, "scatter_add")
    d = one_dim("scatter_add", a.ndim, dim)
    idx = _index_array("scatter_add", index)
    _check_gather("scatter_add", a.shape, idx, d)
    s = _src_part("scatter_add", s, idx)
    data = _add_at(a._data.astype(np.result_type(a._data, s._data), copy=True), idx, d, s._data)
    return _make(data, a, s, "scatter_add", _scatter_add_rule, (d, idx))


def _scatter_add_rule(ctx, g, out, a, s):
    d, idx = ctx
    return g, (gather(g, d, idx) if isinstance(g, Tensor) else g[_along(idx, d)])


def _src_part(op: str, s: Tensor, idx: np.ndarray) -> Tensor:
    """The part of src that index covers (PyTorch reads only that); an index, so the
    gradient of the rest is zero."""
    if s.shape == idx.shape:
        return s
    if s.ndim != idx.ndim or any(m > n for m, n in zip(idx.shape, s.shape)):
        raise ValueError(f"{op}: src shape {s.shape} must be at least index shape {idx.shape} in every dim")
    return s[tuple(slice(n) for n in idx.shape)]


def scatter(input, dim: int, index, src=None, *, value=None, reduce=None):
    """input with src[i][j] (or the number `value`) written at [index[i][j]][j] (dim 0);
    the gradient of input is zero where it was overwritten"""
    if reduce is not None:
        raise ValueError(f"scatter: reduce={reduce!r} is not supported; use scatter_add for 'add'")
    if src is None and value is None or src is not None and value is not None:
        raise TypeError("scatter: give src (a tensor) or value (a number), one of them")
    if src is not None and _ops._is_scalar(src) and not isinstance(src, Tensor):
        src, value = None, src  # scatter(x, dim, index, 1.5), as PyTorch allows
    a = _tensor(input, "scatter")
    d = one_dim("scatter", a.ndim, dim)
    idx = _index_array("scatter", index)
    _check_gather("scatter", a.shape, idx, d)
    where = _along(idx, d)
    kept = np.ones(a.shape, bool)
    kept[where] = False
    if src is None:
        data = a._data.copy()
        data[where] = value
        return _make(data, a, None, "scatter", _scatter_value_rule, kept)
    s = _src_part("scatter", _tensor(src, "scatter"), idx)
    data = a._data.astype(np.result_type(a._data, s._data), copy=True)
    data[where] = s._data
    return _make(data, a, s, "scatter", _scatter_rule, (d, idx, kept))


def _scatter_value_rule(kept, g, out, a):
    return (g * kept,)


def _scatter_rule(ctx, g, out, a, s):
    d, idx, kept = ctx
    return g * kept, (gather(g, d, idx) if isinstance(g, Tensor) else g[_along(idx, d)])


# selections that compose indexing -------------------------------------------------------
def index_select(input, dim: int, index):
    """the slices index[0], index[1], ... of input along dim (repeats allowed)"""
    a = _tensor(input, "index_select")
    d = one_dim("index_select", a.ndim, dim)
    idx = _index_array("index_select", index)
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {idx.shape}")
    n = a.shape[d]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"index_select: index out of range for dim {dim} of size {n} (shape {a.shape})")
    return a[(slice(None),) * d + (idx.reshape(-1),)]


def _bool_mask(op: str, mask) -> np.ndarray:
    m = np.asarray(_raw(mask))
    if m.dtype != bool:
        raise TypeError(f"{op}: mask must be a bool tensor or array, got dtype {m.dtype} (use mask != 0)")
    return m


def masked_fill(input, mask, value):
    """input with `value` (a number or a 0-d tensor) where mask is true; mask broadcasts"""
    a = _tensor(input, "masked_fill")
    m = _bool_mask("masked_fill", mask)
    try:
        ok = np.broadcast_shapes(m.shape, a.shape) == a.shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"masked_fill: mask of shape {m.shape} does not broadcast to the input's {a.shape}")
    if isinstance(value, Tensor):
        if value.ndim:
            raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}")
    else:
        value = _const(np.asarray(value, a.dtype))  # the input's dtype, as PyTorch keeps it
    return _ops.where(m, value, a)


def masked_select(input, mask):
    """the elements of input where mask is true, as a 1-D tensor (the two broadcast)"""
    a = _tensor(input, "masked_select")
    m = _bool_mask("masked_select", mask)
    try:
        shape = np.broadcast_shapes(m.shape, a.shape)
    except ValueError:
        raise ValueError(f"masked_select: mask {m.shape} and input {a.shape} do not broadcast") from None
    if a.shape != shape:
        a = a.expand(shape)
    return a[np.broadcast_to(m, shape)]


def take_along_dim(input, indices, dim=None):
    """input[..., indices[...], ...] picked elementwise along dim (the others broadcast);
    dim=None: on the flattened input"""
    a = _tensor(input, "take_along_dim")
    idx = _index_array("take_along_dim", indices)
    if dim is None:
        return a.reshape(-1)[idx.reshape(-1)]
    d = one_dim("take_along_dim", a.ndim, dim)
    if idx.ndim != a.ndim:
        raise ValueError(f"take_along_dim: indices have {idx.ndim} dims but input has {a.ndim}; give as many")
    nd = a.ndim
    key = tuple(
        idx if i == d else np.arange(n).reshape((-1,) + (1,) * (nd - 1 - i)) for i, n in enumerate(a.shape)
    )
    try:
        return a[key]
    except IndexError:
        raise ValueError(
            f"take_along_dim: indices {idx.shape} and input {a.shape} do not broadcast outside dim {dim}"
        ) from None


# sorting ----------------------------------------------------------------------------------
def _order(x: np.ndarray, d: int, descending: bool) -> np.ndarray:
    """Stable sort indices; descending keeps equal elements in their first-come order and
    puts nan first (as PyTorch)."""
    if not descending:
        return np.argsort(x, axis=d, kind="stable")
    n = x.shape[d]
    return (n - 1) - np.flip(np.argsort(np.flip(x, d), axis=d, kind="stable"), d)


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """the indices that sort input along dim (int64, no gradient); always stable here"""
    x = _raw(_tensor(input, "argsort"))
    if x.ndim == 0:
        return _const(np.zeros((), np.int64))
    return _const(_order(x, one_dim("argsort", x.ndim, dim), descending).astype(np.int64))


def sort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """(values, indices): input sorted along dim; always stable here; gradient via values"""
    a = _tensor(input, "sort")
    if a.ndim == 0:
        return sort_result(a.reshape(()), _const(np.zeros((), np.int64)))
    d = one_dim("sort", a.ndim, dim)
    idx = _order(a._data, d, descending).astype(np.int64)
    return sort_result(take_along_dim(a, idx, d), _const(idx))


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """(values, indices) of the k largest (largest=False: smallest) along dim, in order"""
    a = _tensor(input, "topk")
    d = one_dim("topk", a.ndim, dim)
    n = a.shape[d] if a.ndim else 1
    if k.__class__ is bool or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"topk: k={k!r} must be an int in [0, {n}] (dim {dim} has size {n})")
    if a.ndim == 0:
        return topk_result(a.reshape(()), _const(np.zeros((), np.int64)))
    idx = _order(a._data, d, largest)[(slice(None),) * d + (slice(0, k),)].astype(np.int64)
    return topk_result(take_along_dim(a, idx, d), _const(idx))


METHODS = (gather, scatter, scatter_add, index_select, masked_fill, masked_select, take_along_dim,
           sort, topk, argsort)  # fmt: skip
__all__ = [fn.__name__ for fn in METHODS]


# gather reads only its input's shape, but PyTorch saves the input: the same check here
_READS = dict.fromkeys((_scatter_add_rule, _scatter_rule, _scatter_value_rule), surface.NOTHING)
surface.bind(METHODS, reads={**_READS, _gather_rule: surface.INPUTS})
