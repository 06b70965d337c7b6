"""Shape ops with PyTorch's names and arguments: view, flatten, unflatten, squeeze,
unsqueeze, expand_as, repeat, tile, flip, roll, movedim, narrow, split, chunk, unbind,
tril, triu, hstack, vstack.

Most are compositions: a reshape, an index (whose backward scatters) or a join. The
primitives (repeat, flip, roll, movedim, tril/triu) have their rule right below, written
so that it runs on arrays and on Tensors alike (second order). `view` has numpy's reshape
semantics: it never fails for a non-contiguous tensor (PyTorch would ask for reshape), and
the result shares memory with the input whenever numpy can make it a view.
"""

from __future__ import annotations

import math

import numpy as np

from . import surface
from . import tensor_ops as _ops
from .dims import one_dim, reduce_dims
from .tensor import Tensor, _make
from .tensor_ops import _lift

_int_types = (int, np.integer)


def _sizes(op: str, sizes) -> tuple:
    """`f(2, 3)` or `f((2, 3))` as a tuple of ints."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    for n in sizes:
        if n.__class__ is bool or not isinstance(n, _int_types):
            raise TypeError(f"{op}: sizes must be ints, got {sizes!r}")
    return tuple(int(n) for n in sizes)


def _one_spelling(op: str, args: tuple, dims) -> tuple:
    """f(0, 1), f((0, 1)) or f(dims=(0, 1)), not both."""
    if dims is None:
        return args
    if args:
        raise TypeError(f"{op}: give the dims positionally or as dims=, not both")
    return (dims,)


def _tensor(x, op: str) -> Tensor:
    return x if isinstance(x, Tensor) else _lift(x, op)


# reshapes -------------------------------------------------------------------------------
def view(input, *shape):
    """the same elements in a new shape (numpy's reshape semantics; one size may be -1)"""
    if len(shape) == 1 and (isinstance(shape[0], (type, np.dtype, str))):
        raise TypeError("view: view(dtype) is not supported; use astype(dtype) (it copies)")
    a = _tensor(input, "view")
    try:
        return a.reshape(*shape)
    except ValueError as e:
        raise ValueError(str(e).replace("reshape:", "view:", 1)) from None


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """dims start_dim..end_dim (inclusive) merged into one; a 0-d tensor becomes shape (1,)"""
    a = _tensor(input, "flatten")
    shape = a.shape
    if not shape:
        return a.reshape(1)
    s, e = one_dim("flatten", len(shape), start_dim), one_dim("flatten", len(shape), end_dim)
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} (shape {shape})")
    return a.reshape(shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :])


def unflatten(input, dim: int, sizes):
    """dim split into `sizes` (one may be -1), the inverse of flatten"""
    a = _tensor(input, "unflatten")
    shape = a.shape
    d = one_dim("unflatten", len(shape), dim)
    sizes = _sizes("unflatten", (sizes,))
    known = math.prod(n for n in sizes if n != -1)
    if sizes.count(-1) > 1 or (-1 not in sizes and known != shape[d]) or (known and shape[d] % known):
        raise ValueError(f"unflatten: sizes {sizes} do not multiply to {shape[d]}, the size of dim {dim}")
    return a.reshape(shape[:d] + sizes + shape[d + 1 :])


def squeeze(input, dim=None):
    """size-1 dims removed: all of them, or those of `dim` (an int or a tuple); a named dim
    whose size is not 1 is kept, as PyTorch does"""
    a = _tensor(input, "squeeze")
    shape = a.shape
    dims, _ = reduce_dims("squeeze", len(shape), dim)
    if dims is None:
        dims = range(len(shape))
    drop = {d for d in dims if shape[d] == 1}
    return a.reshape(tuple(n for i, n in enumerate(shape) if i not in drop))


def unsqueeze(input, dim: int):
    """a size-1 dim inserted at `dim` (in [-ndim - 1, ndim])"""
    a = _tensor(input, "unsqueeze")
    shape = a.shape
    n = len(shape)
    if isinstance(dim, _int_types) and not -n - 1 <= dim <= n:
        raise IndexError(
            f"unsqueeze: dim {dim} is out of range for a tensor with {n} dimensions "
            f"(expected a dim in [{-n - 1}, {n}])"
        )
    d = one_dim("unsqueeze", n + 1, dim)
    return a.reshape(shape[:d] + (1,) + shape[d:])


