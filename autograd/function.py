"""autograd.Function: an op with a forward and a backward you write yourself, as PyTorch's.

    class Cube(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3
        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    y = Cube.apply(x)        # a node of the graph, drawn and named "Cube"

forward runs without recording a graph; its result becomes one node whose parents are the
Tensor (or Value) arguments. backward gets one gradient per output and returns one per
forward argument (None for non-tensor arguments). A backward written in chainrule ops is
itself differentiable (create_graph=True); one written in raw numpy is marked
`@once_differentiable` and refuses a second-order pass.

Design: each differentiable output is its own node with all the tensor arguments as
parents, sharing one ctx. The engine reaches the node of output k with that output's
gradient; the rule calls backward with it (zeros for the other outputs, as PyTorch's
materialised gradients) and the engine sums what reaches each input. A backward is linear
in its incoming gradients, so the sum is the gathered gradient; an output that gets no
gradient never calls backward. The ctx holds the inputs, never the output nodes, so the
graph has no reference cycle.
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from . import tensor as _tensor
from . import value as _value
from .engine import NARY, UNVISITED, Node
from .grad_mode import no_grad
from .grad_mode import state as _state
from .tensor import Tensor, _const, _make_n
from .value import Value

_recorder = None  # set by gradcheck's localisation while it re-runs the checked function


class FunctionCtx:
    """What forward leaves for backward: saved tensors and any attribute you set."""

    def __init__(self, fn_class, needs_input_grad):
        self._fn = fn_class
        self.needs_input_grad = needs_input_grad
        self._saved = ()  # (tensor, its version when saved, the output index if it is an output)
        self._live = None  # (k, node of output k) while a create_graph backward runs
        self._out_refs = ()  # weak references to the output nodes, when outputs were saved
        self._non_diff = ()
        self._materialize = True
        self._outputs = None  # (shape, dtype, differentiable) or None per output, filled by apply

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (or None) for backward; changing their data before backward is refused."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Node):
                raise TypeError(
                    f"{self._fn.__name__}.forward: save_for_backward takes Tensors, Values or None; "
                    f"argument {i} is {type(t).__name__} (keep other objects as ctx attributes)"
                )
        self._saved = tuple((t, getattr(t, "_version", None), None) for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to save_for_backward, checked against in-place changes."""
        name = self._fn.__name__
        for i, (t, version, _) in enumerate(self._saved):
            if t is not None and version is not None and t._version != version:
                raise RuntimeError(
                    f"{name}.backward: saved tensor {i} (shape {t.shape}) was changed after "
                    f"{name}.forward saved it (its version moved from {version} to {t._version}); "
                    "the gradient would use the new values. Run the forward again, or save a copy"
                )
        if self._live is None:
            return tuple(t for t, _, _ in self._saved)
        return tuple(t if k is None else self._output_node(k, t) for t, _, k in self._saved)

    def _output_node(self, k, t):
        """A saved output as the graph's node, so that a create_graph backward through it is
        differentiable (as PyTorch hands back a saved output with its grad_fn)."""
        live_k, node = self._live
        if k == live_k:
            return node
        ref = self._out_refs[k] if k < len(self._out_refs) else None
        other = ref() if ref is not None else None
        return other if other is not None else t

    def mark_non_differentiable(self, *outputs) -> None:
        """These outputs (returned by forward) get no gradient: constants of the graph."""
        self._non_diff = self._non_diff + tuple(id(o) for o in outputs)

    def set_materialize_grads(self, value: bool) -> None:
        """False: backward gets None (not zeros) for outputs that received no gradient."""
        self._materialize = bool(value)


