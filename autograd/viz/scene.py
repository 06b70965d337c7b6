"""Reading a graph into a scene: order, names, roles and every node's gradient.

Gradients come from the nodes when they hold them, or from replaying the backward rules on
raw data, so a Tensor graph shows every intermediate gradient without `retain_grad()`. A
Tensor graph that a plain `backward()` freed is read from the light trace that pass kept
(`pass_trace.last_pass`): ops, shapes, dtypes, labels and the gradients that reached each node.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import pass_trace
from ..engine import UNVISITED, Node, topological_order
from ..grad_mode import no_grad
from ..pass_trace import last_pass
from .labels import _flag, _is_array
from .trace import freed_graph


class _Scene:
    """The graph read once: order, names, roles, gradients, modules."""

    def __init__(self, root, names, model, grads, need_flow, vanishing, exploding):
        if not isinstance(root, Node):
            raise TypeError(f"draw_graph: expected a Value or Tensor, got {type(root).__name__}")
        self.root = root
        self.order = order = topological_order(root)
        self.freed = False  # drawn from the trace a freeing backward pass kept
        recorded: dict = {}
        released = next((n for n in order if n._released), None)
        if released is not None:
            trace = last_pass(root) if released is root else None
            if trace is None and released is root and not pass_trace.KEEP_TRACE:
                pass_trace.KEEP_TRACE = True  # from now on, passes keep what a picture needs
                raise RuntimeError(
                    "draw_graph: a plain backward() freed this graph as it went, as PyTorch frees "
                    "its saved tensors, and kept no trace of it: traces are kept in notebooks and "
                    "consoles, or after autograd.viz.keep_graphs(). They are on from now: run the "
                    "step (forward and backward) again and draw, or call backward(retain_graph=True)"
                )
            if trace is None:
                what = "this graph" if released is root else f"part of this graph (op '{released.op}')"
                raise RuntimeError(
                    f"draw_graph: a backward pass freed {what} as it went, as PyTorch frees its "
                    "saved tensors, and kept no trace of it for this output (only the output of the "
                    "last pass keeps one); draw the output that pass started from, draw before "
                    "backward, or call backward(retain_graph=True)"
                )
            ghost, recorded = freed_graph(root, trace)
            self.order = order = topological_order(ghost)
            self.freed = True
        self.index = {id(n): i for i, n in enumerate(order)}
        self.vanishing, self.exploding = vanishing, exploding
        self.param_names, self.modules = _names(names, model)
        self.parent_idx = [[self.index[id(p)] for p in n.parents] for n in order]
        self.consumers: dict[int, list] = {}  # node -> [(consumer, argument position)]
        for i, ps in enumerate(self.parent_idx):
            for pos, j in enumerate(ps):
                self.consumers.setdefault(j, []).append((i, pos))
        self.consumer_edges = {j: len(uses) for j, uses in self.consumers.items()}
        self.roles = [self._role(i, n) for i, n in enumerate(order)]
        self._groups = None

        ran = _backward_ran(root)
        # Gradients set by hand (micrograd's lecture: `L.grad = 1.0`, `o._backward()`) are
        # shown as they are on a Value graph no backward pass has run on.
        by_hand = grads == "auto" and not ran and _has_hand_grads(order)
        self.show_grads = grads is True or (grads == "auto" and ran) or by_hand
        self.pending = grads == "auto" and not ran and root.requires_grad and not by_hand
        self.seed = None
        self.contrib: dict = {}
        self.errors: dict = {}
        self.steps: list = []
        replayed: dict = {}
        if self.freed:  # the gradients the pass recorded; no per-edge contributions
            replayed = {i: recorded[id(n)] for i, n in enumerate(order) if id(n) in recorded}
            self.seed = replayed.get(len(order) - 1)
            self.steps = [i for i in range(len(order) - 1, -1, -1) if order[i]._rule is not None]
        elif (self.show_grads or need_flow) and root.requires_grad:
            self.seed, replayed, self.contrib, self.errors, self.steps = _replay(order)
            if by_hand:
                replayed = {i: n.grad for i, n in enumerate(order)}
        # Each node shows d(root)/d(node) for this graph, from the replay: a leaf's stored
        # .grad may also hold other graphs' gradients, accumulated since its last zero_grad.
        self.grads: list = [None] * len(order)
        if self.show_grads or need_flow:
            for i, n in enumerate(order):
                if n.requires_grad:
                    self.grads[i] = replayed.get(i)

    def _role(self, i, node):
        if i == len(self.order) - 1:
            return "output"
        if id(node) in self.param_names:
            return "parameter"
        if node._rule is not None:
            return "intermediate"
        if node.requires_grad:
            return "input"
        if node.label or (_is_array(node.data) and np.size(node.data) > 1):
            return "input"
        return "constant"

    def name(self, i) -> str:
        node = self.order[i]
        return self.param_names.get(id(node)) or node.label or f"#{i}"

    def flag(self, g) -> str | None:
        return _flag(g, self.vanishing, self.exploding)

    def groups(self) -> list:
        if self._groups is None:
            self._groups = self._find_groups()
        return self._groups

    def _find_groups(self) -> list:
        """The module each node belongs to (a dotted path), or None.

        A parameter belongs to its module; so does a node with a parameter of that module
        (or a view of one, such as `W.T`) among its inputs, e.g. `x @ W.T` or `w * x`; and
        a node all of whose inputs lie in one module (the activation after it, a sum).
        Anything mixing modules (a loss, a regulariser) belongs to none.
        """
        out: list = [None] * len(self.order)
        own = [False] * len(self.order)  # a parameter, or a one-input op applied to one
        for i, node in enumerate(self.order):
            parents = self.parent_idx[i]
            if node._rule is None:
                name = self.param_names.get(id(node))
                if name is not None:
                    out[i] = _module_of(name)
                    own[i] = True
                continue
            owned = [j for j in parents if own[j] and out[j] is not None]
            if owned:
                out[i] = out[owned[0]]
                own[i] = len(parents) == 1
                continue
            gs = {out[j] for j in parents}
            if len(gs) == 1:
                out[i] = gs.pop()
        return out


def _names(names, model):
    """(id(param) -> dotted name, module path -> class name) from a mapping and/or a model."""
    params: dict[int, str] = {}
    modules: dict[str, str] = {}
    if model is not None:
        named = getattr(model, "named_parameters", None)
        named_modules = getattr(model, "named_modules", None)
        if callable(named) and callable(named_modules):
            for n, p in named():
                params.setdefault(id(p), n)
            modules = {n: type(m).__name__ for n, m in named_modules()}
        else:  # duck typing: parameters are the nodes its attributes hold (nn.scalar.MLP)
            walked_params, modules = _walk(model)
            if callable(named):
                for n, p in named():
                    params.setdefault(id(p), n)
            else:
                params = walked_params
    if names is not None:
        items = names.items() if isinstance(names, Mapping) else names
        for k, v in items:
            if isinstance(k, str) and isinstance(v, Node):
                k, v = v, k
            if not isinstance(k, Node):
                raise TypeError(f"draw_graph: names maps nodes to names, got key {type(k).__name__}")
            params[id(k)] = str(v)
    return params, modules


def _walk(model, max_depth: int = 12):
    """Nodes that need grad reachable through attributes, lists and dicts, with dotted
    paths; and the class name of every object met on the way (for `Neuron ×16`)."""
    params: dict[int, str] = {}
    modules: dict[str, str] = {}
    seen: set = set()
    stack = [("", model, 0)]
    while stack:
        path, obj, depth = stack.pop()
        if isinstance(obj, Node):
            if obj.requires_grad and obj._rule is None:
                params.setdefault(id(obj), path)
            continue
        if id(obj) in seen or depth > max_depth:
            continue
        seen.add(id(obj))
        if isinstance(obj, (list, tuple)):
            items = list(enumerate(obj))
        elif isinstance(obj, dict):
            items = [(k, v) for k, v in obj.items() if isinstance(k, (str, int))]
        elif (
            hasattr(obj, "__dict__")
            and not isinstance(obj, type)
            and not callable(getattr(obj, "__func__", None))
        ):
            modules[path] = type(obj).__name__
            items = [(k, v) for k, v in vars(obj).items() if not k.startswith("_")]
        else:
            continue
        for k, v in reversed(items):
            if isinstance(v, (Node, list, tuple, dict)) or hasattr(v, "__dict__"):
                stack.append((f"{path}.{k}" if path else str(k), v, depth + 1))
    return params, modules


def _module_of(name: str) -> str | None:
    """'layers.0.weight' -> 'layers.0'; 'layers.1.neurons.3.w.0' -> 'layers.1.neurons.3'."""
    parts = name.split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    parts = parts[:-1]
    return ".".join(parts) or None


def _backward_ran(root) -> bool:
    """Whether a backward pass (or autograd.grad) has run from this root: the engine stamps
    every node it visits (its `_g` is no longer UNVISITED)."""
    return root._g is not UNVISITED


def _replay(order):
    """Every node's gradient, every edge's contribution, by running the backward rules on
    raw data in reverse topological order (reads the graph, changes nothing)."""
    root = order[-1]
    # d(root)/d(root) = 1 (ones for an array: what backward(gradient=ones) would start from)
    seed = np.ones_like(root.data) if _is_array(root.data) else 1.0
    grads = {len(order) - 1: seed}
    contrib: dict = {}
    errors: dict = {}
    steps: list = []
    index = {id(n): i for i, n in enumerate(order)}
    with no_grad(), np.errstate(all="ignore"):  # nan and inf are drawn in red, not warned about
        for i in range(len(order) - 1, -1, -1):
            node = order[i]
            rule = node._rule
            g = grads.get(i)
            if rule is None or g is None:
                continue
            parents = node.parents
            try:
                gs = rule(node._ctx, g, node.data, *[p.data for p in parents])
            except Exception as e:  # e.g. the derivative of sqrt at 0: show it, do not fail
                errors[i] = f"{type(e).__name__}: {e}"
                continue
            steps.append(i)
            for pos, (p, gp) in enumerate(zip(parents, gs)):
                if gp is None or not p.requires_grad:
                    continue
                if node._conform_needed:
                    gp = node._conform(gp, p)
                contrib[(i, pos)] = gp
                j = index[id(p)]
                old = grads.get(j)
                grads[j] = gp if old is None else old + gp
    return seed, grads, contrib, errors, steps


def _local_derivatives(node):
    """d(out)/d(parent) for each parent of a scalar node (the rule run with g = 1)."""
    if _is_array(node.data) or node._rule is None:
        return None
    try:
        with no_grad():
            return node._rule(node._ctx, 1.0, node.data, *[p.data for p in node.parents])
    except Exception:
        return None


def _complete(remaining, acc) -> set:
    """Nodes whose gradient is final: every edge to a consumer has been processed."""
    return {j for j in acc if remaining.get(j, 0) <= 0}


def _as_list(highlight) -> list:
    if highlight is None:
        return []
    return list(highlight) if isinstance(highlight, (list, tuple, set)) else [highlight]


def _path_to_output(scene, highlight):
    """Indices of the highlighted nodes and everything computed from them (their paths to the output)."""
    if highlight is None:
        return None
    on: set = set()
    for t in _as_list(highlight):
        i = scene.index.get(id(t))
        if i is None:
            raise ValueError("draw_graph: highlight= is not a node of this graph")
        on.add(i)
    for i in range(len(scene.order)):
        if i not in on and any(j in on for j in scene.parent_idx[i]):
            on.add(i)
    return on


def _has_hand_grads(order) -> bool:
    """A scalar graph some of whose op results carry a gradient though no pass has run on
    it: set by hand. (Leaves may still hold an earlier graph's gradients: those do not count.)"""
    return not _is_array(order[-1].data) and any(
        n._rule is not None and isinstance(n.grad, float) and n.grad for n in order
    )
