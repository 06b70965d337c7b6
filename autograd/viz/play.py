"""The backprop player: one self-contained HTML page that pages through a graph's passes.

Frames: the forward pass one op at a time (values appear), the seed, then each backward
step (the op being processed highlighted, the gradients it sends on its edges, every
node's `.grad` so far, `(so far)` where a shared node still waits for `+=` from other
consumers). All frames are drawn by the SVG backend on one layout with the largest size
each box takes in any frame, so nothing moves. The page has inline SVG and a few lines of
inline JavaScript and fetches nothing: it plays in Jupyter (`_repr_html_`), in any
browser (`save("x.html")`), and as a GIF or PNG frames for slides.
"""

from __future__ import annotations

import copy
import html
import itertools
import json
import re
from pathlib import Path

from .dot import _build
from .graph import check_options
from .labels import HIGHLIGHT, _brief, _op_text
from .layout import positions
from .scene import _complete, _Scene
from .svg import Scene2D, draw, scene_of

_ids = itertools.count()
# The player's few lines of JavaScript: show a frame, play / pause, step, slider, keys.
_SCRIPT = """
var frames=root.querySelectorAll(".crp-frame"),n=frames.length,slider=root.querySelector("input"),
 counter=root.querySelector(".crp-counter"),caption=root.querySelector(".crp-caption"),
 play=root.querySelector("[data-act=play]"),k=0,timer=null;
function show(i){i=Math.max(0,Math.min(n-1,i));frames[k].hidden=true;k=i;frames[k].hidden=false;
 slider.value=k;counter.textContent=(k+1)+" / "+n;caption.textContent=captions[k];root.dataset.frame=k;}
function pause(){if(timer){clearInterval(timer);timer=null;}play.textContent="▶ play";}
function start(){if(k==n-1)show(0);timer=setInterval(function(){show(k+1);if(k>=n-1)pause();},MS);
 play.textContent="❚❚ pause";}
root.querySelector("[data-act=prev]").onclick=function(){pause();show(k-1);};
root.querySelector("[data-act=next]").onclick=function(){pause();show(k+1);};
play.onclick=function(){timer?pause():start();};
slider.oninput=function(){pause();show(+slider.value);};
root.addEventListener("keydown",function(e){
 var m={ArrowRight:1,ArrowLeft:-1,ArrowDown:1,ArrowUp:-1}[e.key];
 if(m){pause();show(k+m);e.preventDefault();}
 else if(e.key==" "){timer?pause():start();e.preventDefault();}
 else if(e.key=="Home"){pause();show(0);}else if(e.key=="End"){pause();show(n-1);}});
show(0);"""
PENDING_FILL = "#fafafa"