class Function:
    """Subclass with @staticmethod forward(ctx, *args) and backward(ctx, *grads); call apply."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define @staticmethod forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define @staticmethod backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward without recording; its outputs become nodes that backward differentiates."""
        kinds = {Tensor if isinstance(a, Tensor) else Value for a in args if isinstance(a, Node)}
        if len(kinds) > 1:
            raise TypeError(f"{cls.__name__}.apply: mixes Tensor and Value arguments; use one kind")
        kind = kinds.pop() if kinds else None
        grad_on = _state.enabled
        needs = tuple(bool(grad_on and isinstance(a, Node) and a.requires_grad) for a in args)
        ctx = FunctionCtx(cls, needs)
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        parents = tuple(a for a in args if isinstance(a, Node))
        ctx._arg_nodes = tuple(i for i, a in enumerate(args) if isinstance(a, Node))
        if kind is None:  # no tensor argument: nothing to differentiate
            return result
        ctx._kind = kind
        ctx._outputs = tuple(_output_meta(o, kind, ctx) for o in outs)
        made = []
        for k, o in enumerate(outs):
            meta = ctx._outputs[k]
            if meta is None or not meta[2] or not any(needs):
                made.append(_constant(o, kind))
                continue
            op = cls.__name__ if single else f"{cls.__name__}[{k}]"
            made.append(_node(o, kind, parents, op, (ctx, k)))
        ids = {id(o): k for k, o in enumerate(outs)}
        if any(id(t) in ids for t, _, _ in ctx._saved):  # outputs saved: backward may need their nodes
            ctx._saved = tuple((t, v, ids.get(id(t))) for t, v, _ in ctx._saved)
            if kind is Tensor:  # weak: the output nodes hold ctx, so a strong reference would be a cycle
                ctx._out_refs = tuple(weakref.ref(m) if isinstance(m, Tensor) else None for m in made)
        result = made[0] if single else tuple(made)
        if _recorder is not None:  # gradcheck is noting how each node was made
            _recorder(result, cls, args, kwargs)
        return result


def once_differentiable(backward):
    """Mark a backward written outside chainrule's ops (raw numpy): it runs without recording,
    and a second-order pass through its gradients raises instead of giving zeros."""

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            return backward(ctx, *grads)

    wrapper._once_differentiable = True
    return wrapper


# outputs ------------------------------------------------------------------------------
def _output_meta(o, kind, ctx):
    """(shape, dtype, differentiable) of a tensor output, None for anything else. backward
    gets zeros for a tensor output that gets no gradient (marked, or not floating)."""
    if kind is Value:
        if isinstance(o, Value) or isinstance(o, (int, float)) and not isinstance(o, bool):
            return ((), None, id(o) not in ctx._non_diff)
        return None
    if isinstance(o, (Tensor, np.ndarray)):
        d = _tensor._raw(o)
        return (d.shape, d.dtype, d.dtype.kind == "f" and id(o) not in ctx._non_diff)
    return None


def _constant(o, kind):
    if kind is Tensor and isinstance(o, np.ndarray):
        return _const(o)
    if isinstance(o, Node) and (o.requires_grad or o._rule is not None):
        return o.detach() if kind is Tensor else Value(o.data, requires_grad=False)
    return o


def _node(o, kind, parents, op, ctx):
    if kind is Tensor:
        return _make_n(np.asarray(_tensor._raw(o)), parents, op, _function_rule, ctx)
    data = float(o.data if isinstance(o, Value) else o)
    if len(parents) <= 2:
        return _value._make(data, parents[0], parents[1] if len(parents) == 2 else None, _function_rule, ctx)
    out = object.__new__(Value)  # three or more parents: a tuple in _a, as the engine reads it
    out.data, out.grad, out.label, out._ctx, out._g = data, 0.0, "", ctx, UNVISITED
    out._a, out._b, out._rule = (parents, NARY, _function_rule) if _state.enabled else (None, None, None)
    out.requires_grad = _state.enabled
    return out


def _node_name(ctx) -> str:
    """The op name a drawing shows for a Function's node (Value asks the rule for it)."""
    fctx, k = ctx
    name = fctx._fn.__name__
    return name if len(fctx._outputs) == 1 else f"{name}[{k}]"


