"""When a gradient check fails: find the op whose own backward is wrong.

The function is run once more in a recording mode that only this module turns on: the
functions that make nodes (`tensor._make`, `tensor._make_n`, `value._make`, wherever a
module holds them) are swapped for wrappers that note, for each new node, the op function
that called them and its arguments (read from the caller's frame), and where in the
user's code it was made. Function.apply notes its own nodes. Nothing of this runs outside
that one call, so training pays nothing for it.

Then each op of the graph, parents before consumers, is checked on its own: it is re-run
on fresh leaves holding the values it saw, and its backward along a random output weight
w is compared with central differences of w . op(x) (kinks accepted, as everywhere). The
first op that disagrees is named: its op name (or Function class), file:line, its input
shapes, the worst element with both values, and how many elements disagree.
"""

from __future__ import annotations

import os
import sys
import types

import numpy as np

from . import engine, function
from . import tensor as _tensor
from . import value as _value
from .grad_mode import enable_grad
from .gradcheck_kinks import differences, judge, outputs_of
from .tensor import Tensor, _const
from .value import Value

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_MAX_ELEMENTS = 1000  # elements of one op input checked by differences; bigger inputs are sampled
_CO_VARARGS, _CO_VARKEYWORDS, _CO_GENERATOR, _CO_COROUTINE = 0x04, 0x08, 0x20, 0x80


class _Record:
    __slots__ = ("node", "fn", "args", "kwargs", "site")

    def __init__(self, node, fn, args, kwargs, site):
        self.node, self.fn, self.args, self.kwargs, self.site = node, fn, args, kwargs, site


def record(fn, inputs) -> tuple:
    """Run fn(*inputs) noting how each node was made: (outputs, {id(node): _Record})."""
    notes: dict = {}
    makers = {_tensor._make, _tensor._make_n, _value._make}
    patched = []
    for mod in list(sys.modules.values()):
        for name in ("_make", "_make_n"):
            f = getattr(mod, name, None) if mod is not None else None
            if f in makers:
                patched.append((mod, name, f))
    for mod, name, f in patched:
        setattr(mod, name, _noting(f, notes))
    function._recorder = lambda made, fn_class, args, kwargs: _note_function(
        notes, made, fn_class, args, kwargs
    )
    try:
        with enable_grad():
            outs = fn(*inputs)
    finally:
        for mod, name, f in patched:
            setattr(mod, name, f)
        function._recorder = None
    return outs, notes


def _noting(make, notes):
    def wrapper(*args, **kwargs):
        out = make(*args, **kwargs)
        if out._rule is not None:
            rec = _from_frame(out, sys._getframe(1))
            if rec is not None:
                notes[id(out)] = rec
        return out

    return wrapper


def _from_frame(out, frame):
    """The op function that called the node maker, with its arguments as it holds them now."""
    code = frame.f_code
    if code.co_name in ("_make", "_make_n", "_node", "_delayed_error"):
        return None  # a helper that makes a node from data computed elsewhere: not re-runnable
    loc = frame.f_locals
    fn = _rebuild(code, frame.f_globals, loc)
    if fn is None:
        return None
    n, kw = code.co_argcount, code.co_kwonlyargcount
    names = code.co_varnames
    try:
        args = [loc[a] for a in names[:n]]
        kwargs = {a: loc[a] for a in names[n : n + kw]}
        extra = n + kw
        if code.co_flags & _CO_VARARGS:
            args += list(loc[names[extra]])
            extra += 1
        if code.co_flags & _CO_VARKEYWORDS:
            kwargs.update(loc[names[extra]])
    except KeyError:
        return None
    if any(a is out.data for a in args):  # the caller was handed the result: it cannot recompute it
        return None
    return _Record(out, fn, tuple(args), kwargs, _site(frame))


def _rebuild(code, globs, loc):
    """The frame's function made again from its code, globals and closure: module functions,
    methods and the closures an op factory returns alike (a frame does not hold its function)."""
    if code.co_flags & (_CO_GENERATOR | _CO_COROUTINE):
        return None
    try:
        closure = tuple(types.CellType(loc[name]) for name in code.co_freevars) or None
    except KeyError:
        return None
    return types.FunctionType(code, globs, code.co_name, None, closure)


