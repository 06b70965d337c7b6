"""Every row of the convolution op table (tests/conv_op_table.py): forward against PyTorch,
gradients against central differences (gradcheck, gradgradcheck) and against PyTorch in
float64 to second order, dtypes in float32; then the ops' errors and PyTorch's tie rules."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, gradcheck, gradgradcheck
from autograd import conv as C
from autograd import pool as P
from autograd import resize as R
from tests import test_tensor_ops as table_tests
from tests.conv_op_table import CONV_IDS, CONV_OPS
from tests.tensor_op_table import sample

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
ops = pytest.mark.parametrize("op", CONV_OPS, ids=CONV_IDS)


@ops
def test_forward_matches_torch(op):
    table_tests.test_forward_matches_numpy(op)


@ops
def test_float32_stays_float32(op):
    table_tests.test_float32_stays_float32(op)


@ops
def test_gradcheck(op):
    assert gradcheck(op.ours, table_tests.tensors(sample(op, 2)))


@ops
def test_gradgradcheck(op):
    assert gradgradcheck(op.ours, table_tests.tensors(sample(op, 3)), atol=1e-4, rtol=1e-3)


@ops
def test_matches_torch_values_and_gradients(op):
    table_tests.test_matches_torch_values_and_gradients(op)


@ops
def test_matches_torch_second_order(op):
    table_tests.test_matches_torch_second_order(op)


def test_top_level_names():
    assert ag.conv2d is C.conv2d and ag.max_pool2d is P.max_pool2d and ag.conv1d is C.conv1d
    assert ag.conv_transpose2d is C.conv_transpose2d


# ---------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: C.conv2d(Tensor(np.zeros((64, 3, 28, 28))), Tensor(np.zeros((6, 1, 5, 5)))),
            r"conv2d: input \(64, 3, 28, 28\) has 3 channels but weight \(6, 1, 5, 5\) expects 1",
        ),
        (
            lambda: C.conv2d(Tensor(np.zeros((1, 4, 5, 5))), Tensor(np.zeros((6, 1, 3, 3))), groups=2),
            r"expects 2 \(1 per group x 2 groups\)",
        ),
        (
            lambda: C.conv2d(Tensor(np.zeros((1, 1, 3, 3))), Tensor(np.zeros((2, 1, 5, 5)))),
            r"conv2d: input \(1, 1, 3, 3\) padded to \(3, 3\) is smaller than the kernel \(5, 5\)",
        ),
        (
            lambda: C.conv2d(
                Tensor(np.zeros((1, 1, 8, 8))), Tensor(np.zeros((2, 1, 3, 3))), stride=2, padding="same"
            ),
            "padding='same' needs stride 1",
        ),
        (
            lambda: C.conv2d(Tensor(np.zeros((8, 8))), Tensor(np.zeros((2, 1, 3, 3)))),
            r"conv2d: input must be",
        ),
        (
            lambda: C.conv2d(
                Tensor(np.zeros((1, 1, 8, 8))), Tensor(np.zeros((2, 1, 3, 3))), Tensor(np.zeros(3))
            ),
            r"conv2d: bias of shape \(3,\) does not match 2 output channels",
        ),
        (
            lambda: C.conv2d(Tensor(np.zeros((1, 1, 8, 8))), Tensor(np.zeros((2, 1, 3, 3), np.float32))),
            "conv2d: input, weight and bias must share one dtype",
        ),
        (
            lambda: C.conv1d(Tensor(np.zeros((1, 2, 8))), Tensor(np.zeros((3, 1, 3)))),
            "conv1d: input .* has 2 channels",
        ),
        (lambda: P.max_pool2d(Tensor(np.zeros((1, 1, 4, 4))), 3, padding=2), "at most half the kernel size"),
        (lambda: P.max_pool2d(Tensor(np.zeros((1, 1, 2, 2))), 3), r"max_pool2d: input \(1, 1, 2, 2\)"),
        (lambda: R.pad(Tensor(np.zeros((1, 1, 2, 2))), (2, 2), mode="reflect"), "reflect padding"),
        (lambda: R.pad(Tensor(np.zeros((1, 1, 2, 2))), (1, 2, 3)), "pad must be an even number"),
        (lambda: R.interpolate(Tensor(np.zeros((1, 1, 2, 2)))), "exactly one of size and scale_factor"),
        (
            lambda: C.fold(Tensor(np.zeros((1, 18, 30))), (5, 6), (2, 3), padding=1),
            "fold: input .* has 30 windows",
        ),
    ],
)
def test_errors_name_the_op_and_the_shapes(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_max_pool_ties_and_indices_as_torch():
    """A window of equal values: PyTorch sends the gradient to the first one (row-major)."""
    x = np.zeros((1, 2, 4, 4))
    x[0, 0, :2, :2] = 1
    x[0, 1, 1, 1] = np.nan
    ours = Tensor(x, requires_grad=True)
    y, idx = P.max_pool2d(ours, 2, return_indices=True)
    y.sum().backward()
    t = torch.tensor(x, requires_grad=True)
    ty, tidx = torch.nn.functional.max_pool2d(t, 2, return_indices=True)
    ty.sum().backward()
    np.testing.assert_array_equal(idx.data, tidx.numpy())
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    np.testing.assert_array_equal(np.nan_to_num(ours.grad), np.nan_to_num(t.grad.numpy()))


@pytest.mark.parametrize("args", [(3, 2, 1, 1, True), ((2, 3), (1, 2), (1, 1), 2, False)])
def test_max_pool_indices_with_padding_and_dilation(args):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8))
    _, idx = P.max_pool2d(Tensor(x), *args[:4], ceil_mode=args[4], return_indices=True)
    k, s, p, d, ceil = args
    _, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), k, s, p, d, ceil_mode=ceil, return_indices=True)
    np.testing.assert_array_equal(idx.data, tidx.numpy())
    assert idx.dtype == np.int64


def test_conv_backward_is_a_convolution_of_the_upstream_gradient():
    """dL/dx of a stride-1 conv2d is the full correlation of g with the flipped kernel."""
    rng = np.random.default_rng(0)
    x, w, g = (
        rng.standard_normal((1, 2, 6, 5)),
        rng.standard_normal((3, 2, 3, 2)),
        rng.standard_normal((1, 3, 4, 4)),
    )
    xt = Tensor(x, requires_grad=True)
    C.conv2d(xt, Tensor(w)).backward(g)
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C_in, C_out, kh, kw)
    expected = C.conv2d(Tensor(g), Tensor(flipped.copy()), padding=(2, 1)).data
    np.testing.assert_allclose(xt.grad, expected, rtol=1e-12, atol=1e-12)


def test_float32_conv_output_and_grads_stay_float32_and_grads_have_input_layout():
    x = Tensor(np.ones((2, 1, 6, 6), np.float32), requires_grad=True)
    w = Tensor(np.ones((2, 1, 3, 3), np.float32), requires_grad=True)
    y = P.max_pool2d(C.conv2d(x, w, padding=1).relu(), 2)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == w.grad.dtype == np.float32
    assert x.grad.shape == x.shape and w.grad.shape == w.shape


def test_max_pool_backward_keeps_an_infinite_gradient_where_it_belongs():
    x = np.random.default_rng(1).standard_normal((1, 1, 4, 4))
    g = np.ones((1, 1, 2, 2))
    g[0, 0, 0, 0] = np.inf
    ours = Tensor(x, requires_grad=True)
    P.max_pool2d(ours, 2).backward(g)
    t = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(t, 2).backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.grad, t.grad.numpy())
