"""autograd.Function: user-defined ops, checked against PyTorch's torch.autograd.Function."""

from __future__ import annotations

import gc
import math
import weakref

import numpy as np
import pytest

import autograd
import nn
from autograd import (
    Function,
    Tensor,
    Value,
    detect_anomaly,
    grad,
    gradcheck,
    gradgradcheck,
    once_differentiable,
)

from .function_examples import legendre

torch = pytest.importorskip("torch")


def leaf(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def cube(base):
    """x**3 as a Function on `base` (chainrule's or torch's): the same class text for both."""

    class Cube(base):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x**2

    return Cube


Cube, TorchCube = cube(Function), cube(torch.autograd.Function)


class MulAdd(Function):
    """x * y * z + y * z with z a number: the example of PyTorch's save_for_backward docs."""

    @staticmethod
    def forward(ctx, x, y, z):
        ctx.save_for_backward(x, y)
        ctx.z = z
        return x * y * z + y * z

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y * ctx.z, g * (x * ctx.z + ctx.z), None


class SplitScale(Function):
    """Two outputs: 2 * x[:n] and exp(x[n:]); backward gathers both gradients."""

    @staticmethod
    def forward(ctx, x, n):
        ctx.n = n
        e = x[n:].exp()
        ctx.save_for_backward(e)
        return x[:n] * 2, e

    @staticmethod
    def backward(ctx, ga, gb):
        (e,) = ctx.saved_tensors
        return autograd.cat([ga * 2, gb * e]), None


class TorchSplitScale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, n):
        e = x[n:].exp()
        ctx.save_for_backward(e)
        return x[:n] * 2, e

    @staticmethod
    def backward(ctx, ga, gb):
        (e,) = ctx.saved_tensors
        return torch.cat([ga * 2, gb * e]), None


def test_cube_values_gradients_and_second_derivatives_equal_pytorch():
    x0 = np.array([0.5, -1.5, 2.0])
    x, tx = leaf(x0), torch.tensor(x0, requires_grad=True)
    y, ty = Cube.apply(x), TorchCube.apply(tx)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-14)
    (gx,) = grad(y.sum(), x, create_graph=True)
    (tgx,) = torch.autograd.grad(ty.sum(), tx, create_graph=True)
    np.testing.assert_allclose(gx.data, tgx.detach().numpy(), rtol=1e-14)
    gx.sum().backward()
    tgx.sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-14)
    assert gradcheck(lambda t: Cube.apply(t), [x]) and gradgradcheck(lambda t: Cube.apply(t), [x])


def test_non_tensor_arguments_ctx_attributes_and_needs_input_grad():
    x, y = leaf([1.0, 2.0]), Tensor(np.array([3.0, 4.0]))
    seen = {}

    class Probe(MulAdd):
        @staticmethod
        def backward(ctx, g):
            seen["needs"] = ctx.needs_input_grad
            return MulAdd.backward(ctx, g)

    Probe.apply(x, y, 4).sum().backward()
    assert seen["needs"] == (True, False, False)
    np.testing.assert_allclose(x.grad, [12.0, 16.0])  # d/dx = y * z
    a, b = torch.tensor(1.0, dtype=torch.float64, requires_grad=True), torch.tensor(2.0, dtype=torch.float64)
    va, vb = leaf(1.0), leaf(2.0)
    assert gradcheck(lambda p, q: MulAdd.apply(p, q, 4), [va, vb])
    out = a * b * 4 + b * 4
    out.backward()
    MulAdd.apply(va, Tensor(np.array(2.0)), 4).backward()
    np.testing.assert_allclose(va.grad, a.grad.numpy())


