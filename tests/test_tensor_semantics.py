"""Tensor behaviour beyond single ops: construction and dtypes, leaves and .grad, backward
semantics as PyTorch has them, higher order, in-place edit detection, anomaly mode, errors."""

from __future__ import annotations

import gc
import re
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, Value, detect_anomaly, enable_grad, grad, gradcheck, no_grad


def leaf(data, dtype=np.float64):
    return Tensor(np.asarray(data, dtype=dtype), requires_grad=True)


# construction and dtypes ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "dtype"),
    [
        ([1, 2, 3], np.int64),  # as torch.as_tensor: int64, bool, int64, int32
        ([True, False], np.bool_),
        (3, np.int64),
        (2.5, np.float64),  # torch: float32; Python floats are float64 here (DESIGN.md)
        (np.arange(3, dtype=np.int32), np.int32),
        (np.ones(2, np.float32), np.float32),
        (np.ones(2, np.float16), np.float16),
    ],
)
def test_construction_dtype_rules(data, dtype):
    assert Tensor(data).dtype == dtype


def test_dtype_argument_wins():
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor([1.7, 2.2], dtype=np.int64).dtype == np.int64


def test_only_float_tensors_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        Tensor([1, 2], dtype=np.int64, requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        Tensor([1, 2], dtype=np.int64).requires_grad_()


def test_bad_data_is_refused_clearly():
    with pytest.raises(ValueError, match="rectangular"):
        Tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="complex"):
        Tensor([1 + 2j])
    with pytest.raises(TypeError, match="Value"):
        Tensor(Value(1.0))
    with pytest.raises(TypeError, match="Value"):
        Tensor([1.0]) + Value(2.0)


def test_wrapping_shares_an_input_array_and_copies_a_parameter():
    x = np.ones(3)
    assert Tensor(x).data is x
    w = Tensor(x, requires_grad=True)
    w.data -= 1
    assert x[0] == 1.0  # training a parameter never changes the caller's array


def test_float32_network_stays_float32_end_to_end():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((5, 3)).astype(np.float32))
    w = Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(4, np.float32), requires_grad=True)
    h = ((x @ w + b).relu() * 0.5 - 1.0) / 3.0
    loss = (h.sigmoid() ** 2).mean() + h.tanh().var() + h.logsumexp(axis=1).sum() * 1e-3
    loss = loss + (1.0 - h.softmax(axis=1)).max() + (2.0**h).mean() + h.exp().log().abs().sqrt().sum()
    assert loss.dtype == np.float32
    loss.backward()
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32


def test_mixed_dtypes_follow_numpy_and_grads_keep_each_inputs_dtype():
    a, b = leaf([1.0, 2.0], np.float32), leaf([3.0, 4.0], np.float64)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad, [3.0, 4.0])


def test_numpy_operands_on_either_side():
    x = leaf([1.0, 2.0])
    arr = np.array([10.0, 20.0])
    for y in (arr + x, arr * x, arr - x, arr / x, x @ arr, arr @ x, np.float64(2.0) * x):
        assert isinstance(y, Tensor)
    (arr - x).sum().backward()
    np.testing.assert_allclose(x.grad, [-1.0, -1.0])


def test_properties_and_conversions():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], label="t")
    assert t.shape == (2, 2) and t.ndim == 2 and t.size() == (2, 2) and t.numel() == 4 and len(t) == 2
    assert t.numpy() is t.data
    assert Tensor([3.5]).item() == 3.5 and float(Tensor(2.0)) == 2.0
    with pytest.raises(ValueError, match="4 elements"):
        t.item()
    assert np.asarray(t) is t.data
    assert [r.data.tolist() for r in t] == [[1.0, 2.0], [3.0, 4.0]]
    assert "label='t'" in repr(t) and "Tensor(" in repr(t)
    assert "float32" in repr(Tensor([1.0], dtype=np.float32))