class Player:
    """Frames of SVG on one layout, with a caption each, played by a small inline script."""

    def __init__(self, scenes, captions, current, rankdir, engine, fps, sides=None):
        if not scenes:
            raise ValueError("player: no frames to play")
        self.captions, self.current, self.fps = captions, current, fps
        self.sides = sides or [""] * len(scenes)  # an SVG beside each frame (live training)
        sizes: dict = {}
        edges: dict = {}
        for s in scenes:
            for k, box in s.boxes.items():
                w, h = box.size()
                old = sizes.get(k, (0.0, 0.0))
                sizes[k] = (max(old[0], w), max(old[1], h))
            for a, b, _ in s.edges:
                edges[(a, b)] = None
        self.positions = positions(sizes, list(edges), rankdir, engine)
        self.sizes = sizes
        lines = max(len(s.caption) for s in scenes)
        for s in scenes:  # every frame gets the same caption height: the same picture size
            s.caption = s.caption + [""] * (lines - len(s.caption))
        self.uid = f"crp{next(_ids)}"
        fit = '<svg style="max-width:100%;height:auto" '  # a wide graph shrinks to the page
        self.frames = [
            draw(s, self.positions, sizes, marker=f"{self.uid}a").replace("<svg ", fit, 1) for s in scenes
        ]

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"<Player: {len(self)} frames, {self._size_kb():.0f} kB of HTML>"

    def _size_kb(self) -> float:
        return len(self.html().encode()) / 1e3

    # the page -------------------------------------------------------------------------
    def _body(self) -> str:
        uid, n = self.uid, len(self.frames)
        frames = "".join(self._frame_html(k) for k in range(n))
        captions = json.dumps(self.captions, ensure_ascii=False).replace("</", "<\\/")
        ms = f"{1000 / self.fps:.0f}"
        return (
            f'<div id="{uid}" class="crp" tabindex="0" '
            'style="font-family:Helvetica,Arial,sans-serif;outline:none">\n'
            f'<svg width="0" height="0" style="position:absolute">{_marker(uid)}</svg>\n'
            '<div style="display:flex;gap:6px;align-items:center;margin:4px 0">\n'
            '<button data-act="prev" title="step back (←)">◀</button>'
            '<button data-act="play" title="play / pause (space)">▶ play</button>\n'
            '<button data-act="next" title="step (→)">▶</button>\n'
            f'<input type="range" min="0" max="{n - 1}" value="0" style="flex:1;max-width:420px">\n'
            f'<span class="crp-counter">1 / {n}</span></div>\n'
            '<div class="crp-caption" style="font-size:13px;min-height:2.6em;white-space:pre-wrap"></div>\n'
            f'<div class="crp-frames">{frames}</div>\n'
            f"<script>(function(){{var root=document.getElementById('{uid}'),captions={captions};"
            + _SCRIPT.replace("MS", ms)
            + "})();</script></div>"
        )

    def _frame_html(self, k: int) -> str:
        hidden = "" if k == 0 else " hidden"
        body = self.frames[k]
        if self.sides[k]:
            body = f'<div style="display:flex;gap:12px;align-items:flex-start">{self.sides[k]}{body}</div>'
        return (
            f'<div class="crp-frame" data-current="{html.escape(self.current[k] or "")}"{hidden}>{body}</div>'
        )

    def html(self) -> str:
        """The whole page: open it in any browser, nothing is fetched."""
        return (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>chainrule backprop player</title>'
            "</head><body>\n" + self._body() + "\n<script>document.querySelector('.crp').focus()</script>"
            "</body></html>\n"
        )

    def _repr_html_(self) -> str:
        return self._body()

    def save(self, filename, *, scale: float = 1.0, duration: float | None = None):
        """`.html`: the page; `.gif`: every frame (cairosvg renders them); `.png`: a folder
        named after the file with one PNG per frame (`frame_000.png`, ...)."""
        path = Path(filename)
        suffix = path.suffix.lower()
        if suffix in (".html", ".htm"):
            path.write_text(self.html(), encoding="utf-8")
            return path
        if suffix not in (".gif", ".png"):
            raise ValueError(f"save: cannot tell the format from {path.name!r}; use .html, .gif or .png")
        images = self.png_frames(scale)
        if suffix == ".png":
            folder = path.with_suffix("")
            folder.mkdir(parents=True, exist_ok=True)
            for k, data in enumerate(images):
                (folder / f"frame_{k:03d}.png").write_bytes(data)
            return folder
        import io

        from PIL import Image

        frames = [Image.open(io.BytesIO(data)).convert("RGB") for data in images]
        ms = int(1000 * (duration if duration is not None else 1 / self.fps))
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=ms, loop=0)
        return path

    def png_frames(self, scale: float = 1.0) -> list:
        """Each frame as PNG bytes, with its caption (needs the cairosvg package)."""
        try:
            import cairosvg
        except (ImportError, OSError) as e:  # OSError: the cairo library itself is missing
            raise ImportError(
                "player: PNG and GIF frames need cairosvg and the cairo library: pip install cairosvg "
                f"(and apt-get install libcairo2 / brew install cairo); {e}"
            ) from e
        out = []
        for svg, side, text in zip(self.frames, self.sides, self.captions):
            page = _standalone(svg, self.uid, text, side)
            out.append(cairosvg.svg2png(bytestring=page.encode(), scale=scale))
        return out