def test_several_outputs_gather_gradients_as_pytorch_and_an_unused_output_gets_zeros():
    x0 = np.array([0.1, -0.4, 0.7, 1.2])
    x, tx = leaf(x0), torch.tensor(x0, requires_grad=True)
    (a, b), (ta, tb) = SplitScale.apply(x, 1), TorchSplitScale.apply(tx, 1)
    assert a.op == "SplitScale[0]" and b.op == "SplitScale[1]"
    ((a * 3).sum() + (b * b).sum()).backward()
    ((ta * 3).sum() + (tb * tb).sum()).backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-14)
    x.grad, tx.grad = None, None
    SplitScale.apply(x, 2)[1].sum().backward()  # output 0 unused: backward gets zeros for it
    TorchSplitScale.apply(tx, 2)[1].sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-14)
    assert gradcheck(lambda t: SplitScale.apply(t, 2), [leaf(x0)])


def test_materialize_grads_false_passes_none_for_an_unused_output():
    got = {}

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            got["gb"] = gb
            return ga * 2

    x = leaf([1.0, 2.0])
    Two.apply(x)[0].sum().backward()
    assert got["gb"] is None
    np.testing.assert_allclose(x.grad, [2.0, 2.0])


def test_mark_non_differentiable_output_is_a_constant():
    class SortWithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            idx = np.argsort(x.numpy())
            ctx.idx = idx
            out = Tensor(x.numpy()[idx])
            index = Tensor(idx.astype(np.float64))
            ctx.mark_non_differentiable(index)
            return out, index

        @staticmethod
        def backward(ctx, g, g_index):
            assert not g_index.data.any()
            back = np.empty_like(g.numpy())
            back[ctx.idx] = g.numpy()
            return Tensor(back)

    x = leaf([3.0, 1.0, 2.0])
    values, index = SortWithIndex.apply(x)
    assert values.requires_grad and not index.requires_grad
    np.testing.assert_allclose(index.data, [1, 2, 0])
    (values * Tensor(np.array([1.0, 10.0, 100.0]))).sum().backward()
    np.testing.assert_allclose(x.grad, [100.0, 1.0, 10.0])


def test_in_place_change_of_a_saved_tensor_is_refused_by_its_version():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x).sum()
    x.data = x.data * 2  # changes x's version after Cube saved it
    with pytest.raises(RuntimeError, match="Cube"):
        y.backward()


def test_saved_intermediate_changed_in_place_is_refused_naming_the_function():
    class Keep(Function):
        @staticmethod
        def forward(ctx, x):
            h = x * 1.0
            ctx.save_for_backward(h)
            ctx.h = h
            return h * 2

        @staticmethod
        def backward(ctx, g):
            (h,) = ctx.saved_tensors
            return g * 2

    x = leaf([1.0])
    y = Keep.apply(x)
    from autograd.function import FunctionCtx

    ctx = y._ctx[0]
    assert isinstance(ctx, FunctionCtx)
    ctx.h.data -= 1  # an in-place edit bumps the saved tensor's version
    with pytest.raises(RuntimeError, match=r"Keep.backward: saved tensor 0 .* was changed"):
        y.sum().backward()


def test_once_differentiable_first_order_works_and_second_order_raises_naming_the_op():
    class NumpySin(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return Tensor(np.sin(x.numpy()))

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return Tensor(g.numpy() * np.cos(x.numpy()))

    x = leaf([0.3, -1.0])
    assert gradcheck(lambda t: NumpySin.apply(t).sum(), [x])
    (gx,) = grad(NumpySin.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(gx.data, np.cos([0.3, -1.0]))
    with pytest.raises(RuntimeError, match="NumpySin.backward is marked @once_differentiable"):
        gx.sum().backward()


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda g, x: (g, g), r"Bad.backward returned 2 gradient\(s\) but forward took 1"),
        (lambda g, x: Tensor(np.ones((2, 3))), None),  # a broadcast of the input's shape: summed back
        (lambda g, x: g.sum(), r"gradient for input 0 has shape \(\) but the input has shape \(3,\)"),
        (lambda g, x: Tensor(np.ones(5)), r"input 0 has shape \(5,\) but the input has shape \(3,\)"),
        (lambda g, x: g.astype(np.float32), r"input 0 has dtype float32 but the input is float64"),
        (lambda g, x: "zero", r"gradient for input 0 is str"),
    ],
)
def test_wrong_outputs_of_backward_are_refused_naming_the_function_and_input(bad, message):
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return bad(g, None)

    x = leaf([1.0, 2.0, 3.0])
    if message is None:
        Bad.apply(x).sum().backward()
        np.testing.assert_allclose(x.grad, [2.0, 2.0, 2.0])
        return
    with pytest.raises((RuntimeError, TypeError), match=message):
        Bad.apply(x).sum().backward()