# the rule shared by every Function node ---------------------------------------------------
def _function_rule(c, g, out, *parents):
    """Call the Function's backward with this output's gradient; check what it returns."""
    fctx, k = c
    cls = fctx._fn
    create_graph = isinstance(out, Node)  # the engine passes nodes only for create_graph
    is_value = fctx._kind is Value
    grads = []
    for j, meta in enumerate(fctx._outputs):
        if j == k:
            grads.append(g if create_graph else (_value._lift(g, cls.__name__) if is_value else _const(g)))
        elif meta is None or not fctx._materialize:
            grads.append(None)
        elif is_value:
            grads.append(_value._lift(0.0, cls.__name__))
        else:
            grads.append(_const(np.zeros(meta[0], meta[1] if meta[1].kind == "f" else np.float64)))
    once = getattr(cls.backward, "_once_differentiable", False)
    if create_graph:
        fctx._live = (k, out)
        try:
            result = cls.backward(fctx, *grads)
        finally:
            fctx._live = None
    else:
        result = cls.backward(fctx, *grads)
    if not isinstance(result, tuple):
        result = (result,)
    n_args = len(fctx.needs_input_grad)
    if len(result) < n_args or any(r is not None for r in result[n_args:]):
        raise RuntimeError(
            f"{cls.__name__}.backward returned {len(result)} gradient(s) but forward took {n_args} "
            f"argument(s); return one per forward argument (None for non-tensor arguments)"
        )
    out_grads = []
    for i, p in zip(fctx._arg_nodes, parents):
        gi = result[i]
        if gi is None or not fctx.needs_input_grad[i]:
            out_grads.append(None)
            continue
        gi = _checked_grad(cls.__name__, i, gi, p, is_value)
        if not create_graph:
            gi = _tensor._raw(gi) if not isinstance(gi, Value) else gi.data
        elif once:
            gi = _delayed_error(gi, parents, g, cls.__name__)
        elif not isinstance(gi, Node):
            gi = _const(np.asarray(gi)) if not is_value else _value._lift(gi, cls.__name__)
        out_grads.append(gi)
    return tuple(out_grads)


def _checked_grad(name, i, gi, parent, is_value):
    """Refuse a gradient whose kind, shape or dtype does not fit input i."""
    if is_value:
        if isinstance(gi, Value) or isinstance(gi, (int, float, np.floating)) and not isinstance(gi, bool):
            return gi
        raise TypeError(
            f"{name}.backward: the gradient for input {i} is {type(gi).__name__}; a Value input "
            "needs a Value or a number"
        )
    if not isinstance(gi, (Tensor, np.ndarray)):
        raise TypeError(
            f"{name}.backward: the gradient for input {i} is {type(gi).__name__}; return a Tensor "
            "(or None) for each tensor input"
        )
    want = np.shape(_tensor._raw(parent))
    want_dtype = _tensor._raw(parent).dtype
    got = _tensor._raw(gi)
    if got.shape != want and not _sums_to(got.shape, want):
        raise RuntimeError(
            f"{name}.backward: the gradient for input {i} has shape {got.shape} but the input has "
            f"shape {want}; return a gradient of the input's shape"
        )
    if got.dtype != want_dtype:
        raise TypeError(
            f"{name}.backward: the gradient for input {i} has dtype {got.dtype} but the input is "
            f"{want_dtype}; return it in the input's dtype (e.g. .astype({want_dtype}))"
        )
    return gi


def _sums_to(gshape, shape) -> bool:
    """True when a gradient of gshape is a broadcast of shape (the engine sums it back)."""
    lead = len(gshape) - len(shape)
    return lead >= 0 and all(n == 1 or gshape[lead + j] == n for j, n in enumerate(shape))


# once_differentiable: gradients that refuse to be differentiated again ---------------------
def _delayed_error(gi, parents, g, name):
    """gi as a node whose backward raises: a second-order pass through it is refused."""
    ps = tuple(p for p in (*parents, g) if isinstance(p, Node) and p.requires_grad) or (g,)
    if not isinstance(g, Tensor):
        data = gi.data if isinstance(gi, Value) else float(gi)
        if len(ps) <= 2:
            return _value._make(data, ps[0], ps[1] if len(ps) == 2 else None, _twice_rule, name)
        ps = ps[:2]  # any parent that requires grad carries the refusal
        return _value._make(data, ps[0], ps[1], _twice_rule, name)
    return _make_n(np.asarray(_tensor._raw(gi)), ps, f"{name}.backward", _twice_rule, name)


def _twice_rule(name, g, out, *parents):
    raise RuntimeError(
        f"{name}.backward is marked @once_differentiable (written outside chainrule's ops), so its "
        "gradients cannot be differentiated again; write backward with chainrule ops for second "
        "derivatives, or do not ask for them (create_graph=False)"
    )


_function_rule.node_name = _node_name
_twice_rule.node_name = lambda name: f"{name}.backward"
