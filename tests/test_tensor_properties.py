"""Hypothesis: broadcasting shapes, matmul shapes, reductions, indexing and random small
programs of several ops, each compared with PyTorch in float64 (values and gradients,
and Hessian-vector products for the programs)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor, grad

torch = pytest.importorskip("torch")

SETTINGS = settings(max_examples=40, deadline=None)


def pair(array):
    """The same float64 data as a leaf of ours and a leaf of torch's."""
    return Tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def check_against_torch(fn_ours, fn_torch, arrays, seed=0):
    ours, theirs = zip(*(pair(a) for a in arrays))
    out, ref = fn_ours(*ours), fn_torch(*theirs)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    v = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(v)
    ref.backward(torch.from_numpy(v))
    for x, t in zip(ours, theirs):
        expected = t.grad.numpy() if t.grad is not None else np.zeros(x.shape)
        got = x.grad if x.grad is not None else np.zeros(x.shape)
        assert got.shape == x.shape
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-11)


def arrays_for(shapes, seed, positive=()):
    rng = np.random.default_rng(seed)
    out = []
    for i, s in enumerate(shapes):
        a = rng.standard_normal(s)
        out.append(np.abs(a) + 0.5 if i in positive else a)
    return out


BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, ()),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, ()),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, ()),
    "div": (lambda a, b: a / b, lambda a, b: a / b, (1,)),
    "pow": (lambda a, b: a**b, lambda a, b: a**b, (0,)),
    "maximum": (ag.maximum, torch.maximum, ()),
}


@SETTINGS
@given(
    name=st.sampled_from(sorted(BINARY)),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_binary_ops_broadcast_like_numpy_and_pytorch(name, shapes, seed):
    ours, theirs, positive = BINARY[name]
    arrays = arrays_for(shapes.input_shapes, seed, positive)
    check_against_torch(ours, theirs, arrays, seed)


@SETTINGS
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_where_broadcasts(shapes, seed):
    c_shape, a_shape, b_shape = shapes.input_shapes
    cond = np.random.default_rng(seed).random(c_shape) < 0.5
    check_against_torch(
        lambda a, b: ag.where(cond, a, b),
        lambda a, b: torch.where(torch.as_tensor(cond), a, b),
        arrays_for([a_shape, b_shape], seed),
        seed,
    )


@st.composite
def matmul_shapes(draw):
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2))
    ba, bb = batch.input_shapes
    a = (k,) if draw(st.booleans()) else ba + (n, k)
    b = (k,) if draw(st.booleans()) else bb + (k, m)
    return a, b


@SETTINGS
@given(shapes=matmul_shapes(), seed=st.integers(0, 2**16))
def test_matmul_shapes_like_numpy(shapes, seed):
    arrays = arrays_for(shapes, seed)
    assert (Tensor(arrays[0]) @ Tensor(arrays[1])).shape == np.matmul(*arrays).shape
    check_against_torch(lambda a, b: a @ b, lambda a, b: a @ b, arrays, seed)


REDUCTIONS = {
    "sum": (lambda x, ax, kd: x.sum(axis=ax, keepdims=kd), lambda t, ax, kd: t.sum(dim=ax, keepdim=kd)),
    "mean": (lambda x, ax, kd: x.mean(axis=ax, keepdims=kd), lambda t, ax, kd: t.mean(dim=ax, keepdim=kd)),
    "max": (lambda x, ax, kd: x.max(axis=ax, keepdims=kd), lambda t, ax, kd: t.amax(dim=ax, keepdim=kd)),
    "min": (lambda x, ax, kd: x.min(axis=ax, keepdims=kd), lambda t, ax, kd: t.amin(dim=ax, keepdim=kd)),
    "var": (
        lambda x, ax, kd: x.var(axis=ax, keepdims=kd),
        lambda t, ax, kd: t.var(dim=ax, keepdim=kd, correction=0),
    ),
    "logsumexp": (
        lambda x, ax, kd: x.logsumexp(axis=ax, keepdims=kd),
        lambda t, ax, kd: t.logsumexp(dim=ax, keepdim=kd),
    ),
}


@SETTINGS
@given(
    name=st.sampled_from(sorted(REDUCTIONS)),
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    data=st.data(),
    keepdims=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_reductions_over_any_axes(name, shape, data, keepdims, seed):
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True).map(tuple))
    ours, theirs = REDUCTIONS[name]
    check_against_torch(
        lambda x: ours(x, axes, keepdims),
        lambda t: theirs(t, axes, keepdims),
        arrays_for([shape], seed),
        seed,
    )


@SETTINGS
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    data=st.data(),
    seed=st.integers(0, 2**16),
)
def test_integer_array_indexing_accumulates_repeats(shape, data, seed):
    idx = np.array(data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=6)))
    (x,) = arrays_for([shape], seed)
    t = Tensor(x, requires_grad=True)
    v = np.random.default_rng(seed).standard_normal((len(idx),) + shape[1:])
    t[idx].backward(v)
    expected = np.zeros(shape)
    np.add.at(expected, idx, v)
    np.testing.assert_allclose(t.grad, expected)