def test_comparisons_and_argmax_carry_no_gradient():
    x = leaf([[1.0, 5.0, 3.0], [7.0, 0.0, 7.0]])
    for c in (x > 2, x >= 2, x < 2, x <= 2, x == 7, x != 7, x > Tensor([1.0, 9.0, 0.0])):
        assert c.dtype == bool and not c.requires_grad
    np.testing.assert_array_equal((x == 7).data, [[False, False, False], [True, False, True]])
    assert x.argmax(axis=1).data.tolist() == [1, 0]  # the first of tied maxima
    assert x.argmin().item() == 4
    assert not x.argmax().requires_grad
    assert {x: 1}[x] == 1  # still hashable


# leaves, .grad, detach --------------------------------------------------------------------
def test_only_leaves_and_retained_nodes_keep_grad():
    x = leaf([1.0, 2.0])
    h = x * 3
    k = h * 2
    k.retain_grad()
    assert x.is_leaf and not h.is_leaf and h.op == "*" and h.parents[0] is x
    k.sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(k.grad, [1.0, 1.0])
    np.testing.assert_allclose(x.grad, [6.0, 6.0])
    assert not h.is_leaf and h.op == "*"  # still the result of an op, though backward freed its graph


def test_leaf_grads_accumulate_and_can_be_reset():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [4.0, 8.0])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_micrograd_style_training_loop():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((20, 3)))
    y = x.data @ np.array([1.0, -2.0, 0.5])
    w = Tensor(np.zeros(3), requires_grad=True)
    for _ in range(200):
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        w.data -= 0.1 * w.grad
        w.grad = None
    np.testing.assert_allclose(w.data, [1.0, -2.0, 0.5], atol=1e-3)


def test_detach_and_requires_grad_():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert d.is_leaf and not d.requires_grad and d.grad is None
    np.testing.assert_allclose(d.data, [2.0, 4.0])
    d.requires_grad_()
    (d * d).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(d.grad, [4.0, 8.0])
    with pytest.raises(RuntimeError, match="only leaves"):
        (x * 2).requires_grad_(False)


def test_no_gradient_is_stored_twice():
    """A rule may hand one array to two parents (add); .grad arrays must never alias."""
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    seed = np.ones(2)
    h = a + b
    h.retain_grad()
    (h + 0.0).backward(seed)
    arrays = [a.grad, b.grad, h.grad, seed]
    for i in range(len(arrays)):
        for j in range(i):
            assert not np.shares_memory(arrays[i], arrays[j])
    a.grad *= 10  # an optimizer working in place touches only a
    np.testing.assert_allclose(b.grad, [1.0, 1.0])


def test_grads_through_views_are_writeable_and_unshared():
    w = leaf(np.arange(6.0))
    y = (w.reshape(2, 3).T * 1.0).sum() + w.sum() * 0
    y.backward()
    assert w.grad.flags.writeable and w.grad.shape == (6,)
    v = leaf([1.0, 2.0])
    v.sum().backward()  # the sum's gradient is a broadcast: copied before it is kept
    assert v.grad.flags.writeable and v.grad.flags.owndata
    a, b = leaf(np.ones((2, 2))), leaf(np.ones((3, 2)))
    ag.cat([a, b]).sum().backward()  # two slices of one array
    assert not np.shares_memory(a.grad, b.grad)


def test_weight_of_x_at_w_transposed_gets_a_contiguous_grad():
    """nn.Linear computes x @ W.T: W.grad arrives without a copy, C-contiguous."""
    x = Tensor(np.ones((5, 3)))
    w = leaf(np.ones((4, 3)))
    (x @ w.T).sum().backward()
    assert w.grad.flags.c_contiguous and w.grad.flags.writeable
    np.testing.assert_allclose(w.grad, 5 * np.ones((4, 3)))


# backward semantics ---------------------------------------------------------------------
def test_backward_of_non_scalar_needs_gradient():
    x = leaf([[1.0, 2.0]])
    with pytest.raises(RuntimeError, match=re.escape("shape (1, 2)")):
        (x * 2).backward()
    (x * 2).backward(np.array([[1.0, 10.0]]))
    np.testing.assert_allclose(x.grad, [[2.0, 20.0]])


