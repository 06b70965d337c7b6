"""draw_graph on Value graphs: structure, numbers, escaping, determinism, missing dot, collapse.

Numbers in the expected pictures are worked out by hand from the chain rule (the micrograd
lecture's L = (a*b + c) * f and its tanh neuron, whose gradients the lecture prints).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from autograd import Value, draw_graph
from autograd.viz import INSTALL_HINT, backward_steps, to_text

GOLDEN = Path(__file__).parent / "golden"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")


def lecture_L():
    """L = (a*b + c) * f from micrograd's lecture: L = -8; dL/da = 6, db = -4, dc = de = dd = -2, df = 4."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return a, b, c, d, e, f, L


def lecture_neuron():
    """o = tanh(x1*w1 + x2*w2 + b) with the lecture's numbers: o = 0.7071, do/dn = 0.5."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return x1, x2, w1, w2, b, n, o


def node_ids(src):
    return [i for i in re.findall(r"^\t(\w+) \[", src, re.M) if i not in ("graph", "node", "edge")]


def edges(src):
    return re.findall(r"^\t(\w+) -> (\w+)", src, re.M)


def label_of(src, node_id):
    m = re.search(rf"^\t{node_id} \[label=<(.*?)>(?: \w+=|\]$)", src, re.M)
    assert m, node_id
    return m.group(1)


# -- structure and numbers ------------------------------------------------------------------
def test_lecture_expression_structure_and_numbers():
    *_, L = lecture_L()
    L.backward()
    g = draw_graph(L)
    import graphviz

    assert isinstance(g, graphviz.Digraph)
    src = g.source
    # 7 values in topological order (a, b, e, c, d, f, L) and one op node per result
    assert node_ids(src) == ["n0", "n1", "n2", "o2", "n3", "n4", "o4", "n5", "n6", "o6"]
    assert edges(src) == [
        ("n0", "o2"), ("n1", "o2"), ("o2", "n2"),
        ("n2", "o4"), ("n3", "o4"), ("o4", "n4"),
        ("n4", "o6"), ("n5", "o6"), ("o6", "n6"),
    ]  # fmt: skip
    expected = {  # name: (data, dL/dname)
        "n0": ("a", "2.0000", "6.0000"),
        "n1": ("b", "-3.0000", "-4.0000"),
        "n2": ("e", "-6.0000", "-2.0000"),
        "n3": ("c", "10.0000", "-2.0000"),
        "n4": ("d", "4.0000", "-2.0000"),
        "n5": ("f", "-2.0000", "4.0000"),
        "n6": ("L", "-8.0000", "1.0000"),
    }
    for nid, (name, data, grad) in expected.items():
        text = label_of(src, nid)
        assert f"<B>{name}</B>" in text and f"data {data}<" in text and f"grad {grad}<" in text, nid
    assert label_of(src, "o2") == "<B>×</B>" and label_of(src, "o4") == "<B>+</B>"
    assert "rankdir=LR" in src


def test_golden_dot_for_lecture_expression():
    """The whole DOT text, reviewed line by line (tests/golden/viz_lecture_L.dot)."""
    *_, L = lecture_L()
    L.backward()
    assert draw_graph(L).source == (GOLDEN / "viz_lecture_L.dot").read_text(encoding="utf-8")


def test_golden_dot_for_backward_view():
    """The lecture neuron's gradient flow with formulas (tests/golden/viz_neuron_backward.dot),
    reviewed line by line: x1 gets w1 × do/dn = -3 × 0.5, w1 gets x1 × 0.5 = 1, w2 gets x2 × 0.5 = 0."""
    *_, o = lecture_neuron()
    o.backward()
    src = draw_graph(o, direction="backward", formulas=True).source
    assert src == (GOLDEN / "viz_neuron_backward.dot").read_text(encoding="utf-8")


def test_before_backward_says_not_computed_instead_of_zeros():
    *_, L = lecture_L()
    src = draw_graph(L).source
    assert "grad 0.0000" not in src
    assert src.count("grad —") == 7 + 1  # seven nodes and the caption's explanation
    assert "gradients not computed yet" in src
    assert "not computed yet" in to_text(L)


def test_grads_true_replays_without_touching_grad():
    a, b, c, d, e, f, L = lecture_L()
    src = draw_graph(L, grads=True).source
    assert "grad 6.0000" in label_of(src, "n0") and "grad 4.0000" in label_of(src, "n5")
    assert a.grad == 0.0 and L.grad == 0.0  # the drawing changed nothing


def test_grads_false_hides_them():
    *_, L = lecture_L()
    L.backward()
    src = draw_graph(L, grads=False).source
    assert "grad" not in label_of(src, "n0")


def test_duplicate_parents_give_two_edges():
    x = Value(3.0, label="x")
    y = x * x
    y.backward()
    src = draw_graph(y).source
    assert edges(src) == [("n0", "o1"), ("n0", "o1"), ("o1", "n1")]
    assert "grad 6.0000" in label_of(src, "n0")  # d(x*x)/dx = 2x


def test_constants_have_no_grad_and_unlabeled_nodes_show_their_index():
    x = Value(3.0, label="x")
    y = (x + 1).relu()
    y.backward()
    src = draw_graph(y).source
    # order: x, 1 (constant), x + 1, relu
    assert "grad" not in label_of(src, "n1") and 'BGCOLOR="#f3f4f6"' in label_of(src, "n1")
    assert "#2<" in label_of(src, "n2")
    assert "constant (no grad)" in src


def test_to_text_tree():
    *_, L = lecture_L()
    L.backward()
    assert to_text(L) == "\n".join(
        [
            "L  data -8.0000  grad 1.0000  <- ×",
            "├─ d  data 4.0000  grad -2.0000  <- +",
            "│  ├─ e  data -6.0000  grad -2.0000  <- ×",
            "│  │  ├─ a  data 2.0000  grad 6.0000  (input)",
            "│  │  └─ b  data -3.0000  grad -4.0000  (input)",
            "│  └─ c  data 10.0000  grad -2.0000  (input)",
            "└─ f  data -2.0000  grad 4.0000  (input)",
        ]
    )
    assert draw_graph(L).to_text() == to_text(L)


def test_to_text_prints_shared_nodes_once():
    a = Value(1.0, label="a")
    b = a + a
    b.label = "b"
    c = b + b
    c.label = "c"
    c.backward()
    lines = to_text(c).splitlines()
    assert lines[0] == "c  data 4.0000  grad 1.0000  <- +"
    assert lines[1] == "├─ b  data 2.0000  grad 2.0000  <- +"
    assert lines[2] == "│  ├─ a  data 1.0000  grad 4.0000  (input)"
    assert lines[3:] == ["│  └─ a (shown above)", "└─ b (shown above)"]


# -- the chain rule made visible ------------------------------------------------------------
def test_backward_view_edges_carry_local_times_upstream():
    x1, x2, w1, w2, b, n, o = lecture_neuron()
    o.backward()
    src = draw_graph(o, direction="backward", formulas=True).source
    # lecture: do/dn = 1 - tanh(n)^2 = 0.5; x1.grad = w1 * 0.5 = -1.5; w1.grad = x1 * 0.5 = 1
    assert "0.5 × 1 = 0.5" in src
    assert "-3 × 0.5 = -1.5" in src
    assert "2 × 0.5 = 1" in src
    assert "0 × 0.5 = 0" in src  # w2 gets nothing because x2 = 0
    assert "∂/∂x = 1 − out²" in src and "∂/∂a = b" in src
    assert src.count("dir=back") == len(edges(src))
    assert "local derivative × upstream grad = contribution" in src
    # order: x1, w1, x1*w1, x2, w2, x2*w2, +, b, n, o
    assert "<B>w2</B>" in label_of(src, "n4") and "grad 0.0000" in label_of(src, "n4")
    assert 'BGCOLOR="#d1d5db"' in label_of(src, "n4")  # flagged as a zero gradient


def test_non_commutative_edges_name_their_argument():
    x = Value(2.0, label="x")
    p = Value(3.0, label="p")
    y = x**p
    y.backward()
    src = draw_graph(y).source
    assert re.search(r"n0 -> o2 \[label=<<I>base</I>>\]", src)
    assert re.search(r"n1 -> o2 \[label=<<I>exponent</I>>\]", src)
    assert "label=<<I>" not in draw_graph(x * p).source  # * is commutative: no names


def test_highlight_draws_the_path_to_the_output():
    a, b, c, d, e, f, L = lecture_L()
    L.backward()
    src = draw_graph(L, highlight=a).source
    hot = [e for e in re.findall(r"^\t(\w+ -> \w+) \[([^\n]*)\]", src, re.M) if "#db2777" in e[1]]
    assert [h[0] for h in hot] == ["n0 -> o2", "o2 -> n2", "n2 -> o4", "o4 -> n4", "n4 -> o6", "o6 -> n6"]
    for nid in ("n1", "n3", "n5"):  # b, c, f are off the path: faded
        assert 'COLOR="#c0c0c0"' in label_of(src, nid)
    with pytest.raises(ValueError, match="not a node of this graph"):
        draw_graph(L, highlight=Value(1.0))


def test_flags_dead_relu_nan_vanishing_exploding():
    x = Value(-1.0, label="x")
    y = x.relu()
    y.backward()
    src = draw_graph(y).source
    assert "dead: no gradient passes" in label_of(src, "o1")
    assert 'BGCOLOR="#d1d5db"' in label_of(src, "n0")

    big = Value(1.0, label="big")
    out = big * 1e4
    out.backward()
    assert 'BGCOLOR="#fed7aa"' in label_of(draw_graph(out).source, "n0")  # grad 1e4: exploding

    tiny = Value(1.0, label="tiny")
    out = tiny * 1e-9
    out.backward()
    assert 'BGCOLOR="#cffafe"' in label_of(draw_graph(out).source, "n0")  # grad 1e-9: vanishing

    nan = Value(float("nan"), label="nan")
    out = nan * 2.0
    out.backward()
    src = draw_graph(out).source
    assert "data nan" in label_of(src, "n0") and 'COLOR="#dc2626"' in label_of(src, "n2")
    assert "nan / inf" in src


def test_backward_steps_pages_through_the_pass():
    x1, x2, w1, w2, b, n, o = lecture_neuron()
    pics = list(backward_steps(o))
    assert len(pics) == 1 + 5  # the seed, then tanh, +, +, ×, ×
    assert "step 0/5: seed do/do = 1" in pics[0].source
    assert "step 1/5: backward through &#x27;tanh&#x27; of o: n.grad += 0.5" in pics[1].source
    assert pics[0].source.count("grad —") == 9  # all ten values but o
    final = pics[-1].source
    assert "grad —" not in final
    assert "grad -1.5000" in label_of(final, "n0") and "grad 1.0000" in label_of(final, "n1")
    assert x1.grad == 0.0  # paging through changed nothing


def test_backward_steps_mark_partial_sums():
    a = Value(3.0, label="a")
    b = a * 2.0
    b.label = "b"
    c = a + b  # a gets 1 directly and 2 through b
    c.label = "c"
    pics = [p.source for p in backward_steps(c)]
    assert "grad 1.0000 (so far)" in label_of(pics[1], "n0")
    assert "grad 3.0000<" in label_of(pics[-1], "n0")


# -- names, escaping, determinism -------------------------------------------------------------
def test_names_mark_parameters_and_labels_are_escaped():
    w = Value(0.5, label="w")
    x = Value(2.0, label='x<1>|{"q"} & r')
    y = w * x
    y.backward()
    src = draw_graph(y, names={w: "layers.0.weight"}).source
    assert "<B>layers.0.weight</B>" in label_of(src, "n0")
    assert 'BGCOLOR="#dcfce7"' in label_of(src, "n0")  # parameter colour
    assert "<B>x&lt;1&gt;|{&quot;q&quot;} &amp; r</B>" in label_of(src, "n1")
    assert 'tooltip="x<1>|{\\"q\\"} & r' in src
    # a {name: node} mapping (as dict(model.named_parameters()) gives) works too
    assert "<B>layers.0.weight</B>" in draw_graph(y, names={"layers.0.weight": w}).source


@needs_dot
def test_escaped_labels_render():
    x = Value(2.0, label='<b>|{x}"\\')
    y = (x * 3).tanh()
    y.label = "a > b & c"
    y.backward()
    svg = draw_graph(y, direction="backward", formulas=True).pipe(format="svg").decode()
    assert "&lt;b&gt;|{x}" in svg and "a &gt; b &amp; c" in svg


def test_same_graph_same_dot_text():
    def build():
        *_, L = lecture_L()
        L.backward()
        return draw_graph(L, direction="backward", formulas=True).source

    first = build()
    _ = [Value(i) for i in range(100)]  # shift object ids
    assert build() == first


# -- rendering, display, missing dot ----------------------------------------------------------
@needs_dot
@pytest.mark.parametrize("suffix,magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_save_renders_with_dot(tmp_path, suffix, magic):
    *_, L = lecture_L()
    L.backward()
    path = draw_graph(L).save(tmp_path / f"L{suffix}")
    assert path.read_bytes().startswith(magic)


def test_save_dot_text_and_bad_suffix(tmp_path):
    *_, L = lecture_L()
    g = draw_graph(L)
    assert g.save(tmp_path / "L.dot").read_text(encoding="utf-8") == g.source
    with pytest.raises(ValueError, match="use .svg, .png, .pdf or .dot"):
        g.save(tmp_path / "L.jpeg")


@needs_dot
def test_jupyter_display_is_svg():
    *_, L = lecture_L()
    g = draw_graph(L)
    assert g._repr_mimebundle_()["image/svg+xml"].lstrip().startswith("<?xml")
    assert "<svg" in g._repr_svg_()
    assert g.format == "svg"


def test_without_dot_source_text_and_display_still_work(tmp_path, monkeypatch):
    """Without dot the picture is laid out in pure Python (see test_viz_fallback.py); the
    DOT text and the text tree need nothing; PNG and PDF say that they need dot."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere
    assert shutil.which("dot") is None
    *_, L = lecture_L()
    L.backward()
    g = draw_graph(L)
    assert g.source.startswith("digraph chainrule {")
    assert g.to_text().startswith("L  data -8.0000")
    from autograd.viz import GraphvizMissing, graph

    monkeypatch.setattr(graph, "_told", False)
    with pytest.warns(GraphvizMissing, match="better layout"):
        assert "<svg" in g._repr_mimebundle_()["image/svg+xml"]
    assert g._repr_svg_().startswith("<svg")
    assert g.save(tmp_path / "L.svg").read_text(encoding="utf-8").startswith("<svg")
    with pytest.raises(RuntimeError, match="(?s)PNG needs graphviz.s dot.*apt-get install graphviz"):
        g.save(tmp_path / "L.png")
    assert "apt-get install graphviz" in INSTALL_HINT


