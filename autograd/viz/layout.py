"""Where each box goes: a layered (Sugiyama) layout, from graphviz's `dot` when it is
installed (its positions only, via `-Tplain`) or from grandalf in pure Python otherwise.

Both place boxes of given sizes; the SVG backend draws them. The player lays out once with
the largest size each box takes in any frame, so no frame moves anything.
"""

from __future__ import annotations

import shutil
import subprocess

RANKDIRS = ("LR", "TB", "RL", "BT")
NODE_GAP, RANK_GAP = 18.0, 64.0  # points between boxes in one rank, and between ranks
GRANDALF_MAX = 250  # boxes past which grandalf is too slow (minutes at 2,000): our own sweep


def positions(sizes: dict, edges: list, rankdir: str = "LR", engine: str = "auto") -> dict:
    """{box id: (x, y) of its centre} with the origin at the top left.

    sizes: {id: (width, height)} in points; edges: [(source id, target id)];
    engine: "dot", "grandalf" or "auto" (dot when the program is installed)."""
    if rankdir not in RANKDIRS:
        raise ValueError(f"layout: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if engine == "auto":
        engine = "dot" if shutil.which("dot") else "grandalf"
    if engine == "dot":
        return _dot_positions(sizes, edges, rankdir)
    if engine != "grandalf":
        raise ValueError(f"layout: engine must be 'dot', 'grandalf' or 'auto', got {engine!r}")
    if len(sizes) > GRANDALF_MAX:
        return _orient(_sweep_positions(sizes, edges, rankdir in ("LR", "RL")), sizes, rankdir)
    return _grandalf_positions(sizes, edges, rankdir)


def _sweep_positions(sizes, edges, across) -> dict:
    """A plain layered layout in linear time: rank = longest path from an input (inputs
    right before their first use); inside a rank, boxes sorted by the mean place of their
    inputs (one sweep). Ranks stack along y
    (x when `across`), as in `_grandalf_positions` before it turns them."""
    preds: dict = {k: [] for k in sizes}
    succs: dict = {k: [] for k in sizes}
    for a, b in edges:
        if a in preds and b in preds and a != b:
            preds[b].append(a)
            succs[a].append(b)
    indeg = {k: len(v) for k, v in preds.items()}
    rank = {k: 0 for k in sizes}
    queue = [k for k, d in indeg.items() if d == 0]
    for k in queue:  # Kahn's order; the list grows as it is read
        for c in succs[k]:
            rank[c] = max(rank[c], rank[k] + 1)
            indeg[c] -= 1
            if not indeg[c]:
                queue.append(c)
    for k in queue:  # an input goes right before its first use, as dot places it
        if not preds[k] and succs[k]:
            rank[k] = min(rank[c] for c in succs[k]) - 1
    layers: dict = {}
    for k in queue:
        layers.setdefault(rank[k], []).append(k)
    place: dict = {}
    pos: dict = {}
    depth = 0.0
    for r in sorted(layers):
        layer = sorted(
            layers[r], key=lambda k: sum(place[p] for p in preds[k]) / len(preds[k]) if preds[k] else 0
        )
        along = [sizes[k][1] if across else sizes[k][0] for k in layer]  # extent inside the rank
        thick = max(sizes[k][0] if across else sizes[k][1] for k in layer)
        x = 0.0
        for k, ext in zip(layer, along):
            place[k] = x + ext / 2
            pos[k] = (place[k], depth + thick / 2)
            x += ext + NODE_GAP
        depth += thick + RANK_GAP
    return pos


def _orient(pos, sizes, rankdir) -> dict:
    """Ranks along y as computed -> the rank direction asked for."""
    across = rankdir in ("LR", "RL")
    out = {k: ((y, x) if across else (x, y)) for k, (x, y) in pos.items()}
    if rankdir in ("RL", "BT"):
        axis = 0 if rankdir == "RL" else 1
        far = max(out[k][axis] + sizes[k][axis] / 2 for k in out)
        out = {k: ((far - x, y) if axis == 0 else (x, far - y)) for k, (x, y) in out.items()}
    return out


def _dot_positions(sizes, edges, rankdir) -> dict:
    names = {k: f"b{i}" for i, k in enumerate(sizes)}
    lines = [
        f"digraph L {{ graph [rankdir={rankdir} nodesep={NODE_GAP / 72:.3f} ranksep={RANK_GAP / 72:.3f}];"
    ]
    lines.append('node [shape=box fixedsize=true label=""];')
    for k, (w, h) in sizes.items():
        lines.append(f"{names[k]} [width={w / 72:.4f} height={h / 72:.4f}];")
    for a, b in edges:
        if a in names and b in names:
            lines.append(f"{names[a]} -> {names[b]};")
    lines.append("}")
    out = subprocess.run(
        ["dot", "-Tplain"], input="\n".join(lines), capture_output=True, text=True, check=True, timeout=120
    ).stdout
    back = {v: k for k, v in names.items()}
    pos, height = {}, 0.0
    for row in out.splitlines():
        parts = row.split()
        if parts[:1] == ["graph"]:
            height = float(parts[3]) * 72
        elif parts[:1] == ["node"]:
            pos[back[parts[1]]] = (float(parts[2]) * 72, height - float(parts[3]) * 72)  # y grows down
    return pos


def _grandalf_positions(sizes, edges, rankdir) -> dict:
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout

    across = rankdir in ("LR", "RL")  # grandalf stacks ranks top-down: swap axes for LR / RL

    class View:
        __slots__ = ("w", "h", "xy")

    verts = {}
    for k, (w, h) in sizes.items():
        v = Vertex(k)
        v.view = View()
        v.view.w, v.view.h = (h, w) if across else (w, h)
        verts[k] = v
    es = [Edge(verts[a], verts[b]) for a, b in edges if a in verts and b in verts and a != b]
    graph = Graph(list(verts.values()), es)
    pos: dict = {}
    offset = 0.0
    for comp in graph.C:  # each connected part side by side
        sug = SugiyamaLayout(comp)
        sug.xspace, sug.yspace = NODE_GAP, RANK_GAP
        sug.init_all(optimize=True)  # pulls inputs next to their first use, as dot does
        sug.draw(3)
        xs = [v.view.xy[0] - v.view.w / 2 for v in comp.sV]
        left = min(xs)
        right = max(v.view.xy[0] + v.view.w / 2 for v in comp.sV)
        for v in comp.sV:
            pos[v.data] = (v.view.xy[0] - left + offset, v.view.xy[1])
        offset += right - left + NODE_GAP * 2
    top = min(y - (sizes[k][0] if across else sizes[k][1]) / 2 for k, (_, y) in pos.items())
    return _orient({k: (x, y - top) for k, (x, y) in pos.items()}, sizes, rankdir)
