"""Shape primitives: expand, reshape, permute (and transpose, swapaxes, .T, .mT), indexing
and joining (cat, stack). Each forward with its backward right below it.

PyTorch's meaning: `transpose(d0, d1)` swaps two dimensions and `permute(*dims)` reorders
them all; numpy's `transpose(perm)` habit gets an error naming `permute`.
"""

from __future__ import annotations

import numpy as np

from .dims import one_dim
from .engine import Node
from .tensor import Tensor, _const, _make, _make_n

_ndarray = np.ndarray
_int_types = (int, np.integer)


def lift(x, op: str) -> Tensor:
    """An array-like operand as a constant Tensor (no gradient)."""
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


def _permute(g, perm):
    """g's axes reordered by perm, for arrays and Tensors alike (rules use it)."""
    return g.permute(perm) if isinstance(g, Tensor) else g.transpose(perm)


def expand(a, *shape):
    """a broadcast to `shape` (a read-only view; -1 keeps a size); the gradient is summed back"""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    x = a._data
    shape = tuple(shape)
    lead = len(shape) - x.ndim
    if -1 in shape and lead >= 0:
        shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(shape))
    try:
        data = np.broadcast_to(x, shape)
    except (ValueError, TypeError):
        raise ValueError(f"expand: shape {x.shape} cannot be broadcast to {shape}") from None
    return _make(data, a, None, "expand", _expand_rule)


def _expand_rule(ctx, g, out, a):
    return (g,)  # the engine's unbroadcast step sums it to a's shape


def clone(a):
    """a copy in new memory, in the graph (the gradient passes unchanged)"""
    return _make(a._data.copy(), a, None, "clone", _expand_rule)


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


def permute(a, *dims):
    """the dimensions reordered: result dim i is input dim dims[i] (PyTorch's permute)"""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    nd = a._data.ndim
    perm = [one_dim("permute", nd, d) for d in dims] if nd else list(dims)
    if sorted(perm) != list(range(nd)):
        raise ValueError(
            f"permute: dims {tuple(dims)} must name each of the {nd} dimensions of shape "
            f"{a._data.shape} exactly once"
        )
    perm = tuple(perm)
    inverse = tuple(np.argsort(perm).tolist())
    # named "transpose", as the pictures (viz) know it: they show .T or transpose(perm)
    return _make(a._data.transpose(perm), a, None, "transpose", _permute_rule, inverse)


def _permute_rule(inverse, g, out, a):
    return (_permute(g, inverse),)


def transpose(a, *dims, axes=None):
    """dims d0 and d1 swapped (PyTorch); no dims or numpy's `axes=`: as numpy's transpose"""
    if axes is not None:
        if dims:
            raise TypeError("transpose: give either dims (PyTorch: transpose(d0, d1)) or axes=, not both")
        return permute(a, axes)
    if len(dims) == 2 and isinstance(dims[0], _int_types) and isinstance(dims[1], _int_types):
        nd = a._data.ndim
        perm = list(range(nd))
        i, j = one_dim("transpose", nd, dims[0]), one_dim("transpose", nd, dims[1])
        if nd:
            perm[i], perm[j] = perm[j], perm[i]
        return permute(a, perm)
    if not dims or (len(dims) == 1 and dims[0] is None):
        return permute(a, tuple(range(a._data.ndim - 1, -1, -1)))
    shown = ", ".join(map(repr, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims))
    raise TypeError(
        f"transpose: PyTorch's transpose(dim0, dim1) swaps two dimensions; got {dims!r}. To reorder "
        f"all dimensions, as numpy's transpose(perm), use permute({shown}) (or transpose(axes=...))"
    )


def swapaxes(a, axis0: int, axis1: int):
    """dims axis0 and axis1 exchanged (numpy's name for transpose(d0, d1))"""
    return transpose(a, axis0, axis1)


def reversed_dims(a):
    """.T: all dimensions reversed (the transpose of a matrix)"""
    return permute(a, tuple(range(a._data.ndim - 1, -1, -1)))


def matrix_transpose(a):
    """.mT: the last two dimensions swapped (a batch of matrices, each transposed)"""
    if a._data.ndim < 2:
        raise ValueError(f"mT: needs at least 2 dimensions, got shape {a._data.shape}")
    return transpose(a, -2, -1)


def t(a):
    """the transpose of a matrix (0-d and 1-d tensors are returned as they are), as torch.t"""
    if a._data.ndim > 2:
        raise ValueError(
            f"t: expects a tensor with at most 2 dimensions, got shape {a._data.shape}; "
            "use transpose(d0, d1) or .mT"
        )
    return reversed_dims(a)


# indexing -------------------------------------------------------------------------------
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
    if basic and data.__class__ is not _ndarray:  # one element: a 0-d view, sharing memory
        data = a._data[(key if key.__class__ is tuple else (key,)) + (Ellipsis,)]
    return _make(data, a, None, "getitem", _getitem_rule, (key, basic))


