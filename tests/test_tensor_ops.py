"""Every row of the Tensor op table: forward against numpy, gradients against central
differences (gradcheck, gradgradcheck) and against PyTorch in float64, dtypes in float32."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck, gradgradcheck
from tests.tensor_op_table import IDS, OPS, sample


def tensors(arrays, requires_grad=True):
    return [Tensor(a, requires_grad=requires_grad) for a in arrays]


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_forward_matches_numpy(op):
    arrays = sample(op, 0)
    out = op.ours(*tensors(arrays))
    expected = np.asarray(op.numpy(*arrays))
    assert out.shape == expected.shape
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_float32_stays_float32(op):
    arrays = sample(op, 1, np.float32)
    xs = tensors(arrays)
    out = op.ours(*xs)
    assert out.dtype == np.float32, f"{op.name} gave {out.dtype}"
    np.testing.assert_allclose(
        out.data, op.numpy(*[a.astype(np.float64) for a in arrays]), rtol=2e-5, atol=1e-5
    )
    out.backward(np.ones(out.shape, np.float32))
    for x in xs:
        assert x.grad is not None and x.grad.dtype == np.float32 and x.grad.shape == x.shape


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_gradcheck(op):
    assert gradcheck(op.ours, tensors(sample(op, 2)))


@pytest.mark.parametrize(
    "op", [op for op in OPS if op.second_order], ids=[op.name for op in OPS if op.second_order]
)
def test_gradgradcheck(op):
    assert gradgradcheck(op.ours, tensors(sample(op, 3)), atol=1e-4, rtol=1e-3)


def _torch_case(op, seed):
    torch = pytest.importorskip("torch")
    if op.torch is None:
        pytest.skip(f"PyTorch has no {op.name}")
    arrays = sample(op, seed)
    ours = tensors(arrays)
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return torch, arrays, ours, theirs


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_matches_torch_values_and_gradients(op):
    torch, arrays, ours, theirs = _torch_case(op, 4)
    out, ref = op.ours(*ours), op.torch(*theirs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    v = np.random.default_rng(5).standard_normal(out.shape)
    out.backward(v)
    ref.backward(torch.from_numpy(v))
    for i, (x, t) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=f"input {i}")


@pytest.mark.parametrize(
    "op", [op for op in OPS if op.second_order], ids=[op.name for op in OPS if op.second_order]
)
def test_matches_torch_second_order(op):
    """d/dx of sum(w * d(sum(v * f(x)))/dx): a Hessian-vector product through every input."""
    torch, arrays, ours, theirs = _torch_case(op, 6)
    rng = np.random.default_rng(7)
    out, ref = op.ours(*ours), op.torch(*theirs)
    v = rng.standard_normal(out.shape)
    firsts = grad(out, ours, v, create_graph=True)
    tfirsts = torch.autograd.grad(ref, theirs, torch.from_numpy(v), create_graph=True)
    ws = [rng.standard_normal(x.shape) for x in ours]
    total = sum((g * w).sum() for g, w in zip(firsts, ws))
    ttotal = sum((g * torch.from_numpy(w)).sum() for g, w in zip(tfirsts, ws))
    # A first derivative that is constant (relu, abs, linear ops) has no graph: all zeros.
    seconds = grad(total, ours, allow_unused=True) if total.requires_grad else [None] * len(ours)
    tseconds = (
        torch.autograd.grad(ttotal, theirs, allow_unused=True) if ttotal.requires_grad else [None] * len(ours)
    )
    for i, (s, ts) in enumerate(zip(seconds, tseconds)):
        expected = np.zeros(ours[i].shape) if ts is None else ts.numpy(force=True)
        got = np.zeros(ours[i].shape) if s is None else s.data
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10, err_msg=f"input {i}")
