"""Tensor: a numpy array that remembers how it was computed, on the graph core Value uses.

This file holds the node itself: construction and dtype rules, the engine hooks (the seed
of a backward pass, where a gradient is kept, the one unbroadcast step), in-place edit
detection and anomaly-mode bookkeeping. The ops, each primitive's forward beside its
backward, live in `tensor_ops.py`, which binds them as methods when this module loads.

Semantics follow PyTorch where numpy has no say:
- dtype follows numpy (NEP 50): float32 stays float32 with Python scalars; Python floats
  are float64; integer and bool data stay integer and bool (as in numpy and PyTorch), and
  only floating tensors may require grad.
- Only leaves and nodes that called `retain_grad()` keep `.grad`; leaves accumulate.
- A backward pass frees the graph as it goes (a second one raises) unless
  `retain_graph=True`: intermediate results that only the graph held go at once.
- `Tensor(array)` shares the array's memory when the tensor needs no gradient (wrapping a
  batch costs nothing) and copies it when it does (training updates it in place).
- Assigning `.data` of a tensor (`w.data -= lr * w.grad`) is detected: a backward through
  an op that ran before the assignment raises instead of reading the new values.
  So is an in-place operator on the array (`h.data -= 1`): on the result of an op, it
  makes any later backward through that result raise. Writing single elements into the
  array (`w.data[0] = 1`, `t.numpy()[...] = x`) is not tracked, as with PyTorch's `.data`.
- In-place ops (`add_`, `zero_`, ..., `t.data -= x`) record a change of the memory they
  write, by its base array: every tensor viewing that memory (`detach()`, `reshape`,
  basic indexing, `Tensor(t)`, `from_numpy`) shares the record, and backward refuses an op
  whose saved data changed after it ran, in PyTorch's words.
"""

from __future__ import annotations

import collections
import functools
import os
import sys
import weakref
from operator import attrgetter

import numpy as np

from . import engine
from .grad_mode import state as _state

_ndarray = np.ndarray
_new = object.__new__
_add_reduce = np.add.reduce  # ndarray.sum without its Python wrapper

# Assignments to `.data` tick this clock. A node records the tick at its birth
# (`_version`) and the oldest birth among the op nodes it was made from (`_oldest`);
# a leaf records the tick of its last assignment. If the clock has not moved since a
# graph's oldest op, no data it used can have changed, and backward skips the check.
_epoch = 0
# `_oldest` of a leaf: never older than anything (while the clock stays below it: a billion
# assignments; past that every backward runs the full check, still correct). Below 2**30 so
# that comparisons with it stay the interpreter's fast small-int ones.
_LEAF = (1 << 30) - 1
_UNVISITED = engine.UNVISITED

# Ids of gradient arrays handed to a `.grad` (or returned by `grad()`) during the current
# backward pass. A rule may return the same array for two parents (`add` returns g, g);
# the second holder gets a copy, so no two `.grad` arrays ever share memory.
_handed: set = set()

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

# Rules that always give each parent a gradient of that parent's shape and dtype (given one
# of the output's; for a 0-d parent it may be a numpy scalar, made an array where a gradient
# is kept), so the engine skips the unbroadcast step for them: the fused training ops and
# the elementwise rules of tensor_ops. For every other rule the engine takes a share that
# already has its parent's shape and dtype as it is and sends the rest through `_conform`.
EXACT_RULES: set = set()

# What a rule reads besides g: (its inputs' data, its output's data). The version check at
# backward looks only at what the rule reads, as PyTorch checks only saved tensors; a rule
# not listed is taken to read both.
READS: dict = {}

# In-place changes of memory: id(base array) -> [count, the last ticks, weakref to it]. The
# base array is the one that owns the memory, so every view of it finds the same entry.
_mutations: dict = {}
_TICKS_KEPT = 16
# Memory of tensors that require grad which other tensors view: id(base array) -> weakref.
_aliased: dict = {}
_aliased_pruned = [64]