def test_gradient_of_wrong_shape_or_dtype_is_refused():
    x = leaf([1.0, 2.0])
    with pytest.raises(
        RuntimeError, match=re.escape("gradient has shape (3,) but the output has shape (2,)")
    ):
        (x * 2).backward(np.ones(3))
    with pytest.raises(TypeError, match="float32"):
        (x * 2).backward(np.ones(2, np.float32))
    (x * 2).backward([1, 1])  # a list takes the output's dtype


def test_second_backward_needs_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    x.grad = None
    z = (x.exp() * 2).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad, 4 * np.exp([1.0, 2.0]))


def test_backward_without_any_input_that_requires_grad():
    y = Tensor([1.0, 2.0]).sum()
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        y.backward()
    with no_grad():
        z = (leaf([1.0]) * 2).sum()
    assert not z.requires_grad
    with pytest.raises(RuntimeError, match="no_grad"):
        z.backward()


def test_no_grad_and_enable_grad():
    x = leaf([1.0, 2.0])
    with no_grad():
        y = x * 2
        with enable_grad():
            z = x * 2
    assert not y.requires_grad and y.is_leaf and y.parents == ()
    assert z.requires_grad and z.parents == (x,)


def test_autograd_grad_leaves_dot_grad_untouched():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = (x * w).sum()
    gx, gw = grad(y, [x, w])
    assert isinstance(gx, Tensor) and not gx.requires_grad
    np.testing.assert_allclose(gx.data, [3.0, 4.0])
    np.testing.assert_allclose(gw.data, [1.0, 2.0])
    assert x.grad is None and w.grad is None
    u = leaf([0.0])
    with pytest.raises(RuntimeError, match="allow_unused"):
        grad((x * 2).sum(), [x, u])
    assert grad((x * 2).sum(), [x, u], allow_unused=True)[1] is None


def test_hessian_vector_product():
    """f = sum(x^3) / 3 + (x0 x1): H = diag(2x) + [[0, 1], [1, 0]]."""
    x = leaf([1.5, -2.0])
    f = (x**3).sum() / 3 + x[0] * x[1]
    (g,) = grad(f, [x], create_graph=True)
    np.testing.assert_allclose(g.data, [1.5**2 - 2.0, 4.0 + 1.5])
    v = np.array([1.0, 0.5])
    (hv,) = grad((g * v).sum(), [x])
    np.testing.assert_allclose(hv.data, np.array([[3.0, 1.0], [1.0, -4.0]]) @ v)


def test_backward_create_graph_gives_differentiable_grads():
    x = leaf([0.5, 1.0])
    y = x.tanh().sum()
    y.backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and x.grad.requires_grad
    (g2,) = grad(x.grad.sum(), [x])
    t = np.tanh([0.5, 1.0])
    np.testing.assert_allclose(g2.data, -2 * t * (1 - t**2))


def test_third_order():
    x = leaf([0.7])
    y = x.exp() * x  # y''' = e^x (x + 3)
    (g1,) = grad(y.sum(), [x], create_graph=True)
    (g2,) = grad(g1.sum(), [x], create_graph=True)
    (g3,) = grad(g2.sum(), [x])
    np.testing.assert_allclose(g3.data, np.exp(0.7) * 3.7)


def test_grad_with_respect_to_the_seed():
    x = leaf([1.0, 2.0])
    v = leaf([3.0, 5.0])
    (g,) = grad((x * x).sum() * 1.0 + 0 * x.sum(), [x], create_graph=True)  # g = 2x
    (gv,) = grad(x * x, [x], v, create_graph=True)  # v * 2x
    (d,) = grad(gv.sum(), [v])
    np.testing.assert_allclose(d.data, [2.0, 4.0])
    np.testing.assert_allclose(g.data, [2.0, 4.0])


