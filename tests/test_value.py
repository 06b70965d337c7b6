"""Value: gradients against central differences, PyTorch and published figures."""

from __future__ import annotations

import gc
import math
import random
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, enable_grad, grad, no_grad
from tests.value_ops import VALUE_OPS

IDS = [row[0] for row in VALUE_OPS]


def central_difference(fn, xs, i, eps=1e-6):
    """(f(x + eps e_i) - f(x - eps e_i)) / 2 eps, evaluated on plain floats."""
    up = list(xs)
    down = list(xs)
    up[i] += eps
    down[i] -= eps
    return (fn(*up) - fn(*down)) / (2 * eps)


def sample(row, seed):
    rng = random.Random(seed)
    return [draw(rng) for draw in row[3]]


@pytest.mark.parametrize("row", VALUE_OPS, ids=IDS)
@pytest.mark.parametrize("seed", range(5))
def test_forward_matches_float_math(row, seed):
    name, arity, fn, _ = row
    xs = sample(row, seed)
    assert fn(*[Value(x) for x in xs]).data == pytest.approx(_float_fn(name, fn)(*xs), rel=1e-12)


@pytest.mark.parametrize("row", VALUE_OPS, ids=IDS)
@pytest.mark.parametrize("seed", range(5))
def test_gradient_matches_central_difference(row, seed):
    name, arity, fn, _ = row
    xs = sample(row, seed)
    vs = [Value(x) for x in xs]
    fn(*vs).backward()
    for i, v in enumerate(vs):
        expected = central_difference(_float_fn(name, fn), xs, i)
        assert v.grad == pytest.approx(expected, rel=1e-5, abs=1e-7), (name, i)


@pytest.mark.parametrize("row", VALUE_OPS, ids=IDS)
def test_second_derivative_matches_central_difference_of_first(row):
    name, arity, fn, _ = row
    xs = sample(row, 7)

    def first(*args):
        vs = [Value(a) for a in args]
        return grad(fn(*vs), vs[0])[0]

    vs = [Value(x) for x in xs]
    (g,) = grad(fn(*vs), vs[0], create_graph=True)
    if g.requires_grad:
        (h,) = grad(g, vs[0], allow_unused=True)
    else:  # the first derivative is a constant: the second is 0
        h = 0.0
    assert (h or 0.0) == pytest.approx(central_difference(first, xs, 0, eps=1e-5), rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("row", VALUE_OPS, ids=IDS)
def test_matches_pytorch_float64(row):
    torch = pytest.importorskip("torch")
    name, arity, fn, _ = row
    xs = sample(row, 11)
    vs = [Value(x) for x in xs]
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out, ref = fn(*vs), fn(*ts)
    out.backward()
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-12)
    for v, t in zip(vs, ts):
        assert v.grad == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-12)


def _float_fn(name, fn):
    """The row's function on plain floats, where Value methods have math counterparts."""
    methods = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "tanh": math.tanh}
    if name in methods:
        return lambda a: methods[name](a)
    if name == "sigmoid":
        return lambda a: 1 / (1 + math.exp(-a))
    if name == "relu":
        return lambda a: max(a, 0.0)
    return fn


# the micrograd README expression, with its published figures -----------------------------
def test_micrograd_readme_expression():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert round(g.data, 4) == 24.7041
    assert round(a.grad, 4) == 138.8338
    assert round(b.grad, 4) == 645.5773


# graph structure and accumulation --------------------------------------------------------
def test_reused_intermediate_counts_every_path():
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert (a.grad, b.grad, c.grad) == (4.0, 2.0, 1.0)


def test_x_times_x_keeps_both_parents():
    x = Value(3.0)
    y = x * x
    assert y.parents == (x, x)
    y.backward()
    assert x.grad == 6.0


def test_leaves_accumulate_and_intermediates_show_this_pass():
    x = Value(2.0)
    h = x * 3
    y = h * h
    y.backward()
    y.backward()
    assert x.grad == 2 * (2 * 6.0 * 3)  # two passes accumulate on the leaf
    assert h.grad == 12.0  # the intermediate holds one pass's gradient
    x.grad = 0.0
    y.backward()
    assert x.grad == 36.0


def test_grad_returns_without_touching_dot_grad():
    x = Value(0.5)
    y = x.tanh() * x
    (gx,) = grad(y, [x])
    assert x.grad == 0.0
    t = math.tanh(0.5)
    assert gx == pytest.approx((1 - t * t) * 0.5 + t)


def test_grad_of_unused_input_needs_allow_unused():
    x, z = Value(1.0), Value(2.0)
    y = x * 2
    with pytest.raises(RuntimeError, match="not used"):
        grad(y, [x, z])
    assert grad(y, [x, z], allow_unused=True) == (2.0, None)


