"""Tensor ops: each primitive's forward with its backward rule right below it, then the
ops composed from primitives, then the table that binds them as Tensor methods.

A rule is `rule(ctx, g, out, *parents) -> one gradient per parent (None: not needed)`.
The engine calls it on raw numpy arrays (fast path) or, for `create_graph=True`, on the
Tensors themselves, so rules use only what both understand: operators, `.T`, `.sum`,
`.reshape`, `.transpose`, `.swapaxes`, `.astype`, and the small `_exp`/`_where`/...
helpers that dispatch on type. Gradients may keep the output's broadcast shape: the
engine's one unbroadcast step (`Tensor._conform`) sums them back to each input's shape.
Piecewise-constant factors (masks of relu, max, clip) are computed from raw data: they
are constants of the graph, with zero derivative almost everywhere.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from .engine import Node
from .engine import add_rule as _add_rule
from .engine import mul_rule as _mul_rule
from .grad_mode import state as _state
from .tensor import EXACT_RULES, Tensor, _const, _make, _make_n, _raw

_ndarray = np.ndarray
_add_reduce = np.add.reduce  # ndarray.sum without its Python wrapper (float arrays)


# operands -----------------------------------------------------------------------------
def _is_scalar(x) -> bool:
    """A Python or numpy number: kept as a number so NEP 50 keeps float32 float32."""
    return x.__class__ is float or x.__class__ is int or isinstance(x, (Real, np.number, np.bool_))


def _lift(x, op: str) -> Tensor:
    """An array-like operand as a constant Tensor (no gradient)."""
    if x.__class__ is Tensor:
        return x
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Node):  # another node kind (Value)
        raise TypeError(f"{op}: cannot combine a Tensor with a {type(x).__name__}; use Tensors only")
    try:
        arr = np.asarray(x)
    except ValueError as e:
        raise ValueError(f"{op}: cannot read operand {x!r} as an array ({e})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{op}: operand of type {type(x).__name__} (dtype {arr.dtype}) is not numeric")
    return _const(arr)


def _lift_pair(a, b, op: str):
    """Two operands as Tensors; a lone number becomes a 0-d constant of the dtype numpy
    would give the result (so `where(m, x32, 0.0)` stays float32)."""
    a_num, b_num = not isinstance(a, Tensor) and _is_scalar(a), not isinstance(b, Tensor) and _is_scalar(b)
    if a_num and b_num:
        a, b = _lift(a, op), _lift(b, op)
    elif a_num:
        b = _lift(b, op)
        a = _const(np.asarray(a, dtype=np.result_type(b._data, a)))
    elif b_num:
        a = _lift(a, op)
        b = _const(np.asarray(b, dtype=np.result_type(a._data, b)))
    else:
        a, b = _lift(a, op), _lift(b, op)
    return a, b


def _broadcast_error(op: str, x, y) -> ValueError:
    return ValueError(
        f"{op}: shapes {np.shape(x)} and {np.shape(y)} do not broadcast (numpy's rule: aligned from "
        "the right, each pair of sizes equal or one of them 1)"
    )


# dispatch helpers for rules -------------------------------------------------------------
def _exp(x):
    return exp(x) if x.__class__ is Tensor else np.exp(x)


def _log(x):
    return log(x) if x.__class__ is Tensor else np.log(x)


def _where(cond, x, y):
    if x.__class__ is Tensor or y.__class__ is Tensor:
        return where(cond, x, y)
    return np.where(cond, x, y)


def _broadcast_to(x, shape):
    if x.__class__ is Tensor:
        return expand(x, shape)
    out = np.empty(shape, x.dtype)  # a fresh array: cheaper than np.broadcast_to's wrapper
    out[...] = x
    return out


def _masked(g, mask):
    """g where mask is true, else 0. For arrays: the mask cast once and multiplied in place,
    which avoids numpy's casting buffer for float * bool (half the transient memory)."""
    if g.__class__ is Tensor:
        return g * mask
    m = np.asarray(mask, g.dtype)  # an array even for 0-d, where numpy gives a bool scalar
    m *= g
    return m


def _kept_shape(shape: tuple, axes) -> tuple:
    """The shape of a reduction over `axes` with keepdims=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _norm_axes(axis, ndim: int, op: str):
    """None, or a tuple of distinct non-negative axes, checked against ndim."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for ax in axes:
        if not isinstance(ax, (int, np.integer)) or not -ndim <= ax < ndim:
            raise ValueError(f"{op}: axis {ax!r} is out of range for a tensor with {ndim} dimensions")
        out.append(int(ax) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis!r} repeats an axis")
    return tuple(out)