def test_value_and_tensor_share_the_engine():
    a = Value(2.0)
    (ga,) = grad(a * a * a, [a], create_graph=True)
    (gga,) = grad(ga, [a])
    assert gga == pytest.approx(12.0)
    assert ag.topological_order((leaf([1.0]) * 2).sum())[-1].op == "sum"


# ties and numerical stability ------------------------------------------------------------
def test_tied_maxima_share_the_gradient_equally():
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    y = leaf([1.0, 3.0, 3.0])
    y.min().backward()
    np.testing.assert_allclose(y.grad, [1.0, 0.0, 0.0])


def test_maximum_ties_split_the_gradient_as_pytorch():
    a, b = leaf([1.0, 2.0, 3.0]), leaf([1.0, 5.0, 0.0])
    ag.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad, [0.5, 0.0, 1.0])
    np.testing.assert_allclose(b.grad, [0.5, 1.0, 0.0])


def test_stable_for_large_inputs():
    big = leaf([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with detect_anomaly():
        s = big.sigmoid()
        np.testing.assert_allclose(s.data, [0.0, 1 / (1 + np.exp(30.0)), 0.5, 1 / (1 + np.exp(-30.0)), 1.0])
        s.sum().backward()
        assert np.isfinite(big.grad).all()
        for op in (lambda t: t.softmax(), lambda t: t.log_softmax(), lambda t: t.logsumexp()):
            out = op(big)
            assert np.isfinite(out.data).all()
            out.sum().backward()
            assert np.isfinite(big.grad).all()
    np.testing.assert_allclose(big.logsumexp().data, 1000.0)
    np.testing.assert_allclose(big.log_softmax().data[-1], 0.0, atol=1e-12)


def test_repeated_indices_accumulate():
    x = leaf([10.0, 20.0, 30.0])
    x[[0, 2, 2, 2]].sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 0.0, 3.0])


# in-place edits ----------------------------------------------------------------------------
def test_assigning_data_after_forward_is_detected():
    w, x = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = (w * x).sum()
    w.data -= 0.1  # the micrograd-style update, but before backward
    with pytest.raises(RuntimeError, match=r"op '\*'.*assigned after the op ran"):
        y.backward()
    assert x.grad is None  # refused before any gradient was written
    z = (w * x).sum()  # a fresh forward pass sees the new data
    z.backward()
    np.testing.assert_allclose(x.grad, [0.9, 1.9])


def test_rebinding_data_of_a_leaf_used_deep_in_a_graph_is_detected():
    w = leaf([1.0, 2.0])
    h = (w * 2).exp()
    w.data = np.array([5.0, 5.0])
    y = (h * 3).sum()  # made after the change, from h made before it
    with pytest.raises(RuntimeError, match="assigned after"):
        y.backward()


def test_changing_the_result_of_an_op_in_place_is_detected():
    x = leaf([1.0, -1.0])
    h = x.exp()
    y = (h * 2).sum()
    with pytest.raises(RuntimeError, match="op 'exp' was changed in place"):
        h.data -= 1
    with pytest.raises(RuntimeError, match="assigned after the op ran"):
        y.backward()  # the product read the old h
    with pytest.raises(RuntimeError, match="changed in place after the op ran"):
        h.sum().backward()  # exp's own rule would read the changed output
    with pytest.raises(RuntimeError, match="op 'exp'"):
        x.exp().data = np.zeros(2)  # rebinding is refused before anything changes


