"""The graph core shared by Value and Tensor: the node protocol, topological order, backward.

A node holds its data, its grad, its parents (an ordered tuple, duplicates kept), the op
that made it and a backward rule. A rule is a plain module-level function

    rule(ctx, g, out, *parents) -> one gradient per parent (or None)

written with operators that raw numbers, numpy arrays and nodes all understand. The fast
path calls it on raw data; `create_graph=True` calls it on the nodes themselves, so the
gradient is itself a graph and can be differentiated again. No rule captures its node, so
a graph holds no reference cycle and is freed by reference counting alone.
"""

from __future__ import annotations

from operator import attrgetter

from . import pass_trace
from .grad_mode import state as _state

NARY = object()  # marks a node whose parents are a tuple in `_a`
UNVISITED = object()  # `_g` of a node that no backward pass has reached yet
_data_of = attrgetter("_data")


class Node:
    """Base of Value and Tensor: what the engine needs to walk and differentiate a graph.

    Parents live in two slots rather than in a tuple object: one garbage-collected object
    per node instead of two halves the collector's work on big scalar graphs. `_b` is
    `NARY` when `_a` holds a tuple of three or more parents. A new node must set
    `_g = UNVISITED`; `_n` and `_g` belong to the backward pass. Every slot costs the
    collector time on each node it walks, so there are no more than the engine needs
    (Tensor adds its own, `op` and `__weakref__`; Value derives `op` from its rule).
    """

    __slots__ = (
        "data",
        "grad",
        "label",
        "requires_grad",
        "_a",
        "_b",
        "_rule",
        "_ctx",
        "_n",
        "_g",
    )

    @property
    def parents(self) -> tuple:
        """The inputs of the op that made this node, in order, duplicates kept."""
        b = self._b
        if b is None:
            a = self._a
            return () if a is None else (a,)
        if b is NARY:
            return self._a
        return (self._a, b)

    _frees_graph = False  # Tensor frees a used graph unless told to retain it, as PyTorch does
    _keeps_every_grad = False  # Value: every node shows this pass's gradient after backward
    _retains = False  # Tensor: a non-leaf that asked to keep its gradient (retain_grad())

    @property
    def _released(self) -> bool:
        """An op's result whose parents a backward pass dropped as it went (Tensor)."""
        return self._rule is not None and self._a is None

    @property
    def is_leaf(self) -> bool:
        """True for nodes made by the user rather than by an op."""
        return self._rule is None

    # Hooks each node kind fills in -------------------------------------------------
    def _default_seed(self, gradient, create_graph: bool):
        """The gradient that starts a backward pass at this node (1 for a scalar)."""
        raise NotImplementedError

    def _wrap_grad(self, g, create_graph: bool):
        """A gradient as `grad()` returns it for an input of this kind."""
        raise NotImplementedError

    def _keep_grad(self, g) -> None:
        """Store this pass's gradient on the node where the node kind keeps it."""
        raise NotImplementedError

    @staticmethod
    def _conform(g, parent):
        """Reshape a gradient to its parent's shape (Tensor sums broadcast axes)."""
        return g

    _conform_needed = False
    _exact_rules: frozenset | set = frozenset()  # rules whose gradients need no _conform


# The `data` slot under a second name, shared by every node kind: Tensor shadows `data`
# with a property that tracks assignments, and the engine reads the array directly.
Node._data = Node.__dict__["data"]


# The two commonest rules, shared by Value and Tensor. The reverse pass applies them inline
# on its scalar path: a function call less for most nodes of a Value graph.
def add_rule(ctx, g, out, a, b):
    """d(a + b) = (g, g)"""
    return g, g


def mul_rule(ctx, g, out, a, b):
    """d(a * b) = (g * b, g * a)"""
    return g * b, g * a


