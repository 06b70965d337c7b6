"""autograd.functional against torch.autograd.functional in float64, on the op table's
functions, with several inputs and outputs, create_graph and strict, Tensor and Value."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, Value
from autograd import functional as F

from .tensor_op_table import OPS, sample

torch = pytest.importorskip("torch")
TF = torch.autograd.functional
TOL = dict(rtol=1e-9, atol=1e-11)
ROWS = [op for op in OPS if op.torch is not None]


def both(op, seed=0):
    xs = sample(op, seed)
    return [Tensor(x) for x in xs], [torch.tensor(x) for x in xs]


def np_of(x):
    if isinstance(x, (tuple, list)):
        return [np_of(v) for v in x]
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x.data if hasattr(x, "data") else x)


def assert_close(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_close(a, b)
        return
    np.testing.assert_allclose(np_of(ours), np_of(theirs), **TOL)


def outputs_are_float(op, ts):
    out = op.torch(*ts)
    return isinstance(out, torch.Tensor) and out.dtype == torch.float64


@pytest.mark.parametrize("op", ROWS, ids=[op.name for op in ROWS])
def test_jacobian_vjp_and_jvp_equal_pytorch_on_the_op_table(op):
    xs, ts = both(op)
    if not outputs_are_float(op, ts):
        pytest.skip("output is not a float tensor")
    assert_close(F.jacobian(op.ours, tuple(xs)), TF.jacobian(op.torch, tuple(ts)))
    out = op.torch(*ts)
    rng = np.random.default_rng(1)
    v = rng.standard_normal(tuple(out.shape))
    assert_close(F.vjp(op.ours, tuple(xs), Tensor(v))[1], TF.vjp(op.torch, tuple(ts), torch.tensor(v))[1])
    u = tuple(rng.standard_normal(x.shape) for x in xs)
    ours = F.jvp(op.ours, tuple(xs), tuple(Tensor(a) for a in u))
    theirs = TF.jvp(op.torch, tuple(ts), tuple(torch.tensor(a) for a in u))
    assert_close(ours[0], theirs[0])
    assert_close(ours[1], theirs[1])


SECOND = [op for op in ROWS if op.second_order][:25]


@pytest.mark.parametrize("op", SECOND, ids=[op.name for op in SECOND])
def test_hessian_hvp_and_vhp_equal_pytorch_on_the_op_table(op):
    xs, ts = both(op, seed=2)
    if not outputs_are_float(op, ts):
        pytest.skip("output is not a float tensor")
    w = np.random.default_rng(3).standard_normal(tuple(op.torch(*ts).shape))

    def ours(*a):
        return (op.ours(*a) ** 2 * Tensor(w)).sum()

    def theirs(*a):
        return (op.torch(*a) ** 2 * torch.tensor(w)).sum()

    assert_close(F.hessian(ours, tuple(xs)), TF.hessian(theirs, tuple(ts)))
    v = tuple(np.random.default_rng(4).standard_normal(x.shape) for x in xs)
    ov, tv = tuple(map(Tensor, v)), tuple(map(torch.tensor, v))
    assert_close(F.hvp(ours, tuple(xs), ov)[1], TF.hvp(theirs, tuple(ts), tv)[1])
    assert_close(F.vhp(ours, tuple(xs), ov)[1], TF.vhp(theirs, tuple(ts), tv)[1])


def test_several_outputs_and_single_input_structure_as_pytorch():
    x0 = np.random.default_rng(5).standard_normal((2, 3))

    def ours(x):
        return x.tanh(), (x * x).sum(0)

    def theirs(x):
        return x.tanh(), (x * x).sum(0)

    J, TJ = F.jacobian(ours, Tensor(x0)), TF.jacobian(theirs, torch.tensor(x0))
    assert isinstance(J, tuple) and len(J) == 2 and J[0].shape == (2, 3, 2, 3) and J[1].shape == (3, 2, 3)
    assert_close(J, TJ)
    single = F.jacobian(lambda x: x.exp(), Tensor(x0))
    assert isinstance(single, Tensor) and single.shape == (2, 3, 2, 3)
    v = (np.ones((2, 3)), np.arange(3.0))
    ov, tv = tuple(map(Tensor, v)), tuple(map(torch.tensor, v))
    assert_close(F.vjp(ours, Tensor(x0), ov)[1], TF.vjp(theirs, torch.tensor(x0), tv)[1])


def test_create_graph_results_are_differentiable_and_detached_otherwise():
    x = Tensor(np.array([0.3, -0.8]), requires_grad=True)
    _, g = F.vjp(lambda t: (t**3).sum(), x, create_graph=True)
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * x.data)  # d/dx sum(3 x^2)
    _, g = F.vjp(lambda t: (t**3).sum(), x)
    assert not g.requires_grad
    H = F.hessian(lambda t: (t**3).sum(), x, create_graph=True)
    assert H.requires_grad
    tx = torch.tensor([0.3, -0.8], dtype=torch.float64, requires_grad=True)
    TH = TF.hessian(lambda t: (t**3).sum(), tx, create_graph=True)
    (H * H).sum().backward()
    (TH * TH).sum().backward()
    np.testing.assert_allclose(x.grad - 6 * x.data, tx.grad.numpy(), **TOL)


def test_strict_refuses_an_output_independent_of_an_input_as_pytorch():
    a, b = Tensor(np.ones(2)), Tensor(np.ones(2))
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.vjp(lambda x, y: (x * 2).sum(), (a, b), strict=True)
    with pytest.raises(RuntimeError):
        TF.vjp(lambda x, y: (x * 2).sum(), (torch.ones(2), torch.ones(2)), strict=True)
    _, (ga, gb) = F.vjp(lambda x, y: (x * 2).sum(), (a, b))
    np.testing.assert_allclose(gb.data, [0.0, 0.0])
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.jacobian(lambda x, y: x * 2, (a, b), strict=True)
    J = F.jacobian(lambda x, y: x * 2, (a, b))
    np.testing.assert_allclose(J[1].data, np.zeros((2, 2)))


def test_v_is_needed_unless_the_output_has_one_element():
    with pytest.raises(ValueError, match="v can be None only"):
        F.vjp(lambda x: x * 2, Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="shape"):
        F.vjp(lambda x: x * 2, Tensor(np.ones(3)), Tensor(np.ones(2)))


def test_value_inputs_give_floats_equal_to_pytorch():
    def f(a, b):
        return (a * b + a**2).tanh()

    vs = (Value(0.5), Value(-1.2))
    ts = tuple(torch.tensor(x, dtype=torch.float64) for x in (0.5, -1.2))
    assert_close(F.jacobian(f, vs), TF.jacobian(f, ts))
    assert_close(F.hessian(f, vs), TF.hessian(f, ts))
    u = (1.0, 2.0)
    tu = tuple(torch.tensor(x, dtype=torch.float64) for x in u)
    assert_close(F.jvp(f, vs, u)[1], TF.jvp(f, ts, tu)[1])
    assert_close(F.vjp(f, vs)[1], TF.vjp(f, ts)[1])
    assert_close(F.hvp(f, vs, u)[1], TF.hvp(f, ts, tu)[1])
    assert_close(F.vhp(f, vs, u)[1], TF.vhp(f, ts, tu)[1])
    assert isinstance(F.hessian(f, vs)[0][1], float)
