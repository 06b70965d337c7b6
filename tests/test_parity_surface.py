"""Parity with PyTorch for the op surface of issue 10 item 3, written as ported code would
use it: each case once, in PyTorch's spelling, run with `torch` and with chainrule standing
in for it (the machinery of tests/test_parity.py: values, gradients, dtypes, shapes, and
errors where PyTorch raises)."""

from __future__ import annotations

import math

import pytest

from tests import test_parity as parity
from tests.test_parity import torch_float64  # noqa: F401  (the fixture)
from tests.torch_adapter import torch as chainrule_torch

real_torch = pytest.importorskip("torch")

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@pytest.mark.parametrize("fn", CASES, ids=lambda f: f.__name__)
def test_parity_surface(fn, torch_float64):  # noqa: F811
    parity._same(parity._run(fn, real_torch), parity._run(fn, chainrule_torch), fn.__name__)


@case
def causal_attention(torch):
    """single-head attention with a causal mask: einsum, tril, masked_fill, softmax, gelu"""
    torch.manual_seed(0)
    q = torch.tensor([[0.1, 0.4], [0.3, -0.2], [0.5, 0.1]], requires_grad=True)
    k = torch.tensor([[0.2, -0.1], [0.0, 0.3], [-0.4, 0.2]], requires_grad=True)
    v = torch.tensor([[1.0, 2.0], [0.5, -1.0], [0.3, 0.7]], requires_grad=True)
    scores = torch.einsum("qd,kd->qk", q, k) / math.sqrt(2)
    mask = torch.ones(3, 3).tril() == 0
    attn = scores.masked_fill(mask, float("-inf")).softmax(dim=-1)
    out = torch.nn.functional.gelu(torch.einsum("qk,kd->qd", attn, v))
    out.pow(2).sum().backward()
    return out, attn, q.grad, k.grad, v.grad


@case
def cross_entropy_by_gather(torch):
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], requires_grad=True)
    target = torch.tensor([0, 2])
    logp = logits.log_softmax(dim=1)
    loss = -logp.gather(1, target.unsqueeze(1)).squeeze(1).mean()
    loss.backward()
    return loss, logits.grad, logp.argsort(dim=1, descending=True)


@case
def gradient_clipping_by_norm(torch):
    w = torch.tensor([[3.0, -4.0], [0.0, 1.0]], requires_grad=True)
    (w * w).sum().backward()
    norm = torch.norm(w.grad)  # (.grad is a numpy array in chainrule: the function takes it)
    scale = (1.0 / (norm + 1e-6)).clamp(max=1.0)
    return norm, w.grad * scale, torch.norm(w, p=1, dim=0), w.norm(float("inf"), dim=1, keepdim=True)


@case
def topk_and_sort_values_carry_gradients(torch):
    x = torch.tensor([[0.3, -1.2, 2.5, 0.8], [1.1, 0.0, -0.4, 0.9]], requires_grad=True)
    top = x.topk(2, dim=1)
    srt = torch.sort(x, dim=0, descending=True)
    (top.values.sum() + (srt.values * torch.tensor([1.0, 2.0]).unsqueeze(1)).sum()).backward()
    return top, srt, x.grad


@case
def flatten_unsqueeze_squeeze_chain(torch):
    x = torch.arange(24.0).reshape(2, 3, 4).requires_grad_()
    y = x.flatten(1).unsqueeze(0).movedim(0, -1).squeeze(-1)
    z = y.unflatten(1, (3, 4)).flip(2).roll(1, dims=0)
    (z * torch.linspace(0.0, 1.0, 4)).sum().backward()
    return y.shape, z, x.grad, x.view(6, 4).shape, x.reshape(-1).shape


@case
def activations(torch):
    F = torch.nn.functional
    x = torch.linspace(-4.0, 4.0, 9, requires_grad=True)
    # (hardsigmoid is checked in test_tensor_surface: torch's backward rounds 1/6 to float32)
    ys = [F.silu(x), F.mish(x), F.softplus(x, beta=2.0), F.elu(x), F.selu(x), F.hardswish(x),
          F.relu6(x), F.hardtanh(x), F.logsigmoid(x), F.gelu(x, approximate="tanh")]  # fmt: skip
    sum(y.sum() for y in ys).backward()
    return ys, x.grad


@case
def elementwise_math(torch):
    x = torch.tensor([0.2, 0.5, 0.9], requires_grad=True)
    y = torch.stack([x.sin(), x.cos(), x.tan(), x.asin(), x.acos(), x.atan(), x.sinh(), x.cosh(),
                     x.exp2(), x.expm1(), x.log2(), x.log10(), x.log1p(), x.rsqrt(), x.square(),
                     x.reciprocal(), x.erf(), torch.atan2(x, 1 - x)])  # fmt: skip
    (y * torch.arange(1.0, 19.0).unsqueeze(1)).sum().backward()
    return y, x.grad


