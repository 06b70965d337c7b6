"""draw_graph on Tensor graphs: names from a model, shapes, previews, intermediate gradients
without retain_grad, op arguments, collapse per module.

The small MLP has hand-picked weights so every number can be checked by hand:
x = [1, 2]; h = W1 x + b1 = [1, 2, -0.5]; r = relu(h) = [1, 2, 0]; out = W2 r + b2 = 3;
loss = mean((out - 1)^2) = 4. Backward: dL/dout = 2 (3 - 1) = 4; dL/dW2 = 4 r = [4, 8, 0];
dL/db2 = 4; dL/dr = 4 W2 = [4, 4, 4]; dL/dh = [4, 4, 0] (relu mask); dL/dW1 = outer(dL/dh, x)
= [[4, 8], [4, 8], [0, 0]]; dL/db1 = [4, 4, 0].
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from autograd import Tensor, draw_graph, pass_trace
from autograd.viz import backward_steps, to_text
from tests.test_viz import edges, label_of, node_ids

nn = pytest.importorskip("nn")
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def keeping(monkeypatch):
    """Passes keep their trace (on by default in notebooks and consoles, not in scripts)."""
    monkeypatch.setattr(pass_trace, "KEEP_TRACE", True)


def small_mlp():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    model[0].weight.data = np.array([[1, 0], [0, 1], [1, -1]], np.float32)
    model[0].bias.data = np.array([0, 0, 0.5], np.float32)
    model[2].weight.data = np.array([[1, 1, 1]], np.float32)
    model[2].bias.data = np.array([0], np.float32)
    x = Tensor([[1.0, 2.0]], dtype=np.float32, label="x")
    loss = ((model(x) - 1.0) ** 2).mean()
    loss.label = "loss"
    return model, x, loss


def test_golden_dot_for_named_tensor_mlp():
    """The whole DOT text, reviewed line by line against the numbers in the module docstring."""
    model, x, loss = small_mlp()
    loss.backward(retain_graph=True)
    src = draw_graph(loss, model=model).source
    assert src == (GOLDEN / "viz_tensor_mlp.dot").read_text(encoding="utf-8")


def test_tensor_nodes_show_name_shape_dtype_preview_and_every_grad():
    model, x, loss = small_mlp()
    loss.backward(retain_graph=True)
    src = draw_graph(loss, model=model).source
    # x, 0.weight, 0.bias, h, relu, 2.weight, 2.bias, out, out - 1, (out - 1)**2, loss
    assert len([i for i in node_ids(src) if i.startswith("n")]) == 11
    w1 = label_of(src, "n1")
    assert "<B>0.weight</B>" in w1 and "(3, 2) float32" in w1
    assert "grad [[4., 8.],<BR/> [4., 8.],<BR/> [0., 0.]]" in w1
    assert "grad [4., 4., 0.]" in label_of(src, "n2")
    # intermediates show gradients although nobody called retain_grad()
    assert "grad [[4., 4., 0.]]" in label_of(src, "n3") and "grad [[4., 4., 4.]]" in label_of(src, "n4")
    assert model[0].weight.grad is not None and loss.grad is None
    assert 'BGCOLOR="#dcfce7"' in w1 and 'BGCOLOR="#dbeafe"' in label_of(src, "n0")  # parameter, input
    assert "grad" not in label_of(src, "n0")  # x needs no grad
    assert edges(src)[:3] == [("n0", "o3"), ("n1", "o3"), ("n2", "o3")]
    assert "n0 -> o3 [label=<<I>x</I>>]" in src and "n1 -> o3 [label=<<I>weight</I>>]" in src
    assert "33% dead" in label_of(src, "o4")  # relu: one of three units is off


def test_large_tensors_show_min_mean_max_and_grad_norm():
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((20, 30)), requires_grad=True, label="w")
    y = (w * 2.0).sum()
    y.backward(retain_graph=True)
    src = draw_graph(y).source
    data = w.data
    text = label_of(src, "n0")
    assert (
        f"min {float(data.min()):.4g} · mean {float(data.mean()):.4g} · max {float(data.max()):.4g}" in text
    )
    assert f"‖grad‖ {np.sqrt(600 * 4):.4g}" in text  # every element's grad is 2
    assert "× 2<" in label_of(src, "o1") and "sum()" in label_of(src, "o2")


def test_before_backward_and_with_retained_graph():
    model, x, loss = small_mlp()
    src = draw_graph(loss, model=model).source
    assert "grad —" in label_of(src, "n1") and "gradients not computed yet" in src
    loss.backward(retain_graph=True)  # the drawing replays the rules on the kept graph
    assert "grad [[4., 4., 0.]]" in label_of(draw_graph(loss, model=model).source, "n3")


def test_a_graph_freed_by_backward_is_still_drawn_from_its_trace(keeping):
    """After a plain backward() the picture shows the graph that ran and the gradients of the
    module docstring (the same as with retain_graph=True), but not the freed values."""
    model, x, _ = small_mlp()
    hidden = model[1](model[0](x))
    loss = ((model[2](hidden) - 1.0) ** 2).mean()
    loss.label = "loss"
    loss.backward()  # frees the graph as it goes, as PyTorch does
    src = draw_graph(loss, model=model).source
    assert len([i for i in node_ids(src) if i.startswith("n")]) == 11
    assert "grad [[4., 8.],<BR/> [4., 8.],<BR/> [0., 0.]]" in label_of(src, "n1")  # 0.weight
    assert "grad [[4., 4., 0.]]" in label_of(src, "n3") and "grad [[4., 4., 4.]]" in label_of(src, "n4")
    assert "values freed by backward" in label_of(src, "n3")  # h = W1 x + b1 was freed
    assert "4." in label_of(src, "n10")  # the output keeps its value
    assert "(1, 3) float32" in label_of(src, "n3") and "<B>relu</B>" in label_of(src, "o4")
    assert "dead" not in label_of(src, "o4")  # no values kept: no count of dead units
    text = to_text(loss, model=model)
    assert "0.bias  (3,) float32  [0. , 0. , 0.5]  grad [4., 4., 0.]" in text
    steps = list(backward_steps(loss, model=model))
    assert len(steps) == 7 and "step 6/6" in steps[-1].source  # the seed, then six ops
    assert "0.bias.grad = [4., 4., 0.]" in steps[-1].source
    with pytest.raises(RuntimeError, match="freed part of this graph"):
        draw_graph((hidden * 2).sum())  # built on the freed graph: no trace of its own
    with pytest.raises(RuntimeError, match="backward"):
        loss.backward()  # the saved data really is gone


def test_a_freed_graph_summarises_large_gradients(keeping):
    """Big gradients are kept as their norm, parameters' from their .grad, mid-sized
    intermediate ones (where one reduction would cost as much as the op) not at all."""
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((100, 100)), requires_grad=True, label="w")
    v = Tensor(rng.standard_normal((20, 30)), requires_grad=True, label="v")
    y = (w * 2.0).sum() + (v * 3.0).sum()
    y.backward()
    src = draw_graph(y).source
    assert f"‖grad‖ {np.sqrt(10_000 * 4):.4g}" in label_of(src, "n0")  # w: its .grad, d/dw = 2
    assert f"‖grad‖ {np.sqrt(10_000):.4g}" in label_of(src, "n1")  # w * 2: d y / d (w * 2) = 1
    assert "(100, 100) float64" in label_of(src, "n1")
    assert f"‖grad‖ {np.sqrt(600 * 9):.4g}" in label_of(src, "n3")  # v: its .grad, d/dv = 3
    assert "grad not kept by backward" in label_of(src, "n4")  # v * 3: 600 values
    v.grad = None  # a .grad changed since the pass is not shown as this pass's
    assert "grad not kept by backward" in label_of(draw_graph(y).source, "n3")


def test_a_script_without_traces_is_told_and_traces_from_then_on(monkeypatch):
    monkeypatch.setattr(pass_trace, "KEEP_TRACE", False)  # a script: backward keeps nothing
    model, x, loss = small_mlp()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"kept no trace.*keep_graphs\(\).*run the step"):
        draw_graph(loss)
    assert pass_trace.KEEP_TRACE  # on from now
    model, x, loss = small_mlp()
    loss.backward()
    assert "grad [4., 4., 0.]" in to_text(loss, model=model)


def test_trace_records_are_flat_and_read_back(keeping):
    model, x, loss = small_mlp()
    loss.backward()
    records = list(pass_trace.last_pass(loss).records())
    assert [r[1] for r in records] == ["mean", "**2", "-", "linear", "relu", "linear"]
    assert records[0][0] == id(loss) and records[3][2] == (1, 1) and records[3][3] == np.float32
    assert len(records[3][5]) == 3  # linear: x, weight, bias
    del loss  # the trace goes with its output
    assert not any(pass_trace.last_pass(n) for n in ())


def test_outputs_of_a_grad_call_with_two_outputs_are_drawn(keeping):
    import autograd

    w = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="w")
    y1 = (w * 3.0).sum()
    y1.label = "y1"
    y2 = (w * w).sum()
    y2.label = "y2"
    (g,) = autograd.grad([y1, y2], [w])
    assert np.allclose(g.data, [3 + 2, 3 + 4])
    text = to_text(y1)
    assert text.startswith("y1  () float64") and "<- sum" in text and "w  (2,) float64" in text


def test_op_arguments_are_shown():
    a = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="a")
    parts = {
        "sum(axis=1)": a.sum(axis=1),
        "mean(axis=0, keepdims)": a.mean(axis=0, keepdims=True),
        "softmax(axis=1)": a.softmax(axis=-1),  # the op stores the axis normalised
        ".T": a.T,
        "reshape(3, 2)": a.reshape(3, 2),
        "[:, 1]": a[:, 1],
        "[0]": a[0],
    }
    for text, out in parts.items():
        src = draw_graph(out).source
        assert f"<B>{text}</B>" in src, text


def test_non_commutative_tensor_ops_name_their_arguments():
    a = Tensor(np.ones((2, 3)), requires_grad=True, label="a")
    b = Tensor(np.ones((3, 2)), requires_grad=True, label="b")
    src = draw_graph((a @ b).sum()).source
    assert "n0 -> o2 [label=<<I>A</I>>]" in src and "n1 -> o2 [label=<<I>B</I>>]" in src
    src = draw_graph((a - 1.0 - a).sum()).source
    assert "<I>a</I>" in src and "<I>b</I>" in src


def test_backward_view_on_tensors_labels_contributions():
    model, x, loss = small_mlp()
    loss.backward(retain_graph=True)
    src = draw_graph(loss, model=model, direction="backward", formulas=True).source
    assert re.search(r"n2 -> o3 \[label=<<I>bias</I><BR/>\[4\., 4\., 0\.\]> ", src)
    assert "∂L/∂W = Gᵀ·x" in src and "∂/∂x = 2·x" in src
    assert "the gradient that edge adds to its input" in src


def test_broadcast_gradients_are_summed_back():
    x = Tensor(np.ones((4, 3)), requires_grad=True, label="x")
    b = Tensor(np.zeros(3), requires_grad=True, label="b")
    y = (x + b).sum()
    y.backward(retain_graph=True)
    src = draw_graph(y).source
    assert "grad [4., 4., 4.]" in label_of(src, "n1")  # summed over the 4 broadcast rows


def test_names_mapping_and_highlight_on_tensors():
    model, x, loss = small_mlp()
    loss.backward(retain_graph=True)
    names = dict(model.named_parameters())  # {name: tensor} works as well as {tensor: name}
    src = draw_graph(loss, names=names, highlight=model[2].weight).source
    assert "<B>2.weight</B>" in label_of(src, "n5")
    assert 'COLOR="#c0c0c0"' in label_of(src, "n1")  # first layer: not on the path
    assert 'n5 -> o7 [label=<<I>weight</I>> color="#db2777"' in src


def test_flags_on_tensors():
    x = Tensor([-1.0, -2.0], requires_grad=True, label="x")
    y = x.relu().sum()
    y.backward(retain_graph=True)
    src = draw_graph(y).source
    assert "dead: no gradient passes" in label_of(src, "o1")
    assert 'BGCOLOR="#d1d5db"' in label_of(src, "n0")  # all-zero gradient
    z = Tensor([1.0, 0.0], requires_grad=True, label="z")
    with np.errstate(all="ignore"):
        w = z.sqrt().sum()  # d sqrt / dx at 0 is inf
        w.backward(retain_graph=True)
        src = draw_graph(w).source
    assert 'BGCOLOR="#fecaca"' in label_of(src, "n0")


def test_backward_steps_on_tensors():
    model, x, loss = small_mlp()
    pics = [p.source for p in backward_steps(loss, model=model)]
    assert len(pics) == 1 + 6  # the seed, then mean, **2, - const, linear, relu, linear
    assert "grad [[4., 8.],<BR/> [4., 8.],<BR/> [0., 0.]]" in label_of(pics[-1], "n1")
    assert model[0].weight.grad is None  # paging through changed nothing


def test_to_text_on_tensors():
    model, x, loss = small_mlp()
    loss.backward(retain_graph=True)
    lines = to_text(loss, model=model).splitlines()
    assert lines[0] == "loss  () float32  4.  grad 1  <- mean()"
    assert "0.weight  (3, 2) float32" in "\n".join(lines)
    assert lines[-1] == "         └─ 2.bias  (1,) float32  [0.]  grad 4  (parameter)"


def test_deep_tensor_model_collapses_per_module_and_flags_vanishing():
    model = nn.MLP([8] + [16] * 40 + [2])
    x = Tensor(np.ones((4, 8), np.float32), label="x")
    loss = model(x).sum()
    loss.backward(retain_graph=True)
    src = draw_graph(loss, model=model, max_nodes=60).source
    assert len(node_ids(src)) <= 60
    assert "<I>Linear</I>" in src and "272 parameters" in src  # 16 * 16 + 16
    assert "vanishing" in src  # forty ReLU layers with default init starve the first ones


def test_non_scalar_root_is_seeded_with_ones():
    x = Tensor(np.ones(3), requires_grad=True, label="x")
    y = x * 3.0
    src = draw_graph(y, grads=True).source
    assert "grad [3., 3., 3.]" in label_of(src, "n0")


def test_drawing_reads_the_graph_and_changes_nothing():
    model, x, loss = small_mlp()
    loss.backward(retain_graph=True)
    before = {n: p.grad.copy() for n, p in model.named_parameters()}
    draw_graph(loss, model=model, direction="backward")
    list(backward_steps(loss, model=model))
    to_text(loss, model=model)
    for n, p in model.named_parameters():
        np.testing.assert_array_equal(p.grad, before[n])
    loss.backward()  # the graph is still whole: drawing freed nothing
    for n, p in model.named_parameters():
        np.testing.assert_array_equal(p.grad, 2 * before[n])
    with pytest.raises(RuntimeError, match="already used by a backward pass"):
        loss.backward()


def test_grads_made_with_create_graph():
    model, x, loss = small_mlp()
    loss.backward(create_graph=True)  # .grad are Tensors with their own graph
    src = draw_graph(loss, model=model).source
    assert "grad [[4., 8.],<BR/> [4., 8.],<BR/> [0., 0.]]" in label_of(src, "n1")


def test_column_vectors_print_as_transposed_rows():
    w = Tensor(np.array([[1.0], [2.0], [3.0]]), requires_grad=True, label="w")
    y = (w * 2.0).sum()
    y.backward(retain_graph=True)
    text = label_of(draw_graph(y).source, "n0")
    assert "[1., 2., 3.]ᵀ" in text and "grad [2., 2., 2.]ᵀ" in text


def test_a_leaf_shows_this_graphs_gradient_not_one_accumulated_from_another_graph():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()  # w.grad = [3, 3], from another graph
    y = (w * 5).sum()
    y.backward(retain_graph=True)  # w.grad accumulates to [8, 8]; this graph's d y / d w is [5, 5]
    source = draw_graph(y).source
    assert "grad [5., 5.]" in source
    assert "grad [8., 8.]" not in source and "grad [3., 3.]" not in source
