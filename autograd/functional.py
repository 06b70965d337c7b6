"""Derivatives of a whole function, with torch.autograd.functional's names and signatures.

    vjp(f, x, v)     (f(x), v^T J)          jvp(f, x, v)     (f(x), J v)
    jacobian(f, x)   J = d f / d x          hessian(f, x)    H = d^2 f / d x^2 (scalar f)
    vhp(f, x, v)     (f(x), v^T H)          hvp(f, x, v)     (f(x), H v)

`inputs` is a Tensor (or Value) or a tuple of them; results follow its structure (a tuple
in gives a tuple out; jacobian and hessian give tuples of tuples when both sides are
tuples). Results are detached unless `create_graph=True`. With `strict=True` an output
that does not depend on an input is an error instead of a zero. jvp and hvp use the
double-vjp construction: the vjp of `u . f(x)` is linear in `u`, so its vjp with respect to
`u` along v is J v. Value results are floats (Values with `create_graph=True`), as
`autograd.grad` returns them.
"""

from __future__ import annotations

import numpy as np

from . import engine
from .engine import Node
from .grad_mode import enable_grad
from .tensor import Tensor, _const
from .tensor_ops import stack
from .value import Value

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


# structure ---------------------------------------------------------------------------
def _as_tuple(x, what: str, fn: str):
    """(was it a tuple, the tuple), refusing anything but nodes."""
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Node):
            where = f"entry {i} of {what}" if is_tuple else what
            raise TypeError(f"{fn}: {where} is {type(t).__name__}; it must be a Tensor or a Value")
    return is_tuple, xs


def _untuple(xs, is_tuple):
    return xs if is_tuple else xs[0]


def _shape(t) -> tuple:
    return () if isinstance(t, Value) else t._data.shape


def _size(t) -> int:
    return 1 if isinstance(t, Value) else t._data.size


def _prepare(inputs, create_graph: bool):
    """Fresh leaves that require grad; with create_graph an input that requires grad is kept,
    so the results stay differentiable with respect to it."""
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x)
        elif isinstance(x, Value):
            out.append(Value(x.data))
        else:
            leaf = _const(x._data)
            leaf.requires_grad = True
            out.append(leaf)
    return tuple(out)


def _detach(x, create_graph: bool):
    if create_graph or x is None:
        return x
    if isinstance(x, Value):
        return Value(x.data, requires_grad=False)
    if isinstance(x, Tensor):
        return x.detach()
    return x  # a float from grad() on a Value


def _zeros_like(x, create_graph: bool):
    if isinstance(x, Value):
        return Value(0.0, requires_grad=False) if create_graph else 0.0
    return _const(np.zeros_like(x._data))


def _check_v(v, outputs, fn: str, of: str):
    """v as a tuple matching `outputs` in count and shapes."""
    if v is None:
        if len(outputs) != 1 or _size(outputs[0]) != 1:
            raise ValueError(
                f"{fn}: v can be None only when the {of} is a single element; pass v with the "
                f"shapes {[_shape(o) for o in outputs]}"
            )
        return (None,)
    vs = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(vs) != len(outputs):
        raise ValueError(f"{fn}: v has {len(vs)} entries but the {of} has {len(outputs)}; give one per entry")
    for i, (a, o) in enumerate(zip(vs, outputs)):
        if np.shape(_data(a)) != _shape(o):
            raise ValueError(f"{fn}: entry {i} of v has shape {np.shape(_data(a))} but should be {_shape(o)}")
    return vs


def _data(x):
    return x.data if isinstance(x, Node) else x


def _grad(outputs, inputs, seeds, create_graph: bool, strict: bool, fn: str, what: str):
    """d(sum seeds . outputs)/d inputs, None where an input is not used (or no output needs grad)."""
    live = [k for k, o in enumerate(outputs) if o.requires_grad]
    if not live:
        gs = (None,) * len(inputs)
    else:
        gs = engine.grad([outputs[k] for k in live], list(inputs), [seeds[k] for k in live],
                         retain_graph=True, create_graph=create_graph, allow_unused=True)  # fmt: skip
    if strict:
        for i, g in enumerate(gs):
            if g is None:
                raise RuntimeError(
                    f"{fn}: the {what} is independent of input {i}; strict=True does not allow that "
                    "(pass strict=False to get zeros)"
                )
    return gs


