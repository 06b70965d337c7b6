"""Parity with PyTorch: each case is written once, in PyTorch's spelling, and run twice, with
`torch` and with chainrule standing in for it (tests/torch_adapter.py). Values, gradients,
dtypes and shapes must agree, and where PyTorch raises, chainrule must raise too.

The torch run uses float64 as its default dtype: Python floats are float64 in chainrule
(numpy's rule, one of the documented differences), so the two runs see the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from tests.torch_adapter import dtype_name, to_numpy
from tests.torch_adapter import torch as chainrule_torch

real_torch = pytest.importorskip("torch")

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@dataclass
class Raised:
    kind: type
    message: str


INPLACE = "modified by an inplace operation"


def _run(fn, lib):
    try:
        return fn(lib)
    except Exception as e:  # a case may expect an error: compared below
        return Raised(type(e), str(e))


def _same(expected, actual, where="result"):
    if isinstance(expected, Raised) or isinstance(actual, Raised):
        assert isinstance(expected, Raised), f"{where}: chainrule raised {actual}, torch gave {expected!r}"
        assert isinstance(actual, Raised), f"{where}: torch raised {expected}, chainrule gave {actual!r}"
        if INPLACE in expected.message:
            assert INPLACE in actual.message, f"{where}: {actual.message}"
        return
    if real_torch.is_tensor(expected):
        assert actual is not None and not isinstance(actual, (tuple, list)), f"{where}: got {actual!r}"
        a, e = to_numpy(actual), to_numpy(expected)
        assert a.shape == e.shape, f"{where}: shape {a.shape} != torch's {e.shape}"
        assert dtype_name(a.dtype) == dtype_name(expected.dtype), (
            f"{where}: dtype {a.dtype} != {expected.dtype}"
        )
        tol = 1e-5 if e.dtype == np.float32 else 1e-10
        np.testing.assert_allclose(a, e, rtol=tol, atol=tol, err_msg=where)
        return
    if isinstance(expected, real_torch.dtype):
        assert dtype_name(actual) == dtype_name(expected), f"{where}: {actual} != {expected}"
        return
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)), f"{where}: {actual!r} is not a sequence"
        assert len(actual) == len(expected), f"{where}: {len(actual)} items, torch {len(expected)}"
        if hasattr(expected, "_fields"):  # max(dim) and friends: a named (values, indices)
            assert getattr(actual, "_fields", None) == expected._fields, where
        for i, (e, a) in enumerate(zip(expected, actual)):
            _same(e, a, f"{where}[{i}]")
        return
    if isinstance(expected, float):
        assert math.isclose(actual, expected, rel_tol=1e-10, abs_tol=1e-12) or (
            math.isnan(actual) and math.isnan(expected)
        ), f"{where}: {actual} != {expected}"
        return
    assert actual == expected, f"{where}: {actual!r} != torch's {expected!r}"


@pytest.fixture
def torch_float64():
    old = real_torch.get_default_dtype()
    real_torch.set_default_dtype(real_torch.float64)
    yield
    real_torch.set_default_dtype(old)


@pytest.mark.parametrize("fn", CASES, ids=lambda f: f.__name__)
def test_parity(fn, torch_float64):
    _same(_run(fn, real_torch), _run(fn, chainrule_torch), fn.__name__)


def test_every_case_runs_on_chainrule_without_a_missing_name():
    for fn in CASES:
        out = _run(fn, chainrule_torch)
        assert not (isinstance(out, Raised) and "chainrule has no torch." in out.message), out


# the clashes of item 1: numpy's habit would give a silently different answer ------------
@case
def transpose_swaps_two_dims(torch):
    W = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    Wt = W.transpose(0, 1)
    (Wt * torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
    return Wt, W.grad, W.transpose(1, 0), W.T, W.mT


@case
def transpose_3d_and_permute(torch):
    x = torch.arange(24.0).reshape(2, 3, 4).requires_grad_()
    y = x.transpose(0, 2)
    z = x.permute(1, 2, 0)
    (y.sum(0) * 2).sum().backward()
    return y, z, x.grad, y.shape, z.size(), x.permute((2, 1, 0)).shape


@case
def max_dim_returns_values_and_indices(torch):
    logits = torch.tensor([[0.1, 2.0, -1.0], [3.0, 0.5, 0.2]], requires_grad=True)
    values, indices = logits.max(1)
    (values * torch.tensor([1.0, 2.0])).sum().backward()
    return (
        values,
        indices,
        logits.grad,
        logits.max(dim=0),
        logits.max(0, keepdim=True),
        logits.max(dim=1).indices,
    )


@case
def min_dim_and_ties(torch):
    x = torch.tensor([[1.0, 1.0, 3.0], [2.0, 0.0, 0.0]], requires_grad=True)
    r = x.min(dim=1)
    r.values.sum().backward()  # the gradient goes to the index returned
    return r, x.grad


@case
def max_of_everything_splits_ties(torch):
    x = torch.tensor([[1.0, 3.0], [3.0, 2.0]], requires_grad=True)
    m = x.max()
    m.backward()
    return m, x.grad, x.min()


@case
def max_of_two_tensors_is_elementwise(torch):
    a = torch.tensor([1.0, 5.0, 3.0])
    b = torch.tensor([4.0, 2.0, 3.0])
    return a.max(b), a.min(b), torch.maximum(a, b), torch.minimum(a, b)


@case
def var_and_std_are_unbiased(torch):
    x = torch.tensor([[1.0, 2.0, 4.0], [3.0, 7.0, 8.0]], requires_grad=True)
    v = x.var()
    v.backward()
    return (v, x.grad, x.var(0), x.var(1, keepdim=True), x.var(dim=1, unbiased=False),
            x.var(correction=0), x.std(), x.std(dim=0, correction=2), x.std(1, unbiased=False))  # fmt: skip


@case
def var_of_one_element_is_nan(torch):
    return torch.tensor([2.0]).var(), torch.tensor([[1.0, 2.0]]).var(0)


@case
def size_is_a_method(torch):
    x = torch.zeros(2, 3, 4)
    return x.size(), x.size(1), x.size(-1), x.numel(), x.dim(), x.ndim, x.shape, tuple(x.shape)


@case
def sum_mean_with_dim_and_keepdim(torch):
    x = torch.arange(24.0).reshape(2, 3, 4).requires_grad_()
    y = x.sum(1, keepdim=True) * x.mean(dim=(0, 2), keepdim=True)
    y.sum().backward()
    return y, x.grad, x.sum(-1), x.mean(dim=[0, 1]), x.sum(dim=(0, 2)), x.mean(1)


@case
def reductions_of_integers(torch):
    i = torch.tensor([[1, 2], [3, 4]])
    b = torch.tensor([True, False, True])
    return i.sum(), i.sum(0), b.sum(), i.max(), i.argmax(), i.max(1)


@case
def argmax_argmin(torch):
    x = torch.tensor([[1.0, 9.0, 3.0], [7.0, 2.0, 8.0]])
    return x.argmax(), x.argmax(dim=1), x.argmin(0), x.argmax(1, keepdim=True), torch.argmax(x, dim=0)


@case
def softmax_family_with_dim(torch):
    x = torch.tensor([[1.0, 2.0, 3.0], [1.0, -1.0, 0.0]], requires_grad=True)
    s = x.softmax(dim=0)
    ls = x.log_softmax(1)
    lse = x.logsumexp(dim=1, keepdim=True)
    (s * ls + lse).sum().backward()
    return s, ls, lse, x.grad, torch.softmax(x, dim=1), torch.logsumexp(x, 0)


@case
def zero_dim_tensors(torch):
    s = torch.tensor(3.0, requires_grad=True)
    y = s.sum(0) + s.sum(-1) + s.logsumexp(0) + s.softmax(0) + s.mean(0)
    y.backward()
    return y, s.grad, s.grad.shape, s.max(0), s.argmax(0), s.sum(0).shape, s.log_softmax(-1)


@case
def zero_dim_grad_accumulates_as_an_array(torch):
    s = torch.tensor(2.0, requires_grad=True)
    (s * s).backward()
    (s * s).backward()
    return s.grad, s.grad.shape


@case
def cat_stack_with_dim(torch):
    a = torch.ones(2, 3, requires_grad=True)
    b = torch.zeros(2, 1, requires_grad=True)
    c = torch.cat([a, b], dim=1)
    s = torch.stack([a, a * 2], dim=1)
    (c.sum(0) * torch.arange(4.0)).sum().backward()
    s.sum().backward()
    return c, s, s.shape, a.grad, b.grad, torch.cat((a, a), 0).shape, torch.stack([b, b], -1).shape


@case
def pow_method_and_matmul_function(torch):
    x = torch.tensor([[1.0, 2.0], [3.0, -1.0]], requires_grad=True)
    w = torch.tensor([[0.5], [-2.0]], requires_grad=True)
    y = torch.matmul(x.pow(3), w) + x.matmul(w).pow(2)
    y.sum().backward()
    return y, x.grad, w.grad, torch.pow(x, 2)


@case
def pow_with_an_integer_tensor_exponent(torch):
    x = torch.linspace(-1.0, 1.0, 5)
    p = torch.tensor([1, 2, 3])
    return x.unsqueeze(-1).pow(p) if hasattr(x, "unsqueeze") else x.reshape(5, 1).pow(p), p.dtype


# dtypes and constructors (item 2) ------------------------------------------------------
@case
def integer_and_bool_data_stay_integer_and_bool(torch):
    i = torch.tensor([1, 2])
    return (i.dtype, torch.tensor([True, False]).dtype, torch.tensor(3).dtype,
            torch.tensor([1.5]).dtype, i * 2, (i * 2.5).dtype)  # fmt: skip


@case
def integer_division_is_true_division(torch):
    i = torch.tensor([1, 2, 3])
    j = torch.tensor([2, 4, 8])
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x / j
    y.sum().backward()
    return i / j, y, x.grad, 1 / torch.tensor([2.0, 4.0]), i / 2


@case
def only_floating_tensors_require_grad(torch):
    return torch.tensor([1, 2], requires_grad=True)


@case
def requires_grad_on_integers_raises(torch):
    return torch.tensor([1, 2]).requires_grad_()


@case
def constructors(torch):
    return (torch.zeros(2, 3), torch.ones((2,)), torch.full((2, 2), 7.0), torch.full((3,), 2),
            torch.arange(5), torch.arange(1.0, 2.0, 0.25), torch.arange(0, 10, 3), torch.linspace(-1, 1, 7),
            torch.linspace(-math.pi, math.pi, 2000), torch.eye(3), torch.eye(2, 3),
            torch.zeros(3, dtype=torch.int64), torch.ones(2, dtype=torch.float32), torch.empty(2, 3).shape,
            torch.tensor([[1, 2], [3, 4]]))  # fmt: skip


@case
def like_constructors(torch):
    x = torch.tensor([[1.0, 2.0]], dtype=torch.float32)
    i = torch.tensor([1, 2, 3])
    return (torch.zeros_like(x), torch.ones_like(i), torch.full_like(x, 3.0), torch.rand_like(x).shape,
            torch.randn_like(x).dtype, torch.zeros_like(i, dtype=torch.float64))  # fmt: skip


@case
def random_constructors_shapes_and_dtypes(torch):
    torch.manual_seed(0)
    r = torch.rand(3, 2)
    n = torch.randn(4)
    k = torch.randint(0, 10, (5,))
    return (
        r.shape,
        r.dtype,
        n.shape,
        k.dtype,
        k.shape,
        bool(r.min() >= 0),
        bool(r.max() < 1),
        bool(k.max() < 10),
    )


@case
def from_numpy_shares_memory(torch):
    a = np.array([1.0, 2.0, 3.0])
    t = torch.from_numpy(a)
    t.add_(1)
    return t, float(a[0]), torch.from_numpy(np.arange(3)).dtype


# in-place ops and the version counter (item 4) -----------------------------------------
@case
def inplace_through_detach_is_refused(torch):
    x = torch.tensor([3.0, 4.0], requires_grad=True)
    y = (x * x).sum()
    xd = x.detach()
    xd += 1
    y.backward()  # PyTorch raises; before issue 10 chainrule gave 8, 10 instead of 6, 8
    return x.grad


@case
def inplace_on_a_saved_output_is_refused(torch):
    x = torch.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()
    y.detach().mul_(2)
    y.sum().backward()
    return x.grad


@case
def inplace_through_a_view_is_refused(torch):
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x * x).sum()
    x.detach().reshape(4)[1:3].zero_()
    y.backward()
    return x.grad


@case
def inplace_through_basic_indexing_is_refused(torch):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    x.detach()[0].fill_(5.0)
    y.backward()
    return x.grad


@case
def inplace_on_data_not_saved_is_fine(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.tensor([10.0, 20.0])
    y = (x + c).sum()
    c.add_(1)  # add saves neither operand: backward is still right
    y.backward()
    return x.grad, c


@case
def inplace_on_a_leaf_that_requires_grad_is_refused(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    return x.add_(1)


@case
def inplace_on_a_leaf_under_no_grad(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        x.mul_(3).sub_(torch.tensor([1.0, 1.0]), alpha=2)
        x.add_(torch.tensor([0.5, 0.5]))
    (x * x).sum().backward()
    return x, x.grad, x.requires_grad, x.is_leaf


@case
def inplace_ops_values(torch):
    a = torch.tensor([[1.0, -2.0], [3.0, 4.0]])
    b = a.clone().zero_()
    c = a.clone().fill_(2.5)
    d = a.clone().div_(torch.tensor([2.0, 4.0]))
    e = a.clone().clamp_(-1.0, 2.0)
    f = torch.zeros(2, 2).copy_(torch.tensor([1.0, 2.0]))
    g = a.clone()
    g -= 1
    g *= 2
    g /= 4
    return b, c, d, e, f, g, torch.tensor([1, 2]).mul_(3)


@case
def inplace_view_changes_the_base(torch):
    a = torch.zeros(2, 3)
    a.reshape(6)[2:4].fill_(1.0)
    a[1].add_(torch.tensor([1.0, 2.0, 3.0]))
    return a


@case
def inplace_int_tensor_cannot_hold_a_float(torch):
    return torch.tensor([1, 2]).add_(0.5)


@case
def inplace_on_an_expanded_tensor_raises(torch):
    return torch.ones(1, 3).expand(2, 3).add_(1)


@case
def requires_grad_and_detach(torch):
    x = torch.tensor([1.0, 2.0]).requires_grad_()
    d = x.detach()
    return x.requires_grad, d.requires_grad, x.is_leaf, (x * 2).is_leaf, x.requires_grad_(False).requires_grad


# defects of item 5 with PyTorch's answers ------------------------------------------------
@case
def pow_zero_gradient_at_zero(torch):
    x = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
    (x**0).sum().backward()
    z = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
    (z ** torch.arange(3.0)).sum().backward()
    return x.grad, z.grad


@case
def second_derivative_of_x_to_the_one_at_zero(torch):
    x = torch.tensor([0.0, 2.0], requires_grad=True)
    (g,) = torch.autograd.grad((x**1).sum(), [x], create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), [x], allow_unused=True) if g.requires_grad else (None,)
    return g, h


@case
def exponent_gradient_at_zero_base(torch):
    b = torch.tensor([0.0, 0.0, 2.0])
    e = torch.tensor([-1.0, 2.0, 0.5], requires_grad=True)
    y = b**e
    y.sum().backward()
    return y, e.grad


@case
def integer_minimum_and_bool(torch):
    lo = np.iinfo(np.int64).min
    a = torch.tensor([lo, 5, -3])
    b = torch.tensor([0, lo, -3])
    u = torch.tensor(np.array([200, 3], dtype=np.uint8))
    v = torch.tensor(np.array([7, 250], dtype=np.uint8))
    t = torch.tensor([True, False])
    f = torch.tensor([False, False])
    return torch.minimum(a, b), torch.minimum(u, v), torch.minimum(t, f), torch.maximum(t, f)


@case
def minimum_gradient_splits_ties(torch):
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = torch.tensor([2.0, 2.0, 1.0], requires_grad=True)
    torch.minimum(a, b).sum().backward()
    return a.grad, b.grad


@case
def backward_with_a_string_raises(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward("abc")


@case
def cross_entropy_with_integer_labels(torch):
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], requires_grad=True)
    labels = torch.tensor([0, 1])
    loss = torch.nn.CrossEntropyLoss()(logits, labels)
    loss.backward()
    return loss, logits.grad, labels.dtype


@case
def flatten_and_unflatten_modules(torch):
    x = torch.arange(24.0).reshape(2, 3, 4)
    return (torch.nn.Flatten()(x), torch.nn.Flatten(0, 1)(x), torch.nn.Flatten(0, -1)(x).shape,
            torch.nn.Unflatten(1, (3, 1))(x).shape, torch.nn.Unflatten(2, (2, -1))(x))  # fmt: skip


@case
def inplace_on_the_input_of_an_op_that_saved_its_output_is_fine(torch):
    x = torch.tensor([0.5, -1.0], requires_grad=True)
    y = x.sigmoid()  # saves its result, not x
    x.detach().mul_(4)
    y.sum().backward()
    return x.grad


@case
def float32_stays_float32_through_the_reductions(torch):
    x = torch.tensor([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]], dtype=torch.float32, requires_grad=True)
    v = x.var(1) + x.std(0).sum() + x.max(1).values + x.logsumexp(1) + x.mean(1, keepdim=True).sum(1)
    v.sum().backward()
    # not compared: float32 with an int64 *tensor* is float64 here (numpy's promotion), float32 in torch
    return (
        v,
        v.dtype,
        x.grad,
        (x / 2).dtype,
        (x.pow(2) / torch.tensor([1.0, 2.0, 3.0], dtype=torch.float32)).dtype,
    )


@case
def negative_dims_everywhere(torch):
    x = torch.arange(24.0).reshape(2, 3, 4).requires_grad_()
    y = torch.cat([x, x], dim=-2).sum(-1) + torch.stack([x, x], dim=-1).sum((-1, -2)).unsqueeze(-1) * 0
    y.sum().backward()
    return y, x.grad, x.transpose(-1, -3).shape, x.softmax(-2).sum(-2), x.argmax(-1), x.size(-2)


@case
def one_dimensional_transposes(torch):
    v = torch.tensor([1.0, 2.0, 3.0])
    return v.T, v.t(), v.permute(0), v.transpose(0, -1), v.dim(), v.numel()