def _norm_axis(axis, ndim: int, op: str) -> int:
    if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis!r} is out of range for a tensor with {ndim} dimensions")
    return int(axis) % ndim


# ======================================================================================
# primitives: arithmetic
# ======================================================================================
def add(a, b):
    """a + b"""
    if b.__class__ is not Tensor:
        if _is_scalar(b):
            return _make(a._data + b, a, None, "+", _add_scalar_rule)
        b = _lift(b, "+")
    try:
        data = a._data + b._data
    except ValueError:
        raise _broadcast_error("+", a._data, b._data) from None
    return _make(data, a, b, "+", _add_rule)


def _add_scalar_rule(ctx, g, out, a):
    return (g,)


def mul(a, b):
    """a * b"""
    if b.__class__ is not Tensor:
        if _is_scalar(b):
            return _make(a._data * b, a, None, "*", _mul_scalar_rule, b)
        b = _lift(b, "*")
    try:
        data = a._data * b._data
    except ValueError:
        raise _broadcast_error("*", a._data, b._data) from None
    return _make(data, a, b, "*", _mul_rule)


def _mul_scalar_rule(c, g, out, a):
    return (g * c,)


def sub(a, b):
    """a - b (a primitive rather than a + -b: one node fewer in every loss; see bench/)"""
    if b.__class__ is not Tensor:
        if _is_scalar(b):
            return _make(a._data - b, a, None, "-", _add_scalar_rule)
        b = _lift(b, "-")
    try:
        data = a._data - b._data
    except ValueError:
        raise _broadcast_error("-", a._data, b._data) from None
    return _make(data, a, b, "-", _sub_rule)


def _sub_rule(ctx, g, out, a, b):
    return g, -g


def rsub(a, b):
    """b - a"""
    if _is_scalar(b):
        return _make(b - a._data, a, None, "-", _rsub_scalar_rule)
    return sub(_lift(b, "-"), a)


def _rsub_scalar_rule(ctx, g, out, a):
    return (-g,)


def pow(a, b):
    """a ** b for a number b, or elementwise for a tensor b (then d/db uses log a, a > 0)"""
    if b.__class__ is not Tensor and _is_scalar(b):
        return _make(a._data**b, a, None, f"**{b:g}", _pow_scalar_rule, b)
    a, b = _lift(a, "**"), _lift(b, "**")
    try:
        data = a._data**b._data
    except ValueError:
        raise _broadcast_error("**", a._data, b._data) from None
    return _make(data, a, b, "**", _pow_rule)


def _pow_scalar_rule(n, g, out, a):
    if n == 2:
        return (g * (2 * a),)
    return (g * (n * a ** (n - 1)),)


def _pow_rule(ctx, g, out, a, b):
    # d/db a**b = a**b log a; where a == 0 it is taken as 0, as PyTorch does.
    nonzero = _raw(a) != 0
    log_a = _log(_where(nonzero, a, 1.0))
    return g * b * a ** (b - 1), g * _where(nonzero, out * log_a, 0.0)


def matmul(a, b):
    """a @ b with numpy's rules: 1-D, 2-D and batched (broadcast leading) dimensions"""
    if b.__class__ is not Tensor:
        b = _lift(b, "@")
    x, y = a._data, b._data
    try:
        data = x @ y
    except ValueError:
        raise _matmul_error(x.shape, y.shape) from None
    return _make(data, a, b, "@", _matmul_rule, (a.requires_grad, b.requires_grad))


