"""Pictures of computation graphs for teaching: draw_graph (alias draw_dot), to_text,
backward_steps, the backprop player and a live view of training.

Reads a graph, never changes it. graphviz is imported only when a picture is built, so
`to_text` and the rest of autograd work without it; without the `dot` program pictures are
laid out in pure Python (`svg.py`). One job per module: `scene` reads a graph, `labels`
words and colours it, `collapse` boxes big graphs, `dot` / `svg` / `text` are backends,
`player` and `live` page through frames.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .. import pass_trace
from ..engine import Node
from .dot import _build
from .graph import INSTALL_HINT, GraphvizMissing, check_options
from .labels import _brief, _op_text
from .live import TrainingRecorder, record_training
from .play import Player, player
from .scene import _complete, _Scene
from .text import _text

__all__ = [
    "INSTALL_HINT",
    "GraphvizMissing",
    "backward_steps",
    "draw_dot",
    "draw_graph",
    "keep_graphs",
    "player",
    "to_text",
    "Player",
    "TrainingRecorder",
    "record_training",
]


# ---------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------
def draw_graph(
    root: Node,
    *,
    direction: str = "forward",
    rankdir: str = "LR",
    names: Mapping | None = None,
    model=None,
    grads: bool | str = "auto",
    formulas: bool = False,
    highlight=None,
    max_nodes: int | None = 150,
    vanishing: float = 1e-6,
    exploding: float = 1e3,
    legend: bool = True,
    title: str | None = None,
    size=None,
    dpi: float | None = None,
    fontsize: float | None = None,
):
    """The computation graph of `root` as a graphviz.Digraph (subclass `Graph`).

    direction: "forward" draws data flow; "backward" draws the gradient flow, each edge
        labelled with its contribution (local derivative × upstream gradient).
    names / model: parameter names, `{node: "layers.0.weight"}` or anything with
        `named_parameters()` (or plain attributes holding nodes, as `nn.scalar.MLP`).
    grads: "auto" shows gradients once `backward()` has run; True computes them now
        (by replaying the backward rules), False hides them.
    formulas: print each op's local derivative formula inside the op node.
    highlight: a node (or list of nodes) whose path to the output is drawn in colour.
    max_nodes: past this many nodes the drawing collapses: per module with `model` or
        `names` (`Layer` boxes saying `Neuron ×16`), chains of one op (a Python sum) into
        one box, alike blocks with the same inputs into one box (`16 alike blocks`), and
        last keeps the nodes nearest the output. None draws everything.
    vanishing / exploding: gradient magnitudes (max |g|) flagged by colour.
    rankdir: "LR", "TB", "RL" or "BT". For slides: size=(width, height) in inches (the
        largest the picture may be; "10,6!" to scale up to it), dpi, fontsize (points).
    Without graphviz's `dot` the picture is laid out in pure Python (SVG only).
    """
    slides = check_options(rankdir, size, dpi, fontsize)
    if direction not in ("forward", "backward"):
        raise ValueError(f"draw_graph: direction must be 'forward' or 'backward', got {direction!r}")
    if grads not in ("auto", True, False):
        raise ValueError(f"draw_graph: grads must be 'auto', True or False, got {grads!r}")
    scene = _Scene(root, names, model, grads, direction == "backward", vanishing, exploding)
    return _build(
        scene,
        backward=direction == "backward",
        rankdir=rankdir,
        formulas=formulas,
        highlight=highlight,
        max_nodes=max_nodes,
        legend=legend,
        title=title,
        slides=slides,
    )


def backward_steps(
    root: Node,
    *,
    names: Mapping | None = None,
    model=None,
    formulas: bool = True,
    rankdir: str = "LR",
    legend: bool = True,
) -> Iterator:
    """One picture per step of the backward pass: the seed, then one op at a time in
    reverse topological order, each showing the gradients accumulated so far, the op
    being processed and the nodes it sends gradient to. Every picture draws every node:
    meant for graphs small enough to read (a neuron, a layer), not for a whole network."""
    scene = _Scene(root, names, model, True, True, 1e-6, 1e3)
    steps = scene.steps
    total = len(steps)
    acc: dict[int, object] = {}
    root_i = len(scene.order) - 1
    if scene.seed is not None:
        acc[root_i] = scene.seed
    remaining = dict(scene.consumer_edges)  # node index -> edges from it not yet processed
    done_edges: set = set()

    def picture(title, current):
        step = (dict(acc), _complete(remaining, acc), done_edges.copy(), current)
        return _build(
            scene, backward=True, rankdir=rankdir, formulas=formulas, legend=legend, title=title, step=step
        )

    yield picture(f"step 0/{total}: seed d{scene.name(root_i)}/d{scene.name(root_i)} = 1", None)
    for k, i in enumerate(steps, 1):
        node = scene.order[i]
        parts = []
        for pos, p in enumerate(node.parents):
            gp = scene.contrib.get((i, pos))
            j = scene.index[id(p)]
            if gp is not None:
                old = acc.get(j)
                acc[j] = gp if old is None else old + gp
                parts.append(f"{scene.name(j)}.grad += {_brief(gp)}")
            remaining[j] = remaining.get(j, 1) - 1
            done_edges.add((i, pos))
            if scene.freed and remaining[j] <= 0 and scene.grads[j] is not None:
                acc[j] = scene.grads[j]  # a freed pass kept totals, not each edge's part
                parts.append(f"{scene.name(j)}.grad = {_brief(acc[j])}")
        caption = f"step {k}/{total}: backward through {_op_text(node)!r} of {scene.name(i)}"
        if parts:
            caption += ": " + "; ".join(parts)
        yield picture(caption, i)


def to_text(
    root: Node,
    *,
    names: Mapping | None = None,
    model=None,
    grads: bool | str = "auto",
    max_lines: int | None = None,
) -> str:
    """An indented text tree of the graph (output first, each node's inputs below it).
    Needs nothing installed; a node reached twice is printed once and referred to after."""
    scene = _Scene(root, names, model, grads, False, 1e-6, 1e3)
    return _text(scene, max_lines)


draw_dot = draw_graph  # micrograd's name for it


def keep_graphs(on: bool = True) -> None:
    """Make every plain `backward()` keep what a picture of its graph needs (ops, shapes,
    names, small gradients, norms of big ones; no saved data), so `draw_graph(loss)` works
    after it. On by default in notebooks and consoles; scripts switch it on here (it costs
    about a microsecond per op of a backward pass)."""
    pass_trace.KEEP_TRACE = bool(on)
