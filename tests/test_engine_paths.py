"""The engine's fast reverse pass (`engine._propagate` and its walk, `engine._pass`) and
the plain one it is an optimisation of (`engine.plain_backward`) give the same gradients,
bit for bit: every row of both op tables, first and second order, and whole
networks (micrograd's MLP over Values; nn's MLP and a loss over Tensors, whose pass frees
the graph), through backward() and through autograd.grad with several outputs."""

from __future__ import annotations

import random

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, engine, grad
from nn.scalar import MLP as ScalarMLP
from tests.tensor_op_table import IDS as TENSOR_IDS
from tests.tensor_op_table import OPS as TENSOR_OPS
from tests.tensor_op_table import sample as tensor_sample
from tests.value_ops import VALUE_OPS

PASSES = {"fast": engine._propagate, "plain": engine._propagate_plain}
SECOND_ORDER = [op for op in TENSOR_OPS if op.second_order]


def on_both_passes(run):
    """run() once with each reverse pass; the two results must be equal."""
    results = []
    for propagate in PASSES.values():
        with pytest.MonkeyPatch.context() as m:
            m.setattr(engine, "_propagate", propagate)
            results.append(run())
    fast, plain = results
    assert len(fast) == len(plain)
    for i, (f, p) in enumerate(zip(fast, plain)):
        f, p = np.asarray(_raw(f)), np.asarray(_raw(p))
        assert f.shape == p.shape and f.dtype == p.dtype, (i, f, p)
        assert np.array_equal(f, p, equal_nan=True), f"gradient {i}: fast {f} != plain {p}"
    return fast


def _raw(g):
    return g.data if isinstance(g, (Value, Tensor)) else (0.0 if g is None else g)


def _values(row, seed):
    return [Value(draw(random.Random(seed + k))) for k, draw in enumerate(row[3])]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("row", VALUE_OPS, ids=[r[0] for r in VALUE_OPS])
def test_value_ops_same_on_both_passes(row, seed):
    def first():
        xs = _values(row, seed)
        out = row[2](*xs)
        out.backward()
        return [x.grad for x in xs] + [out.grad]

    def second():
        xs = _values(row, seed)
        gs = grad(row[2](*xs), xs, create_graph=True)
        total = sum(g * (k + 1) for k, g in enumerate(gs))
        return grad(total, xs, allow_unused=True) if total.requires_grad else [0.0] * len(xs)

    on_both_passes(first)
    on_both_passes(second)


def _tensor_case(op, seed):
    arrays = tensor_sample(op, seed)
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = op.ours(*xs)
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    return xs, out, weights


@pytest.mark.parametrize("op", TENSOR_OPS, ids=TENSOR_IDS)
def test_tensor_ops_same_on_both_passes(op):
    def first():
        xs, out, w = _tensor_case(op, 0)
        out.backward(w)
        return [x.grad for x in xs]

    on_both_passes(first)


@pytest.mark.parametrize("op", SECOND_ORDER, ids=[op.name for op in SECOND_ORDER])
def test_tensor_ops_second_order_same_on_both_passes(op):
    def second():
        xs, out, w = _tensor_case(op, 1)
        gs = grad(out, xs, Tensor(w), create_graph=True)
        total = sum((g * g).sum() for g in gs)
        if not total.requires_grad:  # the first derivatives are constants (add, sub, ...)
            return [total]
        return grad(total, xs, allow_unused=True)

    on_both_passes(second)


def test_micrograd_mlp_same_on_both_passes():
    def run():
        model = ScalarMLP(3, [8, 8, 1], seed=0)
        batch = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
        loss = sum((model(list(map(Value, x))) - y) ** 2 for x, y in zip(batch, [1.0, -1.0, -1.0, 1.0]))
        loss.backward()
        return [p.grad for p in model.parameters()]

    on_both_passes(run)


def test_nn_training_step_same_on_both_passes():
    def run():
        nn.manual_seed(0)
        model = nn.MLP([6, 16, 4])
        rng = np.random.default_rng(0)
        x, y = Tensor(rng.standard_normal((32, 6)).astype(np.float32)), rng.integers(0, 4, 32)
        hidden = model[0](x)
        hidden.retain_grad()
        loss = nn.CrossEntropyLoss()(model[2](model[1](hidden)), y)
        loss.backward()  # frees the graph as it goes
        with pytest.raises(RuntimeError, match="retain_graph"):
            loss.backward()
        return [p.grad for p in model.parameters()] + [hidden.grad]

    on_both_passes(run)


def test_grad_of_several_outputs_same_on_both_passes():
    def run():
        a = Tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
        b = Tensor(np.array([0.5, -2.0, 1.5]), requires_grad=True)  # broadcast over a's rows
        shared = (a * b).tanh()
        outs = [(shared * shared).sum(), (shared + b).exp().mean(), shared.sum()]
        return grad(outs, [a, b, shared])

    on_both_passes(run)


# The fast pass computes only the shares of `*` and `-` that a parent needs and takes a
# share already of its parent's shape as it is: the cases where one operand is a constant,
# broadcast or not, float32 or float64, 0-d or not, and ops with a Python number.
MIXED_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (3,)), ((2, 3), ())]
MIXED_OPS = {
    "*": lambda p, q: p * q,
    "+": lambda p, q: p + q,
    "-": lambda p, q: p - q,
    "/": lambda p, q: p / q,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", MIXED_SHAPES, ids=[f"{s}-{t}" for s, t in MIXED_SHAPES])
@pytest.mark.parametrize("name", MIXED_OPS)
@pytest.mark.parametrize("constant", ["left", "right"])
def test_an_op_with_one_constant_operand_same_on_both_passes(name, shapes, dtype, constant):
    rng = np.random.default_rng(0)
    arrays = [(rng.uniform(0.5, 2.0, s)).astype(dtype) for s in shapes]

    def run():
        x = Tensor(arrays[0], requires_grad=constant == "right")
        c = Tensor(arrays[1], requires_grad=constant == "left")
        y = MIXED_OPS[name](x, c).tanh() * 0.5 - 1.0
        y.backward(np.ones(y.shape, dtype))
        leaf = x if constant == "right" else c
        return [leaf.grad]

    (g,) = on_both_passes(run)
    target = shapes[0] if constant == "right" else shapes[1]
    assert g.dtype == dtype and g.shape == target
    # the same gradient by the chain rule written out in numpy, in float64
    a, b = arrays[0].astype(np.float64), arrays[1].astype(np.float64)
    t = np.tanh(MIXED_OPS[name](a, b))
    local = {"*": (b, a), "+": (1.0, 1.0), "-": (1.0, -1.0), "/": (1 / b, -a / b**2)}[name]
    want = 0.5 * (1 - t * t) * local[0 if constant == "right" else 1]
    tol = 1e-4 if dtype == np.float32 else 1e-12  # float32: 1 - tanh^2 loses digits near 1
    np.testing.assert_allclose(g, _sum_to(np.broadcast_to(want, t.shape), target), rtol=tol, atol=tol / 100)


def _sum_to(g, shape):
    """g summed over the axes that broadcasting added to `shape` (the unbroadcast step)."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)
