"""A graph that a plain `backward()` freed, rebuilt for drawing from the trace the pass kept.

The engine keeps, for a root's last freeing pass, one light record per node (op, shape,
dtype, label, parents by id, a weak reference, the gradient that reached it: whole when
small, else its sum of squares). Here each record becomes a `Ghost`: a stand-in node that
the scene reads like any other. A ghost whose node is still alive (the output, or anything
the caller still holds) shows the node's values; the others show shape and dtype only,
since the pass freed their values, as PyTorch frees its saved tensors.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine import UNVISITED, GradSummary

_NOT_A_RULE = object()  # `_rule` of an op ghost: the scene only asks whether it has one


class Ghost:
    """A node of a freed graph, as its backward pass recorded it."""

    __slots__ = ("data", "grad", "label", "requires_grad", "op", "_rule", "_ctx", "_parents", "freed", "_g")
    _released = False
    _conform_needed = False

    def __init__(self, data, label, requires_grad, op, parents, freed):
        self.data, self.label, self.requires_grad, self.op = data, label, requires_grad, op
        self._rule = _NOT_A_RULE if op else None
        self._ctx = None
        self._parents = parents
        self.freed = freed  # True when `data` only stands in for the shape and dtype
        self.grad = None
        self._g = UNVISITED

    @property
    def parents(self) -> tuple:
        return self._parents


def _stand_in(shape, dtype):
    """An array of the right shape and dtype that costs one element (its values are not shown)."""
    return np.broadcast_to(np.zeros((), dtype), shape)


def freed_graph(root, trace):
    """(the root's ghost, {id(ghost or node): the gradient its pass recorded}).

    Leaves still alive are used as themselves (parameter names map their ids)."""
    made: dict = {}
    grads: dict = {}
    for key, (ref, shape, dtype, label, requires_grad, g) in trace.leaves.items():
        leaf = ref()
        if leaf is None:
            leaf = Ghost(_stand_in(shape, dtype), label, requires_grad, "", (), True)
        made[key] = leaf
        if g is not None:
            grads[id(leaf)] = g
    for key, ref, op, shape, dtype, label, parent_ids, g in reversed(trace.ops):  # parents first
        node = ref()
        data = _stand_in(shape, dtype) if node is None else node._data
        parents = tuple(made[p] if p in made else _missing() for p in parent_ids)
        ghost = Ghost(data, node.label if node is not None else label, True, op, parents, node is None)
        made[key] = ghost
        grads[id(ghost)] = g
    ghost_root = made[trace.ops[0][0]]
    ghost_root._g = root._g
    return ghost_root, grads


def _missing():
    """A parent no gradient reached (so the pass neither used nor recorded it)."""
    return Ghost(np.zeros(()), "(not reached)", False, "", (), True)


def summary_norm(g: GradSummary) -> float:
    return math.sqrt(g.sumsq) if g.sumsq >= 0 else float("nan")