# -- big graphs -----------------------------------------------------------------------------
def micrograd_demo_loss(model):
    """micrograd's demo loss on one sample: SVM max-margin plus 1e-4 L2."""
    x = [Value(1.0, label="x0"), Value(-0.5, label="x1")]
    score = model(x)
    loss = (1 + -1 * score).relu()
    reg = 1e-4 * sum(p * p for p in model.parameters())
    total = loss + reg
    total.label = "loss"
    return total


def test_big_graph_collapses_per_module_with_repeated_blocks():
    from nn.scalar import MLP

    model = MLP(2, [16, 16, 1], seed=1)
    loss = micrograd_demo_loss(model)
    loss.backward()
    src = draw_graph(loss, model=model, max_nodes=150).source
    ids = node_ids(src)
    assert len(ids) <= 150
    for layer, ops, params in (("0", 128, 48), ("1", 800, 272), ("2", 49, 17)):
        box = next(i for i in ids if f"<B>layers.{layer}</B>  <I>Layer</I>" in label_of(src, i))
        text = label_of(src, box)
        assert f"{ops} ops · {params} parameters" in text  # 2*16 w*x + 2*16 adds + 16 relu + 3*16 p*p = 128
        if layer != "2":
            assert "Neuron ×16" in text
    # the regulariser's 337-term Python sum (336 adds after 0 + p0*p0) is one chained box
    assert "+ ×337</B>  <I>chained</I>" in src
    assert "×256" in src  # 16 x 16 edges from layer 0 into layer 1, drawn as one


