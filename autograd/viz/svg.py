"""The pure-Python SVG backend: the picture without graphviz's `dot` program.

It reads the same records the DOT backend writes (each node's HTML-like table: name, data,
grad, shape, role colours; op ellipses; edge labels, colours and styles), measures them,
lays them out with `layout.positions` (grandalf when `dot` is missing) and writes SVG.
The player draws every frame with it, on one layout, so nothing moves between frames.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field

CHAR_W, LINE_H, PAD = 0.58, 1.3, 4.0  # average glyph width and line height per point of font size
FONT = "Helvetica, Arial, sans-serif"


@dataclass
class Box:
    """One drawn node: rows of cells, each cell a list of text lines with a fill."""

    id: str
    rows: list  # [[(lines, fill or None), ...], ...]
    fill: str = "#ffffff"
    border: str = "#6b7280"
    width: float = 1.0
    ellipse: bool = False
    dashed: bool = False
    font: float = 11.0

    def size(self) -> tuple:
        cells = [[_cell_size(lines, self.font) for lines, _ in row] for row in self.rows]
        w = max((sum(c[0] for c in row) for row in cells), default=20.0)
        h = sum(max((c[1] for c in row), default=LINE_H * self.font) for row in cells)
        if self.ellipse:
            return w * 1.25 + 8, h * 1.3 + 4
        return w + 2, h + 2


@dataclass
class Scene2D:
    boxes: dict = field(default_factory=dict)  # id -> Box, in drawing order
    edges: list = field(default_factory=list)  # (source, target, attrs)
    rankdir: str = "LR"
    caption: list = field(default_factory=list)  # lines of text under the picture
    legend: list = field(default_factory=list)  # (fill, border, text)


def _cell_size(lines, font) -> tuple:
    w = max((len(s) for s in lines), default=1) * CHAR_W * font + 2 * PAD
    return w, len(lines) * LINE_H * font + 2 * PAD


_TAG = re.compile(r"<[^>]+>")


def _lines(fragment: str) -> list:
    """HTML-like label text to plain lines (<BR/> breaks, tags dropped, entities decoded)."""
    parts = re.split(r"<BR\s*/?>", fragment, flags=re.I)
    return [html.unescape(_TAG.sub("", p)).strip() for p in parts]


def _attr(tag: str, name: str):
    m = re.search(rf'\b{name}="([^"]*)"', tag)
    return m.group(1) if m else None


def parse_label(box_id: str, label: str, attrs: dict) -> Box:
    """A node's label as graphviz would draw it: a TABLE of cells, or plain text (ops)."""
    text = label[1:-1] if label.startswith("<") and label.endswith(">") else html.escape(label)
    table = re.match(r"\s*<TABLE([^>]*)>(.*)</TABLE>\s*$", text, re.S)
    if table is None:  # an op: ellipse with lines of text
        box = Box(box_id, [[(_lines(text), None)]], ellipse=attrs.get("shape") == "ellipse")
        box.fill = attrs.get("fillcolor", "#ede9fe")
        box.border = attrs.get("color", "#7c3aed")
        box.width = float(attrs.get("penwidth", 1))
        return box
    head, body = table.groups()
    rows = []
    for tr in re.findall(r"<TR>(.*?)</TR>", body, re.S):
        cells = re.findall(r"<TD([^>]*)>(.*?)</TD>", tr, re.S)
        rows.append([(_lines(inner), _attr(tag, "BGCOLOR")) for tag, inner in cells])
    return Box(
        box_id,
        rows,
        fill=_attr(head, "BGCOLOR") or "#ffffff",
        border=_attr(head, "COLOR") or "#6b7280",
        width=float(_attr(head, "BORDER") or 1),
        dashed="DASHED" in (_attr(head, "STYLE") or ""),
    )


def scene_of(graph) -> Scene2D:
    """The records a Graph was built from (see `dot.py`: it keeps each node and edge call)."""
    s = Scene2D(rankdir=graph._graph_attrs.get("rankdir", "LR"))
    for kind, a, b, attrs in graph._items:
        if kind == "node":
            s.boxes[a] = parse_label(a, attrs.get("label", a), attrs)
        else:
            s.edges.append((a, b, attrs))
    caption = graph._graph_attrs.get("label", "")
    if caption:
        first = re.search(r"<TD[^>]*>(.*?)</TD>", caption[1:-1], re.S)
        if first:
            s.caption = [line for line in _lines(first.group(1)) if line]
        for tag, inner in re.findall(r"<TD( BGCOLOR[^>]*)>(.*?)</TD>", caption, re.S):
            s.legend.append((_attr(tag, "BGCOLOR"), _attr(tag, "COLOR"), " ".join(_lines(inner))))
    return s


def render(graph, engine: str = "auto") -> str:
    """An SVG document of `graph` (a draw_graph result) laid out by `engine`."""
    from .layout import positions

    scene = scene_of(graph)
    sizes = {k: b.size() for k, b in scene.boxes.items()}
    pos = positions(sizes, [(a, b) for a, b, _ in scene.edges], scene.rankdir, engine)
    return draw(scene, pos, sizes)