def test_op_and_parents_and_repr():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    assert c.op == "*" and c.parents == (a, b) and c.data == -6.0
    assert "label='a'" in repr(a) and "op='*'" in repr(c)
    assert a.parents == () and a.is_leaf and not c.is_leaf


def test_op_names_as_micrograd_shows_them():
    x, y = Value(2.0), Value(3.0)
    names = {
        "+": x + y,
        "*": x * y,
        "**2": x**2,
        "**0.5": x**0.5,
        "**-1": x**-1,
        "**": x**y,
        "exp": x.exp(),
        "log": x.log(),
        "sqrt": x.sqrt(),
        "tanh": x.tanh(),
        "sigmoid": x.sigmoid(),
        "relu": x.relu(),
        "abs": abs(x),
    }
    assert {name: v.op for name, v in names.items()} == {name: name for name in names}
    assert (x / y).op == "*" and (x / y).parents[1].op == "**-1"  # micrograd's a * b**-1
    assert x.op == "" and Value(1.0, label="w").op == ""
    with no_grad():
        assert (x * y).op == ""  # no graph recorded: no op, no parents


def test_deep_chain_runs_backward_at_default_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1e-6
    y.backward()
    assert x.grad == 1.0
    assert y.data == pytest.approx(2.0)


def _live_values() -> int:
    """Value objects alive now (the collector lists every tracked object even when disabled;
    Value has no weakref slot: one slot fewer for the collector to walk per node)."""
    return sum(1 for o in gc.get_objects() if type(o) is Value)


def test_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        before = _live_values()
        x = Value(1.5)
        h = (x * x).tanh()
        y = h.exp() + h
        y.backward()
        assert _live_values() == before + 5  # x, x*x, tanh, exp, +
        del h, y
        assert _live_values() == before + 1  # only x: no cycle kept the graph alive
        assert x.grad == pytest.approx((1 - math.tanh(2.25) ** 2) * 3.0 * (math.exp(math.tanh(2.25)) + 1))
    finally:
        gc.enable()


class _WeaklyReferable(Value):
    """Value itself has no weakref slot; a leaf of this kind lets a test watch a graph die."""

    __slots__ = ("__weakref__",)


def test_graph_is_freed_by_reference_counting_alone_watched_by_a_weakref():
    gc.collect()
    gc.disable()
    try:
        x = _WeaklyReferable(1.5)
        h = (x * x).tanh()
        y = h.exp() + h
        y.backward()
        probe = weakref.ref(x)
        del x, h, y  # every node of the graph holds x through its parents
        assert probe() is None  # a cycle anywhere in the graph would keep x alive
    finally:
        gc.enable()


def test_a_pass_that_fails_half_way_changes_no_leaf_and_leaves_no_stale_state():
    x, y = Value(0.0), Value(2.0)
    s = y * y
    bad = x.sqrt() * s  # d sqrt(x)/dx is infinite at 0: the pass raises after visiting s
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        bad.backward()
    assert x.grad == 0.0 and y.grad == 0.0  # leaves get their gradients only at the end
    good = s + y  # shares s with the failed pass
    good.backward()
    assert y.grad == 5.0  # d(y*y + y)/dy = 2y + 1
    assert s.grad == 1.0


def test_no_grad_and_enable_grad():
    x = Value(2.0)
    with no_grad():
        y = x * x
        with enable_grad():
            z = x * x
    assert y.parents == () and not y.requires_grad
    assert z.parents == (x, x)

    @no_grad()
    def square(v):
        return v * v

    assert square(x).parents == ()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


# higher order ---------------------------------------------------------------------------
def test_second_derivative_of_tanh():
    x = Value(0.7)
    (d1,) = grad(x.tanh(), x, create_graph=True)
    (d2,) = grad(d1, x)
    t = math.tanh(0.7)
    assert d1.data == pytest.approx(1 - t * t)
    assert d2 == pytest.approx(-2 * t * (1 - t * t))


def test_third_derivative_of_cube():
    x = Value(1.3)
    (d1,) = grad(x**3, x, create_graph=True)
    (d2,) = grad(d1, x, create_graph=True)
    (d3,) = grad(d2, x)
    assert (d1.data, d2.data, d3) == pytest.approx((3 * 1.3**2, 6 * 1.3, 6.0))


def test_backward_create_graph_makes_grad_differentiable():
    x = Value(0.3)
    y = x.sigmoid() * x
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    gx = x.grad
    x.grad = 0.0
    gx.backward()
    s = 1 / (1 + math.exp(-0.3))
    # d/dx [s'(x) x + s(x)] = s''(x) x + 2 s'(x)
    ds = s * (1 - s)
    d2s = ds * (1 - 2 * s)
    assert x.grad == pytest.approx(d2s * 0.3 + 2 * ds)