def _note_function(notes, made, fn_class, args, kwargs):
    site = _site(sys._getframe(2))
    outs = made if isinstance(made, tuple) else (made,)
    for k, o in enumerate(outs):
        if isinstance(o, (Tensor, Value)) and o._rule is not None:
            run = fn_class.apply if not isinstance(made, tuple) else _kth_output(fn_class, k)
            notes[id(o)] = _Record(o, run, tuple(args), dict(kwargs), site)


def _kth_output(fn_class, k):
    def run(*args, **kwargs):
        return fn_class.apply(*args, **kwargs)[k]

    return run


def _site(frame) -> str:
    """file:line in function of the first frame outside the autograd package."""
    f = frame
    while f is not None and os.path.dirname(os.path.abspath(f.f_code.co_filename)) == _PACKAGE_DIR:
        f = f.f_back
    if f is None:
        return "<unknown>"
    return f"{os.path.basename(f.f_code.co_filename)}:{f.f_lineno} in {f.f_code.co_name}"


# checking one op on its own -------------------------------------------------------------
def locate(fn, inputs, eps: float, atol: float, rtol: float, order: int = 1) -> str:
    """A paragraph naming the first op whose backward disagrees with its own differences
    (order 2: whose backward's own derivatives disagree with differences of that backward)."""
    try:
        outs, notes = record(fn, inputs)
    except Exception as e:  # the re-run itself failed: say so rather than hide the first error
        return f"(could not re-run fn to check each op on its own: {type(e).__name__}: {e})"
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    nodes, seen = [], set()
    for o in outs:
        if isinstance(o, (Tensor, Value)) and o.requires_grad:
            for node in engine.topological_order(o):
                if id(node) not in seen:
                    seen.add(id(node))
                    nodes.append(node)
    checked, skipped = 0, []
    rng = np.random.default_rng(0)
    for node in nodes:
        if node._rule is None or not any(p.requires_grad for p in node.parents):
            continue
        rec = notes.get(id(node))
        if rec is None:
            skipped.append(node.op)
            continue
        verdict = _check_op(rec, eps, atol, rtol, rng, order)
        if verdict is None:
            skipped.append(node.op)
            continue
        checked += 1
        if verdict is not True:
            return verdict
    note = (
        f"; {len(skipped)} could not be re-run on their own ({', '.join(sorted(set(skipped)))})"
        if skipped
        else ""
    )
    what = "every op's backward agrees with finite differences of that op alone"
    if order == 2:
        what = "every op's backward is differentiable and agrees with finite differences of itself"
    return (
        f"{what} ({checked} ops checked{note}); look for what lies outside the graph: data read "
        "with .data or numpy inside fn, randomness, or an op that could not be re-run"
    )