def _getitem_rule(ctx, g, out, a):
    key, basic = ctx
    return (_scatter(g, key, basic, a.shape),)


def _scatter(g, key, basic, shape):
    """zeros of `shape` with g added at key (repeated indices add up)."""
    if isinstance(g, Tensor):
        return _make(_scatter(g._data, key, basic, shape), g, None, "scatter", _scatter_rule, (key, basic))
    z = np.zeros(shape, g.dtype)
    if basic:
        z[key] = g
    else:
        np.add.at(z, key, g)
    return z


def _scatter_rule(ctx, g, out, a):
    return (g[ctx[0]],)


# joining --------------------------------------------------------------------------------
def _join_dim(op: str, dim, axis, nd: int) -> int:
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: got both PyTorch's `dim` and numpy's `axis`; use one ({op}(ts, dim=...))")
        dim = axis
    return one_dim(op, nd, 0 if dim is None else dim)


def cat(tensors, dim=None, *, axis=None):
    """the tensors joined along an existing dimension (dim=0 by default)"""
    ts = tuple(lift(t, "cat") for t in tensors)
    if not ts:
        raise ValueError("cat: needs at least one tensor")
    nd = ts[0]._data.ndim
    if nd == 0:
        raise ValueError("cat: 0-d tensors cannot be joined along a dimension; use stack")
    ax = _join_dim("cat", dim, axis, nd)
    try:
        data = np.concatenate([t._data for t in ts], axis=ax)
    except ValueError:
        shapes = ", ".join(str(t._data.shape) for t in ts)
        raise ValueError(f"cat: shapes {shapes} must agree except along dim {ax}") from None
    ends = np.cumsum([t._data.shape[ax] for t in ts]).tolist()
    return _make_n(data, ts, "cat", _cat_rule, (ax, ends))


def _cat_rule(ctx, g, out, *parts):
    ax, ends = ctx
    lead = (slice(None),) * ax
    starts = [0] + ends[:-1]
    return tuple(g[lead + (slice(s, e),)] for s, e in zip(starts, ends))


def stack(tensors, dim=None, *, axis=None):
    """the tensors (all of one shape) joined along a new dimension (dim=0 by default)"""
    ts = tuple(lift(t, "stack") for t in tensors)
    if not ts:
        raise ValueError("stack: needs at least one tensor")
    ax = _join_dim("stack", dim, axis, ts[0]._data.ndim + 1)
    try:
        data = np.stack([t._data for t in ts], axis=ax)
    except ValueError:
        shapes = ", ".join(str(t._data.shape) for t in ts)
        raise ValueError(f"stack: all tensors must have one shape, got {shapes}") from None
    return _make_n(data, ts, "stack", _stack_rule, ax)


def _stack_rule(ax, g, out, *parts):
    lead = (slice(None),) * ax
    return tuple(g[lead + (i,)] for i in range(len(parts)))


def size(a, dim=None):
    """the shape as a tuple, or the size of one dimension (PyTorch's size(); numpy's size is numel())"""
    if dim is None:
        return a._data.shape
    shape = a._data.shape
    if not shape:
        raise IndexError(f"size: dim {dim!r} given, but a 0-d tensor has no dimensions")
    return shape[one_dim("size", len(shape), dim)]


class _SizeMethod:
    """`t.size`: PyTorch's method. Used as numpy's number (t.size * 2, t.size == 6) it says
    to call numel() instead of failing with Python's message about a method."""

    __slots__ = ("_t",)

    def __init__(self, t):
        self._t = t

    def __call__(self, dim=None):
        return size(self._t, dim)

    def _numpy_habit(self, *args):
        raise TypeError(
            "size is PyTorch's method here: t.size() is the shape, t.size(d) one dimension's size; "
            "for numpy's t.size (the number of elements) use t.numel()"
        )

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _numpy_habit
    __floordiv__ = __rfloordiv__ = __int__ = __index__ = __float__ = _numpy_habit
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _numpy_habit
    __hash__ = None

    def __repr__(self) -> str:
        return f"<method size of Tensor of shape {self._t._data.shape}>"


def bind() -> None:
    T = Tensor
    T.__getitem__ = getitem
    for fn in (expand, reshape, permute, transpose, swapaxes, t, clone):
        setattr(T, fn.__name__, fn)
    T.size = property(_SizeMethod, doc=size.__doc__)
    T.T = property(reversed_dims, doc="all dimensions reversed (the transpose of a matrix)")
    T.mT = property(matrix_transpose, doc="the last two dimensions swapped")
    T.dim = lambda self: self._data.ndim
    T.dim.__doc__ = "the number of dimensions (PyTorch's dim(); the attribute ndim too)"


_NOTHING = (False, False)
READS = dict.fromkeys(
    (_expand_rule, _reshape_rule, _permute_rule, _getitem_rule, _scatter_rule, _cat_rule, _stack_rule),
    _NOTHING,
)