def test_in_place_operators_follow_pytorch():
    w = leaf([1.0, 2.0])
    keep = w
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 1.0
    y = (w * w).sum()
    y.backward(retain_graph=True)
    with no_grad():
        w -= 0.5 * w.grad  # the optimizer step PyTorch users write
    assert w is keep and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.data, [0.0, 0.0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()  # the retained graph used the old values of w
    h = w * 2
    h2 = h
    h += 1.0  # a result of an op: out of place, a new node
    assert h is not h2 and h.op == "+"
    c = Tensor([1.0, 2.0])
    c *= 3
    np.testing.assert_allclose(c.data, [3.0, 6.0])
    with pytest.raises(TypeError, match="item assignment"):
        w[0] = 1.0


# anomaly mode --------------------------------------------------------------------------------
def test_anomaly_names_the_forward_op_and_where_it_was_made():
    x = leaf([1.0, -1.0])
    with detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"op 'log'.*test_tensor_semantics.py:\d+") as e:
            with np.errstate(invalid="ignore"):
                x.log()
    assert "1 nan" in str(e.value)
    with np.errstate(invalid="ignore"):
        assert np.isnan(x.log().data[1])  # without anomaly mode, numpy's nan comes through


def test_anomaly_names_the_backward_op():
    x = leaf([0.0, 4.0])
    with detect_anomaly():
        y = x.sqrt().sum()  # finite forward; d sqrt / dx at 0 is inf
        with pytest.raises(
            FloatingPointError, match=r"backward of op 'sqrt' \(created at test_tensor_semantics"
        ):
            with np.errstate(divide="ignore"):
                y.backward()


def test_anomaly_lets_propagated_infinities_through():
    x = leaf([1.0, 2.0])
    with detect_anomaly():
        masked = ag.where(np.array([True, False]), x, -np.inf)  # a deliberate -inf mask
        p = masked.softmax()
        np.testing.assert_allclose(p.data, [1.0, 0.0])
        p[0].backward()
        np.testing.assert_allclose(x.grad, [0.0, 0.0])


# errors name the op and the shapes -------------------------------------------------------------
@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (
            lambda: leaf(np.ones((3, 4))) @ leaf(np.ones((5, 2))),
            "matmul: (3, 4) @ (5, 2): inner sizes 4 and 5 differ",
        ),
        (lambda: leaf(np.ones((2, 3, 4))) @ leaf(np.ones((3, 4, 2))), "batch dimensions (2,) and (3,)"),
        (lambda: leaf(np.ones(3)) @ leaf(np.ones(())), "at least one dimension"),
        (lambda: leaf(np.ones((3, 4))) + leaf(np.ones(5)), "+: shapes (3, 4) and (5,) do not broadcast"),
        (lambda: leaf(np.ones((3, 4))) * np.ones((2, 4)), "*: shapes (3, 4) and (2, 4)"),
        (
            lambda: leaf(np.ones((3, 4))).reshape(5, 2),
            "reshape: cannot reshape (3, 4) (12 elements) into (5, 2)",
        ),
        (
            lambda: leaf(np.ones((3, 4)))[3],
            "index 3 is out of bounds for axis 0 with size 3 (tensor of shape (3, 4))",
        ),
        (
            lambda: leaf(np.ones((3, 4))).sum(axis=2),
            "sum: axis 2 is out of range for a tensor with 2 dimensions",
        ),
        (
            lambda: leaf(np.ones((3, 4))).permute(0, 0),
            "permute: dims (0, 0) must name each of the 2 dimensions",
        ),
        (lambda: ag.cat([leaf(np.ones((2, 3))), leaf(np.ones((2, 4)))]), "cat: shapes (2, 3), (2, 4)"),
        (lambda: ag.stack([leaf(np.ones(2)), leaf(np.ones(3))]), "stack: all tensors must have one shape"),
        (lambda: leaf(np.ones((0, 2))).max(), "empty"),
        (lambda: ag.where(np.ones(3, bool), leaf(np.ones(2)), 0.0), "where: condition (3,)"),
        (lambda: leaf(np.ones(2)) / 0, "division by the number 0"),
        (lambda: leaf(np.ones(2)).clip(), "clip: give lo, hi or both"),
        (lambda: leaf(np.ones((2, 3))).argmax(axis=2), "argmax: axis 2 is out of range"),
    ],
)
def test_errors_name_the_op_and_shapes(fn, message):
    with pytest.raises((ValueError, IndexError, ZeroDivisionError)) as e:
        fn()
    assert message in str(e.value)


