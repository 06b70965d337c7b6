"""What a picture needs of a backward pass that freed its graph (Tensor, no retain_graph).

The engine's pass calls `Trace.op` for each node it frees and `Trace.finish` at the end; the
trace keeps, for its root's last pass only, light descriptors of the freed nodes (op, shape,
dtype, label, parents by id, and the gradient that reached the node: small ones as they are,
big ones as their sum of squares) and the pass's leaves (constants weakly). No activation
is held. `autograd.viz` reads it with `last_pass(root)`; it goes when the root goes.
"""

from __future__ import annotations

import os
import sys
from weakref import ref as _ref

import numpy as np


def _interactive() -> bool:
    """A notebook or a console, where pictures are drawn: there the trace is kept by default.
    Scripts (training, benchmarks) pay nothing unless they ask: `autograd.viz.keep_graphs()`.
    CHAINRULE_KEEP_GRAPHS=1 or 0 in the environment decides instead."""
    env = os.environ.get("CHAINRULE_KEEP_GRAPHS")
    if env is not None:
        return env.strip().lower() not in ("", "0", "false", "no", "off")
    return "ipykernel" in sys.modules or hasattr(sys, "ps1") or bool(sys.flags.interactive)


KEEP_TRACE = _interactive()
SMALL_GRAD = 8  # gradients of at most this many elements (drawn in full) are kept as they are
BIG_GRAD = 8192  # from this many elements a gradient is kept as its sum of squares
_traces: dict = {}  # id(root) -> (weak reference to the root, _Trace)


class GradSummary:
    """A large gradient as a freeing pass kept it: its shape, dtype and sum of squares."""

    __slots__ = ("shape", "dtype", "sumsq")

    def __init__(self, shape, dtype, sumsq):
        self.shape, self.dtype, self.sumsq = shape, dtype, sumsq


class Trace:
    """One pass's records, kept flat in lists of numbers and strings: per-node tuples would
    outlive the pass and pile up in CPython's tuple free lists (memory that counts)."""

    __slots__ = ("ops", "others")

    def __init__(self):
        # per op node, output first: id, op, dtype, label, grad, ndim, *shape, n parents, *ids
        self.ops: list = []
        self.others: list = []  # leaves and constants: node or weak ref, then grad or id of .grad

    def op(self, node, g, parents, _nd=np.ndarray) -> None:
        # A small gradient is kept as it is; a big one as its sum of squares (a float: its
        # shape is the node's), where one reduction is cheap next to the op's own backward;
        # mid-sized ones (the overhead-bound nets, where it would not be) as None.
        if g.__class__ is _nd and g.size > SMALL_GRAD:
            if g.size >= BIG_GRAD:
                r = g.reshape(-1)
                g = float(r.dot(r))
            else:
                g = None
        d = node._data
        self.ops.extend((id(node), node.op, d.dtype, node.label, g, d.ndim, *d.shape, len(parents)))
        self.ops.extend(map(id, parents))
        for p in parents:
            if not p.requires_grad:  # a constant input (a batch): held weakly, as it may be big
                self.others += (_ref(p), None)

    def finish(self, root, leaves, token) -> None:
        # Leaves that need grad are parameters the caller holds anyway: held as themselves,
        # with this pass's gradient when small, else the id of the `.grad` it ended in
        # (read when drawing, if that `.grad` is still the same array).
        for p in leaves:
            g = p._g
            if g is not token:
                self.others += (p, g if g.__class__ is not np.ndarray or g.size <= SMALL_GRAD else id(g))
        key = id(root)
        _traces[key] = (_ref(root, lambda _, k=key: _traces.pop(k, None)), self)

    def records(self):
        """(id, op, shape, dtype, label, parent ids, grad) per op node, output first."""
        ops, i = self.ops, 0
        while i < len(ops):
            key, op, dtype, label, g, ndim = ops[i : i + 6]
            shape = tuple(ops[i + 6 : i + 6 + ndim])
            i += 6 + ndim
            k = ops[i]
            parents = ops[i + 1 : i + 1 + k]
            i += 1 + k
            yield key, op, shape, dtype, label, parents, g


def last_pass(root):
    """The trace of the last pass from `root` that freed its graph, or None."""
    entry = _traces.get(id(root))
    if entry is None or entry[0]() is not root:
        return None
    return entry[1]
