"""Collapsing a big graph: boxes per module, chains of one op, alike blocks, the rest."""

from __future__ import annotations

import re

import numpy as np

from .labels import _esc, _mag, _op_text, _short


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