def test_big_graph_without_names_finds_alike_blocks():
    from nn.scalar import MLP

    model = MLP(2, [16, 16, 1], seed=1)
    loss = micrograd_demo_loss(model)
    loss.backward()
    src = draw_graph(loss).source  # no model: the neurons are found from the graph's shape
    ids = node_ids(src)
    assert len(ids) <= 150
    blocks = [label_of(src, i) for i in ids if "alike blocks</B>" in label_of(src, i)]
    assert len(blocks) == 2 and all("<B>16 alike blocks</B>" in b for b in blocks)
    # a layer-0 neuron: w0*x0 + w1*x1 + b (2 products, 2 adds), relu; 3 parameters each
    first = next(b for b in blocks if "each: 2 ×, 2 +, relu" in b)
    second = next(b for b in blocks if "each: 16 ×, 16 +, relu" in b)
    assert "48 parameters inside" in first and "272 parameters inside" in second
    assert "and its inputs: 337 ×" in src  # the regulariser's sum took in its p * p terms
    assert "×256" in src  # every layer-0 neuron feeds every layer-1 neuron


def test_alike_blocks_across_samples_merge():
    from nn.scalar import MLP

    model = MLP(2, [16, 16, 1], seed=2)
    scores = [
        model([Value(a, label="x0"), Value(b, label="x1")]) for a, b in ((1, -0.5), (-0.3, 0.8), (0.4, 0.1))
    ]
    loss = sum((1 + -y * s).relu() for y, s in zip((1, -1, 1), scores)) * (1 / 3)
    loss.backward()
    src = draw_graph(loss).source
    # 16 neurons x 3 samples per hidden layer, 3 output neurons; parameters inside their first block
    assert "<B>48 alike blocks</B>" in src and "each: 2 ×, 2 +, relu" in src
    assert "each: 16 ×, 16 +, relu" in src and "<B>3 alike blocks</B>" in src
    assert src.count("<B>x0</B>") == 3  # labelled inputs stay visible


