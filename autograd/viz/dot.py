"""The graphviz backend: the scene written as DOT with HTML-like labels (records coloured
by role, op ellipses, edge labels, collapsed boxes, caption and legend) into the picture
object of `graph.py`; the SVG backend reads the same records."""

from __future__ import annotations

import copy
import math
import textwrap

import numpy as np

from .collapse import _distant_uses, _op_summary, _param_rows, _repeated_children, _unit_names, _units
from .graph import _graph_class, _slide_options
from .labels import (
    FADED,
    FLAG_STYLE,
    FONT,
    FORWARD_EDGE,
    GRAD_EDGE,
    GROUP_BORDER,
    GROUP_FILL,
    HIGHLIGHT,
    OP_BORDER,
    OP_FILL,
    PENDING_EDGE,
    ROLE_STYLE,
    _arg_names,
    _brief,
    _data_nonfinite,
    _describe,
    _esc,
    _formulas,
    _freed,
    _grad_text,
    _html,
    _is_array,
    _node_label,
    _op_base,
    _op_text,
    _short,
    _tooltip,
)
from .scene import _as_list, _local_derivatives, _path_to_output
from .text import _text

COMPACT_FROM = 500  # drawn nodes past which ops go inside their result nodes and dot works less


def _memo(scene, key, make):
    """What every frame of one scene shares (the player builds hundreds): computed once."""
    memo = scene.__dict__.setdefault("_memo", {})
    if key not in memo:
        memo[key] = make()
    return memo[key]


def _build(
    scene,
    *,
    backward,
    rankdir,
    formulas,
    highlight=None,
    max_nodes=None,
    legend=True,
    title=None,
    step=None,
    slides=None,
):
    size, dpi, fontsize = _slide_options(slides or {})
    Graph = _graph_class()
    g = Graph(name="chainrule", format="svg")
    g._text = _memo(scene, "text", lambda: _text(scene, None))
    freed = ", drawn from its freed pass" if scene.freed else ""
    g._summary = (
        f"{_root_name(scene)}: {len(scene.order)} nodes, {'backward' if backward else 'forward'} view{freed}"
    )
    sized = {"size": size} if size else {}
    if dpi:
        sized["dpi"] = f"{dpi:g}"
    g.attr(
        "graph",
        **sized,
        rankdir=rankdir,
        fontname=FONT,
        nodesep="0.25",
        ranksep="0.4",
        bgcolor="white",
        labelloc="b",
        labeljust="l",
    )
    g.attr("node", fontname=FONT, fontsize=f"{fontsize:g}", shape="plaintext", margin="0")
    g.attr(
        "edge",
        fontname=FONT,
        fontsize=f"{fontsize * 9 / 11:g}",
        arrowsize="0.7",
        color=FORWARD_EDGE,
        fontcolor="#374151",
    )

    order = scene.order
    n = len(order)
    units = _memo(scene, ("units", max_nodes), lambda: _units(scene, max_nodes))
    box = _unit_names(units)
    g._drawn = {i: box[u] for i, u in enumerate(units) if u is not None}  # node -> its box
    # A very big drawing folds each op into the node it makes: half the shapes for dot to place.
    compact = sum(1 for u in units if u is None) > COMPACT_FROM
    copies = _memo(scene, ("copies", max_nodes), lambda: _distant_uses(scene, units))
    on_path = _path_to_output(scene, highlight)
    targets = {scene.index[id(t)] for t in _as_list(highlight)}
    step_grads = step_done = step_edges = None
    current = None
    if step is not None:
        step_grads, step_done, step_edges, current = step
    receiving = set(scene.parent_idx[current]) if current is not None else set()
    done_ops = {i for i, _ in step_edges} if step is not None else set()
    box_scene = scene
    if step is not None:  # a collapsed box shows the gradients accumulated so far
        box_scene = copy.copy(scene)
        box_scene.grads = [step_grads.get(i) for i in range(n)]
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
                _draw_box(g, box_scene, u, box[u], units, used_flags)
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
        # edge labels, only for an op drawn as itself (not inside a box)
        args = _arg_names(node, formulas) if ui is None else None
        locals_ = _local_derivatives(node) if backward and ui is None else None
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


def _draw_op(g, scene, i, formulas, faded, current):
    node = scene.order[i]
    text = _op_text(node)
    fill, border = OP_FILL, OP_BORDER
    rows = [f"<B>{_esc(text)}</B>"]
    base = _op_base(node.op or "")
    if base == "relu" and not _freed(node):
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
