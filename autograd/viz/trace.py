"""A graph that a plain `backward()` freed, rebuilt for drawing from the trace the pass kept.

The engine keeps, for a root's last freeing pass, one light record per op node (op, shape,
dtype, label, parents by id, the gradient that reached it: whole when small, else its sum
of squares) and its leaves. Here each record becomes a `Ghost`: a stand-in node that the
scene reads like any other. The output shows its values; the other ops show shape and
dtype only, since the pass freed their values, as PyTorch frees its saved tensors.
"""

from __future__ import annotations

import numpy as np

from ..engine import UNVISITED
from ..pass_trace import GradSummary

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

    Leaves are used as themselves (parameter names map their ids); the output keeps its
    values (the caller holds it); the other ops show shape and dtype."""
    made: dict = {}
    grads: dict = {}
    others = trace.others
    for held, g in zip(others[::2], others[1::2]):
        leaf = held if g is not None else held()  # constants are held weakly
        if leaf is not None:
            made[id(leaf)] = leaf
            if type(g) is int:  # the id of the .grad the pass left: read it if still there
                g = leaf.grad if id(leaf.grad) == g else GradSummary(leaf._data.shape, leaf._data.dtype, None)
            if g is not None:
                grads[id(leaf)] = _grad(g, leaf._data.shape, leaf._data.dtype)
    records = list(trace.records())
    root_id = id(root)  # with several outputs (autograd.grad) the pass ran others first
    for key, op, shape, dtype, label, parent_ids, g in reversed(records):  # parents first
        alive = root if key == root_id else None
        data = _stand_in(shape, dtype) if alive is None else alive._data
        parents = tuple(made[p] if p in made else _missing() for p in parent_ids)
        ghost = Ghost(data, alive.label if alive is not None else label, True, op, parents, alive is None)
        made[key] = ghost
        grads[id(ghost)] = _grad(g, shape, dtype)
    if root_id not in made:
        raise RuntimeError("draw_graph: this output's last pass recorded no op of it")
    ghost_root = made[root_id]
    ghost_root._g = root._g
    return ghost_root, grads


def _grad(g, shape, dtype):
    """A recorded gradient: an array, a float (the sum of squares of a big one) or None
    (a mid-sized one the pass did not keep: see pass_trace.SMALL_GRAD / BIG_GRAD)."""
    return GradSummary(shape, dtype, g) if g is None or type(g) is float else g


def _missing():
    """A parent the trace did not keep: a constant nobody holds any more, or a node no
    gradient reached (so the pass did not use it)."""
    return Ghost(np.zeros(()), "(freed)", False, "", (), True)
