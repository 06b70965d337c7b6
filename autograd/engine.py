"""The graph core shared by Value and Tensor: the node protocol, topological order, backward.

A node holds its data, its grad, its parents (an ordered tuple, duplicates kept), the op
that made it and a backward rule. A rule is a plain module-level function

    rule(ctx, g, out, *parents) -> one gradient per parent (or None)

that gets the gradient `g` arriving at the node's output and returns each parent's share,
g times the local derivative: the chain rule for one node. Rules are written with
operators that raw numbers, numpy arrays and nodes all understand, so the same rule runs
on raw data, or on the nodes themselves for `create_graph=True` (the gradient is then a
graph and can be differentiated again). No rule captures its node, so a graph holds no
reference cycle and is freed by reference counting alone.

The reverse pass is four steps; `plain_backward` is them, written out:

1. a topological order of the graph: every node after the nodes it was made from
   (`topological_order`, iterative, so depth is limited by memory, not recursion);
2. the seed: the output's gradient with respect to itself, 1;
3. the order walked backwards, consumers first, so a node's gradient is complete when
   its turn comes: its rule runs once;
4. each parent's share added to what it has (a node used twice gets two shares).

`backward` and `grad` run the same algorithm faster (`_propagate`): the order is found by
counting each node's consumers and taking a node once all of them have reported (Kahn's
algorithm on the reversed graph), the bookkeeping lives in two node slots rather than in
dicts, and the walk (`_pass`) is written for what the benchmarks measured.
tests/test_engine_paths.py checks that it gives plain_backward's gradients, bit for bit.
"""

from __future__ import annotations

from operator import attrgetter

from . import pass_trace
from .grad_mode import enable_grad, no_grad
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


# The commonest two-parent rules (add and mul shared by Value and Tensor, sub Tensor's).
# The reverse passes apply them inline, computing only the shares a parent needs: a
# function call less per node, and for x * constant one product instead of two.
def add_rule(ctx, g, out, a, b):
    """d(a + b) = (g, g)"""
    return g, g


def mul_rule(ctx, g, out, a, b):
    """d(a * b) = (g * b, g * a)"""
    return g * b, g * a


def sub_rule(ctx, g, out, a, b):
    """d(a - b) = (g, -g)"""
    return g, -g


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


def plain_backward(roots, seeds, create_graph: bool = False) -> tuple[list, dict]:
    """The reverse pass as the algorithm reads: d(roots)/d(node) for every node, as a dict
    {id(node): gradient}, with the order it walked. `backward` gives the same gradients
    by a faster route (`_propagate`); tests/test_engine_paths.py checks that they agree."""
    order, seen = [], set()  # 1. a topological order: every node after the nodes it was made from
    for root in roots:
        order += [n for n in topological_order(root) if id(n) not in seen and not seen.add(id(n))]
    grads: dict = {}
    for root, seed in zip(roots, seeds):  # 2. the seed: d(root)/d(root) = 1 (or as given)
        grads[id(root)] = grads[id(root)] + seed if id(root) in grads else seed
    with enable_grad() if create_graph else no_grad():  # rules record a graph only for create_graph
        for node in reversed(order):  # 3. consumers first: a node's gradient is complete now
            g = grads.get(id(node))
            if g is None or node.is_leaf:
                continue
            parents = node.parents
            if not parents:  # an op node whose parents a freeing pass dropped
                raise _release_error(node)
            if create_graph:  # the rule on the nodes themselves: the gradient is a graph
                shares = node._rule(node._ctx, g, node, *parents)
            else:
                shares = node._rule(node._ctx, g, node._data, *[p._data for p in parents])
            for p, share in zip(parents, shares):  # 4. accumulate: x * x gives x two shares
                if share is not None and p.requires_grad:
                    share = p._conform(share, p)  # a broadcast input's share summed to its shape
                    grads[id(p)] = grads[id(p)] + share if id(p) in grads else share
    return order, grads