def test_big_graph_without_structure_keeps_the_nodes_nearest_the_output():
    x = Value(0.1, label="x")
    y = x
    for _ in range(100):  # *, tanh, + in turn: no chain of one op, no alike blocks
        y = (y * 0.9).tanh() + x
    y.label = "y"
    src = draw_graph(y, max_nodes=40).source
    ids = node_ids(src)
    assert len([i for i in ids if "c" not in i[1:] and i.startswith(("n", "g"))]) <= 40
    assert "more nodes</B>" in src and "n400" in ids  # the output is always drawn
    assert len(draw_graph(y, max_nodes=None).source) > len(src)


def test_long_chains_collapse_and_deep_graphs_build_iteratively():
    x = Value(0.5, label="x")
    y = x
    for _ in range(3000):
        y = y * 1.0001
    y.label = "y"
    src = draw_graph(y, max_nodes=50).source
    assert "× ×2999</B>  <I>chained</I>" in src
    full = draw_graph(y, max_nodes=None).source  # 6,001 nodes, no RecursionError
    # past COMPACT_FROM drawn nodes each op is a cell of its result: two edges per op, not three
    assert full.count("->") == 2 * 3000 and "o1 [" not in full
    assert '<TR><TD BGCOLOR="#ede9fe"><B>×</B></TD>' in label_of(full, "n2")
    assert len(to_text(y).splitlines()) == 1 + 6001  # a note that grads are not computed, then the nodes