# memory and depth ---------------------------------------------------------------------------
def test_graph_is_freed_by_reference_counting_alone():
    gc.disable()
    try:
        x = leaf(np.ones(3))
        h = (x * 2).exp()
        probe = weakref.ref(h)
        y = (h @ np.ones(3)).sum()
        y.backward()
        del h, y
        assert probe() is None
    finally:
        gc.enable()


def test_backward_frees_what_only_the_graph_held_and_keeps_what_the_caller_holds():
    gc.disable()
    try:
        x = leaf(np.ones((2, 3)))
        w = leaf(np.ones((3, 4)))
        out = (x @ w + 1.0).relu()
        probe = weakref.ref(out.parents[0])  # x @ w + 1: no name but the graph's
        loss = out.sum()
        loss.backward()
        assert probe() is None  # gone during backward, while loss and out still live
        np.testing.assert_allclose(out.data, np.full((2, 4), 4.0))  # the caller's still hold data
        assert loss.item() == 32.0 and out.op == "relu" and not out.is_leaf
        loss = (x @ w).sum()
        probe = weakref.ref(loss.parents[0])
        loss.backward(retain_graph=True)
        assert probe() is not None  # kept, for another backward or a drawing
    finally:
        gc.enable()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rules_that_skip_the_unbroadcast_step_give_arrays_of_each_parents_shape_and_dtype(dtype):
    from autograd.fused import linear, softmax_cross_entropy

    for shape in [(), (3,), (2, 3)]:  # relu: numpy gives a bool scalar for the 0-d mask
        x = leaf(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape), dtype)
        x.relu().sum().backward()
        assert x.grad.__class__ is np.ndarray and x.grad.shape == shape and x.grad.dtype == dtype
    x, w, b = leaf(np.ones((4, 3)), dtype), leaf(np.ones((2, 3)), dtype), leaf(np.ones(2), dtype)
    softmax_cross_entropy(linear(x, w, b), None, np.array([0, 1, 1, 0]), "mean").backward()
    for t in (x, w, b):
        assert t.grad.shape == t.shape and t.grad.dtype == dtype
    other = np.float64 if dtype == np.float32 else np.float32
    xo = leaf(np.ones((4, 3)), other)  # mixed dtypes: composed ops, gradients cast back
    out = linear(xo, w, b)
    assert out.op != "linear"
    w.grad = b.grad = None
    out.sum().backward()
    assert w.grad.dtype == dtype and b.grad.dtype == dtype and xo.grad.dtype == other


def test_long_chain_backward_at_default_recursion_limit():
    x = leaf([1.0])
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001**20_000])


# gradcheck ------------------------------------------------------------------------------------
def test_gradcheck_wants_float64_tensors():
    x = leaf([1.0, 2.0], np.float32)
    with pytest.raises(TypeError, match="float32.*float64"):
        gradcheck(lambda t: t.exp().sum(), [x])


def test_gradcheck_failure_names_input_element_and_values():
    from autograd.tensor import _make

    def bad_square(t):  # d/dx x^2 claimed to be 2x + 1 at element 1 only
        return _make(
            t.data**2,
            t,
            None,
            "bad_square",
            lambda ctx, g, out, a: (g * (2 * a + np.array([0.0, 1.0, 0.0])),),
        )

    x = leaf([1.0, 2.0, 3.0])
    x.label = "x"
    with pytest.raises(
        ag.GradcheckError, match=r"input 0 \('x'\), element \(1,\) of output element 1: analytic 5"
    ):
        gradcheck(bad_square, [x])
    assert gradcheck(bad_square, [x], raise_exception=False) is False