def _matmul_rule(need, g, out, a, b):
    if a.ndim == 2 and b.ndim == 2:
        gb = None
        if need[1]:
            # For b = W.T (as in x @ W.T) give the gradient in the layout whose transpose,
            # W's gradient, is C-contiguous: no copy on the way to W.grad.
            gb = (g.T @ a).T if b.__class__ is _ndarray and b.strides[0] < b.strides[1] else a.T @ g
        return (g @ b.T if need[0] else None, gb)
    if a.ndim == 1 and b.ndim == 1:  # dot product: g is a scalar
        return (g * b if need[0] else None, g * a if need[1] else None)
    # Treat a 1-D operand as a matrix, a (n,) as (1, n) and b (n,) as (n, 1), and put the
    # missing axis back into g; the engine sums the broadcast batch axes away.
    a2 = a.reshape((1,) + a.shape) if a.ndim == 1 else a
    b2 = b.reshape(b.shape + (1,)) if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = g2.reshape(g2.shape[:-1] + (1, g2.shape[-1]))
    if b.ndim == 1:
        g2 = g2.reshape(g2.shape + (1,))
    ga = g2 @ b2.swapaxes(-1, -2) if need[0] else None
    gb = a2.swapaxes(-1, -2) @ g2 if need[1] else None
    if gb is not None and b.ndim == 1:
        gb = gb.reshape(gb.shape[:-1])
    return ga, gb


def _matmul_error(sa: tuple, sb: tuple) -> ValueError:
    head = f"matmul: {sa} @ {sb}"
    if not sa or not sb:
        return ValueError(f"{head}: operands must have at least one dimension (use * for scalars)")
    ka, kb = sa[-1], (sb[0] if len(sb) == 1 else sb[-2])
    if ka != kb:
        return ValueError(f"{head}: inner sizes {ka} and {kb} differ")
    return ValueError(f"{head}: batch dimensions {sa[:-2]} and {sb[:-2]} do not broadcast")


# ======================================================================================
# primitives: elementwise functions
# ======================================================================================
def exp(a):
    """e ** x"""
    return _make(np.exp(a._data), a, None, "exp", _exp_rule)


def _exp_rule(ctx, g, out, a):
    return (g * out,)


def log(a):
    """natural log; x <= 0 gives -inf or nan, as numpy"""
    return _make(np.log(a._data), a, None, "log", _log_rule)


def _log_rule(ctx, g, out, a):
    return (g / a,)


def sqrt(a):
    """x ** 0.5"""
    return _make(np.sqrt(a._data), a, None, "sqrt", _sqrt_rule)


def _sqrt_rule(ctx, g, out, a):
    return (g * 0.5 / out,)


def tanh(a):
    """(e^2x - 1) / (e^2x + 1)"""
    return _make(np.tanh(a._data), a, None, "tanh", _tanh_rule)


def _tanh_rule(ctx, g, out, a):
    return (g * (1 - out * out),)


def sigmoid(a):
    """1 / (1 + e^-x), without overflow for large |x|"""
    x = a._data
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    data = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return _make(data, a, None, "sigmoid", _sigmoid_rule)


def _sigmoid_rule(ctx, g, out, a):
    return (g * out * (1 - out),)


def relu(a):
    """max(0, x)"""
    return _make(np.maximum(a._data, 0), a, None, "relu", _relu_rule)


def _relu_rule(ctx, g, out, a):
    return (_masked(g, _raw(a) > 0),)


EXACT_RULES.add(_relu_rule)


def abs(a):
    """|x|; the gradient at 0 is 0"""
    return _make(np.abs(a._data), a, None, "abs", _abs_rule)


def _abs_rule(ctx, g, out, a):
    return (g * np.sign(_raw(a)),)


def clip(a, lo=None, hi=None):
    """min(max(x, lo), hi); the gradient passes where lo <= x <= hi, as PyTorch's clamp"""
    if lo is None and hi is None:
        raise ValueError("clip: give lo, hi or both")
    return _make(np.clip(a._data, lo, hi), a, None, "clip", _clip_rule, (lo, hi))


def _clip_rule(ctx, g, out, a):
    lo, hi = ctx
    x = _raw(a)
    inside = np.ones(x.shape, bool)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x <= hi
    return (_masked(g, inside),)


def where(cond, a, b):
    """a where cond is true, else b (elementwise, broadcasting); cond gets no gradient"""
    c = _raw(cond)
    c = np.asarray(c, dtype=bool) if c.__class__ is not _ndarray or c.dtype != bool else c
    a, b = _lift_pair(a, b, "where")
    try:
        data = np.where(c, a._data, b._data)
    except ValueError:
        raise ValueError(
            f"where: condition {c.shape} and operands {a._data.shape}, {b._data.shape} do not broadcast"
        ) from None
    return _make(data, a, b, "where", _where_rule, c)


def _where_rule(c, g, out, a, b):
    return _where(c, g, 0), _where(c, 0, g)