def expand_as(input, other):
    """input broadcast to other's shape"""
    return _tensor(input, "expand_as").expand(tuple(np.shape(other)))


def view_as(input, other):
    """input in other's shape"""
    return view(input, tuple(np.shape(other)))


def reshape_as(input, other):
    """input in other's shape"""
    return _tensor(input, "reshape_as").reshape(tuple(np.shape(other)))


# primitives ------------------------------------------------------------------------------
def repeat(input, *sizes):
    """input tiled sizes[i] times along each dim (leading new dims where sizes is longer);
    the gradient sums the copies"""
    a = _tensor(input, "repeat")
    sizes = _sizes("repeat", sizes)
    if len(sizes) < a.ndim:
        raise ValueError(
            f"repeat: {len(sizes)} sizes for a tensor with {a.ndim} dimensions (shape {a.shape}); "
            "give one per dimension (or use tile, which fills in leading 1s)"
        )
    if any(r < 0 for r in sizes):
        raise ValueError(f"repeat: sizes {sizes} must not be negative")
    shape = (1,) * (len(sizes) - a.ndim) + a.shape
    pairs = tuple(x for r, n in zip(sizes, shape) for x in (r, n))
    return _make(np.tile(a._data, sizes), a, None, "repeat", _repeat_rule, pairs)


def _repeat_rule(pairs, g, out, a):
    return (g.reshape(pairs).sum(axis=tuple(range(0, len(pairs), 2))).reshape(a.shape),)


def tile(input, *sizes, dims=None):
    """repeat, with dims padded by leading 1s when shorter than the tensor's rank"""
    a = _tensor(input, "tile")
    dims = _sizes("tile", _one_spelling("tile", sizes, dims))
    return repeat(a, (1,) * (a.ndim - len(dims)) + dims)


def flip(input, *args, dims=None):
    """the order of elements along `dims` reversed"""
    a = _tensor(input, "flip")
    axes, _ = reduce_dims("flip", a.ndim, _sizes("flip", _one_spelling("flip", args, dims)))
    return _make(np.flip(a._data, axes), a, None, "flip", _flip_rule, axes)


def _flip_rule(axes, g, out, a):
    return (flip(g, axes) if isinstance(g, Tensor) else np.flip(g, axes),)


def roll(input, shifts, dims=None):
    """elements shifted cyclically by `shifts` along `dims` (None: over the flattened tensor)"""
    a = _tensor(input, "roll")
    if dims is None:
        if not isinstance(shifts, _int_types):
            raise TypeError(f"roll: with dims=None, shifts must be one int, got {shifts!r}")
    else:
        s = _sizes("roll", (shifts if isinstance(shifts, (tuple, list)) else (shifts,),))
        d = _sizes("roll", (dims if isinstance(dims, (tuple, list)) else (dims,),))
        if len(s) != len(d):
            raise ValueError(f"roll: {len(s)} shifts for {len(d)} dims; give one shift per dim")
        shifts, dims = s, tuple(one_dim("roll", a.ndim, x) for x in d)
    return _make(np.roll(a._data, shifts, dims), a, None, "roll", _roll_rule, (shifts, dims))


def _roll_rule(ctx, g, out, a):
    shifts, dims = ctx
    back = -shifts if dims is None else tuple(-s for s in shifts)
    return (roll(g, back, dims) if isinstance(g, Tensor) else np.roll(g, back, dims),)


def movedim(input, source, destination):
    """dims `source` moved to positions `destination` (ints or tuples), the rest in order"""
    a = _tensor(input, "movedim")
    src = _sizes("movedim", (source if isinstance(source, (tuple, list)) else (source,),))
    dst = _sizes("movedim", (destination if isinstance(destination, (tuple, list)) else (destination,),))
    if len(src) != len(dst):
        raise ValueError(f"movedim: {len(src)} source dims but {len(dst)} destinations")
    src = tuple(one_dim("movedim", a.ndim, d) for d in src)
    dst = tuple(one_dim("movedim", a.ndim, d) for d in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"movedim: repeated dims in source {source} or destination {destination}")
    return _make(np.moveaxis(a._data, src, dst), a, None, "movedim", _movedim_rule, (src, dst))


def _movedim_rule(ctx, g, out, a):
    src, dst = ctx
    return (movedim(g, dst, src) if isinstance(g, Tensor) else np.moveaxis(g, dst, src),)