def draw(scene: Scene2D, pos: dict, sizes: dict, marker: str | None = None) -> str:
    """SVG of `scene` with boxes centred at `pos`, each of `sizes` (the player fixes both).
    `marker`: the id of an arrow-head marker defined elsewhere in the page (the player's)."""
    if pos:
        right = max(pos[k][0] + sizes[k][0] / 2 for k in pos)
        bottom = max(pos[k][1] + sizes[k][1] / 2 for k in pos)
    else:
        right = bottom = 40.0
    margin = 8.0
    cap_h = (len(scene.caption) + (1 if scene.legend else 0)) * 14 + (10 if scene.caption else 0)
    width = math.ceil(right + 2 * margin)
    height = math.ceil(bottom + 2 * margin + cap_h)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}">',
        ""
        if marker
        else '<defs><marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<g transform="translate({margin},{margin})">',
    ]
    for a, b, attrs in scene.edges:
        if a in pos and b in pos:
            out.append(_edge(pos[a], sizes[a], pos[b], sizes[b], attrs, scene.rankdir, marker or "a"))
    for k, box in scene.boxes.items():
        if k in pos:
            out.append(_box(box, pos[k], sizes[k]))
    y = bottom + 14
    for i, line in enumerate(scene.caption):
        weight = ' font-weight="bold"' if i == 0 else ""
        out.append(f'<text x="0" y="{y:.1f}" font-size="11"{weight}>{html.escape(line)}</text>')
        y += 14
    x = 0.0
    for fill, border, text in scene.legend:
        w = len(text) * CHAR_W * 10 + 8
        out.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="{w:.1f}" height="13" '
            f'fill="{fill}" stroke="{border}"/>'
            f'<text x="{x + 4:.1f}" y="{y:.1f}" font-size="10">{html.escape(text)}</text>'
        )
        x += w + 4
    out.append("</g></svg>")
    return "\n".join(out)


def _box(box: Box, centre, size) -> str:
    cx, cy = centre
    w, h = size
    x0, y0 = cx - w / 2, cy - h / 2
    dash = ' stroke-dasharray="4,2"' if box.dashed else ""
    parts = [f'<g class="node" data-id="{box.id}">']
    if box.ellipse:
        parts.append(
            f'<ellipse cx="{cx:.1f}" cy="{cy:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}" fill="{box.fill}" '
            f'stroke="{box.border}" stroke-width="{box.width}"/>'
        )
        lines = box.rows[0][0][0]
        top = cy - len(lines) * LINE_H * box.font / 2 + box.font
        for i, line in enumerate(lines):
            size = box.font if i == 0 else box.font - 2
            weight = ' font-weight="bold"' if i == 0 else ""
            parts.append(
                f'<text x="{cx:.1f}" y="{top + i * LINE_H * box.font:.1f}" text-anchor="middle" '
                f'font-size="{size}"{weight}>{html.escape(line)}</text>'
            )
        parts.append("</g>")
        return "".join(parts)
    parts.append(
        f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{w:.1f}" height="{h:.1f}" rx="5" fill="{box.fill}" '
        f'stroke="{box.border}" stroke-width="{box.width}"{dash}/>'
    )
    y = y0 + 1
    for r, row in enumerate(box.rows):
        cells = [_cell_size(lines, box.font) for lines, _ in row]
        row_h = max((c[1] for c in cells), default=LINE_H * box.font)
        natural = sum(c[0] for c in cells)
        stretch = (w - 2) / natural if natural else 1.0  # a row narrower than the box spreads out
        x = x0 + 1
        for c, ((lines, fill), (cw, _)) in enumerate(zip(row, cells)):
            cw *= stretch
            if fill:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{cw:.1f}" height="{row_h:.1f}" fill="{fill}"/>'
                )
            if c:
                parts.append(
                    f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y + row_h:.1f}" '
                    f'stroke="{box.border}"/>'
                )
            for i, line in enumerate(lines):
                ty = y + PAD + (i + 0.8) * LINE_H * box.font
                weight = ' font-weight="bold"' if c == 0 and r == 0 and i == 0 and len(row) > 1 else ""
                parts.append(
                    f'<text x="{x + PAD:.1f}" y="{ty:.1f}" font-size="{box.font}"{weight}>'
                    f"{html.escape(line)}</text>"
                )
            x += cw
        y += row_h
        if r < len(box.rows) - 1:
            parts.append(
                f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x0 + w:.1f}" y2="{y:.1f}" stroke="{box.border}"/>'
            )
    parts.append("</g>")
    return "".join(parts)


def _edge(pa, sa, pb, sb, attrs, rankdir, marker) -> str:
    """A curve from the side of box a facing b to the side of b facing a, as dot draws ranks."""
    horizontal = rankdir in ("LR", "RL")
    sign = 1 if rankdir in ("LR", "TB") else -1
    if horizontal:
        x1, y1 = pa[0] + sign * sa[0] / 2, pa[1]
        x2, y2 = pb[0] - sign * sb[0] / 2, pb[1]
        bend = (x2 - x1) / 2
        path = f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    else:
        x1, y1 = pa[0], pa[1] + sign * sa[1] / 2
        x2, y2 = pb[0], pb[1] - sign * sb[1] / 2
        bend = (y2 - y1) / 2
        path = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} {x2:.1f},{y2:.1f}"
    color = attrs.get("color", "#6b7280")
    width = attrs.get("penwidth", "1")
    style = attrs.get("style", "")
    dash = (
        ' stroke-dasharray="5,3"'
        if style == "dashed"
        else ' stroke-dasharray="1,3"'
        if style == "dotted"
        else ""
    )
    end = "start" if attrs.get("dir") == "back" else "end"
    arrow = f'marker-{end}="url(#{marker})"'
    out = [
        f'<g class="edge"><path d="{path}" fill="none" stroke="{color}" '
        f'stroke-width="{width}"{dash} {arrow}/>'
    ]
    label = attrs.get("label")
    if label:
        lines = [s for s in _lines(label[1:-1] if label.startswith("<") else label) if s]
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2 - 3 - (len(lines) - 1) * 5
        for i, line in enumerate(lines):
            out.append(
                f'<text x="{mx:.1f}" y="{my + i * 11:.1f}" text-anchor="middle" font-size="9" '
                f'fill="{attrs.get("fontcolor", "#374151")}">{html.escape(line)}</text>'
            )
    out.append("</g>")
    return "".join(out)