def _propagate_plain(roots, seeds, retain_graph: bool, create_graph: bool, wanted=None):
    """`_propagate` by way of plain_backward: the gradients kept, collected and freed the
    same way (for tests and for reading; about twice as slow per node)."""
    order, grads = plain_backward(roots, seeds, create_graph)
    keeps_every_grad = roots[0]._keeps_every_grad
    for node in order:
        g = grads.get(id(node))
        if g is None or not node.requires_grad:
            continue
        if wanted is not None:
            if id(node) in wanted:
                wanted[id(node)] = g
        elif node.is_leaf:
            node._keep_grad(g)  # leaves accumulate across passes
        elif keeps_every_grad:  # Value: every node shows this pass's gradient
            node.grad = g
        elif node._retains:  # Tensor: a non-leaf that asked with retain_grad()
            node._keep_grad(g)
    if roots[0]._frees_graph and not (retain_graph or create_graph):
        for node in order:
            if not node.is_leaf:
                node._a = node._b = node._ctx = None
    return wanted


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
                        p._g = token
                        if p._rule is None:
                            leaf(p)
                        else:
                            p._n = 1
                            push(p)
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
    """One reverse pass: the algorithm of `plain_backward`, fast. Gives each node its total
    gradient exactly once, in an order where all of a node's consumers are done first
    (Kahn's algorithm on the reversed graph), with the bookkeeping in two node slots
    rather than dicts: `_n` (consumers still to report) and `_g` (the gradient so far;
    this pass's token while none came).

    With `wanted` (a dict id(node) -> None) the gradients of those nodes are collected and
    returned and no `.grad` is touched; otherwise each node keeps its gradient as its
    kind says (leaves accumulate).

    Without `retain_graph` (Tensor) the graph is freed as the pass goes, as PyTorch frees
    its saved tensors: once a node's rule has run, the node drops its parents and its
    saved context, so an intermediate result that only the graph held is freed as soon
    as the pass is past it, not when the caller lets go of the loss.

    The walk itself is `_pass`, written for the graphs the benchmarks measure.
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
    enabled = _state.enabled
    _state.enabled = create_graph  # rules record a graph only for create_graph
    try:
        _pass(ready, token, wanted, root, free, create_graph, trace)
        if trace is not None:
            trace.finish(root, leaves, token)
        for node in leaves:  # leaves waited for the end of the pass
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


def _pass(ready, token, wanted, root, free: bool, create_graph: bool, trace=None) -> None:
    """The walk of the reverse pass, for every graph: Value graphs (bench_value.py: micrograd's
    demo step, a chain of a million ops), Tensor graphs (a gradient is summed back to the
    shape of a broadcast input, and without retain_graph each node drops its parents and
    saved data once its rule has run, as PyTorch frees its saved tensors) and any graph
    with create_graph=True (the rules are called on the nodes, so the gradient is a graph).

    Written for what bench_mnist.py, bench_tensor_chain.py and bench_value.py spend their
    steps on: nodes with one or two parents are handled without a tuple of parents; `*`
    and `-` compute only the shares a parent needs (x * constant: one product, not two)
    and `+` passes g on; whether a node's gradients may need reshaping is decided per
    node (a rule in the node kind's `_exact_rules` never needs it) and, when they may, a
    share that already has its parent's shape and dtype is taken as it is; leaves are not
    counted. (A separate loop for Value graphs, without
    the reshaping and freeing checks, saved 1% of a Value chain's instructions: not kept.)
    """
    conform = root._conform if root._conform_needed else None
    exact = root._exact_rules
    quiet = wanted is None and not root._keeps_every_grad  # Tensor: only leaves keep grads
    pop, push = ready.pop, ready.append
    while (node := pop()) is not None:
        g = node._g
        node._g = None
        a, b = node._a, node._b
        if g is token:  # no gradient reached this node: its parents get none through it
            _pass_nothing(node, push)
            continue
        if quiet:
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
        if create_graph or b is NARY:
            parents = (a,) if b is None else a if b is NARY else (a, b)
            if create_graph:
                gs = rule(node._ctx, g, node, *parents)
            elif len(a) == 3:  # linear with a bias, the common case
                gs = rule(node._ctx, g, node._data, a[0]._data, a[1]._data, a[2]._data)
            else:
                gs = rule(node._ctx, g, node._data, *map(_data_of, a))
            if free:  # this node's part of the graph is used up (with what a picture needs kept)
                if trace is not None:
                    trace.op(node, g, parents)
                node._a = node._b = node._ctx = None
            fix = conform if conform is not None and rule not in exact else None
            for p, gp in zip(parents, gs):  # each parent's share added to its gradient so far
                if not p.requires_grad:
                    continue
                if gp is not None:
                    if fix is not None:
                        gp = fix(gp, p)
                    old = p._g
                    p._g = gp if old is token else old + gp
                if p._rule is not None:  # leaves wait for the end of the pass
                    n = p._n - 1
                    p._n = n
                    if not n:
                        push(p)
            continue
        # One or two parents, inline: this runs once per node of the graph.
        if b is None:
            ga = rule(node._ctx, g, node._data, a._data)[0]
            gb = None
        elif rule is mul_rule:  # only the shares a parent needs
            ga = g * b._data if a.requires_grad else None
            gb = g * a._data if b.requires_grad else None
        elif rule is add_rule:
            ga = gb = g
        elif rule is sub_rule:
            ga = g
            gb = -g if b.requires_grad else None
        else:
            gs = rule(node._ctx, g, node._data, a._data, b._data)  # may have more (conv, linear)
            ga = gs[0]
            gb = gs[1]
        if free:
            if trace is not None:
                trace.op(node, g, (a,) if b is None else (a, b))
            node._a = node._b = node._ctx = None
        if a.requires_grad:
            if ga is not None:
                if conform is not None and rule not in exact:
                    d = a._data  # a share already of the parent's shape and dtype is taken as it is
                    if ga.__class__ is not d.__class__ or ga.shape != d.shape or ga.dtype is not d.dtype:
                        ga = conform(ga, a)
                old = a._g
                a._g = ga if old is token else old + ga
            if a._rule is not None:  # leaves wait for the end of the pass
                n = a._n - 1
                a._n = n
                if not n:
                    push(a)
        if b is not None and b.requires_grad:
            if gb is not None:
                if conform is not None and rule not in exact:
                    d = b._data
                    if gb.__class__ is not d.__class__ or gb.shape != d.shape or gb.dtype is not d.dtype:
                        gb = conform(gb, b)
                old = b._g
                b._g = gb if old is token else old + gb
            if b._rule is not None:
                n = b._n - 1
                b._n = n
                if not n:
                    push(b)


def _pass_nothing(node, push) -> None:
    """A node no gradient reached still reports to its parents, which may be waiting on it."""
    for p in node.parents:
        if p.requires_grad and p._rule is not None:
            p._n -= 1
            if not p._n:
                push(p)


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