def _triangle(op: str, lower: bool):
    def fn(input, diagonal: int = 0):
        a = _tensor(input, op)
        if a.ndim < 2:
            raise ValueError(f"{op}: needs a tensor with at least 2 dimensions, got shape {a.shape}")
        n, m = a.shape[-2:]
        keep = np.tri(n, m, diagonal, bool) if lower else ~np.tri(n, m, diagonal - 1, bool)
        return _make(np.where(keep, a._data, 0), a, None, op, _triangle_rule, keep)

    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"the {'lower' if lower else 'upper'} triangle (on and {'below' if lower else 'above'} "
    fn.__doc__ += "diagonal `diagonal` of the last two dims), zeros elsewhere"
    return fn


def _triangle_rule(keep, g, out, a):
    return (g * keep,)  # keep broadcasts over the leading (batch) dims


tril, triu = _triangle("tril", True), _triangle("triu", False)


# slicing into pieces ------------------------------------------------------------------------
def _slice(a, d: int, start: int, stop: int):
    return a[(slice(None),) * d + (slice(start, stop),)]


def narrow(input, dim: int, start: int, length: int):
    """elements start..start + length - 1 along dim (a view; start may be negative)"""
    a = _tensor(input, "narrow")
    d = one_dim("narrow", a.ndim, dim)
    n = a.shape[d]
    s = start + n if start < 0 else start
    if not 0 <= s <= n or length < 0 or s + length > n:
        raise IndexError(f"narrow: start {start} and length {length} do not fit dim {dim} of size {n}")
    return _slice(a, d, s, s + length)


def split(input, split_size_or_sections, dim: int = 0):
    """pieces along dim: of size split_size_or_sections (an int; the last may be smaller),
    or of the sizes in a list (which must add up to the dim's size)"""
    a = _tensor(input, "split")
    d = one_dim("split", a.ndim, dim)
    n = a.shape[d]
    if isinstance(split_size_or_sections, _int_types):
        step = int(split_size_or_sections)
        if step <= 0 and n:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, n - s) for s in range(0, n, step)] if n else [0]
    else:
        sizes = list(_sizes("split", (split_size_or_sections,)))
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)}, but dim {dim} has size {n}")
    ends = np.cumsum(sizes).tolist()
    return tuple(_slice(a, d, e - k, e) for k, e in zip(sizes, ends))


def chunk(input, chunks: int, dim: int = 0):
    """at most `chunks` pieces of equal size ceil(n / chunks) along dim (the last smaller)"""
    a = _tensor(input, "chunk")
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    d = one_dim("chunk", a.ndim, dim)
    n = a.shape[d]
    if n == 0:  # PyTorch gives `chunks` empty pieces
        return tuple(_slice(a, d, 0, 0) for _ in range(chunks))
    return split(a, -(-n // chunks), dim)


def unbind(input, dim: int = 0):
    """the slices along dim, that dim removed, as a tuple"""
    a = _tensor(input, "unbind")
    d = one_dim("unbind", a.ndim, dim)
    return tuple(a[(slice(None),) * d + (i,)] for i in range(a.shape[d]))


# joining --------------------------------------------------------------------------------------
def hstack(tensors):
    """joined along dim 1, or dim 0 when the tensors are 1-D (0-d ones count as 1-D)"""
    ts = [t.reshape(1) if t.ndim == 0 else t for t in (_tensor(t, "hstack") for t in tensors)]
    if not ts:
        raise ValueError("hstack: needs at least one tensor")
    return _ops.cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    """joined along dim 0, 0-d and 1-D tensors first made rows (1, n)"""
    ts = [t.reshape(1, -1) if t.ndim < 2 else t for t in (_tensor(t, "vstack") for t in tensors)]
    if not ts:
        raise ValueError("vstack: needs at least one tensor")
    return _ops.cat(ts, 0)


row_stack = vstack
moveaxis = movedim

METHODS = (view, view_as, reshape_as, flatten, unflatten, squeeze, unsqueeze, expand_as, repeat, tile,
           flip, roll, movedim, narrow, split, chunk, unbind, tril, triu)  # fmt: skip
__all__ = [fn.__name__ for fn in METHODS] + ["moveaxis", "hstack", "vstack", "row_stack"]


_SHAPE_ONLY = (_repeat_rule, _flip_rule, _roll_rule, _movedim_rule, _triangle_rule)
surface.bind(METHODS, {"moveaxis": movedim}, dict.fromkeys(_SHAPE_ONLY, surface.NOTHING))