def test_second_derivative_of_mlp_loss_wrt_one_weight():
    from nn.scalar import MLP

    model = MLP(2, [4, 1], seed=3)
    w = model.layers[0].neurons[1].w[0]
    xs, y = [0.5, -1.2], 0.7

    def dloss_dw(wdata):
        old = w.data
        w.data = wdata
        loss = (model([Value(v) for v in xs]) - y) ** 2
        (g,) = grad(loss, w)
        w.data = old
        return g

    loss = (model([Value(v) for v in xs]) - y) ** 2
    (g,) = grad(loss, w, create_graph=True)
    (h,) = grad(g, w, allow_unused=True)
    assert g.data == pytest.approx(dloss_dw(w.data))
    assert (h or 0.0) == pytest.approx(central_difference(dloss_dw, [w.data], 0, 1e-5), rel=1e-4, abs=1e-8)


# bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["3", None, [1.0], 1 + 2j])
def test_non_number_data_is_refused(bad):
    with pytest.raises(TypeError, match="Value: data must be a real number"):
        Value(bad)


@pytest.mark.parametrize(
    "expr, error, message",
    [
        (lambda: Value(0.0).log(), ValueError, r"log: input 0 is not positive"),
        (lambda: Value(-2.0).log(), ValueError, r"log: input -2 is not positive"),
        (lambda: Value(-1.0).sqrt(), ValueError, r"sqrt: input -1 is negative"),
        (lambda: Value(-2.0) ** Value(0.5), ValueError, r"\*\*: base -2 is negative"),
        (lambda: Value(-8.0) ** 0.5, ValueError, r"not a real number"),
        (lambda: Value(800.0).exp(), OverflowError, r"exp: exp\(800\) overflows"),
        (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, r"/: division by zero"),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, r"/: division by zero"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"0 \*\* -1 is undefined"),
        (lambda: Value(1.0) + "2", TypeError, r"\+: cannot combine a Value with str"),
    ],
)
def test_bad_input_raises_clear_error(expr, error, message):
    with pytest.raises(error, match=message):
        expr()


def test_infinite_derivative_is_an_error_not_a_silent_inf():
    x = Value(0.0)
    y = x.sqrt()
    with pytest.raises(ZeroDivisionError, match="sqrt: the derivative of sqrt"):
        y.backward()


# random expressions ---------------------------------------------------------------------
SAFE_BINARY = [("+", lambda a, b: a + b), ("*", lambda a, b: a * b), ("-", lambda a, b: a - b)]
SAFE_UNARY = [
    ("tanh", lambda a: a.tanh()),
    ("sigmoid", lambda a: a.sigmoid()),
    ("sq", lambda a: a * a),
    ("neg", lambda a: -a),
]


@st.composite
def programs(draw):
    """A random straight-line program over 3 inputs; each step reads earlier results."""
    n = draw(st.integers(2, 12))
    steps = []
    for k in range(n):
        if draw(st.booleans()):
            op = draw(st.sampled_from(range(len(SAFE_BINARY))))
            steps.append(("b", op, draw(st.integers(0, k + 2)), draw(st.integers(0, k + 2))))
        else:
            op = draw(st.sampled_from(range(len(SAFE_UNARY))))
            steps.append(("u", op, draw(st.integers(0, k + 2)), None))
    xs = draw(st.lists(st.floats(-2, 2), min_size=3, max_size=3))
    return steps, xs


def run_program(steps, inputs):
    env = list(inputs)
    for kind, op, i, j in steps:
        if kind == "b":
            env.append(SAFE_BINARY[op][1](env[i], env[j]))
        else:
            env.append(SAFE_UNARY[op][1](env[i]))
    return env[-1]


@settings(max_examples=60, deadline=None)
@given(programs())
def test_random_programs_match_pytorch(program):
    torch = pytest.importorskip("torch")
    steps, xs = program
    vs = [Value(x) for x in xs]
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out, ref = run_program(steps, vs), run_program(steps, ts)
    out.backward()
    if ref.requires_grad:
        ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-9, abs=1e-12)
    for v, t in zip(vs, ts):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert v.grad == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(programs())
def test_random_programs_match_central_differences(program):
    steps, xs = program
    vs = [Value(x) for x in xs]
    run_program(steps, vs).backward()
    for i, v in enumerate(vs):
        expected = central_difference(lambda *a: run_program(steps, [Value(x) for x in a]).data, xs, i)
        assert v.grad == pytest.approx(expected, rel=1e-4, abs=1e-5)