def _filled(gs, like, create_graph: bool):
    return tuple(_zeros_like(x, create_graph) if g is None else g for g, x in zip(gs, like))


def _leaf_like(x):
    """A leaf of x's kind and shape that requires grad: the `u` of the double-vjp trick."""
    if isinstance(x, Value):
        return Value(0.0)
    leaf = _const(np.zeros_like(x._data))
    leaf.requires_grad = True
    return leaf


# the six functions ----------------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the vector-Jacobian product, one backward pass."""
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
        xs = _prepare(xs, create_graph)
        out_tuple, ys = _as_tuple(func(*xs), "the output of func", "vjp")
        vs = _check_v(v, ys, "vjp", "output of func")
        gs = _grad(ys, xs, list(vs), create_graph, strict, "vjp", "output of func")
    res = tuple(_detach(g, create_graph) for g in _filled(gs, xs, create_graph))
    return _untuple(tuple(_detach(y, create_graph) for y in ys), out_tuple), _untuple(res, in_tuple)


def _double_vjp(ys, xs, vs, create_graph: bool, strict: bool, fn: str):
    """J v for outputs ys of inputs xs: the vjp of sum(u . ys) along v, with respect to u."""
    us = [_leaf_like(y) for y in ys]
    with enable_grad():
        weighted = [(y * u).sum() if isinstance(y, Tensor) else y * u for y, u in zip(ys, us)]
        gs = _grad(weighted, xs, [None] * len(ys), True, False, fn, "output")
        res = _grad_along(gs, us, vs, create_graph)
    if strict:
        for i, r in enumerate(res):
            if r is None:
                raise RuntimeError(
                    f"{fn}: output {i} is independent of the inputs; strict=True does not allow that "
                    "(pass strict=False to get zeros)"
                )
    return _filled(res, ys, create_graph)


def _grad_along(gs, wrt, vs, create_graph: bool):
    """d(sum v . g)/d wrt over the gradients gs that carry a graph; None where none does."""
    pairs = [(g, v) for g, v in zip(gs, vs) if g is not None and g.requires_grad]
    if not pairs:
        return (None,) * len(wrt)
    return engine.grad([g for g, _ in pairs], list(wrt), [_seed(g, v) for g, v in pairs],
                       retain_graph=True, create_graph=create_graph, allow_unused=True)  # fmt: skip