def maximum(a, b):
    """elementwise max(a, b); at ties each side gets half the gradient, as in PyTorch"""
    a, b = _lift_pair(a, b, "maximum")
    try:
        data = np.maximum(a._data, b._data)
    except ValueError:
        raise _broadcast_error("maximum", a._data, b._data) from None
    return _make(data, a, b, "maximum", _maximum_rule)


def _maximum_rule(ctx, g, out, a, b):
    x, y = _raw(a), _raw(b)
    share = np.asarray(x > y, dtype=g.dtype)  # an array even for 0-d inputs
    share[x == y] = 0.5  # ties split the gradient
    return g * share, g * (1 - share)


def astype(a, dtype):
    """the same values in another dtype; gradients flow back in the input's dtype"""
    dtype = np.dtype(dtype)
    data = a._data.astype(dtype)
    if dtype.kind != "f":
        return _const(data)  # integer and bool results carry no gradient
    return _make(data, a, None, f"astype({dtype})", _astype_rule)


def _astype_rule(ctx, g, out, a):
    return (g.astype(a.dtype),)


# ======================================================================================
# primitives: reductions
# ======================================================================================
def sum(a, axis=None, keepdims: bool = False):
    """sum over axis (None: all)"""
    axes = _norm_axes(axis, a._data.ndim, "sum")
    x = a._data
    data = (
        _add_reduce(x, axes, None, None, keepdims) if x.dtype.kind == "f" else x.sum(axes, keepdims=keepdims)
    )
    return _make(data, a, None, "sum", _sum_rule, (axes, keepdims))


def _sum_rule(ctx, g, out, a):
    axes, keepdims = ctx
    if axes is not None and not keepdims:
        g = g.reshape(_kept_shape(a.shape, axes))
    return (_broadcast_to(g, a.shape),)


def mean(a, axis=None, keepdims: bool = False):
    """sum / number of elements summed (a primitive: one node fewer than sum * (1/n))"""
    axes = _norm_axes(axis, a._data.ndim, "mean")
    x = a._data
    n = x.size if axes is None else int(np.prod([x.shape[i] for i in axes]))
    if n == 0:
        raise ValueError(f"mean: no elements to average (shape {x.shape}, axis {axis})")
    total = (
        _add_reduce(x, axes, None, None, keepdims) if x.dtype.kind == "f" else x.sum(axes, keepdims=keepdims)
    )
    return _make(np.true_divide(total, n), a, None, "mean", _mean_rule, (axes, keepdims, n))


def _mean_rule(ctx, g, out, a):
    axes, keepdims, n = ctx
    if axes is not None and not keepdims:
        g = g.reshape(_kept_shape(a.shape, axes))
    return (_broadcast_to(g / n, a.shape),)


def _extremum(a, axis, keepdims, op: str, reduce):
    axes = _norm_axes(axis, a._data.ndim, op)
    if a._data.size == 0:
        raise ValueError(f"{op}: the tensor of shape {a._data.shape} is empty; {op} of nothing is undefined")
    data = reduce(a._data, axis=axes, keepdims=keepdims)
    return _make(data, a, None, op, _extremum_rule, (axes, keepdims))


def max(a, axis=None, keepdims: bool = False):
    """largest element over axis; tied maxima share the gradient equally (as torch.amax)"""
    return _extremum(a, axis, keepdims, "max", np.max)


def min(a, axis=None, keepdims: bool = False):
    """smallest element over axis; tied minima share the gradient equally (as torch.amin)"""
    return _extremum(a, axis, keepdims, "min", np.min)


def _extremum_rule(ctx, g, out, a):
    axes, keepdims = ctx
    x, y = _raw(a), _raw(out)
    if axes is not None and not keepdims:
        kept = _kept_shape(x.shape, axes)
        y, g = y.reshape(kept), g.reshape(kept)
    hit = np.asarray(x == y, dtype=x.dtype)
    hit /= hit.sum(axis=axes, keepdims=True)
    return (g * hit,)


# ======================================================================================
# primitives: shape
# ======================================================================================
def expand(a, shape):
    """a broadcast to `shape` (a read-only view); the gradient is summed back"""
    shape = tuple(shape)
    try:
        data = np.broadcast_to(a._data, shape)
    except ValueError:
        raise ValueError(f"expand: shape {a._data.shape} cannot be broadcast to {shape}") from None
    return _make(data, a, None, "expand", _expand_rule)


def _expand_rule(ctx, g, out, a):
    return (g,)  # the engine's unbroadcast step sums it to a's shape


