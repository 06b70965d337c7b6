"""PyTorch's tutorial "Learning PyTorch with Examples", ported: a third-order polynomial fit
to sin(x) on [-pi, pi], with tensors and hand-written gradients, with autograd, with `nn`
and with `optim`. Each program is the tutorial's code, written once against a `torch`
argument, and run with the real torch and with chainrule standing in for it
(tests/torch_adapter.py) from the same starting weights; the losses along the way and the
final coefficients must be torch's.

Departures from the tutorial's text, so that both runs start alike: the starting weights
come from a seeded numpy generator instead of torch.randn, the dtype is a parameter
(torch.float as in the tutorial, and float64), and `nn.Linear` is given that dtype.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.torch_adapter import torch as chainrule_torch

real_torch = pytest.importorskip("torch")

STEPS = 2000


def _start(n: int) -> list[float]:
    return np.random.default_rng(0).standard_normal(n).tolist()


def polynomial_tensors(torch, dtype):
    """PyTorch: Tensors (forward and backward by hand)."""
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    a, b, c, d = (torch.tensor(w, dtype=dtype) for w in _start(4))
    learning_rate = 1e-6
    losses = []
    for t in range(STEPS):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum().item()
        if t % 100 == 99:
            losses.append(loss)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x**2).sum()
        grad_d = (grad_y_pred * x**3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    return losses, [a.item(), b.item(), c.item(), d.item()]


def polynomial_autograd(torch, dtype):
    """PyTorch: Tensors and autograd."""
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    a, b, c, d = (torch.tensor(w, dtype=dtype, requires_grad=True) for w in _start(4))
    learning_rate = 1e-6
    losses = []
    for t in range(STEPS):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return losses, [a.item(), b.item(), c.item(), d.item()]


def _model(torch, dtype):
    model = torch.nn.Sequential(torch.nn.Linear(3, 1, dtype=dtype), torch.nn.Flatten(0, 1))
    w = _start(4)
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([w[1:]], dtype=dtype))
        model[0].bias.copy_(torch.tensor([w[0]], dtype=dtype))
    return model


def _data(torch, dtype):
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])  # an integer tensor of exponents
    xx = x.unsqueeze(-1).pow(p)  # (2000, 3): x, x^2, x^3
    return xx, y


def _coefficients(model):
    linear_layer = model[0]
    w = linear_layer.weight
    return [linear_layer.bias.item(), w[:, 0].item(), w[:, 1].item(), w[:, 2].item()]


def polynomial_nn(torch, dtype):
    """PyTorch: nn."""
    xx, y = _data(torch, dtype)
    model = _model(torch, dtype)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    learning_rate = 1e-6
    losses = []
    for t in range(STEPS):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    return losses, _coefficients(model)


def polynomial_optim(torch, dtype):
    """PyTorch: optim (RMSprop)."""
    xx, y = _data(torch, dtype)
    model = _model(torch, dtype)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    losses = []
    for t in range(STEPS):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses, _coefficients(model)


PROGRAMS = [polynomial_tensors, polynomial_autograd, polynomial_nn, polynomial_optim]


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_tutorial_reproduces_torch(program, dtype_name):
    theirs = program(real_torch, getattr(real_torch, dtype_name))
    ours = program(chainrule_torch, getattr(chainrule_torch, dtype_name))
    # The two libraries sum 2,000 terms in different orders (and BLAS blocks differently).
    # Gradient descent damps such rounding differences: a few ulps stay a few ulps. RMSprop
    # does not: its steps have size ~lr whatever the gradient's size, so once at the optimum
    # it jitters by ~lr = 1e-3 and rounding moves the jitter. There the losses and the
    # coefficients agree to the jitter's size (the fit itself: test_the_fit_approximates_sin).
    if program is polynomial_optim:  # losses to 1%, coefficients to ~lr
        loss_rtol, rtol, atol = 1e-2, 1e-3, (2e-3 if dtype_name == "float32" else 1e-4)
    else:
        loss_rtol, rtol, atol = (2e-4, 2e-4, 1e-6) if dtype_name == "float32" else (1e-9, 1e-9, 1e-12)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=loss_rtol, err_msg="losses every 100 steps")
    np.testing.assert_allclose(ours[1], theirs[1], rtol=rtol, atol=atol, err_msg="coefficients a, b, c, d")


def test_the_fit_approximates_sin():
    """The math, not torch: the least-squares cubic for sin on [-pi, pi] is about
    0.857 x - 0.0933 x^3; two thousand RMSprop steps get close to it."""
    _, (a, b, c, d) = polynomial_optim(chainrule_torch, chainrule_torch.float64)
    assert abs(a) < 0.02 and abs(c) < 0.02
    assert b == pytest.approx(0.857, abs=0.02) and d == pytest.approx(-0.0933, abs=0.005)