class Tensor(engine.Node):
    """An n-dimensional array node. `.grad` holds d(root)/d(self) with self's shape."""

    __slots__ = ("op", "_version", "_oldest", "_retains", "__weakref__")

    # The array lives in Node's `data` slot, read and written here as Node's `_data`
    # alias, because `data` itself is the tracked property below (one slot fewer per node).

    _frees_graph = True
    _conform_needed = True
    _exact_rules = EXACT_RULES
    __array_ufunc__ = None  # numpy defers to Tensor's reflected operators: array * t is a Tensor
    __hash__ = object.__hash__  # nodes are dict keys, while == compares elementwise

    def __init__(self, data, *, dtype=None, requires_grad: bool = False, label: str = ""):
        if data.__class__ is _ndarray and dtype is None and not requires_grad and data.dtype.kind in "fiub":
            self._data = data  # wrapping an array (a batch) costs nothing
        else:
            self._data = _as_array(data, dtype, bool(requires_grad))
        self.grad = None
        self.label = label
        self.op = ""
        self.requires_grad = bool(requires_grad)
        self._a = self._b = self._rule = self._ctx = None
        self._g = engine.UNVISITED
        self._retains = False
        self._version = _epoch
        self._oldest = _LEAF

    # data, with in-place edit detection ----------------------------------------------
    def _set_data(self, value) -> None:
        global _epoch
        if value is self._data:  # `t.data -= ...`: the array was changed in place
            if not self.requires_grad or _aliased and id(_base(value)) in _aliased:
                bump(value)  # other tensors may view this memory
            else:  # a parameter's update (the optimizer's hot path): no one else views it,
                _epoch += 1  # so its own version is enough (and no record is kept)
            self._version = _epoch  # ops that used the old values now refuse backward
            if self._rule is not None:
                self._rule = functools.partial(_changed_rule, self.op)
                raise RuntimeError(
                    f"data: the result of op '{self.op}' was changed in place; backward through "
                    "it would use the changed values, so it now raises. Change a .detach()ed copy"
                )
            return
        if self._rule is not None:
            raise RuntimeError(
                f"data: cannot assign to the data of the result of op '{self.op}' while it is "
                "part of a graph that backward may still use; assign to a leaf, or to a "
                ".detach()ed copy"
            )
        if value.__class__ is not _ndarray:
            value = value._data if isinstance(value, Tensor) else np.asarray(value)
        if self.requires_grad and value.dtype.kind != "f":
            raise TypeError(f"data: a tensor that requires grad needs float data, got dtype {value.dtype}")
        _epoch += 1
        self._version = _epoch
        self._data = value

    data = property(attrgetter("_data"), _set_data, doc="The numpy array; assigning it is tracked.")

    # properties ----------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def numel(self) -> int:
        """The number of elements (numpy's `size`; `size()` is PyTorch's: the shape)."""
        return self._data.size

    def nelement(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self):
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        parts = [body]
        if self._data.dtype != np.float64:
            parts.append(f"dtype={self._data.dtype}")
        if self.requires_grad:
            parts.append("requires_grad=True")
        if self.op:
            parts.append(f"op={self.op!r}")
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Tensor({', '.join(parts)})"

    # conversions ---------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shared, not copied)."""
        return self._data

    def item(self) -> float:
        """The single element as a Python number."""
        if self._data.size != 1:
            raise ValueError(
                f"item: the tensor has {self._data.size} elements (shape {self._data.shape}); "
                "item() needs exactly one (reduce it first, e.g. .sum())"
            )
        return self._data.item()

    def __float__(self) -> float:
        return float(self.item())

    def __bool__(self) -> bool:
        return bool(self._data)

    def __array__(self, dtype=None, copy=None):
        a = self._data
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __reduce__(self):
        """copy.deepcopy and pickle, for leaves (as PyTorch): data, requires_grad, label, grad."""
        if self._rule is not None:
            raise RuntimeError(
                f"copy/pickle: this tensor is the result of op '{self.op}' and part of a graph; "
                "only leaves can be copied or pickled. Copy t.detach() instead"
            )
        return (_rebuild, (type(self), self._data, self.requires_grad, self.label, self.grad))

    def detach(self) -> Tensor:
        """The same data as a new leaf that needs no gradient (sharing the memory)."""
        if self.requires_grad:
            share(self._data)
        return _const(self._data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set requires_grad on a leaf, in place; returns self."""
        if self._rule is not None:
            raise RuntimeError(
                f"requires_grad_: only leaves can change requires_grad; this is the result of "
                f"op '{self.op}' (use .detach().requires_grad_() for a new leaf)"
            )
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(
                "requires_grad_: only floating-point tensors can require grad, "
                f"this one is {self._data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep this non-leaf's gradient in `.grad` after backward (leaves always do)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad, so it never gets one")
        self._retains = True

    def backward(self, gradient=None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) times `gradient` into the `.grad` of every leaf.

        `gradient` is needed unless self has one element. Without `retain_graph=True` the
        graph is freed and cannot be gone through again. `create_graph=True` makes the
        gradients Tensors with their own graph, to differentiate again.
        """
        engine.backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    # engine hooks --------------------------------------------------------------------
    def _default_seed(self, gradient, create_graph):
        _handed.clear()  # a new pass begins
        if _epoch > self._oldest:
            _check_versions(self)
        data = self._data
        if gradient is None:
            if data.size != 1:
                raise RuntimeError(
                    f"backward: the output has shape {data.shape}; backward() without a gradient "
                    "works only for a one-element output. Reduce it (e.g. .sum() or .mean()) or "
                    f"pass gradient= an array of shape {data.shape}"
                )
            seed = np.array(1, data.dtype) if not data.ndim else np.ones(data.shape, data.dtype)
        else:
            if isinstance(gradient, Tensor):
                if create_graph and gradient.requires_grad:
                    _check_seed(gradient._data, data)
                    return gradient  # its graph stays attached: grad of grad w.r.t. the seed
                seed = gradient._data
            elif isinstance(gradient, _ndarray):
                seed = gradient
            else:
                try:
                    seed = np.asarray(gradient, dtype=data.dtype)
                except (TypeError, ValueError):
                    raise TypeError(
                        f"backward: gradient must be a Tensor, an array or a number, got {gradient!r}"
                    ) from None
            _check_seed(seed, data)
            _handed.add(id(seed))  # the caller still holds it: copy before storing
        return _const(seed) if create_graph else seed

    def _keep_grad(self, g) -> None:
        old = self.grad
        if old is None:
            self.grad = _own(g)
        else:
            if old.shape != g.shape:
                raise RuntimeError(
                    f"backward: .grad has shape {old.shape} but this pass's gradient has shape "
                    f"{g.shape}; set .grad = None before backward"
                )
            new = old + g
            self.grad = np.asarray(new) if isinstance(new, np.generic) else new  # 0-d: an array

    def _wrap_grad(self, g, create_graph):
        if create_graph and g.__class__ is Tensor:
            return g
        return _const(_own(_raw(g)))

    @staticmethod
    def _conform(g, parent):
        """The one unbroadcast step: sum g back to the parent's shape and cast to its dtype."""
        d = parent._data
        if g.__class__ is _ndarray and g.shape == d.shape and g.dtype is d.dtype:
            return g  # the common case: nothing to do
        return _conform_slow(g, d.shape, d.dtype)


def _rebuild(cls, data, requires_grad, label, grad):
    t = cls(data, requires_grad=requires_grad)
    t.label, t.grad = label, grad
    return t


def _raw(x):
    """The array behind a Tensor; anything else unchanged."""
    if x.__class__ is _ndarray:
        return x
    return x._data if isinstance(x, Tensor) else x  # Tensor or a subclass (nn.Parameter)


def _own(g):
    """A gradient array that shares no memory with any other `.grad` or with the seed.

    Rules return fresh arrays, the array they were given (add), or views of a fresh array
    (transpose, reshape, slices of cat). An array, or the base of a view, already handed
    out in this pass is copied; so is a read-only view (a broadcast, or op output).
    """
    if g.__class__ is not _ndarray:
        return np.asarray(g) if isinstance(g, np.generic) else g  # or a Tensor (create_graph)
    base = g.base
    if base is None:  # a fresh array, as most rules return (writeable: no flags to read)
        if id(g) in _handed:
            g = g.copy()
    elif id(g) in _handed or id(base) in _handed or not g.flags.writeable:
        g = g.copy()
    else:
        _handed.add(id(base))
    _handed.add(id(g))
    return g


def _check_seed(seed, data) -> None:
    if seed.shape != data.shape:
        raise RuntimeError(
            f"backward: gradient has shape {seed.shape} but the output has shape {data.shape}; "
            "they must be equal"
        )
    if seed.dtype != data.dtype:
        raise TypeError(
            f"backward: gradient has dtype {seed.dtype} but the output has dtype {data.dtype}; "
            f"pass gradient.astype({data.dtype})"
        )


def _conform_slow(g, shape, dtype):
    if g.__class__ is not _ndarray and g.__class__ is not Tensor:
        g = np.asarray(g)  # numpy returns scalars, not 0-d arrays, from 0-d operations
    gshape = g.shape
    if gshape != shape:
        key = (gshape, shape)
        plan = _unbroadcast_plans.get(key)
        if plan is None:
            if len(_unbroadcast_plans) > 4096:  # many distinct shapes (varying batch sizes)
                _unbroadcast_plans.clear()
            plan = _unbroadcast_plans[key] = _unbroadcast_plan(gshape, shape)
        axes, reshape = plan
        if axes:
            g = _add_reduce(g, axes) if g.__class__ is _ndarray else g.sum(axis=axes)
        if reshape:
            g = g.reshape(shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


_unbroadcast_plans: dict = {}  # (gradient shape, input shape) -> how to sum one into the other


def _unbroadcast_plan(gshape: tuple, shape: tuple):
    """The axes to sum (leading extra axes and axes where the input has size 1) and
    whether a reshape must restore the input's size-1 axes."""
    lead = len(gshape) - len(shape)
    if lead < 0 or any(n != 1 and gshape[lead + i] != n for i, n in enumerate(shape)):
        raise RuntimeError(
            f"backward: a gradient of shape {gshape} cannot be summed to its input's shape {shape}"
        )
    ones = tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    axes = tuple(range(lead)) + ones
    return axes, bool(ones)


# construction ------------------------------------------------------------------------
def _as_array(data, dtype, copy: bool) -> np.ndarray:
    """`data` as an array by the Tensor dtype rules; copied if `copy` (a tensor that
    requires grad gets its own memory, as training changes it in place)."""
    if isinstance(data, Tensor):
        if data.requires_grad and not copy:
            share(data._data)
        data = data._data
    elif isinstance(data, engine.Node):
        raise TypeError(
            f"Tensor: cannot make a Tensor from a {type(data).__name__}; pass its .data (a number)"
        )
    if dtype is not None:
        dtype = as_dtype(dtype, "Tensor")
    try:
        arr = np.array(data, dtype=dtype, copy=True if copy else None)
    except ValueError as e:
        raise ValueError(
            f"Tensor: cannot make an array of this data ({e}); nested lists must be rectangular"
        ) from None
    except TypeError as e:
        raise TypeError(f"Tensor: cannot read {type(data).__name__} as numbers ({e})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor: data of dtype {arr.dtype} is not real numbers; pass numbers, lists of "
            "numbers or a numeric array (complex is not supported)"
        )
    if copy and arr.dtype.kind != "f":
        raise TypeError(
            f"Tensor: only floating-point tensors can require grad, this one would be {arr.dtype}; "
            "pass dtype=np.float64 or np.float32 (or float data, e.g. [1.0, 2.0])"
        )
    return arr


def as_dtype(dtype, op: str) -> np.dtype:
    """A numpy dtype from what the user passed (np.float32, 'float32', float, a torch-style name)."""
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{op}: dtype {dtype!r} is not a dtype; use one of np.float64, np.float32, np.int64, "
            "np.bool_ (or their names, 'float32', ...)"
        ) from None


def _const(data) -> Tensor:
    """A leaf wrapping `data` (an array) that needs no gradient."""
    if data.__class__ is not _ndarray:
        data = np.asarray(data)
    t = _new(Tensor)
    t._data = data
    t.grad = None
    t.label = t.op = ""
    t.requires_grad = t._retains = False
    t._a = t._b = t._rule = t._ctx = None
    t._g = _UNVISITED
    t._version = _epoch
    t._oldest = _LEAF
    return t


def _make(data, a, b, op: str, rule, ctx=None) -> Tensor:
    """The result of `op` on parent a (and b; None for a unary op), recording the graph
    when grad mode is on and a parent requires grad. The hot path of every op."""
    if data.__class__ is not _ndarray:
        data = np.asarray(data)  # numpy gives scalars, not 0-d arrays, for full reductions
    out = _new(Tensor)
    out._data = data
    out.grad = None
    out.label = ""
    out.op = op
    out._g = _UNVISITED
    out._retains = False
    e = out._version = _epoch
    if _state.enabled and (a.requires_grad or (b is not None and b.requires_grad)):
        o = a._oldest
        if b is not None and b._oldest < o:
            o = b._oldest
        out._oldest = o if o < e else e
        out._a = a
        out._b = b
        out._rule = rule
        out._ctx = ctx
        out.requires_grad = True
    else:
        out._oldest = _LEAF
        out._a = out._b = out._rule = out._ctx = None
        out.requires_grad = False
    if _state.anomaly:
        _anomaly_forward(out, (a,) if b is None else (a, b), ctx)
    return out


def _make_n(data, parents: tuple, op: str, rule, ctx=None) -> Tensor:
    """`_make` for an op with any number of parents (cat, stack)."""
    n = len(parents)
    if n <= 2:
        return _make(data, parents[0], parents[1] if n == 2 else None, op, rule, ctx)
    if data.__class__ is not _ndarray:
        data = np.asarray(data)
    out = _new(Tensor)
    out._data = data
    out.grad = None
    out.label = ""
    out.op = op
    out._g = _UNVISITED
    out._retains = False
    oldest = out._version = _epoch
    need = False
    if _state.enabled:
        for p in parents:  # a loop, not any() and min() over generators: linear is a hot path
            if p.requires_grad:
                need = True
            if p._oldest < oldest:
                oldest = p._oldest
    if need:
        out._oldest = oldest
        out._a, out._b = parents, engine.NARY
        out._rule, out._ctx = rule, ctx
        out.requires_grad = True
    else:
        out._oldest = _LEAF
        out._a = out._b = out._rule = out._ctx = None
        out.requires_grad = False
    if _state.anomaly:
        _anomaly_forward(out, parents, ctx)
    return out


# in-place edit detection --------------------------------------------------------------
def bump(arr) -> None:
    """Record an in-place change of arr's memory: ticks the clock; views of it share the record."""
    global _epoch
    _epoch += 1
    if arr.base is not None:
        arr = _base(arr)
    entry = _mutations.get(id(arr))
    if entry is not None and entry[2]() is arr:  # [count, recent ticks, weakref]
        entry[0] += 1
        entry[1].append(_epoch)  # a deque: the oldest tick drops out by itself
        return
    ticks = collections.deque((_epoch,), _TICKS_KEPT)
    _mutations[id(arr)] = [1, ticks, weakref.ref(arr, functools.partial(_forget, id(arr)))]


def share(arr) -> None:
    """Note that the memory of a tensor that requires grad is now viewed by another tensor
    (detach(), Tensor(t), from_numpy), so that `.data -=` on either records the change."""
    base = _base(arr)
    _aliased[id(base)] = weakref.ref(base)
    if len(_aliased) > _aliased_pruned[0]:  # drop the arrays that died, now and then
        for key in [k for k, r in _aliased.items() if r() is None]:
            del _aliased[key]
        _aliased_pruned[0] = 2 * len(_aliased) + 64


def _base(arr):
    """The array that owns arr's memory (arr itself unless it is a view)."""
    b = arr.base
    while isinstance(b, _ndarray):
        arr, b = b, b.base
    return arr


def _forget(key, ref) -> None:
    entry = _mutations.get(key)
    if entry is not None and entry[2] is ref:
        del _mutations[key]


def _changed_since(arr, tick):
    """(version now, version at tick) if arr's memory was changed in place after tick, else None."""
    entry = _mutations.get(id(_base(arr)))
    if entry is None or entry[1][-1] <= tick:
        return None
    later = 0
    for t in entry[1]:
        later += t > tick
    return entry[0], entry[0] - later


def _check_versions(root: Tensor) -> None:
    """Refuse a backward through an op whose input data was assigned or changed in place
    after the op ran."""
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        v = node._version
        inputs, output = READS.get(node._rule, (True, True))
        if output and _mutations and (c := _changed_since(node._data, v)):
            raise _inplace_error(node, node, c)
        for p in node.parents:
            if p._version > v:
                raise RuntimeError(
                    f"backward: the data of an input of op '{node.op}' ({_describe(p)}) was assigned "
                    "after the op ran (for example by `t.data -= lr * t.grad`); backward would read "
                    "the new values and give wrong gradients. Call backward before changing .data, "
                    "or run the forward pass again"
                )
            if inputs and _mutations and (c := _changed_since(p._data, v)):
                raise _inplace_error(node, p, c)
            if p._rule is not None and id(p) not in seen:
                seen.add(id(p))
                stack.append(p)


def _inplace_error(node: Tensor, t: Tensor, versions) -> RuntimeError:
    now, expected = versions
    role = "its output" if t is node else "an input"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{_describe(t)}, {role} of op '{node.op}'] is at version {now}; expected "
        f"version {expected} instead. Hint: an in-place op (add_, zero_, +=, .data -= ...) changed "
        "it, or a tensor sharing its memory (detach(), a view, Tensor(t), from_numpy), after the op "
        "ran; change a copy (.clone() or np.copy), or run the forward pass again"
    )