def _seed(g, v):
    if v is None:
        return None
    d = _data(v)
    return float(d) if isinstance(g, Value) else np.asarray(d, dtype=g._data.dtype).reshape(g._data.shape)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v): the Jacobian-vector product, by the double-vjp construction."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "jvp")
    vs = _check_v(v, xs, "jvp", "input")
    xs = _prepare(xs, create_graph)
    with enable_grad():
        out_tuple, ys = _as_tuple(func(*xs), "the output of func", "jvp")
    res = _double_vjp(ys, xs, vs, create_graph, strict, "jvp")
    outs = tuple(_detach(y, create_graph) for y in ys)
    return _untuple(outs, out_tuple), _untuple(tuple(_detach(r, create_graph) for r in res), out_tuple)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):  # fmt: skip
    """d func / d inputs: block [i][j] has shape output_i.shape + input_j.shape (one backward
    pass per output element; `vectorize` and `strategy` are accepted for PyTorch's signature)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
        xs = _prepare(xs, create_graph)
        out_tuple, ys = _as_tuple(func(*xs), "the output of func", "jacobian")
        blocks = []
        for i, y in enumerate(ys):
            if strict and not y.requires_grad:
                raise RuntimeError(
                    f"jacobian: output {i} of func does not require grad (it does not depend on the "
                    "inputs); strict=True does not allow that"
                )
            rows = [_row(y, k, xs, create_graph, strict, i) for k in range(_size(y))]
            blocks.append(tuple(_block(y, x, [r[j] for r in rows], create_graph) for j, x in enumerate(xs)))
    blocks = tuple(tuple(_detach(b, create_graph) for b in row) for row in blocks)
    if not out_tuple:
        return _untuple(blocks[0], in_tuple)
    return blocks if in_tuple else tuple(row[0] for row in blocks)


def _row(y, k, xs, create_graph, strict, i):
    """d y.flat[k] / d each input."""
    if isinstance(y, Value):
        seed = None
    else:
        seed = np.zeros(y._data.shape, y._data.dtype)
        seed.flat[k] = 1
    if not y.requires_grad:
        return (None,) * len(xs)
    gs = engine.grad([y], list(xs), [seed], retain_graph=True, create_graph=create_graph, allow_unused=True)
    if strict:
        for j, g in enumerate(gs):
            if g is None:
                raise RuntimeError(
                    f"jacobian: output {i} of func is independent of input {j}; strict=True does not "
                    "allow that (pass strict=False to get zeros)"
                )
    return gs


def _block(y, x, rows, create_graph):
    """The rows d y.flat[k] / d x stacked into an array of shape y.shape + x.shape."""
    if isinstance(y, Value) and isinstance(x, Value):
        return rows[0] if rows[0] is not None else _zeros_like(x, create_graph)
    filled = [_zeros_like(x, create_graph) if r is None else r for r in rows]
    shape = _shape(y) + _shape(x)
    if create_graph and any(isinstance(r, Tensor) and r.requires_grad for r in filled):
        parts = [r if isinstance(r, Tensor) else _const(np.asarray(_data(r))) for r in filled]
        return stack(parts).reshape(shape)
    return _const(np.stack([np.asarray(_data(r)) for r in filled]).reshape(shape))


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):  # fmt: skip
    """d^2 func / d inputs^2 for a func with one output element: block [i][j] has shape
    input_i.shape + input_j.shape (the jacobian of the jacobian)."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "hessian")

    def single(*args):
        out_tuple, ys = _as_tuple(func(*args), "the output of func", "hessian")
        if len(ys) != 1 or _size(ys[0]) != 1:
            raise ValueError(
                f"hessian: func must return a single element, got shapes {[_shape(y) for y in ys]}"
            )
        y = ys[0]
        return y.reshape(()) if isinstance(y, Tensor) else y

    def jac(*args):
        return jacobian(single, args, create_graph=True, strict=strict)

    res = jacobian(jac, xs, create_graph=create_graph, strict=strict, strategy=outer_jacobian_strategy)
    if in_tuple:
        return res
    return res[0][0]


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H) for a func with one output element."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "vhp")
    vs = _check_v(v, xs, "vhp", "input")
    xs = _prepare(xs, create_graph)
    with enable_grad():
        y = _scalar_output(func(*xs), "vhp")
        gs = _grad([y], xs, [None], True, strict, "vhp", "output of func")
        res = _grad_along(gs, xs, vs, create_graph)
    if strict and any(r is None for r in res):
        i = [r is None for r in res].index(True)
        raise RuntimeError(
            f"vhp: the jacobian of func is independent of input {i}; strict=True does not allow that"
        )
    res = tuple(_detach(r, create_graph) for r in _filled(res, xs, create_graph))
    return _detach(y, create_graph), _untuple(res, in_tuple)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v) for a func with one output element: the jvp of the gradient."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "hvp")
    vs = _check_v(v, xs, "hvp", "input")
    xs = _prepare(xs, create_graph)
    with enable_grad():
        y = _scalar_output(func(*xs), "hvp")
        gs = _grad([y], xs, [None], True, strict, "hvp", "output of func")
    gs = _filled(gs, xs, True)
    res = _double_vjp(gs, xs, vs, create_graph, strict, "hvp")
    return _detach(y, create_graph), _untuple(tuple(_detach(r, create_graph) for r in res), in_tuple)


def _scalar_output(out, fn):
    is_tuple, ys = _as_tuple(out, "the output of func", fn)
    if len(ys) != 1 or _size(ys[0]) != 1:
        raise ValueError(f"{fn}: func must return a single element, got shapes {[_shape(y) for y in ys]}")
    return ys[0]