def _check_op(rec, eps, atol, rtol, rng, order=1):
    """True, a message naming the op, or None when the op cannot be re-run faithfully."""
    node = rec.node
    parents = [p for p in dict.fromkeys(node.parents) if p.requires_grad]
    leaves = [_leaf_copy(p) for p in parents]

    def op(*xs):
        sub = {id(p): x for p, x in zip(parents, xs)}
        return rec.fn(*_substitute(rec.args, sub), **_substitute(rec.kwargs, sub))

    try:
        with enable_grad():
            again = op(*leaves)
        if not isinstance(again, (Tensor, Value)) or not _same(again.data, node.data):
            return None
        w = 1.0 if isinstance(node, Value) else rng.standard_normal(np.shape(node.data))
        checked = op if order == 1 else _first_derivatives(op, w)
        outs = outputs_of(checked(*leaves))
        ws = [w] if order == 1 else [1.0 if isinstance(o, Value) else rng.standard_normal(o.shape)
                                     for o in outs]  # fmt: skip

        def projected(*xs):
            values = [np.asarray(o.data, dtype=np.float64) for o in outputs_of(checked(*xs))]
            return _const(np.asarray(sum(np.sum(v * u) for v, u in zip(values, ws))))

        live = [(o, u) for o, u in zip(outs, ws) if o.requires_grad]
        gs = (None,) * len(leaves)
        if live:
            seeds = [None if isinstance(o, Value) else np.asarray(u, dtype=o.data.dtype) for o, u in live]
            gs = engine.grad([o for o, _ in live], leaves, seeds, allow_unused=True)
        elements = {i: _sample(x, rng) for i, x in enumerate(leaves) if isinstance(x, Tensor)}
        numeric = differences(projected, leaves, range(len(leaves)), eps, elements)
    except Exception:
        return None
    for i, (x, g) in enumerate(zip(leaves, gs)):
        g = np.zeros(np.shape(x.data)) if g is None else getattr(g, "data", g)  # Value: a float
        a = np.asarray(g, dtype=np.float64)[None]
        bad, _, excess = judge(a, *numeric[i], atol, rtol)
        if bad.any():
            return _describe(rec, parents, i, a, numeric[i][0], bad, excess, atol, rtol, order)
    return True


def _first_derivatives(op, w):
    """xs -> d(w . op(xs))/d xs as nodes (create_graph): the backward of op, as a function."""

    def first(*xs):
        out = op(*xs)
        gs = (None,) * len(xs)
        if out.requires_grad:
            seed = None if isinstance(out, Value) else np.asarray(w, dtype=out.data.dtype)
            gs = engine.grad([out], list(xs), [seed], create_graph=True, allow_unused=True)
        return tuple(_zero_like(x) if g is None else g for x, g in zip(xs, gs))

    return first


def _zero_like(x):
    return Value(0.0, requires_grad=False) if isinstance(x, Value) else _const(np.zeros_like(x.data))


def _leaf_copy(p):
    if isinstance(p, Value):
        return Value(p.data)
    leaf = _const(np.array(p._data, dtype=np.float64))
    leaf.requires_grad = True
    return leaf


def _substitute(obj, sub):
    if isinstance(obj, (Tensor, Value)):
        return sub.get(id(obj), obj)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_substitute(o, sub) for o in obj)
    if isinstance(obj, dict):
        return {k: _substitute(v, sub) for k, v in obj.items()}
    return obj


def _same(a, b) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True))


def _sample(x, rng):
    n = x._data.size
    return None if n <= _MAX_ELEMENTS else np.sort(rng.choice(n, _MAX_ELEMENTS, replace=False))


def _describe(rec, parents, i, a, cen, bad, excess, atol, rtol, order=1) -> str:
    node = rec.node
    flat = np.where(bad.ravel(), np.nan_to_num(excess.ravel(), nan=np.inf), -np.inf)
    k = int(np.argmax(flat))
    idx = tuple(int(j) for j in np.unravel_index(k, a.shape)[1:])
    where = f"element {idx}" if idx else "its value"
    scalar = isinstance(node, Value)
    shapes = ", ".join(str(np.shape(p.data)) for p in node.parents)
    shapes = f"{len(node.parents)} scalar input(s)" if scalar else f"inputs of shapes {shapes}"
    weighting = "" if scalar else " (gradient of a random weighting of its output)"
    n_checked = int((~np.isnan(cen)).sum())
    lead = (
        "the first op whose own backward disagrees with finite differences of that op alone"
        if order == 1
        else "the first op whose backward is not differentiable as it should be (the derivatives "
        "of its backward disagree with finite differences of that backward)"
    )
    what = "backward gives" if order == 1 else "the backward's own derivative gives"
    return (
        f"{lead}: op '{node.op}' made at {rec.site}, {shapes}: for input "
        f"{node.parents.index(parents[i])}, {where}, {what} {a.flat[k]:.10g} but the differences "
        f"give {cen.flat[k]:.10g}{weighting}; {int(bad.sum())} of {n_checked} elements "
        f"checked disagree (atol {atol:g}, rtol {rtol:g})"
    )