def _describe(t: Tensor) -> str:
    s = f"a tensor of shape {t._data.shape}"
    if t.label:
        s += f" labelled {t.label!r}"
    elif t.op:
        s += f" made by op '{t.op}'"
    return s


def _changed_rule(op, ctx, g, out, *parents):
    raise RuntimeError(
        f"backward: the data of the result of op '{op}' was changed in place after the op ran; "
        "its gradient would be wrong. Run the forward pass again"
    )


# anomaly mode ------------------------------------------------------------------------
def _creation_site() -> str:
    """file:line in function of the first caller outside the autograd package."""
    f = sys._getframe(2)
    while f is not None and os.path.dirname(os.path.abspath(f.f_code.co_filename)) == _PACKAGE_DIR:
        f = f.f_back
    if f is None:
        return "<unknown>"
    return f"{os.path.basename(f.f_code.co_filename)}:{f.f_lineno} in {f.f_code.co_name}"


def _finite(x) -> bool:
    x = _raw(x)
    if isinstance(x, _ndarray):
        return x.dtype.kind not in "fc" or bool(np.isfinite(x).all())
    return bool(np.isfinite(x)) if isinstance(x, (float, np.floating)) else True


def _bad(x) -> str:
    x = np.asarray(_raw(x))
    n_nan = int(np.isnan(x).sum())
    n_inf = int(np.isinf(x).sum())
    return ", ".join(s for s in (f"{n_nan} nan" if n_nan else "", f"{n_inf} inf" if n_inf else "") if s)