def test_gradgradcheck_catches_a_first_derivative_that_is_not_differentiable():
    from autograd.tensor import _make

    def stiff_sin(t):  # right first derivative, but cos(x) taken as a constant
        return _make(
            np.sin(t.data),
            t,
            None,
            "sin",
            lambda ctx, g, out, a: (g * np.cos(a.data if isinstance(a, Tensor) else a),),
        )

    x = leaf([0.3, 1.1])
    assert gradcheck(lambda t: stiff_sin(t).sum(), [x])
    with pytest.raises(ag.GradcheckError, match="gradgradcheck"):
        ag.gradgradcheck(lambda t: stiff_sin(t).sum(), [x])


def test_numerical_grad_for_values_and_tensors():
    a, b = Value(0.5), Value(-1.5)
    ga, gb = ag.numerical_grad(lambda a, b: (a * b).tanh(), [a, b])
    t = np.tanh(-0.75)
    assert ga == pytest.approx((1 - t**2) * -1.5, rel=1e-6) and gb == pytest.approx(
        (1 - t**2) * 0.5, rel=1e-6
    )
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    (gx, none) = ag.numerical_grad(lambda x, c: (x * x * c).sum(), [x, 3.0])
    assert none is None
    np.testing.assert_allclose(gx, 6 * x.data, rtol=1e-6)
    with pytest.raises(ValueError, match="grad_output"):
        ag.numerical_grad(lambda x: x * 2, [x])
    (gw,) = ag.numerical_grad(lambda x: x * 2, [x], grad_output=np.ones((2, 2)))
    np.testing.assert_allclose(gw, 2 * np.ones((2, 2)), rtol=1e-6)
    assert gradcheck(lambda a, b: (a * b + a**2).tanh(), [a, b])


def test_deepcopy_and_pickle_copy_a_leaf_with_its_grad_and_refuse_a_graph_node():
    import copy
    import pickle

    w = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True, label="w")
    (w * w).sum().backward()
    for clone in (copy.deepcopy(w), pickle.loads(pickle.dumps(w))):
        assert type(clone) is Tensor and clone.requires_grad and clone.label == "w"
        np.testing.assert_array_equal(clone.data, w.data)
        np.testing.assert_array_equal(clone.grad, 2 * w.data)  # d(sum w^2)/dw = 2w
        assert not np.shares_memory(clone.data, w.data) and not np.shares_memory(clone.grad, w.grad)
    with pytest.raises(RuntimeError, match=r"op '\*'.*only leaves.*detach"):
        copy.deepcopy(w * 2)


def test_deepcopy_of_a_model_is_independent_and_keeps_parameters():
    import copy

    import nn

    nn.manual_seed(0)
    model = nn.MLP([3, 4, 2])
    before = model[0].weight.data.copy()
    snapshot = copy.deepcopy(model)
    assert all(type(p) is nn.Parameter for p in snapshot.parameters())
    model[0].weight.data += 1.0
    np.testing.assert_array_equal(snapshot[0].weight.data, before)
    np.testing.assert_array_equal(model[0].weight.data, before + 1.0)


def test_second_order_through_an_nn_parameter():
    """Rules dispatch on Tensor subclasses too: an nn.Parameter parent under create_graph=True
    (abs raised "operand 'Parameter' does not support ufuncs"). References are the math."""
    import nn

    x = np.array([1.0, -2.0, 3.0])
    p = nn.Parameter(x.copy())
    (g,) = grad(abs(p).sum(), [p], create_graph=True)
    np.testing.assert_array_equal(g.data, np.sign(x))
    (g,) = grad((p * p).exp().sum(), [p], create_graph=True)
    np.testing.assert_allclose(g.data, 2 * x * np.exp(x * x), rtol=1e-12)
    (h,) = grad(g.sum(), [p])
    np.testing.assert_allclose(h.data, (2 + 4 * x * x) * np.exp(x * x), rtol=1e-12)
    q = nn.Parameter(np.array([0.5, 2.0]))
    (g,) = grad(q.log().sum(), [q], create_graph=True)
    (h,) = grad(g.sum(), [q])
    np.testing.assert_allclose(h.data, -1 / np.array([0.5, 2.0]) ** 2, rtol=1e-12)