# random small programs -------------------------------------------------------------------
UNARY_STEPS = {  # (ours, torch): smooth and defined everywhere, so any chain is valid
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh()),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid()),
    "exp_small": (lambda x: (x * 0.3).exp(), lambda x: (x * 0.3).exp()),
    "log1p_sq": (lambda x: (x * x + 1).log(), lambda x: (x * x + 1).log()),
    "sqrt1p_sq": (lambda x: (x * x + 1).sqrt(), lambda x: (x * x + 1).sqrt()),
    "square": (lambda x: x**2, lambda x: x**2),
    "neg": (lambda x: -x, lambda x: -x),
    "softmax": (lambda x: x.softmax(axis=1), lambda x: x.softmax(dim=1)),
    "log_softmax": (lambda x: x.log_softmax(axis=0), lambda x: x.log_softmax(dim=0)),
    "transpose": (lambda x: x.T, lambda x: x.T),
    "cumulative_mean": (
        lambda x: x - x.mean(axis=0, keepdims=True),
        lambda x: x - x.mean(dim=0, keepdim=True),
    ),
    "row_lse": (
        lambda x: x.logsumexp(axis=1, keepdims=True) * x,
        lambda x: x.logsumexp(dim=1, keepdim=True) * x,
    ),
    "flip_cat": (
        lambda x: ag.cat([x[1:], x[:1]]),
        lambda x: torch.cat([x[1:], x[:1]]),
    ),
}
BINARY_STEPS = {
    "add": (lambda x, y: x + y, lambda x, y: x + y),
    "sub": (lambda x, y: x - y, lambda x, y: x - y),
    "mul": (lambda x, y: x * y, lambda x, y: x * y),
    "div": (lambda x, y: x / (y * y + 1), lambda x, y: x / (y * y + 1)),
    "matmul": (lambda x, y: x @ y * 0.5, lambda x, y: x @ y * 0.5),
    "stack_sum": (lambda x, y: ag.stack([x, y]).sum(axis=0), lambda x, y: torch.stack([x, y]).sum(dim=0)),
}

step = st.one_of(
    st.tuples(st.just("u"), st.sampled_from(sorted(UNARY_STEPS)), st.integers(0, 5)),
    st.tuples(st.just("b"), st.sampled_from(sorted(BINARY_STEPS)), st.integers(0, 5), st.integers(0, 5)),
)


def run_program(program, inputs, which):
    """A stack of values: each step reads earlier values (indices wrap) and appends one."""
    values = list(inputs)
    for s in program:
        if s[0] == "u":
            values.append(UNARY_STEPS[s[1]][which](values[s[2] % len(values)]))
        else:
            values.append(BINARY_STEPS[s[1]][which](values[s[2] % len(values)], values[s[3] % len(values)]))
    return values[-1]


@settings(max_examples=60, deadline=None)
@given(program=st.lists(step, min_size=1, max_size=6), seed=st.integers(0, 2**16))
def test_random_programs_match_pytorch(program, seed):
    arrays = arrays_for([(3, 3)] * 3, seed)
    check_against_torch(
        lambda *xs: run_program(program, xs, 0), lambda *ts: run_program(program, ts, 1), arrays, seed
    )


@settings(max_examples=30, deadline=None)
@given(program=st.lists(step, min_size=1, max_size=5), seed=st.integers(0, 2**16))
def test_random_programs_hessian_vector_products_match_pytorch(program, seed):
    arrays = arrays_for([(3, 3)] * 2, seed)
    rng = np.random.default_rng(seed + 1)
    v, w = rng.standard_normal((3, 3)), [rng.standard_normal((3, 3)) for _ in arrays]
    ours, theirs = zip(*(pair(a) for a in arrays))
    out, ref = run_program(program, ours, 0), run_program(program, theirs, 1)
    if not ref.requires_grad:
        return
    g1 = grad(out, list(ours), v, create_graph=True, allow_unused=True)
    t1 = torch.autograd.grad(ref, theirs, torch.from_numpy(v), create_graph=True, allow_unused=True)
    total = sum(((g * wi).sum() for g, wi in zip(g1, w) if g is not None), Tensor(0.0))
    ttotal = sum((g * torch.from_numpy(wi)).sum() for g, wi in zip(t1, w) if g is not None)
    g2 = grad(total, list(ours), allow_unused=True) if total.requires_grad else [None] * len(ours)
    t2 = (
        torch.autograd.grad(ttotal, theirs, allow_unused=True)
        if isinstance(ttotal, torch.Tensor) and ttotal.requires_grad
        else [None] * len(ours)
    )
    for a, b in zip(g2, t2):
        got = np.zeros((3, 3)) if a is None else a.data
        expected = np.zeros((3, 3)) if b is None else b.numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)