def _standalone(svg: str, uid: str, caption: str, side: str = "") -> str:
    """A frame as an SVG file of its own: the arrow marker inside, the caption on top, the
    side picture (live training) on the left."""
    svg = svg.replace(' style="max-width:100%;height:auto"', "", 1)
    w = int(re.search(r'width="(\d+)"', svg)[1])
    h = int(re.search(r'height="(\d+)"', svg)[1])
    body = svg[svg.index(">") + 1 : svg.rindex("</svg>")]
    if side:
        sw = int(re.search(r'width="(\d+)"', side)[1])
        sh = int(re.search(r'height="(\d+)"', side)[1])
        inner = side.replace("<svg ", '<svg x="0" y="0" ', 1)
        body = f'{inner}<g transform="translate({sw + 12},0)">{body}</g>'
        w, h = w + sw + 12, max(h, sh)
    h += 22
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        f'font-family="Helvetica, Arial, sans-serif">{_marker(uid)}'
        f'<rect width="{w}" height="{h}" fill="white"/>'
        f'<text x="8" y="15" font-size="12">{html.escape(caption)}</text>'
        f'<g transform="translate(0,22)">{body}</g></svg>'
    )


def _marker(uid: str) -> str:
    """The arrow head every edge of a player's frames refers to (one per page)."""
    return (
        f'<defs><marker id="{uid}a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/>'
        "</marker></defs>"
    )