def reshape(a, *shape):
    """the same elements in a new shape (one entry may be -1)"""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        data = a._data.reshape(shape)
    except (ValueError, TypeError):
        raise ValueError(
            f"reshape: cannot reshape {a._data.shape} ({a._data.size} elements) into {shape}"
        ) from None
    return _make(data, a, None, "reshape", _reshape_rule)


def _reshape_rule(ctx, g, out, a):
    return (g.reshape(a.shape),)


def transpose(a, *axes):
    """axes permuted (reversed when none are given), as numpy's transpose"""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    nd = a._data.ndim
    if not axes:
        perm = tuple(range(nd - 1, -1, -1))
    else:
        perm = _norm_axes(axes, nd, "transpose")
        if len(perm) != nd:
            raise ValueError(f"transpose: axes {tuple(axes)} do not name each of the {nd} dimensions once")
    inverse = tuple(np.argsort(perm).tolist())
    return _make(a._data.transpose(perm), a, None, "transpose", _transpose_rule, inverse)


def _transpose_rule(inverse, g, out, a):
    return (g.transpose(inverse),)


# ======================================================================================
# primitives: indexing and joining
# ======================================================================================
def _normalize_index(key):
    """Tensors and lists in an index become arrays; says whether indexing is basic (ints,
    slices, None, ...: a view, no repeats) or advanced (arrays: repeats accumulate)."""
    single = key.__class__ is not tuple
    parts = [key] if single else list(key)
    basic = True
    for i, k in enumerate(parts):
        c = k.__class__
        if c is int or c is slice or k is None or k is Ellipsis:
            continue
        if c is Tensor:
            k = parts[i] = k._data
        elif c is list:
            k = parts[i] = np.asarray(k)
        if not isinstance(k, np.integer):
            basic = False
    return (parts[0] if single else tuple(parts)), basic


def getitem(a, key):
    """a[key]: ints, slices, None, ..., integer arrays (repeats accumulate) and boolean masks"""
    key, basic = _normalize_index(key)
    try:
        data = a._data[key]
    except IndexError as e:
        raise IndexError(f"index: {e} (tensor of shape {a._data.shape})") from None
    return _make(data, a, None, "getitem", _getitem_rule, (key, basic))


def _getitem_rule(ctx, g, out, a):
    key, basic = ctx
    return (_scatter(g, key, basic, a.shape),)


def _scatter(g, key, basic, shape):
    """zeros of `shape` with g added at key (repeated indices add up)."""
    if g.__class__ is Tensor:
        return _make(_scatter(g._data, key, basic, shape), g, None, "scatter", _scatter_rule, (key, basic))
    z = np.zeros(shape, g.dtype)
    if basic:
        z[key] = g
    else:
        np.add.at(z, key, g)
    return z


def _scatter_rule(ctx, g, out, a):
    return (g[ctx[0]],)


def cat(tensors, axis: int = 0):
    """the tensors joined along an existing axis"""
    ts = tuple(_lift(t, "cat") for t in tensors)
    if not ts:
        raise ValueError("cat: needs at least one tensor")
    nd = ts[0]._data.ndim
    if nd == 0:
        raise ValueError("cat: 0-d tensors cannot be joined along an axis; use stack")
    ax = _norm_axis(axis, nd, "cat")
    try:
        data = np.concatenate([t._data for t in ts], axis=ax)
    except ValueError:
        shapes = ", ".join(str(t._data.shape) for t in ts)
        raise ValueError(f"cat: shapes {shapes} must agree except along axis {axis}") from None
    ends = np.cumsum([t._data.shape[ax] for t in ts]).tolist()
    return _make_n(data, ts, "cat", _cat_rule, (ax, ends))


def _cat_rule(ctx, g, out, *parts):
    ax, ends = ctx
    lead = (slice(None),) * ax
    starts = [0] + ends[:-1]
    return tuple(g[lead + (slice(s, e),)] for s, e in zip(starts, ends))


def stack(tensors, axis: int = 0):
    """the tensors (all of one shape) joined along a new axis"""
    ts = tuple(_lift(t, "stack") for t in tensors)
    if not ts:
        raise ValueError("stack: needs at least one tensor")
    ax = _norm_axis(axis, ts[0]._data.ndim + 1, "stack")
    try:
        data = np.stack([t._data for t in ts], axis=ax)
    except ValueError:
        shapes = ", ".join(str(t._data.shape) for t in ts)
        raise ValueError(f"stack: all tensors must have one shape, got {shapes}") from None
    return _make_n(data, ts, "stack", _stack_rule, ax)