def _anomaly_forward(out: Tensor, parents, ctx) -> None:
    site = _creation_site()
    if out._rule is not None:
        # A rule wrapper that checks what the rule returns; it holds no node, so the
        # graph stays free of cycles.
        out._rule = functools.partial(_checked_rule, out._rule, out.op, site)
    if not _finite(out._data) and all(_finite(p._data) for p in parents) and _finite_ctx(ctx):
        shapes = ", ".join(str(p._data.shape) for p in parents)
        raise FloatingPointError(
            f"detect_anomaly: op '{out.op}' (at {site}) produced {_bad(out._data)} in its output of "
            f"shape {out._data.shape} from finite inputs of shapes {shapes}"
        )


def _finite_ctx(ctx) -> bool:
    if isinstance(ctx, (float, np.floating)):
        return bool(np.isfinite(ctx))
    if isinstance(ctx, tuple):
        return all(_finite_ctx(c) for c in ctx)
    return True


def _checked_rule(rule, op, site, ctx, g, out, *parents):
    grads = rule(ctx, g, out, *parents)
    if _finite(g):
        for i, gp in enumerate(grads):
            if gp is not None and not _finite(gp):
                raise FloatingPointError(
                    f"detect_anomaly: the backward of op '{op}' (created at {site}) produced "
                    f"{_bad(gp)} in the gradient for its input {i} (shape {np.shape(_raw(gp))}) "
                    "from a finite incoming gradient"
                )
    return grads


from . import tensor_ops as _tensor_ops  # noqa: E402,F401  binds the ops as Tensor methods
