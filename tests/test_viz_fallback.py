"""Pictures without graphviz's `dot` (hidden from PATH), and the slide options.

The pure-Python SVG shows the same records as dot's: each node's label, data and grad,
shapes for tensors, role colours, edge labels (local derivative × upstream = contribution,
the lecture's numbers: dL/da = -3 × -2 = 6), laid out by grandalf's layered layout.
"""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from autograd import Tensor, draw_graph
from autograd.viz import GraphvizMissing, graph, layout, svg
from tests.test_viz import lecture_L, lecture_neuron, needs_dot

pytest.importorskip("grandalf")


@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(graph, "_told", False)
    assert shutil.which("dot") is None


def texts(svg_text):
    return [t for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg_text)]


def centre(svg_text, node_id):
    """Centre of a node's first rect or ellipse in the SVG."""
    g = re.search(rf'<g class="node" data-id="{node_id}">(.*?)</g>', svg_text).group(1)
    m = re.search(r'<ellipse cx="([\d.]+)" cy="([\d.]+)"', g)
    if m:
        return float(m[1]), float(m[2])
    m = re.search(r'<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="([\d.]+)"', g)
    return float(m[1]) + float(m[3]) / 2, float(m[2]) + float(m[4]) / 2


def test_without_dot_the_picture_is_svg_with_the_same_records(no_dot, tmp_path):
    *_, L = lecture_L()
    L.backward()
    g = draw_graph(L, direction="backward")
    with pytest.warns(GraphvizMissing, match="Install graphviz for a better layout"):
        picture = g._repr_mimebundle_()["image/svg+xml"]
    words = texts(picture)
    for name, data, grad in (
        ("a", "2.0000", "6.0000"),
        ("b", "-3.0000", "-4.0000"),
        ("L", "-8.0000", "1.0000"),
    ):
        assert name in words and f"data {data}" in words and f"grad {grad}" in words
    assert "-3 × -2 = 6" in words and "2 × -2 = -4" in words  # d L / d a and d L / d b
    assert "×" in words and "+" in words  # the op ellipses
    assert 'fill="#dbeafe"' in picture and 'fill="#fef3c7"' in picture  # input and output roles
    assert "gradient flow of L" in words and "input" in words  # caption and legend
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once, not at every picture
        again = g._repr_svg_()
        path = g.save(tmp_path / "L.svg")
    assert again == picture and path.read_text(encoding="utf-8") == picture
    with pytest.raises(RuntimeError, match="(?s)PDF needs graphviz's dot.*brew install graphviz"):
        g.save(tmp_path / "L.pdf")


def test_tensor_records_without_dot(no_dot):
    w = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True, label="w")
    y = (w * w).sum()
    y.label = "y"
    y.backward(retain_graph=True)
    with pytest.warns(GraphvizMissing):
        words = texts(draw_graph(y).to_svg())
    assert "w  (2, 2) float64" in words and "[[1., 2.]," in words and "[3., 4.]]" in words
    assert "grad [[2., 4.]," in words and "[6., 8.]]" in words  # d(sum w²)/dw = 2w


@pytest.mark.parametrize("rankdir", ["LR", "TB", "RL", "BT"])
def test_rankdir_places_the_output_on_the_right_side(rankdir):
    *_, o = lecture_neuron()
    g = draw_graph(o, rankdir=rankdir)
    picture = svg.render(g, engine="grandalf")
    out = centre(picture, "n9")  # o, the output
    x1 = centre(picture, "n0")  # an input
    axis = 0 if rankdir in ("LR", "RL") else 1
    if rankdir in ("LR", "TB"):
        assert out[axis] > x1[axis]
    else:
        assert out[axis] < x1[axis]
    assert f"rankdir={rankdir}" in g.source


@needs_dot
def test_dot_positions_and_grandalf_positions_keep_the_ranks():
    sizes = {"a": (40, 20), "b": (40, 20), "c": (60, 30)}
    edges = [("a", "c"), ("b", "c")]
    for engine in ("dot", "grandalf"):
        pos = layout.positions(sizes, edges, "LR", engine)
        assert pos["c"][0] > pos["a"][0] and pos["c"][0] > pos["b"][0], engine
        assert pos["a"][1] != pos["b"][1], engine  # one rank, two places


def test_slide_options_and_repr():
    *_, L = lecture_L()
    L.backward()
    g = draw_graph(L, size=(10, 4), dpi=200, fontsize=16, rankdir="TB", direction="backward")
    assert 'size="10,4"' in g.source and "dpi=200" in g.source and "fontsize=16" in g.source
    assert repr(g) == "<Graph of L: 7 nodes, backward view>"
    assert 'size="8,3!"' in draw_graph(L, size="8,3!").source
    assert repr(draw_graph(L)) == "<Graph of L: 7 nodes, forward view>"
    for kwargs, message in (
        ({"rankdir": "LEFT"}, "rankdir must be 'LR'"),
        ({"size": (10,)}, "size is the largest width and height in inches"),
        ({"size": (0, 3)}, "size must be positive"),
        ({"dpi": -1}, "dpi must be a positive number"),
        ({"fontsize": "big"}, "fontsize must be a positive number"),
    ):
        with pytest.raises(ValueError, match=message):
            draw_graph(L, **kwargs)


@needs_dot
def test_slide_options_reach_the_rendered_picture():
    *_, L = lecture_L()
    small = draw_graph(L, size=(3, 1)).pipe(format="svg").decode()
    width = float(re.search(r'<svg width="([\d.]+)pt"', small)[1])
    assert width <= 3 * 72 + 1  # size is the largest width in inches
    png = draw_graph(L, dpi=50).pipe(format="png")
    big = draw_graph(L, dpi=150).pipe(format="png")
    assert png[:4] == b"\x89PNG" and len(big) > len(png)


def test_big_graphs_use_the_linear_sweep_and_keep_ranks():
    """Past GRANDALF_MAX boxes (grandalf takes minutes on 2,000) the layered sweep lays out:
    every edge goes forward along the rank axis, no two boxes of a rank overlap."""
    n = layout.GRANDALF_MAX + 50
    sizes = {f"v{i}": (30.0, 10.0 + i % 3) for i in range(n)}
    edges = [(f"v{i}", f"v{j}") for i in range(n) for j in (2 * i + 1, 2 * i + 2) if j < n]
    pos = layout.positions(sizes, edges, "LR", "grandalf")
    assert all(pos[b][0] > pos[a][0] for a, b in edges)
    by_rank: dict = {}
    for k, (x, y) in pos.items():
        by_rank.setdefault(round(x), []).append((y, sizes[k][1]))
    for column in by_rank.values():
        column.sort()
        assert all(y1 + h1 / 2 <= y2 - h2 / 2 for (y1, h1), (y2, h2) in zip(column, column[1:]))


GOLDEN = Path(__file__).parent / "golden"


def test_golden_svg_of_the_lecture_backward_view_without_dot():
    """The whole pure-Python SVG (layout included: grandalf is deterministic), looked at once
    as a picture: records a..L with the lecture's data and grads, edges 2 × -2 = -4 etc."""
    *_, L = lecture_L()
    L.backward()
    picture = svg.render(draw_graph(L, direction="backward", formulas=True), engine="grandalf")
    assert picture == (GOLDEN / "viz_lecture_L_fallback.svg").read_text(encoding="utf-8")