def _stack_rule(ax, g, out, *parts):
    lead = (slice(None),) * ax
    return tuple(g[lead + (i,)] for i in range(len(parts)))


# ======================================================================================
# primitives: softmax family (fused: one pass each way, stable for large inputs)
# ======================================================================================
def softmax(a, axis: int = -1):
    """e^x / sum e^x along axis, computed as e^(x - max) so large inputs do not overflow"""
    ax = _norm_axis(axis, a._data.ndim, "softmax")
    x = a._data
    e = np.exp(x - x.max(axis=ax, keepdims=True))
    e /= e.sum(axis=ax, keepdims=True)
    return _make(e, a, None, "softmax", _softmax_rule, ax)


def _softmax_rule(ax, g, out, a):
    return (out * (g - (g * out).sum(axis=ax, keepdims=True)),)


def log_softmax(a, axis: int = -1):
    """x - logsumexp(x) along axis, stable for large inputs"""
    ax = _norm_axis(axis, a._data.ndim, "log_softmax")
    x = a._data
    s = x - x.max(axis=ax, keepdims=True)
    s -= np.log(np.exp(s).sum(axis=ax, keepdims=True))
    return _make(s, a, None, "log_softmax", _log_softmax_rule, ax)


def _log_softmax_rule(ax, g, out, a):
    return (g - _exp(out) * g.sum(axis=ax, keepdims=True),)