@case
def rounding_has_zero_gradient(torch):
    x = torch.tensor([-1.5, -0.25, 0.5, 1.75, 2.5], requires_grad=True)
    y = x.floor() + x.ceil() + x.round() + x.trunc() + x.frac() + x.sign() + torch.round(x * 10, decimals=-1)
    y.sum().backward()
    return y, x.grad


@case
def clamp_family(torch):
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], requires_grad=True)
    lo = torch.tensor([-1.0, -1.0, 0.5, 0.0, 0.0], requires_grad=True)
    y = x.clamp(-1.0, 1.0) + x.clip(min=0.0) + x.clamp_min(0.25) + x.clamp_max(0.25) + torch.clamp(x, min=lo)
    z = torch.fmax(x, lo) + torch.fmin(x, lo) + torch.lerp(x, lo, 0.25)
    (y + z).sum().backward()
    return y, z, x.grad, lo.grad


@case
def products(torch):
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = torch.tensor([0.5, -1.0], requires_grad=True)
    out = torch.mm(a, a).sum() + torch.dot(b, b) + torch.outer(b, b).sum() + torch.mv(a, b).sum()
    out = out + torch.bmm(a.unsqueeze(0), a.unsqueeze(0)).sum() + torch.einsum("ii", a)
    out.backward()
    return out, a.grad, b.grad


@case
def reductions_and_scans(torch):
    x = torch.tensor([[1.0, 0.0, 2.0], [3.0, 4.0, 0.5]], requires_grad=True)
    y = x.prod(dim=1).sum() + x.cumsum(dim=1).sum() + x.cumprod(1)[:, -1].sum() + x.amax(dim=0).sum()
    y = y + x.amin() + torch.prod(x)
    y.backward()
    return y, x.grad, x.all(dim=1), x.any(), torch.all(x > -1)


@case
def gather_scatter_index(torch):
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    idx = torch.tensor([[2, 0], [1, 1]])
    g = x.gather(1, idx)
    s = torch.zeros(2, 3).scatter_add(1, idx, g)
    t = x.scatter(1, idx, torch.tensor([[9.0, 8.0], [7.0, 6.0]]))
    sel = x.index_select(0, torch.tensor([1, 1, 0]))
    ms = x.masked_select(x > 2.5)
    tk = torch.take_along_dim(x, idx, dim=1)
    (s.sum() + (t * t).sum() + sel.sum() + ms.sum() + tk.sum()).backward()
    return g, s, t, sel, ms, tk, x.grad


@case
def split_chunk_unbind_stack(torch):
    x = torch.arange(12.0).reshape(3, 4).requires_grad_()
    a, b = x.split([1, 3], dim=1)
    c = x.chunk(2, dim=1)
    rows = x.unbind(0)
    y = torch.hstack([b, a]) + torch.vstack([rows[2], rows[1], rows[0]]) + torch.cat(c[::-1], dim=1)
    (y * y).sum().backward()
    return y, x.grad, x.narrow(1, 1, 2), x.repeat(2, 1).shape, x.tile((2,)).shape, x.triu(1)


@case
def comparisons(torch):
    x = torch.tensor([1.0, float("nan"), float("inf"), -2.0])
    y = torch.tensor([1.0, 2.0, float("inf"), 2.0])
    return (x.eq(y), x.ne(y), x.lt(y), x.le(y), x.gt(y), x.ge(y), torch.isclose(x, y),
            torch.isclose(x, x, equal_nan=True), torch.isnan(x), x.isinf(), x.isfinite(),
            torch.allclose(y, y + 1e-9), torch.equal(y, y), torch.equal(x, x))  # fmt: skip


@case
def errors_where_torch_raises(torch):
    x = torch.ones(2, 3)
    return [parity._run(f, torch) for f in (
        lambda t: t.mm(t.ones(2, 3, 1), t.ones(3, 2)),
        lambda t: t.dot(t.ones(3), t.ones(4)),
        lambda t: x.gather(0, t.tensor([[5]])),
        lambda t: x.topk(4),
        lambda t: x.split([1, 1], dim=1),
    )]  # fmt: skip


@case
def conversions_ported_code_calls(torch):
    x = torch.tensor([[1.5, -2.25], [3.0, 4.75]], requires_grad=True)
    y = x.float()
    z = (y.double() * 2 + x.where(x > 0, torch.zeros(2, 2)) + x.to(torch.float64)).sum()
    z.backward()
    labels = x.detach().long()
    return (y, z, x.grad, labels, x.detach().int(), x.detach().bool(), x.type_as(labels),
            x.tolist(), x.contiguous(), x.new_zeros(2, 3), x.new_ones((1, 2)), x.new_full((2,), 7.0),
            torch.negative(x), x.to("cpu"))  # fmt: skip
