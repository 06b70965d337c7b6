"""Pictures of computation graphs for teaching: draw_graph, backward_steps, to_text.

Reads a graph, never changes it. graphviz is imported only when a picture is built, so
`to_text` and the rest of autograd work without it. Gradients a drawing shows come from
the nodes themselves when they hold them (Value after `backward()`, Tensor leaves) and
otherwise from replaying the backward rules on raw data, so a Tensor graph shows every
intermediate gradient without `retain_grad()`. A Tensor graph that `backward()` has freed
(without `retain_graph=True`) has nothing left to draw, and the drawing says so.
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from .engine import UNVISITED, Node, topological_order
from .grad_mode import no_grad

__all__ = ["INSTALL_HINT", "backward_steps", "draw_graph", "to_text"]

INSTALL_HINT = (
    "graphviz's `dot` program is not installed, so this graph cannot be rendered as a picture.\n"
    "Install it with one of:\n"
    "  Debian/Ubuntu:  apt-get install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install graphviz\n"
    "Meanwhile `graph.source` holds the DOT text and `graph.to_text()` an indented text tree."
)

# Colours: fill by role, grad-cell and border by what the gradient looks like.
ROLE_STYLE = {  # role: (fill, border, legend text)
    "input": ("#dbeafe", "#2563eb", "input"),
    "parameter": ("#dcfce7", "#16a34a", "parameter"),
    "constant": ("#f3f4f6", "#9ca3af", "constant (no grad)"),
    "intermediate": ("#ffffff", "#6b7280", "intermediate"),
    "output": ("#fef3c7", "#d97706", "output"),
}
FLAG_STYLE = {  # flag: (grad-cell fill, border, legend text)
    "zero": ("#d1d5db", "#4b5563", "zero grad (e.g. dead ReLU)"),
    "vanishing": ("#cffafe", "#0891b2", "vanishing grad"),
    "exploding": ("#fed7aa", "#ea580c", "exploding grad"),
    "nonfinite": ("#fecaca", "#dc2626", "nan / inf"),
}
OP_FILL, OP_BORDER = "#ede9fe", "#7c3aed"
GROUP_FILL, GROUP_BORDER = "#e0f2fe", "#0369a1"
FORWARD_EDGE, GRAD_EDGE, PENDING_EDGE = "#6b7280", "#dc2626", "#d1d5db"
HIGHLIGHT = "#db2777"
FADED = "#c0c0c0"
FONT = "Helvetica"

# How an op is drawn: symbol, and the names of its arguments when their order matters.
OP_SYMBOL = {"*": "×", "-": "−"}
COMMUTATIVE = {"+", "*", "maximum"}
ARG_NAMES = {
    "**": ("base", "exponent"),
    "@": ("A", "B"),
    "-": ("a", "b"),
    "where": ("where true", "where false"),
    "linear": ("x", "weight", "bias"),
}
# Local derivative formulas, one per argument; g is the upstream gradient dL/d(out).
FORMULAS = {
    "+": ("∂/∂a = 1", "∂/∂b = 1"),
    "*": ("∂/∂a = b", "∂/∂b = a"),
    "**": ("∂/∂a = b·a^(b−1)", "∂/∂b = out·ln a"),
    "exp": ("∂/∂x = eˣ = out",),
    "log": ("∂/∂x = 1/x",),
    "sqrt": ("∂/∂x = 1/(2·out)",),
    "tanh": ("∂/∂x = 1 − out²",),
    "sigmoid": ("∂/∂x = out·(1 − out)",),
    "relu": ("∂/∂x = 1 if x > 0 else 0",),
    "abs": ("∂/∂x = sign(x)",),
    "@": ("∂L/∂A = G·Bᵀ", "∂L/∂B = Aᵀ·G"),
    "sum": ("∂L/∂x = G broadcast back to x's shape",),
    "mean": ("∂L/∂x = G / n, broadcast back",),
    "max": ("∂L/∂x = G at the maximum, 0 elsewhere",),
    "min": ("∂L/∂x = G at the minimum, 0 elsewhere",),
    "reshape": ("∂L/∂x = G reshaped back",),
    "transpose": ("∂L/∂x = G transposed back",),
    "-": ("∂/∂a = 1", "∂/∂b = −1"),
    "maximum": ("∂/∂a = 1 where a ≥ b", "∂/∂b = 1 where b > a"),
    "where": ("∂L/∂a = G where cond", "∂L/∂b = G where not cond"),
    "clip": ("∂/∂x = 1 inside [lo, hi], else 0",),
    "expand": ("∂L/∂x = G summed over the expanded axes",),
    "getitem": ("∂L/∂x = G put back in place, 0 elsewhere",),
    "cat": ("each input gets its slice of G",),
    "stack": ("each input gets its slice of G",),
    "softmax": ("∂L/∂x = out ⊙ (G − Σ G⊙out)",),
    "log_softmax": ("∂L/∂x = G − softmax(x)·ΣG",),
    "logsumexp": ("∂L/∂x = G · softmax(x)",),
    "linear": ("∂L/∂x = G·W", "∂L/∂W = Gᵀ·x", "∂L/∂b = G summed over rows"),
    "cross_entropy": ("∂L/∂z = (softmax(z) − onehot(y)) · G / N",),
}

COMPACT_FROM = 500  # drawn nodes past which ops go inside their result nodes and dot works less

_GRAPH_CLASS = None


# ---------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------
def draw_graph(
    root: Node,
    *,
    direction: str = "forward",
    rankdir: str = "LR",
    names: Mapping | None = None,
    model=None,
    grads: bool | str = "auto",
    formulas: bool = False,
    highlight=None,
    max_nodes: int | None = 150,
    vanishing: float = 1e-6,
    exploding: float = 1e3,
    legend: bool = True,
    title: str | None = None,
):
    """The computation graph of `root` as a graphviz.Digraph (subclass `Graph`).

    direction: "forward" draws data flow; "backward" draws the gradient flow, each edge
        labelled with its contribution (local derivative × upstream gradient).
    names / model: parameter names, `{node: "layers.0.weight"}` or anything with
        `named_parameters()` (or plain attributes holding nodes, as `nn.scalar.MLP`).
    grads: "auto" shows gradients once `backward()` has run; True computes them now
        (by replaying the backward rules), False hides them.
    formulas: print each op's local derivative formula inside the op node.
    highlight: a node (or list of nodes) whose path to the output is drawn in colour.
    max_nodes: past this many nodes the drawing collapses: per module with `model` or
        `names` (`Layer` boxes saying `Neuron ×16`), chains of one op (a Python sum) into
        one box, alike blocks with the same inputs into one box (`16 alike blocks`), and
        last keeps the nodes nearest the output. None draws everything.
    vanishing / exploding: gradient magnitudes (max |g|) flagged by colour.
    """
    if direction not in ("forward", "backward"):
        raise ValueError(f"draw_graph: direction must be 'forward' or 'backward', got {direction!r}")
    if grads not in ("auto", True, False):
        raise ValueError(f"draw_graph: grads must be 'auto', True or False, got {grads!r}")
    scene = _Scene(root, names, model, grads, direction == "backward", vanishing, exploding)
    return _build(
        scene,
        backward=direction == "backward",
        rankdir=rankdir,
        formulas=formulas,
        highlight=highlight,
        max_nodes=max_nodes,
        legend=legend,
        title=title,
    )


def backward_steps(
    root: Node,
    *,
    names: Mapping | None = None,
    model=None,
    formulas: bool = True,
    rankdir: str = "LR",
    legend: bool = True,
) -> Iterator:
    """One picture per step of the backward pass: the seed, then one op at a time in
    reverse topological order, each showing the gradients accumulated so far, the op
    being processed and the nodes it sends gradient to. Every picture draws every node:
    meant for graphs small enough to read (a neuron, a layer), not for a whole network."""
    scene = _Scene(root, names, model, True, True, 1e-6, 1e3)
    steps = scene.steps
    total = len(steps)
    acc: dict[int, object] = {}
    root_i = len(scene.order) - 1
    if scene.seed is not None:
        acc[root_i] = scene.seed
    remaining = dict(scene.consumer_edges)  # node index -> edges from it not yet processed
    done_edges: set = set()
    yield _build(
        scene,
        backward=True,
        rankdir=rankdir,
        formulas=formulas,
        legend=legend,
        title=f"step 0/{total}: seed d{scene.name(root_i)}/d{scene.name(root_i)} = 1",
        step=(dict(acc), _complete(remaining, acc), done_edges.copy(), None),
    )
    for k, i in enumerate(steps, 1):
        node = scene.order[i]
        parts = []
        for pos, p in enumerate(node.parents):
            gp = scene.contrib.get((i, pos))
            j = scene.index[id(p)]
            if gp is not None:
                old = acc.get(j)
                acc[j] = gp if old is None else old + gp
                parts.append(f"{scene.name(j)}.grad += {_brief(gp)}")
            remaining[j] = remaining.get(j, 1) - 1
            done_edges.add((i, pos))
        caption = f"step {k}/{total}: backward through {_op_text(node)!r} of {scene.name(i)}"
        if parts:
            caption += ": " + "; ".join(parts)
        yield _build(
            scene,
            backward=True,
            rankdir=rankdir,
            formulas=formulas,
            legend=legend,
            title=caption,
            step=(dict(acc), _complete(remaining, acc), done_edges.copy(), i),
        )


def to_text(
    root: Node,
    *,
    names: Mapping | None = None,
    model=None,
    grads: bool | str = "auto",
    max_lines: int | None = None,
) -> str:
    """An indented text tree of the graph (output first, each node's inputs below it).
    Needs nothing installed; a node reached twice is printed once and referred to after."""
    scene = _Scene(root, names, model, grads, False, 1e-6, 1e3)
    return _text(scene, max_lines)


# ---------------------------------------------------------------------------------------
# What the drawing knows about the graph (no graphviz here)
# ---------------------------------------------------------------------------------------
class _Scene:
    """The graph read once: order, names, roles, gradients, modules."""

    def __init__(self, root, names, model, grads, need_flow, vanishing, exploding):
        if not isinstance(root, Node):
            raise TypeError(f"draw_graph: expected a Value or Tensor, got {type(root).__name__}")
        self.root = root
        self.order = order = topological_order(root)
        freed = next((n for n in order if n._released), None)
        if freed is not None:
            what = "this graph" if freed is root else f"part of this graph (op '{freed.op}')"
            raise RuntimeError(
                f"draw_graph: a backward pass freed {what} as it went, as PyTorch frees its "
                "saved tensors, so there is no graph left to draw; draw it before backward, or "
                "call backward(retain_graph=True) to keep it and draw it with its gradients"
            )
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
        self.show_grads = grads is True or (grads == "auto" and ran)
        self.pending = grads == "auto" and not ran and root.requires_grad
        self.seed = None
        self.contrib: dict = {}
        self.errors: dict = {}
        self.steps: list = []
        replayed: dict = {}
        if (self.show_grads or need_flow) and root.requires_grad:
            self.seed, replayed, self.contrib, self.errors, self.steps = _replay(order)
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


# ---------------------------------------------------------------------------------------
# Numbers and text
# ---------------------------------------------------------------------------------------
def _is_array(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic))


def _num(x) -> str:
    """A scalar as micrograd prints it (4 decimals), switching to exponent form when tiny or huge."""
    x = float(x) + 0.0
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    a = abs(x)
    if a == 0 or 1e-4 <= a < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _short(x) -> str:
    x = float(x) + 0.0
    return f"{x:.4g}"


def _mag(g) -> float:
    if _is_array(g):
        if np.size(g) == 0:
            return 0.0
        with np.errstate(invalid="ignore"):
            return float(np.max(np.abs(g)))
    return abs(float(g))


def _flag(g, vanishing, exploding) -> str | None:
    if g is None:
        return None
    if _is_array(g):
        if not np.all(np.isfinite(g)):
            return "nonfinite"
    elif not math.isfinite(g):
        return "nonfinite"
    m = _mag(g)
    if m == 0:
        return "zero"
    if m < vanishing:
        return "vanishing"
    if m > exploding:
        return "exploding"
    return None


def _brief(x) -> str:
    """A value or array in a few characters: the number, or the values when small, or the norm."""
    if not _is_array(x):
        return _short(x)
    a = np.asarray(x)
    if a.size == 1:
        return _short(a.reshape(()))
    if a.size <= 6:
        return _values(a).replace("\n", "")
    return f"‖·‖ {_short(np.linalg.norm(a.astype(float)))}"


def _values(a) -> str:
    """A small array's values, one line per row; a column (n, 1) as a transposed row."""
    if a.ndim == 2 and a.shape[1] == 1 and a.shape[0] > 1:
        return _values(a[:, 0]) + "ᵀ"
    return np.array2string(a.astype(float), precision=3, separator=", ", suppress_small=True)


def _preview(a) -> str:
    """Values of a small array (one line per row), else min / mean / max."""
    a = np.asarray(a)
    if a.dtype.kind not in "fiub":
        return f"{a.size} values"
    if a.size <= 8:
        return _values(a)
    f = a.astype(float)
    return f"min {_short(np.min(f))} · mean {_short(np.mean(f))} · max {_short(np.max(f))}"


def _op_text(node) -> str:
    """The op as a reader expects it: × for *, and the arguments the op carries
    (`sum(axis=1)`, `× 0.5`, `[:, 0]`, `softmax(axis=-1)`)."""
    op = node.op or ""
    sym = OP_SYMBOL.get(op, op)
    ctx = node._ctx
    try:
        if not _is_array(node.data):
            return sym
        if op in ("+", "-", "*") and len(node.parents) == 1:  # an op with a plain number
            return f"{sym} {_short(ctx)}" if op == "*" and ctx is not None else f"{sym} const"
        if op in ("sum", "mean", "max", "min", "logsumexp"):
            axes, keepdims = ctx[0], ctx[1]
            args = [] if axes is None else [f"axis={_axes(axes)}"]
            if keepdims:
                args.append("keepdims")
            return f"{op}({', '.join(args)})"
        if op in ("softmax", "log_softmax", "stack"):
            return f"{op}(axis={_axes(ctx)})"
        if op == "cat":
            return f"cat(axis={_axes(ctx[0])})"
        if op == "reshape":
            return f"reshape{tuple(np.shape(node.data))}"
        if op == "transpose":
            perm = tuple(int(k) for k in np.argsort(ctx))
            return ".T" if perm == (1, 0) else f"transpose{perm}"
        if op == "getitem":
            return _index_text(ctx[0])
        if op == "clip":
            return f"clip({', '.join('None' if v is None else _short(v) for v in ctx)})"
        if op == "expand":
            return f"expand{tuple(np.shape(node.data))}"
        if op == "linear":
            return "linear  x·Wᵀ + b" if len(node.parents) == 3 else "linear  x·Wᵀ"
    except (TypeError, IndexError, ValueError):  # an op whose context looks different: its name
        pass
    return sym


def _axes(axes) -> str:
    if isinstance(axes, tuple) and len(axes) == 1:
        axes = axes[0]
    return str(axes)


def _index_text(key) -> str:
    """`[:, 0]`, `[2:5]`, `[mask]`, `[idx]` for an index key."""
    parts = key if isinstance(key, tuple) else (key,)
    out = []
    for p in parts:
        if isinstance(p, slice):
            start, stop = ("" if v is None else str(v) for v in (p.start, p.stop))
            out.append(f"{start}:{stop}" + ("" if p.step is None else f":{p.step}"))
        elif p is None:
            out.append("None")
        elif p is Ellipsis:
            out.append("...")
        elif _is_array(p) and np.ndim(p) > 0:
            out.append("mask" if np.asarray(p).dtype == bool else f"idx{tuple(np.shape(p))}")
        else:
            out.append(str(p))
    return "[" + ", ".join(out) + "]"


def _op_base(op: str) -> str:
    """'sum(axis=1)' -> 'sum', '**2' -> '**n'."""
    if op.startswith("**") and op != "**":
        return "**n"
    return re.split(r"[(\[ ]", op, maxsplit=1)[0]


def _formulas(node) -> tuple:
    op = node.op or ""
    base = _op_base(op)
    if base == "**n":
        try:
            n = float(op[2:])
        except ValueError:
            return ()
        power = "1" if n == 1 else f"{n:g}·x" if n == 2 else f"{n:g}·x^{n - 1:g}"
        return (f"∂/∂x = {power}",)
    if len(node.parents) == 1 and op in ("+", "-", "*"):  # with a plain number c
        if op == "*":
            return ("∂/∂x = c",)
        rsub = "rsub" in getattr(node._rule, "__name__", "")
        return ("∂/∂x = −1",) if rsub else ("∂/∂x = 1",)
    return FORMULAS.get(base, ())


def _arg_names(node, formulas=False) -> tuple:
    """Edge labels saying which argument an input is: only where order matters, or where
    the formulas printed in the op node refer to the arguments as a and b."""
    base = _op_base(node.op or "")
    k = len(node.parents)
    if k < 2 or (base in COMMUTATIVE and not formulas):
        return ("",) * k
    if base in COMMUTATIVE and k == 2:
        return ("a", "b")
    names = ARG_NAMES.get(base)
    if names is not None and len(names) >= k:
        return names[:k]
    return tuple(f"#{i}" for i in range(k))


def _describe(scene, i, with_grad=True) -> str:
    """One plain-text line for node i (used by to_text and tooltips)."""
    node = scene.order[i]
    parts = [scene.name(i)]
    if _is_array(node.data):
        parts.append(f"{tuple(np.shape(node.data))} {np.asarray(node.data).dtype}")
        parts.append(_preview(node.data).replace("\n", " "))
    else:
        parts.append(f"data {_num(node.data)}")
    if with_grad and node.requires_grad:
        if scene.pending:
            parts.append("grad not computed yet")
        elif scene.show_grads:
            g = scene.grads[i]
            parts.append("grad none" if g is None else _grad_text(g))
    return "  ".join(parts)


def _grad_text(g, multiline: bool = False) -> str:
    """'grad -6.0000' for a scalar; the values of a small array, else its norm."""
    if _is_array(g):
        a = np.asarray(g, dtype=float)
        if a.size == 1:
            return f"grad {_short(a.reshape(()))}"
        if a.size <= 8:
            return "grad " + (_preview(a) if multiline else _brief(a))
        return f"‖grad‖ {_short(np.linalg.norm(a))}"
    return f"grad {_num(g)}"


def _text(scene, max_lines, max_indent: int = 24) -> str:
    """The tree behind `to_text`: output first, inputs indented below their consumer.
    Past `max_indent` levels lines stop moving right and say their depth instead."""
    order = scene.order
    lines = []
    if scene.pending:
        lines.append("(gradients not computed yet: call backward() on the output)")
    printed: set = set()
    stack = [(len(order) - 1, 0, "", "")]  # (index, depth, lead of this line, lead of its children)
    while stack:
        if max_lines is not None and len(lines) >= max_lines:
            lines.append("...")
            break
        i, depth, lead, child_lead = stack.pop()
        node = order[i]
        if i in printed:
            lines.append(f"{lead}{scene.name(i)} (shown above)")
            continue
        printed.add(i)
        line = lead + _describe(scene, i)
        if node._rule is not None:
            line += f"  <- {_op_text(node)}"
        elif scene.roles[i] != "intermediate":
            line += f"  ({scene.roles[i]})"
        lines.append(line)
        kids = scene.parent_idx[i]
        if depth + 1 >= max_indent:
            child_lead = f"[depth {depth + 1}] "
            branch = [child_lead] * 2
            rest = [child_lead] * 2
        else:
            branch = [child_lead + "├─ ", child_lead + "└─ "]
            rest = [child_lead + "│  ", child_lead + "   "]
        for pos in range(len(kids) - 1, -1, -1):
            last = int(pos == len(kids) - 1)
            stack.append((kids[pos], depth + 1, branch[last], rest[last]))
    return "\n".join(lines)


def _esc(s) -> str:
    """Text safe inside a graphviz HTML label (escapes < > & and quotes; | { } are plain there)."""
    return html.escape(str(s), quote=True).replace("\n", "<BR/>")


def _tooltip(s: str) -> str:
    return s.replace("\\", "\\\\")


# ---------------------------------------------------------------------------------------
# The DOT drawing
# ---------------------------------------------------------------------------------------
def _graph_class():
    """graphviz.Digraph with `save`, `to_text` and a Jupyter display that survives a missing dot."""
    global _GRAPH_CLASS
    if _GRAPH_CLASS is not None:
        return _GRAPH_CLASS
    try:
        import graphviz
    except ImportError as e:
        raise ImportError(
            "draw_graph needs the graphviz Python package: pip install graphviz "
            "(autograd.viz.to_text(root) works without it)"
        ) from e

    render_errors = (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError)

    class Graph(graphviz.Digraph):
        """A computation graph picture: a graphviz.Digraph plus save(), to_text() and a
        Jupyter display that falls back to an install hint and the DOT text."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._text = ""

        def to_text(self) -> str:
            """The indented text tree of the graph this picture shows."""
            return self._text

        def copy(self):
            other = super().copy()
            other._text = self._text
            return other

        def save(self, filename=None, directory=None, *, skip_existing=False):
            """Write the picture: .svg, .png or .pdf render in that format; .dot, .gv (or no
            name) write the DOT source, as graphviz's own save(), which render() calls."""
            fmt = Path(filename).suffix.lower().lstrip(".") if filename else ""
            if fmt in ("", "dot", "gv"):
                return Path(super().save(filename, directory=directory, skip_existing=skip_existing))
            path = Path(directory or "", filename)
            if fmt not in ("svg", "png", "pdf"):
                raise ValueError(
                    f"save: cannot tell the format from {path.name!r}; use .svg, .png, .pdf or .dot"
                )
            try:
                data = self.pipe(format=fmt)
            except graphviz.ExecutableNotFound:
                raise RuntimeError(f"save: cannot write {path.name}. {INSTALL_HINT}") from None
            path.write_bytes(data)
            return path

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            try:
                return {"image/svg+xml": self.pipe(format="svg", encoding="utf-8")}
            except render_errors as e:
                text = _fallback_text(e, self.source)
                return {"text/plain": text, "text/html": f"<pre>{html.escape(text)}</pre>"}

        def _repr_svg_(self):
            try:
                return self.pipe(format="svg", encoding="utf-8")
            except render_errors as e:
                return _fallback_svg(_fallback_text(e, self.source))

    Graph.__module__ = __name__
    _GRAPH_CLASS = Graph
    return Graph


def _fallback_text(error, source: str) -> str:
    import graphviz

    head = INSTALL_HINT if isinstance(error, graphviz.ExecutableNotFound) else f"dot failed: {error}"
    return f"{head}\n\nDOT source:\n{source}"


def _fallback_svg(text: str, max_lines: int = 60) -> str:
    lines = text.splitlines()
    if len(lines) > max_lines:
        lines = lines[:max_lines] + ["..."]
    width = 9 * max(len(s) for s in lines) + 20
    height = 16 * len(lines) + 20
    rows = "".join(
        f'<text x="10" y="{20 + 16 * k}" xml:space="preserve">{html.escape(s)}</text>'
        for k, s in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="monospace" font-size="13">{rows}</svg>'
    )


def _build(
    scene, *, backward, rankdir, formulas, highlight=None, max_nodes=None, legend=True, title=None, step=None
):
    Graph = _graph_class()
    g = Graph(name="chainrule", format="svg")
    g._text = _text(scene, None)
    g.attr(
        "graph",
        rankdir=rankdir,
        fontname=FONT,
        nodesep="0.25",
        ranksep="0.4",
        bgcolor="white",
        labelloc="b",
        labeljust="l",
    )
    g.attr("node", fontname=FONT, fontsize="11", shape="plaintext", margin="0")
    g.attr("edge", fontname=FONT, fontsize="9", arrowsize="0.7", color=FORWARD_EDGE, fontcolor="#374151")

    order = scene.order
    n = len(order)
    units = _units(scene, max_nodes)
    box = _unit_names(units)
    # A very big drawing folds each op into the node it makes: half the shapes for dot to place.
    compact = sum(1 for u in units if u is None) > COMPACT_FROM
    copies = _distant_uses(scene, units)
    on_path = _path_to_output(scene, highlight)
    targets = {scene.index[id(t)] for t in _as_list(highlight)}
    step_grads = step_done = step_edges = None
    current = None
    if step is not None:
        step_grads, step_done, step_edges, current = step
    receiving = set(scene.parent_idx[current]) if current is not None else set()
    done_ops = {i for i, _ in step_edges} if step is not None else set()
    used_roles: set = set()
    used_flags: set = set()
    labels: dict = {}

    def grad_of(i):
        return step_grads.get(i) if step is not None else scene.grads[i]

    def node_label(i, copy=False):
        node = order[i]
        grad = grad_of(i)
        if not node.requires_grad:
            state = "none"
        elif step is not None:
            state = "shown" if i in step_grads else "pending"
        elif backward or scene.show_grads:
            state = "shown"
        else:
            state = "pending" if scene.pending else "hidden"
        flag = scene.flag(grad) if state == "shown" else None
        if flag is None and _data_nonfinite(node.data):
            flag = "nonfinite"
        if flag:
            used_flags.add(flag)
        used_roles.add(scene.roles[i])
        partial = step is not None and i in step_grads and i not in step_done
        faded = on_path is not None and i not in on_path
        outlined = i in receiving or i in targets
        return _node_label(scene, i, grad, state, flag, faded, partial, copy, outlined)

    # nodes: in topological order, each op node right after the node it makes ----------
    for i in range(n):
        node = order[i]
        u = units[i]
        if u is not None:
            if box[u] == f"g{i}":
                _draw_box(g, scene, u, box[u], units, used_flags)
            continue
        labels[i] = node_label(i)
        if node._rule is not None and compact:  # the op as the node's first cell
            labels[i] = labels[i].replace(
                "<TR>", f'<TR><TD BGCOLOR="{OP_FILL}"><B>{_esc(_op_text(node))}</B></TD>', 1
            )
        g.node(f"n{i}", labels[i], tooltip=_tooltip(_describe(scene, i)))
        if node._rule is not None and not compact:
            faded = on_path is not None and i not in on_path
            _draw_op(g, scene, i, formulas, faded, current == i)
    # edges ------------------------------------------------------------------------------
    box_edges: dict = {}
    declared: set = set()
    for i in range(n):
        node = order[i]
        if node._rule is None:
            continue
        ui = units[i]
        target = (f"n{i}" if compact else f"o{i}") if ui is None else box[ui]
        args = _arg_names(node, formulas)
        locals_ = _local_derivatives(node) if backward else None
        upstream = grad_of(i) if backward else None
        for pos, j in enumerate(scene.parent_idx[i]):
            uj = units[j]
            if ui is not None and uj == ui:
                continue
            source = f"n{j}" if uj is None else box[uj]
            if ui is not None or uj is not None:
                count, live = box_edges.get((source, target), (0, False))
                box_edges[(source, target)] = (count + 1, live or order[j].requires_grad)
                continue
            if (i, pos) in copies:
                source = f"n{j}c{i}"  # one copy per consumer, however many times it uses j
                if source not in declared:
                    declared.add(source)
                    g.node(
                        source, node_label(j, copy=True), tooltip=_tooltip(_describe(scene, j) + " (again)")
                    )
            attrs = _edge_attrs(
                scene, i, pos, j, args[pos], backward, locals_, upstream, on_path, step_edges, current
            )
            g.edge(source, target, **attrs)
        if ui is None and not compact:
            attrs = {}
            if backward:
                attrs = {"dir": "back", "color": GRAD_EDGE}
                if step is not None and i not in done_ops:
                    attrs.update(color=PENDING_EDGE, style="dashed")
            if on_path is not None:
                attrs.update(_path_edge(i in on_path, i in on_path))
            g.edge(f"o{i}", f"n{i}", **attrs)
    for (source, target), (count, live) in box_edges.items():
        attrs = {"label": _html(f"×{count}")} if count > 1 else {}
        if backward:
            if live:
                attrs.update(dir="back", color=GRAD_EDGE)
            else:  # into a constant: no gradient flows there
                attrs.update(color=PENDING_EDGE, style="dotted")
        g.edge(source, target, **attrs)
    if len(labels) > COMPACT_FROM:  # fewer layout passes: a big drawing in seconds, not tens of seconds
        g.attr("graph", mclimit="0.2", nslimit="0.2")
    # title and legend -------------------------------------------------------------------
    extras = []
    if any(u is not None for u in units):
        extras.append((GROUP_FILL, GROUP_BORDER, "collapsed: module or chain of ops"))
    if copies:
        extras.append(("#ffffff", "#6b7280", "dashed: same node, drawn again"))
    if title is None and on_path is not None:
        kind = "gradient flow" if backward else "computation graph"
        title = f"{kind} of {_root_name(scene)}: paths from the highlighted nodes"
    g.attr("graph", label=_caption(scene, title, backward, used_roles, used_flags, legend, extras))
    return g


def _distant_uses(scene, units, span: int = 3) -> set:
    """Edges (consumer, position) whose leaf parent is drawn again beside that consumer,
    because the consumer sits more than `span` steps nearer the output than the leaf's
    earliest use. Long edges across a big graph make dot slow and the picture a tangle."""
    n = len(scene.order)
    dist = [0] * n  # fewest steps to the output
    for i in range(n - 2, -1, -1):
        dist[i] = 1 + min(dist[c] for c, _ in scene.consumers[i])
    copies = set()
    for j, uses in scene.consumers.items():
        if scene.order[j]._rule is not None or units[j] is not None:
            continue
        uses = [(i, pos) for i, pos in uses if units[i] is None]
        if len(uses) < 2:
            continue
        first = max(dist[i] for i, _ in uses)
        copies.update((i, pos) for i, pos in uses if dist[i] < first - span)
    return copies


def _data_nonfinite(d) -> bool:
    if _is_array(d):
        return np.asarray(d).dtype.kind == "f" and not bool(np.all(np.isfinite(d)))
    return isinstance(d, float) and not math.isfinite(d)


def _html(inner: str) -> str:
    return f"<{_esc(inner)}>"


def _node_label(scene, i, grad, state, flag, faded, partial, copy=False, outlined=False) -> str:
    """An HTML table: name, data (or shape, dtype, preview) and grad, coloured by role."""
    node = scene.order[i]
    role = scene.roles[i]
    fill, border, _ = ROLE_STYLE[role]
    width = "2" if role == "output" else "1"
    if flag:
        border, width = FLAG_STYLE[flag][1], "2"
    if outlined:
        border, width = HIGHLIGHT, "2"
    if faded:
        fill, border = "#fafafa", FADED
    grad_bg = f' BGCOLOR="{FLAG_STYLE[flag][0]}"' if flag and not faded else ""
    name = scene.param_names.get(id(node)) or node.label
    if state == "shown":
        gtxt = "grad none" if grad is None else _grad_text(grad)
        if partial:
            gtxt += " (so far)"
    elif state == "pending":
        gtxt = "grad —"
    else:
        gtxt = ""
    tag = "" if name or role == "constant" else f'<FONT COLOR="#9ca3af" POINT-SIZE="9">#{i}</FONT>'
    if _is_array(node.data):
        if state == "shown" and grad is not None:
            gtxt = _grad_text(grad, multiline=True) + (" (so far)" if partial else "")
        a = np.asarray(node.data)
        head = f"<B>{_esc(name)}</B>  " if name else (tag + "  " if tag else "")
        shape = str(a.shape) if a.ndim else "scalar"
        rows = [f'<TD ALIGN="LEFT">{head}<FONT COLOR="#4b5563">{_esc(shape)} {_esc(a.dtype)}</FONT></TD>']
        rows.append(f'<TD BALIGN="LEFT">{_esc(_preview(a))}</TD>')
        if gtxt:
            rows.append(f'<TD BALIGN="LEFT"{grad_bg}>{_esc(gtxt)}</TD>')
        body = "<HR/>".join(f"<TR>{r}</TR>" for r in rows)
    else:
        row = []
        if name:
            row.append(f"<TD><B>{_esc(name)}</B></TD>")
        elif tag:
            row.append(f"<TD>{tag}</TD>")
        row.append(f"<TD>data {_esc(_num(node.data))}</TD>")
        if gtxt:
            row.append(f"<TD{grad_bg}>{_esc(gtxt)}</TD>")
        body = "<TR>" + "<VR/>".join(row) + "</TR>"
    if faded:
        body = _font_wrap(body, FADED)
    style = "ROUNDED,DASHED" if copy else "ROUNDED"
    return (
        f'<<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" STYLE="{style}" '
        f'BGCOLOR="{fill}" COLOR="{border}">{body}</TABLE>>'
    )


def _font_wrap(body: str, font: str) -> str:
    """Colour the text of every cell (in graphviz HTML labels FONT may not wrap rows)."""
    return re.sub(
        r"(<TD[^>]*>)(.*?)(</TD>)", lambda m: f'{m[1]}<FONT COLOR="{font}">{m[2]}</FONT>{m[3]}', body
    )


def _draw_op(g, scene, i, formulas, faded, current):
    node = scene.order[i]
    text = _op_text(node)
    fill, border = OP_FILL, OP_BORDER
    rows = [f"<B>{_esc(text)}</B>"]
    base = _op_base(node.op or "")
    if base == "relu":
        d = node.data
        dead = float(np.mean(np.asarray(d) <= 0)) if _is_array(d) else float(d <= 0)
        if dead == 1.0:
            rows.append('<FONT POINT-SIZE="9">dead: no gradient passes</FONT>')
            fill = FLAG_STYLE["zero"][0]
        elif dead > 0:
            rows.append(f'<FONT POINT-SIZE="9">{dead:.0%} dead</FONT>')
    if formulas:
        for f in _formulas(node):
            rows.append(f'<FONT POINT-SIZE="9">{_esc(f)}</FONT>')
    err = scene.errors.get(i)
    if err:
        for line in textwrap.wrap(err, 40)[:4]:
            rows.append(f'<FONT POINT-SIZE="9" COLOR="{FLAG_STYLE["nonfinite"][1]}">{_esc(line)}</FONT>')
    if faded:
        fill, border = "#fafafa", FADED
    label = "<" + "<BR/>".join(rows) + ">"
    attrs = dict(
        shape="ellipse", style="filled", fillcolor=fill, color=border, margin="0.04,0.02", height="0.3"
    )
    attrs["fontcolor"] = FADED if faded else "#111827"
    if current:
        attrs.update(penwidth="3", color=HIGHLIGHT)
    g.node(f"o{i}", label, **attrs)


def _edge_attrs(scene, i, pos, j, argname, backward, locals_, upstream, on_path, step_edges, current):
    attrs: dict = {}
    text = []
    if argname:
        text.append(f"<I>{_esc(argname)}</I>")
    if backward:
        attrs.update(dir="back", color=GRAD_EDGE, fontcolor="#991b1b")
        gp = scene.contrib.get((i, pos))
        pending = step_edges is not None and (i, pos) not in step_edges
        if pending or not scene.order[j].requires_grad:
            attrs["color"] = PENDING_EDGE
            attrs["style"] = "dashed" if pending else "dotted"
        elif gp is not None:
            if locals_ is not None and upstream is not None and not _is_array(upstream):
                text.append(_esc(f"{_short(locals_[pos])} × {_short(upstream)} = {_short(gp)}"))
            else:
                text.append(_esc(_brief(gp)))
        if step_edges is not None and current == i:
            attrs.update(penwidth="3", color=HIGHLIGHT)
    if on_path is not None:
        attrs.update(_path_edge(j in on_path, i in on_path))
    if text:
        attrs["label"] = "<" + "<BR/>".join(text) + ">"
    return attrs


def _path_edge(src_on, dst_on) -> dict:
    if src_on and dst_on:
        return {"color": HIGHLIGHT, "penwidth": "2.5"}
    return {"color": FADED, "fontcolor": FADED}


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


def _units(scene, max_nodes) -> list:
    """For each node: None (drawn as itself) or the key of the box that stands for it.

    Past `max_nodes`: nodes are boxed by module (the deepest module level whose boxes
    and the distinct edges between them both fit), chains of one op (a Python `sum`, a
    dot product) become one box each; if that is still too many, boxes are found from
    the graph's shape (`_blocks`), and last the nodes nearest the output are kept and the
    rest folded into one box.
    """
    n = len(scene.order)
    if max_nodes is None or n <= max_nodes:
        return [None] * n
    groups = scene.groups()
    depth = max((len(gp.split(".")) for gp in groups if gp), default=0)
    units = None
    for d in range(depth, -1, -1):
        units = _chains(scene, _truncate(groups, d))
        if _count(units) <= max_nodes and _count_edges(scene, units) <= max_nodes:
            # a shallower path boxing the same nodes names a module rather than a list
            while d > 1 and _count(_truncate(groups, d - 1)) == _count(_truncate(groups, d)):
                d -= 1
            return _chains(scene, _truncate(groups, d))
        if d == 1:  # even whole top-level modules are too many: keep them, fold the rest
            break
    units = _blocks(scene, units)  # what names could not box, the graph's shape may
    if _count(units) <= max_nodes:
        return units
    keys = [f"n{i}" if u is None else u for i, u in enumerate(units)]
    parents_of: dict = {}
    for i in range(n):
        for j in scene.parent_idx[i]:
            if keys[j] != keys[i]:
                parents_of.setdefault(keys[i], []).append(keys[j])
    keep = {keys[n - 1]}
    queue = [keys[n - 1]]
    head = 0
    while head < len(queue) and len(keep) < max_nodes - 1:
        for p in parents_of.get(queue[head], ()):
            if p not in keep and len(keep) < max_nodes - 1:
                keep.add(p)
                queue.append(p)
        head += 1
    return [u if keys[i] in keep else "rest" for i, u in enumerate(units)]


def _truncate(groups, d) -> list:
    """Module paths cut to their first d parts (None for d = 0); the output stays itself."""
    out = [None if not gp or d == 0 else "m:" + ".".join(gp.split(".")[:d]) for gp in groups]
    out[-1] = None
    return out


def _count(units) -> int:
    return sum(1 for u in units if u is None) + len({u for u in units if u is not None})


def _count_edges(scene, units) -> int:
    """Distinct edges between what is drawn: a mesh of them is as unreadable as many nodes."""
    keys = [i if u is None else u for i, u in enumerate(units)]
    return len(
        {(keys[j], keys[i]) for i, ps in enumerate(scene.parent_idx) for j in ps if keys[j] != keys[i]}
    )


def _chains(scene, units, shortest: int = 3) -> list:
    """Fold runs of one op where each result feeds only the next (a + b + c + ...) into a box."""
    order = scene.order
    n = len(order)
    units = list(units)
    succ: dict = {}
    for i in range(n - 1):
        uses = scene.consumers.get(i, ())
        if units[i] is not None or order[i]._rule is None or len(uses) != 1:
            continue
        c = uses[0][0]
        if c != n - 1 and units[c] is None and order[c].op == order[i].op:
            succ[i] = c
    end: dict = {}
    for i in range(n - 1, -1, -1):
        if i in succ:
            end[i] = end.get(succ[i], succ[i])
    members: dict = {}
    for i, e in end.items():
        members.setdefault(e, [e]).append(i)
    for e, ms in members.items():
        if len(ms) >= shortest:
            for i in ms:
                units[i] = f"c:{e}:{len(ms)}"
    return units


def _blocks(scene, units) -> list:
    """Boxes found from the graph's shape alone, for graphs drawn without names.

    A chain box (see `_chains`, here from two ops on) takes in what only it uses: its
    direct inputs (the products of a dot product) and their leaves, and the one-input op
    applied to its result (the activation). A parameter joins the box of its first use.
    Boxes alike in ops and fed by the same boxes or nodes (the neurons of a layer) then
    become one box of `k alike blocks`.
    """
    order, consumers, parent_idx = scene.order, scene.consumers, scene.parent_idx
    n = len(order)
    units = _chains(scene, units, shortest=2)
    members: dict = {}
    for i, u in enumerate(units):
        if u is not None and u.startswith("c:"):
            members.setdefault(u, []).append(i)

    def only_used_by(j, u):
        return units[j] is None and j != n - 1 and all(units[c] == u for c, _ in consumers.get(j, ()))

    for u, ms in members.items():
        inputs = {j for m in ms for j in parent_idx[m] if order[j]._rule is not None and only_used_by(j, u)}
        for j in sorted(inputs):
            units[j] = u
        for j in sorted({p for i in inputs for p in parent_idx[i] if order[p]._rule is None}):
            if only_used_by(j, u):
                units[j] = u
        uses = consumers.get(int(u.split(":")[1]), ())
        if len(uses) == 1:
            c = uses[0][0]
            if c != n - 1 and units[c] is None and len(parent_idx[c]) == 1:
                units[c] = u
    # alike boxes fed by the same nodes or boxes (leaves needing grad aside: those are
    # each block's own parameters, or inputs all blocks share) become one box; repeated,
    # as merging boxes makes the boxes they feed alike in turn
    while True:
        keys = [i if u is None else u for i, u in enumerate(units)]
        shape: dict = {}
        for i, u in enumerate(units):
            if u is not None and u[0] in "cb":
                ops, feeds = shape.setdefault(u, ({}, set()))
                if order[i]._rule is not None:
                    ops[order[i].op] = ops.get(order[i].op, 0) + 1
                feeds.update(
                    keys[j]
                    for j in parent_idx[i]
                    if keys[j] != u and not (order[j]._rule is None and order[j].requires_grad)
                )
        alike: dict = {}
        for u, (ops, feeds) in shape.items():
            k = _blocks_in(u)
            per_block = tuple(sorted((op, c // k) for op, c in ops.items()))
            alike.setdefault((per_block, frozenset(feeds)), []).append(u)
        merged = {}
        for group in alike.values():
            if len(group) > 1:
                first = min(int(u.split(":")[1]) for u in group)
                merged.update({u: f"b:{first}:{sum(map(_blocks_in, group))}" for u in group})
        if not merged:
            break
        units = [merged.get(u, u) for u in units]
    # a parameter joins the box of its first use when it is used once there, or when all
    # its uses are in that box and it has no label (a labelled input such as x0 stays out)
    for j, node in enumerate(order):
        if units[j] is None and node._rule is None and node.requires_grad and j in consumers:
            first = units[min(c for c, _ in consumers[j])]
            uses = [units[c] == first for c, _ in consumers[j]]
            if first is not None and (sum(uses) == 1 or (all(uses) and not node.label)):
                units[j] = first
    return units


def _blocks_in(unit) -> int:
    """How many alike blocks a box holds: k for 'b:first:k', 1 for a chain."""
    return int(unit.split(":")[2]) if unit.startswith("b:") else 1


def _unit_names(units) -> dict:
    """Box ids from the topological index of each box's first node, so DOT text is stable."""
    ids: dict = {}
    for i, u in enumerate(units):
        if u is not None and u not in ids:
            ids[u] = f"g{i}"
    return ids


def _draw_box(g, scene, unit, box_id, units, used_flags):
    """One box for a collapsed module, chain or remainder: what it holds and its gradients."""
    members = [i for i, u in enumerate(units) if u == unit]
    order = scene.order
    ops = sum(1 for i in members if order[i]._rule is not None)
    rows = []
    worst = None
    if unit == "rest":
        rows.append(f"<B>⋯ {len(members)} more nodes</B>")
        rows.append(_esc("raise max_nodes to draw them, or pass model= / names= to box them by module"))
    elif unit.startswith("c:"):
        _, last, length = unit.split(":")
        last, length = int(last), int(length)
        rows.append(f"<B>{_esc(_op_text(order[last]))} ×{length}</B>  <I>chained</I>")
        if ops == length:
            rows.append(_esc(f"one result from {length + 1} inputs (like a Python sum)"))
        else:
            chain_op = _op_text(order[last])
            rows.append(_esc("and its inputs: " + _op_summary(order, members, 1, (chain_op, length))))
        worst = _param_rows(scene, members, rows, used_flags)
        g_last = scene.grads[last]
        if g_last is not None:
            rows.append(_esc(f"result {_grad_text(g_last)}"))
    elif unit.startswith("b:"):
        k = int(unit.split(":")[2])
        rows.append(f"<B>{k} alike blocks</B>  <I>same inputs, same ops</I>")
        rows.append(_esc("each: " + _op_summary(order, members, k)))
        worst = _param_rows(scene, members, rows, used_flags)
    else:
        path = unit[2:]
        kind = scene.modules.get(path)
        rows.append(f"<B>{_esc(path)}</B>" + (f"  <I>{_esc(kind)}</I>" if kind else ""))
        groups = scene.groups()
        children = _repeated_children(scene, path, {groups[i] for i in members if groups[i]})
        if children:
            rows.append(_esc(children))
        params = [i for i in members if scene.roles[i] == "parameter"]
        n_par = sum(int(np.size(order[i].data)) for i in params)
        rows.append(_esc(f"{ops} ops · {n_par} parameters" if params else f"{ops} ops"))
        worst = _param_rows(scene, members, rows, used_flags, count=False)
    border, width = GROUP_BORDER, 1
    if worst is not None:
        border, width = FLAG_STYLE[worst][1], 2
    body = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    label = (
        f'<<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" STYLE="ROUNDED" '
        f'BGCOLOR="{GROUP_FILL}" COLOR="{border}">{body}</TABLE>>'
    )
    g.node(box_id, label)


def _op_summary(order, members, k, less=None) -> str:
    """'2 ×, 2 +, relu' per block: the ops of `members` divided among `k` alike blocks
    (less `less = (op, count)`, the chain's own ops)."""
    counts: dict = {}
    for i in members:
        if order[i]._rule is not None:
            t = _op_text(order[i])
            counts[t] = counts.get(t, 0) + 1
    if less is not None:
        counts[less[0]] -= less[1]
    return ", ".join(t if c == k else f"{c // k} {t}" for t, c in counts.items() if c > 0)


def _param_rows(scene, members, rows, used_flags, count=True):
    """Rows on the leaves that need grad inside a box; returns the worst gradient flag."""
    leaves = [i for i in members if scene.order[i]._rule is None and scene.order[i].requires_grad]
    if count and leaves:
        rows.append(_esc(f"{sum(int(np.size(scene.order[i].data)) for i in leaves)} parameters inside"))
    gs = [scene.grads[i] for i in leaves if scene.grads[i] is not None]
    if not gs:
        return None
    worst = None
    flags = [scene.flag(x) for x in gs]
    line = f"parameter grads: max |g| {_short(max(_mag(x) for x in gs))}"
    for flag in ("zero", "vanishing", "exploding", "nonfinite"):  # worst last
        k = sum(f == flag for f in flags)
        if k:
            line += f" · {k} {'nan/inf' if flag == 'nonfinite' else flag}"
            used_flags.add(flag)
            worst = flag
    rows.append(_esc(line))
    return worst


def _repeated_children(scene, path, member_groups) -> str:
    """'Neuron ×16' when the module's direct children are alike."""
    prefix = path + "."
    kids = sorted({m for m in scene.modules if m.startswith(prefix)})
    direct = [m for m in kids if not any(m.startswith(k + ".") for k in kids if k != m)]
    direct = [m for m in direct if any(gp == m or gp.startswith(m + ".") for gp in member_groups)]
    if len(direct) > 1:
        kinds: dict = {}
        for m in direct:
            kinds[scene.modules[m]] = kinds.get(scene.modules[m], 0) + 1
        return " · ".join(f"{k} ×{c}" for k, c in kinds.items())
    sub = sorted({gp[len(prefix) :] for gp in member_groups if gp.startswith(prefix)})
    if len(sub) > 1:
        shapes = {re.sub(r"\d+", "*", s) for s in sub}
        if len(shapes) == 1:
            return f"{shapes.pop()} ×{len(sub)}"
    return ""


def _root_name(scene) -> str:
    root = scene.order[-1]
    return scene.param_names.get(id(root)) or root.label or "the output"


def _caption(scene, title, backward, roles, flags, legend, extras) -> str:
    """The graph's label: title and notes on the left, a colour legend on the right."""
    if title is None:
        root_name = _root_name(scene)
        title = f"gradient flow of {root_name}" if backward else f"computation graph of {root_name}"
    lines = [f"<B>{_esc(title)}</B>"]
    if scene.pending and not backward:
        lines.append("grad —: gradients not computed yet; call backward() on the output to fill them")
    if backward:
        notes = ["red arrows carry the gradient from the output back to the inputs"]
        if _is_array(scene.root.data):
            notes.append("edge label: the gradient that edge adds to its input (values, or the norm ‖·‖)")
        else:
            notes.append("edge label: local derivative × upstream grad = contribution")
        lines += [f'<FONT COLOR="{GRAD_EDGE}">{note}</FONT>' for note in notes]
    text = '<TD ALIGN="LEFT" VALIGN="TOP" BALIGN="LEFT">' + "<BR/>".join(lines) + "</TD>"
    if not legend:
        return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR>{text}</TR></TABLE>>'
    entries = [(fill, border, txt) for role, (fill, border, txt) in ROLE_STYLE.items() if role in roles]
    entries.append((OP_FILL, OP_BORDER, "op"))
    entries += extras
    entries += [(fill, border, txt) for flag, (fill, border, txt) in FLAG_STYLE.items() if flag in flags]
    per_row = max(1, math.ceil(len(entries) / 2))
    rows = []
    for k in range(0, len(entries), per_row):
        cells = "".join(
            f'<TD BGCOLOR="{fill}" BORDER="1" COLOR="{border}"><FONT POINT-SIZE="10">{_esc(txt)}</FONT></TD>'
            for fill, border, txt in entries[k : k + per_row]
        )
        rows.append(f"<TR>{cells}</TR>")
    table = '<TABLE BORDER="0" CELLSPACING="3" CELLPADDING="2">' + "".join(rows) + "</TABLE>"
    return (
        f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR>{text}'
        f'<TD VALIGN="TOP">{table}</TD></TR></TABLE>>'
    )