def logsumexp(a, axis=-1, keepdims: bool = False):
    """log(sum(e^x)) along axis (None: all), shifted by the max so it cannot overflow"""
    x = a._data
    axes = _norm_axes(axis, x.ndim, "logsumexp")
    if x.size == 0:
        raise ValueError(f"logsumexp: the tensor of shape {x.shape} is empty")
    m = x.max(axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # rows of -inf give -inf, not nan
    kept = np.log(np.exp(x - m).sum(axis=axes, keepdims=True)) + m
    if keepdims:
        data = kept
    else:
        data = kept.reshape(() if axes is None else tuple(n for i, n in enumerate(x.shape) if i not in axes))
    return _make(data, a, None, "logsumexp", _logsumexp_rule, (axes, keepdims))


def _logsumexp_rule(ctx, g, out, a):
    axes, keepdims = ctx
    if not keepdims:
        kept = _kept_shape(a.shape, axes)
        g, out = g.reshape(kept), out.reshape(kept)
    return (g * _exp(a - out),)


# ======================================================================================
# no gradient: comparisons and arg-reductions give constant tensors
# ======================================================================================
def _compare(ufunc, symbol):
    def compare(a, b):
        try:
            return _const(ufunc(a._data, _raw(b)))
        except ValueError:
            raise _broadcast_error(symbol, a._data, _raw(b)) from None

    compare.__name__ = ufunc.__name__
    compare.__doc__ = f"a {symbol} b elementwise, as a bool tensor (no gradient)"
    return compare


def argmax(a, axis=None, keepdims: bool = False):
    """index of the largest element (the first, at ties), as an int64 tensor"""
    axis = None if axis is None else _norm_axis(axis, a._data.ndim, "argmax")
    return _const(np.argmax(a._data, axis=axis, keepdims=keepdims))


def argmin(a, axis=None, keepdims: bool = False):
    """index of the smallest element (the first, at ties), as an int64 tensor"""
    axis = None if axis is None else _norm_axis(axis, a._data.ndim, "argmin")
    return _const(np.argmin(a._data, axis=axis, keepdims=keepdims))


# ======================================================================================
# composed from primitives
# ======================================================================================
def neg(a):
    """-a"""
    return mul(a, -1)


def radd(a, b):
    """b + a"""
    return add(a, b) if _is_scalar(b) else add(_lift(b, "+"), a)


def rmul(a, b):
    """b * a"""
    return mul(a, b) if _is_scalar(b) else mul(_lift(b, "*"), a)


def truediv(a, b):
    """a / b"""
    if b.__class__ is not Tensor and _is_scalar(b):
        if b == 0:
            raise ZeroDivisionError("/: division by the number 0")
        return mul(a, 1 / b)
    return mul(a, pow(_lift(b, "/"), -1))


def rtruediv(a, b):
    """b / a"""
    return mul(pow(a, -1), b) if _is_scalar(b) else mul(_lift(b, "/"), pow(a, -1))


def rpow(a, b):
    """b ** a"""
    return pow(_lift_pair(b, a, "**")[0], a)


def rmatmul(a, b):
    """b @ a"""
    return matmul(_lift(b, "@"), a)


def var(a, axis=None, keepdims: bool = False, ddof: int = 0):
    """mean squared deviation from the mean; divides by n - ddof (numpy's default ddof=0)"""
    axes = _norm_axes(axis, a._data.ndim, "var")
    n = a._data.size if axes is None else int(np.prod([a._data.shape[i] for i in axes]))
    if n - ddof <= 0:
        raise ValueError(f"var: {n} elements with ddof={ddof} leave no degrees of freedom")
    d = sub(a, mean(a, axes, keepdims=True))
    return mul(sum(mul(d, d), axes, keepdims), 1 / (n - ddof))


def leaky_relu(a, negative_slope: float = 0.01):
    """x if x > 0 else slope * x"""
    return where(a._data > 0, a, mul(a, negative_slope))


def swapaxes(a, axis1: int, axis2: int):
    """axes axis1 and axis2 exchanged"""
    nd = a._data.ndim
    perm = list(range(nd))
    i, j = _norm_axis(axis1, nd, "swapaxes"), _norm_axis(axis2, nd, "swapaxes")
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


def minimum(a, b):
    """elementwise min(a, b); ties split the gradient"""
    a, b = _lift_pair(a, b, "minimum")
    return neg(maximum(neg(a), neg(b)))


# ======================================================================================
# in-place operators: t += x, as PyTorch has them
# ======================================================================================
def _inplace(op, ufunc, symbol: str):
    def method(self, other):
        if self._rule is not None:  # the result of an op: out of place, as t = t + x
            return op(self, other)
        if self.requires_grad and _state.enabled:
            raise RuntimeError(
                f"{symbol}=: an in-place change of a leaf that requires grad would be invisible to "
                f"backward; update its array (`t.data {symbol}= ...`) or do it under no_grad()"
            )
        ufunc(self._data, _raw(other), out=self._data)  # what optimizers do under no_grad
        self.data = self._data  # ticks the version: graphs that used the old values refuse backward
        return self

    method.__name__ = f"__i{ufunc.__name__}__"
    method.__doc__ = f"t {symbol}= x: in place on a leaf under no_grad (or needing no grad)"
    return method


def _no_setitem(self, key, value):
    raise TypeError(
        "Tensor does not support item assignment: backward could not see the change. Build the "
        "new value with where(), cat() or stack(), or assign into a leaf's array (t.data[...] = x)"
    )


# ======================================================================================
# binding: the ops above as Tensor methods and operators
# ======================================================================================
def _bind():
    T = Tensor
    T.__add__, T.__radd__, T.__sub__, T.__rsub__ = add, radd, sub, rsub
    T.__mul__, T.__rmul__, T.__truediv__, T.__rtruediv__ = mul, rmul, truediv, rtruediv
    T.__pow__, T.__rpow__, T.__matmul__, T.__rmatmul__ = pow, rpow, matmul, rmatmul
    T.__neg__, T.__abs__, T.__getitem__, T.__setitem__ = neg, abs, getitem, _no_setitem
    T.__iadd__, T.__isub__ = _inplace(add, np.add, "+"), _inplace(sub, np.subtract, "-")
    T.__imul__, T.__itruediv__ = _inplace(mul, np.multiply, "*"), _inplace(truediv, np.true_divide, "/")
    T.__lt__, T.__le__ = _compare(np.less, "<"), _compare(np.less_equal, "<=")
    T.__gt__, T.__ge__ = _compare(np.greater, ">"), _compare(np.greater_equal, ">=")
    T.__eq__, T.__ne__ = _compare(np.equal, "=="), _compare(np.not_equal, "!=")
    for fn in (exp, log, sqrt, tanh, sigmoid, relu, abs, clip, astype, sum, max, min, expand,
               reshape, transpose, softmax, log_softmax, logsumexp, argmax, argmin, mean, var,
               leaky_relu, swapaxes, matmul, maximum, minimum):  # fmt: skip
        setattr(T, fn.__name__, fn)
    T.T = property(transpose, doc="all axes reversed (the transpose of a matrix)")


_bind()