def player(
    root,
    model=None,
    *,
    names=None,
    formulas: bool = True,
    rankdir: str = "LR",
    max_nodes: int | None = 150,
    max_frames: int = 300,
    fps: float = 2.0,
    engine: str = "auto",
) -> Player:
    """A backprop player for `root`: forward one op at a time, then the seed and each step of
    the backward pass. Big graphs are drawn collapsed (see draw_graph's max_nodes) and step
    one drawn box at a time; past `max_frames` several steps share a frame."""
    check_options(rankdir, where="player")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps <= 60:
        raise ValueError(f"player: fps is frames per second when playing, between 0 and 60; got {fps!r}")
    if not isinstance(max_frames, int) or max_frames < 4:
        raise ValueError(f"player: max_frames must be a whole number of at least 4, got {max_frames!r}")
    scene = _Scene(root, names, model, True, True, 1e-6, 1e3)
    opts = dict(rankdir=rankdir, formulas=formulas, legend=True, max_nodes=max_nodes)
    scenes, captions, current = _forward_frames(scene, opts, max_frames // 3)
    back = _backward_frames(scene, opts, max_frames - len(scenes))
    for s, c, cur in back:
        scenes.append(s)
        captions.append(c)
        current.append(cur)
    return Player(scenes, captions, current, rankdir, engine, fps)


def _drawn_id(graph, i) -> str:
    """The id that draws node i: its own box, or the collapsed box holding it."""
    return graph._drawn.get(i, f"n{i}")


def _forward_frames(scene, opts, budget):
    """The forward pass: leaves first, then one op at a time (several per frame past `budget`)."""
    quiet = copy.copy(scene)  # the forward pass shows values, no gradients yet
    quiet.show_grads = quiet.pending = False
    full = _build(quiet, backward=False, title="forward pass", **opts)
    base = scene_of(full)
    order = scene.order
    ops = [i for i in range(len(order)) if order[i]._rule is not None]
    per = max(1, -(-len(ops) // max(1, budget - 1)))
    drawn_of = {i: _drawn_id(full, i) for i in range(len(order))}
    shown = {drawn_of[i] for i in range(len(order)) if order[i]._rule is None}
    scenes, captions, current = [], [], []
    chunks = [ops[k : k + per] for k in range(0, len(ops), per)]
    for k, chunk in enumerate([[]] + chunks):
        for i in chunk:
            shown.add(drawn_of[i])
            shown.add(f"o{i}")
        s = _reveal(base, shown, order, drawn_of)
        if chunk:
            last = chunk[-1]
            what = f"{_op_text(order[last])} → {scene.name(last)}"
            if len(chunk) > 1:
                what = f"{len(chunk)} ops, the last {what}"
            captions.append(f"forward {k}/{len(chunks)}: {what} = {_brief(order[last].data)}")
            current.append(drawn_of[last])
        else:
            captions.append(f"forward 0/{len(chunks)}: the inputs and parameters")
            current.append("")
        scenes.append(s)
    return scenes, captions, current


def _reveal(base: Scene2D, shown: set, order, drawn_of) -> Scene2D:
    """The forward picture with what is not computed yet drawn as empty, grey boxes."""
    s = copy.copy(base)
    s.boxes = {}
    for k, box in base.boxes.items():
        if k in shown:
            s.boxes[k] = box
            continue
        b = copy.copy(box)
        b.fill, b.border, b.dashed = PENDING_FILL, "#d1d5db", True
        b.rows = [[([" " * len(line) for line in lines], None) for lines, _ in row] for row in box.rows]
        s.boxes[k] = b
    s.edges = [
        (a, c, attrs if c in shown else dict(attrs, color="#e5e7eb", label=None))
        for a, c, attrs in base.edges
    ]
    return s


def _backward_frames(scene, opts, budget):
    """The seed, then the steps of the backward pass (grouped per drawn box, and past
    `budget` several to a frame), each with the gradients accumulated so far."""
    steps = scene.steps
    root_i = len(scene.order) - 1
    acc: dict = {}
    if scene.seed is not None:
        acc[root_i] = scene.seed
    remaining = dict(scene.consumer_edges)
    done: set = set()
    probe = _build(scene, backward=True, **opts, step=({}, set(), set(), None))
    groups: list = []
    for i in steps:  # consecutive steps inside one drawn box make one frame
        d = _drawn_id(probe, i)
        if groups and groups[-1][0] == d and d != f"n{i}":
            groups[-1][1].append(i)
        else:
            groups.append((d, [i]))
    per = max(1, -(-len(groups) // max(1, budget - 1)))
    batches = [groups[k : k + per] for k in range(0, len(groups), per)]
    name = scene.name(root_i)
    frames = []
    g = _build(
        scene, backward=True, **opts, title=f"seed: d{name}/d{name} = 1", step=(dict(acc), set(), set(), None)
    )
    frames.append(
        (
            scene_of(g),
            f"backward 0/{len(batches)}: the seed d{name}/d{name} = 1",
            g._drawn.get(root_i, f"n{root_i}"),
        )
    )
    for k, batch in enumerate(batches, 1):
        parts = []
        last = None
        for _, members in batch:
            for i in members:
                node = scene.order[i]
                for pos, p in enumerate(node.parents):
                    j = scene.index[id(p)]
                    gp = scene.contrib.get((i, pos))
                    shared = scene.consumer_edges.get(j, 1) > 1
                    if gp is not None:
                        acc[j] = gp if acc.get(j) is None else acc[j] + gp
                        parts.append(f"{scene.name(j)}.grad {'+=' if shared else '='} {_brief(gp)}")
                    remaining[j] = remaining.get(j, 1) - 1
                    done.add((i, pos))
                    if scene.freed and remaining[j] <= 0 and scene.grads[j] is not None:
                        acc[j] = scene.grads[j]
                        parts.append(f"{scene.name(j)}.grad = {_brief(acc[j])}")
                last = i
        node = scene.order[last]
        head = f"backward {k}/{len(batches)}: through {_op_text(node)} of {scene.name(last)}"
        if len(batch) > 1 or len(batch[0][1]) > 1:
            head = (
                f"backward {k}/{len(batches)}: {sum(len(m) for _, m in batch)} ops, the last {_op_text(node)}"
            )
        caption = head + (": " + "; ".join(parts[:6]) + (" …" if len(parts) > 6 else "") if parts else "")
        g = _build(
            scene,
            backward=True,
            **opts,
            title=head,
            step=(dict(acc), _complete(remaining, acc), set(done), last),
        )
        s = scene_of(g)
        cur = _drawn_id(g, last)
        cur_op = f"o{last}" if f"o{last}" in s.boxes else cur
        if cur_op in s.boxes:  # the op (or box) being processed, in the highlight colour
            b = copy.copy(s.boxes[cur_op])
            b.border, b.width = HIGHLIGHT, 3.0
            s.boxes[cur_op] = b
        frames.append((s, caption, cur_op))
    return frames