def test_function_on_value_is_a_scalar_node_named_by_its_class():
    class Square(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a.data**2

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 2 * a

    class Mix(Function):  # three Value parents and a number
        @staticmethod
        def forward(ctx, a, b, c, k):
            ctx.save_for_backward(a, b, c)
            ctx.k = k
            return a * b + k * c

        @staticmethod
        def backward(ctx, g):
            a, b, c = ctx.saved_tensors
            return g * b, g * a, g * ctx.k, None

    a, b, c = Value(1.5), Value(-2.0), Value(0.5)
    y = Square.apply(a)
    assert y.op == "Square" and y.data == 2.25
    y.backward()
    assert a.grad == 3.0
    assert gradcheck(lambda p: Square.apply(p), [Value(0.7)])
    assert gradgradcheck(lambda p: Square.apply(p), [Value(0.7)])
    m = Mix.apply(a, b, c, 3.0)
    assert m.op == "Mix" and m.data == pytest.approx(1.5 * -2.0 + 1.5)
    assert gradcheck(lambda p, q, r: Mix.apply(p, q, r, 3.0), [a, b, c])
    text = autograd.viz.to_text(m) if hasattr(autograd.viz, "to_text") else str(m.op)
    assert "Mix" in text


def test_function_node_is_drawn_with_its_class_name():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x).sum()
    dot = autograd.draw_graph(y)
    assert "Cube" in str(getattr(dot, "source", dot))
    v = Value(2.0)
    w = Cube.apply(v)
    assert "Cube" in str(getattr(autograd.draw_graph(w), "source", ""))