def test_distant_uses_of_a_leaf_are_drawn_again():
    w = Value(0.5, label="w")
    h = w * 2.0
    for _ in range(6):
        h = h.tanh()
    out = h + w * w  # w used again six ops later
    out.backward()
    src = draw_graph(out).source
    copies = [i for i in node_ids(src) if "c" in i[1:]]
    # order: w, 2.0, w*2, six tanh (3..8), w*w (9), out (10)
    assert copies == ["n0c9"]  # w, drawn again beside w * w
    assert edges(src).count(("n0c9", "o9")) == 2 and ("n0", "o9") not in edges(src)
    assert 'STYLE="ROUNDED,DASHED"' in label_of(src, "n0c9")
    assert "dashed: same node, drawn again" in src


def test_bad_arguments():
    x = Value(1.0)
    with pytest.raises(ValueError, match="direction"):
        draw_graph(x, direction="sideways")
    with pytest.raises(ValueError, match="grads"):
        draw_graph(x, grads="yes")
    with pytest.raises(TypeError, match="Value or Tensor"):
        draw_graph(3.0)


def test_grads_that_are_nodes_and_zeroed_grads():
    x = Value(2.0, label="x")
    y = x**3
    y.backward(create_graph=True)  # x.grad is a Value now
    assert isinstance(x.grad, Value)
    assert "grad 12.0000" in label_of(draw_graph(y).source, "n0")  # 3 x^2
    z = Value(2.0, label="z")
    w = z * z
    w.backward()
    z.grad = 0.0  # zero_grad() after the step: the drawing still shows this graph's gradient
    assert "grad 4.0000" in label_of(draw_graph(w).source, "n0")