def topological_order(root: Node) -> list[Node]:
    """Every node reachable from `root`, parents before the nodes made from them.

    Iterative depth-first search with an explicit stack, so depth is limited by memory,
    not by the recursion limit. Order is deterministic: parents are visited in order.
    """
    order: list[Node] = []
    seen = {id(root)}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append((p, iter(p.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _mark_consumers(roots, token) -> list:
    """Stamp every node that needs a gradient by setting its accumulator `_g` to this
    pass's `token` (no gradient yet) and set `_n` to the number of edges from it to its
    consumers in the graph. A stamp from an earlier pass, even one that failed half way,
    is never this pass's token, so nothing needs clearing first.
    Returns the leaves: they need no order (and no count), so the pass sums their
    gradients as they come and hands them over at the end. (A count would also cost a new
    int object per use of a widely shared leaf once past 256: a chain's constant factor.)"""
    # None at the bottom of each work list: the list never empties, so it keeps its memory
    # (a chain would otherwise free and reallocate it at every node).
    stack, leaves = [None], []
    for r in roots:
        if r._g is not token:
            r._n, r._g = 0, token
            (leaves if r._rule is None else stack).append(r)
    pop, push, leaf = stack.pop, stack.append, leaves.append
    while (node := pop()) is not None:
        a, b = node._a, node._b
        if a is None:  # a node whose graph was freed: the pass raises when it gets there
            continue
        if b is NARY:
            for p in a:
                if p.requires_grad:
                    if p._g is not token:
                        p._n, p._g = 1, token
                        (leaf if p._rule is None else push)(p)
                    elif p._rule is not None:  # leaves are not counted
                        p._n += 1
            continue
        # One or two parents, unrolled: this loop runs once per node of the graph.
        if a.requires_grad:
            if a._g is not token:
                a._n, a._g = 1, token
                (leaf if a._rule is None else push)(a)
            elif a._rule is not None:  # leaves are not counted
                a._n += 1
        if b is not None and b.requires_grad:
            if b._g is not token:
                b._n, b._g = 1, token
                (leaf if b._rule is None else push)(b)
            elif b._rule is not None:  # leaves are not counted
                b._n += 1
    return leaves


def _release_error(node):
    return RuntimeError(
        f"backward: the graph through op '{node.op}' was already used by a backward pass "
        "and its saved data was freed; call backward(retain_graph=True) the first time "
        "if you need to go through the graph again"
    )


def _propagate(roots, seeds, retain_graph: bool, create_graph: bool, wanted=None):
    """One reverse pass. Gives each node its total gradient exactly once, in an order
    where all of a node's consumers are done first (Kahn's algorithm on the reverse graph).

    The pass's bookkeeping lives in two node slots, faster than dicts: `_n` (consumers
    still to report) and `_g` (the gradient so far; this pass's token while none came).
    With `wanted` (a dict id(node) -> None) the gradients of those nodes are collected and
    returned and no `.grad` is touched; otherwise each node keeps its gradient as its
    kind says (leaves accumulate).

    Without `retain_graph` (Tensor) the graph is freed as the pass goes, as PyTorch frees
    its saved tensors: once a node's rule has run, the node drops its parents and its
    saved context, so an intermediate result that only the graph held is freed as soon
    as the pass is past it, not when the caller lets go of the loss.
    """
    root = roots[0]
    free = root._frees_graph and not retain_graph
    trace = pass_trace.Trace() if free and pass_trace.KEEP_TRACE else None  # for pictures
    token = object()
    leaves = _mark_consumers(roots, token)
    if len(roots) == 1:
        root._g = seeds[0]
        ready = [None] if root._rule is None else [None, root]  # None: see _mark_consumers
    else:
        for r, s in zip(roots, seeds):
            r._g = s if r._g is token else r._g + s
        ready = [None] + [r for r in dict.fromkeys(roots) if r._n == 0 and r._rule is not None]
    conform = root._conform if root._conform_needed else None
    exact = root._exact_rules
    plain = wanted is None and not root._keeps_every_grad
    pop, push = ready.pop, ready.append
    # Nothing to reshape, free or record: one or two parents take an unrolled path.
    unrolled = conform is None and not free and not create_graph
    enabled = _state.enabled
    _state.enabled = create_graph  # rules record a graph only for create_graph
    try:
        while (node := pop()) is not None:
            g = node._g
            node._g = None
            a, b = node._a, node._b
            if g is token:  # no gradient reached this node: its parents get none through it
                for p in () if a is None else (a,) if b is None else a if b is NARY else (a, b):
                    if p.requires_grad and p._rule is not None:
                        p._n -= 1
                        if not p._n:
                            push(p)
                continue
            if plain:
                if node._retains:  # Tensor: a non-leaf that asked with retain_grad()
                    node._keep_grad(g)
            elif wanted is not None:
                if id(node) in wanted:
                    wanted[id(node)] = g
            else:  # Value: every node shows this pass's gradient
                node.grad = g
            if a is None:  # an op node without parents: a backward pass freed its graph
                raise _release_error(node)
            rule = node._rule
            if unrolled and b is not NARY:  # the hot path of a Value graph, unrolled
                if b is None:
                    (ga,) = rule(node._ctx, g, node._data, a._data)
                elif rule is mul_rule:  # mul_rule and add_rule, inline
                    ga, gb = g * b._data, g * a._data
                elif rule is add_rule:
                    ga = gb = g
                else:
                    ga, gb = rule(node._ctx, g, node._data, a._data, b._data)
                if a.requires_grad:
                    if ga is not None:
                        old = a._g
                        a._g = ga if old is token else old + ga
                    if a._rule is not None:  # leaves wait for the end of the pass
                        n = a._n - 1
                        a._n = n
                        if not n:
                            push(a)
                if b is not None and b.requires_grad:
                    if gb is not None:
                        old = b._g
                        b._g = gb if old is token else old + gb
                    if b._rule is not None:
                        n = b._n - 1
                        b._n = n
                        if not n:
                            push(b)
                continue
            if create_graph:
                parents = (a,) if b is None else a if b is NARY else (a, b)
                gs = rule(node._ctx, g, node, *parents)
            elif b is None:
                parents = (a,)
                gs = rule(node._ctx, g, node._data, a._data)
            elif b is NARY:
                parents = a
                if len(a) == 3:  # linear with a bias, the common case
                    gs = rule(node._ctx, g, node._data, a[0]._data, a[1]._data, a[2]._data)
                else:
                    gs = rule(node._ctx, g, node._data, *map(_data_of, a))
            else:
                parents = (a, b)
                gs = rule(node._ctx, g, node._data, a._data, b._data)
            reshape = conform is not None and rule not in exact
            if free:  # this node's part of the graph is used up
                if trace is not None:
                    trace.op(node, g, parents)
                node._a = node._b = node._ctx = None
            for p, gp in zip(parents, gs):
                if not p.requires_grad:
                    continue
                if gp is not None:
                    if reshape:
                        gp = conform(gp, p)
                    old = p._g
                    p._g = gp if old is token else old + gp
                if p._rule is not None:  # leaves wait for the end of the pass
                    n = p._n - 1
                    p._n = n
                    if not n:
                        push(p)
        if trace is not None:
            trace.finish(root, leaves, token)
        for node in leaves:
            g = node._g
            node._g = None
            if g is not token:
                if wanted is None:
                    node._keep_grad(g)
                elif id(node) in wanted:
                    wanted[id(node)] = g
    finally:
        _state.enabled = enabled
    return wanted


def backward(root: Node, gradient=None, retain_graph: bool = False, create_graph: bool = False):
    """Fill `.grad` of the nodes that keep it with d(root)/d(node) times `gradient`."""
    seed = root._default_seed(gradient, create_graph)
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this result does not require grad; no input of the graph that made "
            "it has requires_grad=True (create inputs with requires_grad=True, and do not "
            "compute the result under no_grad)"
        )
    _propagate((root,), (seed,), retain_graph or create_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Return d(sum of outputs)/d(input) for each input as a tuple, leaving `.grad` untouched.

    `create_graph=True` returns differentiable nodes (for grad of grad); otherwise raw
    numbers or arrays wrapped as the input's kind without history.
    """
    outputs = _as_tuple(outputs, "outputs")
    inputs = _as_tuple(inputs, "inputs")
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = (grad_outputs,)  # one seed (a number, an array or a node) for one output
    grad_outputs = tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs; give one per output"
        )
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad; create it with requires_grad=True")
    for i, y in enumerate(outputs):
        if not y.requires_grad:
            raise RuntimeError(
                f"grad: output {i} does not require grad; it does not depend on any input that does"
            )
    seeds = [y._default_seed(s, create_graph) for y, s in zip(outputs, grad_outputs)]
    if retain_graph is None:
        retain_graph = create_graph
    wanted = dict.fromkeys(map(id, inputs))
    _propagate(outputs, seeds, retain_graph or create_graph, create_graph, wanted)
    result = []
    for i, x in enumerate(inputs):
        g = wanted[id(x)]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} is not used to compute the outputs; pass allow_unused=True "
                "to get None for it"
            )
        result.append(x._wrap_grad(g, create_graph) if g is not None else None)
    return tuple(result)


def _as_tuple(x, what):
    if isinstance(x, (list, tuple)):
        return tuple(x)
    if isinstance(x, Node) or x is None:
        return (x,)
    raise TypeError(f"grad: {what} must be a node or a list of nodes, got {type(x).__name__}")