def test_anomaly_mode_names_a_function_node_with_its_creation_site():
    class BadLog(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g * np.nan

    x = leaf([1.0])
    with detect_anomaly():
        y = BadLog.apply(x)  # the site anomaly mode names
        with pytest.raises(FloatingPointError, match=r"BadLog.*test_function.py:\d+"):
            y.sum().backward()


def test_graph_through_a_function_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        x = leaf([1.0, 2.0])
        h = Cube.apply(x * 2)
        probe = weakref.ref(h)
        a, b = SplitScale.apply(h, 1)
        probe_b = weakref.ref(b)
        loss = a.sum() + b.sum()
        loss.backward()
        del h, a, b, loss
        assert probe() is None and probe_b() is None
    finally:
        gc.enable()


class Affine(Function):
    """y = x W^T + b, as nn.Linear's layout, with a hand-written backward."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return x @ w.T + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w, g.T @ x, g.sum(0)


class FunctionLinear(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.inner = nn.Linear(n_in, n_out, dtype=np.float64)

    def forward(self, x):
        return Affine.apply(x, self.inner.weight, self.inner.bias)


def test_functions_inside_nn_modules_train_with_an_optimizer_as_the_builtin_layers():
    rng = np.random.default_rng(0)
    X = Tensor(rng.standard_normal((32, 3)))
    Y = Tensor((rng.standard_normal((32, 1)) > 0).astype(np.float64))
    nn.manual_seed(0)
    ours = nn.Sequential(FunctionLinear(3, 8), nn.Tanh(), FunctionLinear(8, 1))
    nn.manual_seed(0)
    ref = nn.Sequential(nn.Linear(3, 8, dtype=np.float64), nn.Tanh(), nn.Linear(8, 1, dtype=np.float64))
    ref.load_state_dict({k.replace(".inner", ""): v for k, v in ours.state_dict().items()})
    opts = [nn.optim.Adam(m.parameters(), lr=0.05) for m in (ours, ref)]
    losses = []
    for _ in range(30):
        step = []
        for m, opt in zip((ours, ref), opts):
            opt.zero_grad()
            loss = ((m(X) - Y) ** 2).mean()
            loss.backward()
            opt.step()
            step.append(loss.item())
        losses.append(step)
    np.testing.assert_allclose([s[0] for s in losses], [s[1] for s in losses], rtol=1e-12)
    assert losses[-1][0] < 0.5 * losses[0][0]


def _legendre_torch():
    """PyTorch's tutorial 'Defining New autograd Functions', run as published (float32)."""

    LegendrePolynomial3 = legendre(torch.autograd.Function)
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float)
    y = torch.sin(x)
    w = [torch.full((), v, dtype=torch.float, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3)]
    for _ in range(2000):
        a, b, c, d = w
        loss = (a + b * LegendrePolynomial3.apply(c + d * x) - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            for p in w:
                p -= 5e-6 * p.grad
                p.grad = None
    return [p.item() for p in w], loss.item()


def test_legendre_tutorial_reaches_pytorchs_coefficients():
    LegendrePolynomial3 = legendre(Function)
    x = Tensor(np.linspace(-math.pi, math.pi, 2000, dtype=np.float32))
    y = Tensor(np.sin(x.numpy()))
    w = [Tensor(np.full((), v, np.float32), requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3)]
    for _ in range(2000):
        a, b, c, d = w
        loss = ((a + b * LegendrePolynomial3.apply(c + d * x) - y) ** 2).sum()
        loss.backward()
        with autograd.no_grad():
            for p in w:
                p -= 5e-6 * p.grad
                p.grad = None
    ref, ref_loss = _legendre_torch()
    got = [p.item() for p in w]
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-5)  # b
    np.testing.assert_allclose(got[3], ref[3], rtol=1e-5)  # d
    np.testing.assert_allclose([got[0], got[2]], [0.0, 0.0], atol=1e-7)  # a, c stay at 0 by symmetry
    np.testing.assert_allclose(loss.item(), ref_loss, rtol=1e-4)


class Exp(Function):
    """exp saving its output, as PyTorch's docs advise; second derivatives go through it."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class ExpTwice(Function):
    """Two outputs, each saved: backward for one output reads the other's node."""

    @staticmethod
    def forward(ctx, x):
        a, b = x.exp(), (2 * x).exp()
        ctx.save_for_backward(a, b)
        return a, b

    @staticmethod
    def backward(ctx, ga, gb):
        a, b = ctx.saved_tensors
        return ga * a + gb * 2 * b


def test_a_saved_output_is_differentiable_in_a_create_graph_backward():
    x0 = np.array([0.2, -0.5, 1.1])
    assert gradgradcheck(lambda t: Exp.apply(t), [leaf(x0)])
    assert gradgradcheck(lambda t: ExpTwice.apply(t), [leaf(x0)])
    H = autograd.functional.hessian(lambda t: Exp.apply(t).sum(), Tensor(x0))
    np.testing.assert_allclose(H.data, np.diag(np.exp(x0)), rtol=1e-14)
    tH = torch.autograd.functional.hessian(lambda t: t.exp().sum(), torch.tensor(x0))
    np.testing.assert_allclose(H.data, tH.numpy(), rtol=1e-14)


def test_saving_outputs_keeps_the_graph_free_of_cycles():
    gc.collect()
    gc.disable()
    try:
        x = leaf([1.0, 2.0])
        a, b = ExpTwice.apply(x)
        probe = weakref.ref(a)
        (a.sum() + b.sum()).backward()
        del a, b
        assert probe() is None
    finally:
        gc.enable()