def test_a_lone_leaf():
    x = Value(1.0, label="x")
    src = draw_graph(x).source
    assert node_ids(src) == ["n0"] and "<B>x</B>" in src
    assert to_text(x).splitlines()[-1] == "x  data 1.0000  grad not computed yet  (output)"


def test_a_rule_that_fails_is_shown_not_raised():
    x = Value(0.0, label="x")
    r = x.sqrt()  # its derivative at 0 is infinite: the engine's rule raises
    src = draw_graph(r, grads=True).source
    assert "ZeroDivisionError: sqrt: the derivative" in label_of(src, "o1")


def test_graph_without_grad_has_no_pending_note():
    from autograd import no_grad

    with no_grad():
        y = Value(2.0, label="x") * 3
    src = draw_graph(y).source  # made under no_grad: one node with no history and no grad
    assert node_ids(src) == ["n0"]
    assert "not computed yet" not in src and "grad" not in label_of(src, "n0")


def test_graph_copy_keeps_everything():
    *_, L = lecture_L()
    g = draw_graph(L)
    c = g.copy()
    assert type(c) is type(g) and c.source == g.source and c.to_text() == g.to_text()


def test_graphviz_render_still_works_beside_our_save(tmp_path):
    a = Value(2.0, label="a")
    graph = draw_graph(a * a)
    out = graph.render(directory=tmp_path, format="svg")  # graphviz's API: save() + dot
    assert Path(out).read_text().lstrip().startswith("<?xml")
    assert graph.save(tmp_path / "g.dot").read_text() == graph.source
