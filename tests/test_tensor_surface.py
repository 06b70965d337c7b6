"""The drivers of tests/test_tensor_ops.py (forward vs numpy, float32, gradcheck,
gradgradcheck, PyTorch values, gradients and second order) over the rows of
tests/tensor_op_table_surface.py, plus forward checks of the ops without a gradient."""

from __future__ import annotations

import pytest

from tests import test_tensor_ops as drivers
from tests.tensor_op_table_surface import IDS, OPS, sample

SECOND = [op for op in OPS if op.second_order]
SECOND_IDS = [op.name for op in SECOND]


@pytest.fixture(autouse=True)
def _surface_domains(monkeypatch):
    monkeypatch.setattr(drivers, "sample", sample)  # the drivers draw inputs with our domains


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_forward_matches_numpy(op):
    drivers.test_forward_matches_numpy(op)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_float32_stays_float32(op):
    drivers.test_float32_stays_float32(op)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_gradcheck(op):
    drivers.test_gradcheck(op)


@pytest.mark.parametrize("op", SECOND, ids=SECOND_IDS)
def test_gradgradcheck(op):
    drivers.test_gradgradcheck(op)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_matches_torch_values_and_gradients(op):
    drivers.test_matches_torch_values_and_gradients(op)


@pytest.mark.parametrize("op", SECOND, ids=SECOND_IDS)
def test_matches_torch_second_order(op):
    drivers.test_matches_torch_second_order(op)


# ---------------------------------------------------------------------------------------
# ops without a gradient, and values where PyTorch fixes a convention, checked against torch
# ---------------------------------------------------------------------------------------
import math  # noqa: E402

import numpy as np  # noqa: E402

import autograd as ag  # noqa: E402
from autograd import Tensor, gradgradcheck  # noqa: E402

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _same(ours, ref):
    """Our tensor (or bool) against a torch result: values, dtype kind and shape."""
    if isinstance(ref, bool):
        assert ours is ref
        return
    ref = ref.detach().numpy()
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype, (ours.dtype, ref.dtype)
    np.testing.assert_array_equal(ours.data, ref)


X = np.array([[1.0, np.nan, -np.inf, 2.0], [0.5, 2.0, np.inf, -1.0], [1.0, 1.0, 0.0, -0.0]])
Y = np.array([1.0, 2.0, np.inf, -1.0 + 1e-9])


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_match_torch(name):
    a, b = Tensor(X), Tensor(Y)
    _same(getattr(ag, name)(a, b), getattr(torch, name)(torch.tensor(X), torch.tensor(Y)))
    _same(getattr(a, name)(1.0), getattr(torch.tensor(X), name)(1.0))
    ints = np.array([[1, 5], [3, 3]])
    _same(getattr(Tensor(ints), name)(3), getattr(torch.tensor(ints), name)(3))


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_ops_match_torch(name):
    a, b = np.array([[0.0, 1.0, 2.0], [0.0, -1.0, 0.0]]), np.array([True, False, True])
    _same(getattr(Tensor(a), name)(b), getattr(torch.tensor(a), name)(torch.tensor(b)))
    _same(ag.logical_not(Tensor(a)), torch.logical_not(torch.tensor(a)))


def test_long_comparison_names():
    a, b = Tensor(X), Tensor(Y)
    for long, short in [("greater", "gt"), ("less_equal", "le"), ("not_equal", "ne")]:
        _same(getattr(ag, long)(a, b), getattr(torch, short)(torch.tensor(X), torch.tensor(Y)))


def test_isclose_allclose_equal_match_torch():
    a, b = X, X + np.array([0.0, 0.0, 0.0, 1e-6])
    for kw in [{}, {"rtol": 0, "atol": 1e-7}, {"equal_nan": True}]:
        _same(ag.isclose(Tensor(a), Tensor(b), **kw), torch.isclose(torch.tensor(a), torch.tensor(b), **kw))
        _same(Tensor(a).allclose(b, **kw), torch.allclose(torch.tensor(a), torch.tensor(b), **kw))
    finite = np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0)
    assert ag.allclose(Tensor(finite), finite + 1e-9) is True
    assert ag.equal(Tensor(finite), Tensor(finite.copy())) is torch.equal(
        torch.tensor(finite), torch.tensor(finite)
    )
    assert ag.equal(Tensor(finite), Tensor(finite[:2])) is False
    assert Tensor(X).equal(Tensor(X)) is torch.equal(torch.tensor(X), torch.tensor(X))  # nan != nan


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_float_tests_match_torch(name):
    _same(getattr(Tensor(X), name)(), getattr(torch, name)(torch.tensor(X)))


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("kw", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"dim": (0, 1)}])
def test_all_any_match_torch(name, kw):
    for data in (np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]]), np.array([[True, False], [True, True]])):
        _same(getattr(Tensor(data), name)(**kw), getattr(torch.tensor(data), name)(**kw))


TIES = np.array([[3.0, 1.0, 2.0, 1.0, 3.0], [0.0, -1.0, 0.0, np.nan, 5.0]])


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_and_argsort_match_torch_stable(descending, dim):
    ours = Tensor(TIES).sort(dim, descending=descending)
    ref = torch.tensor(TIES).sort(dim=dim, descending=descending, stable=True)
    np.testing.assert_array_equal(ours.values.data, ref.values.numpy())
    _same(ours.indices, ref.indices)
    values, indices = ours  # unpacks as PyTorch's named tuple
    assert indices is ours.indices
    _same(
        ag.argsort(Tensor(TIES), dim, descending),
        torch.argsort(torch.tensor(TIES), dim=dim, descending=descending, stable=True),
    )


def test_topk_indices_match_torch():
    x = np.random.default_rng(0).standard_normal((4, 6))
    for kw in [{"k": 3}, {"k": 2, "dim": 0}, {"k": 4, "largest": False}]:
        ours, ref = Tensor(x).topk(**kw), torch.tensor(x).topk(**kw)
        _same(ours.indices, ref.indices)
        np.testing.assert_array_equal(ours.values.data, ref.values.numpy())


def test_amax_ties_share_the_gradient_as_torch():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    for fn in (lambda t: t.amax(dim=1), lambda t: t.amax(), lambda t: t.amin(0, keepdim=True)):
        a, t = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        fn(a).sum().backward()
        fn(t).sum().backward()
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-15)


KINKS = np.array([-3.0, -1.0, 0.0, 1.0, 3.0, 6.0, 20.0, -0.5, 0.5, 2.5, 1.5])


@pytest.mark.parametrize(
    "ours, ref",
    [
        (ag.hardtanh, F.hardtanh),
        (ag.relu6, F.relu6),
        (ag.hardsigmoid, F.hardsigmoid),
        (ag.hardswish, F.hardswish),
        (ag.elu, F.elu),
        (ag.selu, F.selu),
        (ag.softplus, F.softplus),
        (lambda t: ag.softplus(t, beta=0.5, threshold=1.0), lambda t: F.softplus(t, beta=0.5, threshold=1.0)),
        (ag.leaky_relu, F.leaky_relu),
        (lambda t: t.clamp(-1.0, 1.0), lambda t: t.clamp(-1.0, 1.0)),
        (lambda t: t.clamp(min=0.0), lambda t: t.clamp(min=0.0)),
        (ag.sign, torch.sign),
        (ag.floor, torch.floor),
        (ag.ceil, torch.ceil),
        (ag.round, torch.round),
        (ag.trunc, torch.trunc),
        (ag.frac, torch.frac),
        (lambda t: ag.fmax(t, t.detach() * 0 + 1.0), lambda t: torch.fmax(t, t.detach() * 0 + 1.0)),
    ],
)
def test_gradients_at_kinks_and_bounds_as_torch(ours, ref):
    """At the points where the derivative is a convention (bounds, 0, integers, halves)."""
    a, t = Tensor(KINKS, requires_grad=True), torch.tensor(KINKS, requires_grad=True)
    out, tout = ours(a), ref(t)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-15, atol=1e-15)
    out.sum().backward()
    tout.sum().backward()
    # rtol: F.hardsigmoid multiplies by 1/6 rounded to float32
    np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-7, atol=1e-15)


@pytest.mark.parametrize("p", [2, "fro", 1, math.inf, -math.inf, 3, 1.5, 0.5])
def test_norm_gradient_at_zero_as_torch(p):
    x = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, -2.0]])
    a, t = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a.norm(p, dim=1).sum().backward()
    torch.norm(t, p, dim=1).sum().backward()
    np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-12)


def test_prod_and_cumprod_with_two_zeros_as_torch():
    x = np.array([[0.0, 2.0, 0.0, 3.0], [1.0, 0.0, 4.0, 2.0]])
    for fn in (lambda t: t.prod(1), lambda t: t.prod(), lambda t: t.cumprod(1), lambda t: t.cumprod(0)):
        a, t = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, ref = fn(a), fn(t)
        v = np.random.default_rng(1).standard_normal(out.shape)
        out.backward(v)
        ref.backward(torch.tensor(v))
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-12)


def test_numpy_spelling_of_the_new_reductions():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    np.testing.assert_array_equal(Tensor(x).prod(axis=0, keepdims=True).data, x.prod(axis=0, keepdims=True))
    np.testing.assert_array_equal(Tensor(x).cumsum(axis=1).data, x.cumsum(axis=1))
    np.testing.assert_array_equal(Tensor(x).amax(axis=1).data, x.max(axis=1))
    with pytest.raises(TypeError, match="prod"):
        Tensor(x).prod(dim=0, keepdims=True)


def test_integer_tensors_keep_their_dtype():
    x = np.array([[1, 2, 3], [4, 5, 6]])
    m = np.array([[True, False, True], [False, False, True]])
    _same(Tensor(x).masked_fill(m, 0), torch.tensor(x).masked_fill(torch.tensor(m), 0))
    idx = np.array([[1, 0, 1]], dtype=np.int32)
    _same(Tensor(x).gather(0, idx), torch.tensor(x).gather(0, torch.tensor(idx, dtype=torch.int64)))
    _same(Tensor(x).flip(1), torch.tensor(x).flip(1))
    _same(Tensor(x).cumsum(1), torch.tensor(x).cumsum(1))
    _same(Tensor(x).prod(0), torch.tensor(x).prod(0))


def test_split_chunk_unbind_pieces_as_torch():
    x = np.arange(12.0).reshape(2, 6)
    for ours, ref in [
        (Tensor(x).split(4, 1), torch.tensor(x).split(4, 1)),
        (Tensor(x).split([1, 5], dim=1), torch.tensor(x).split([1, 5], dim=1)),
        (Tensor(x).chunk(4, 1), torch.tensor(x).chunk(4, 1)),  # three pieces of 2, as PyTorch
        (Tensor(x).unbind(1), torch.tensor(x).unbind(1)),
    ]:
        assert len(ours) == len(ref)
        for o, r in zip(ours, ref):
            _same(o, r)


def test_view_shares_memory_as_numpy_reshape():
    x = np.arange(6.0)
    v = Tensor(x).view(2, 3)
    assert np.shares_memory(v.data, x)
    np.testing.assert_array_equal(Tensor(x.reshape(2, 3).T).view(-1).data, x.reshape(2, 3).T.ravel())


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: ag.mm(Tensor(np.ones((2, 3, 4))), Tensor(np.ones((4, 2)))),
            r"mm: expects 2-D .* use matmul",
        ),
        (lambda: ag.bmm(Tensor(np.ones((2, 3, 4))), Tensor(np.ones((3, 4, 2)))), r"bmm: shapes \(2, 3, 4\)"),
        (lambda: ag.dot(Tensor(np.ones(3)), Tensor(np.ones(4))), "dot: the vectors have sizes 3 and 4"),
        (lambda: Tensor(np.ones((2, 3))).gather(0, np.array([[0.0]])), "gather: index must hold integers"),
        (lambda: Tensor(np.ones((2, 3))).gather(0, np.array([[2]])), "gather: index out of range"),
        (lambda: Tensor(np.ones((2, 3))).gather(0, np.array([0])), "gather: index has 1 dims"),
        (
            lambda: Tensor(np.ones(3)).masked_fill(np.array([1, 0, 1]), 0.0),
            "masked_fill: mask must be a bool",
        ),
        (lambda: Tensor(np.ones(3)).masked_fill(np.ones((2, 3), bool), 0.0), "masked_fill: mask of shape"),
        (lambda: Tensor(np.ones((2, 3))).cumsum(), "cumsum: dim is required"),
        (lambda: Tensor(np.ones((2, 3))).norm("nuc"), "norm: p='nuc' is not supported"),
        (lambda: Tensor(np.ones((2, 3))).topk(4), r"topk: k=4 must be an int in \[0, 3\]"),
        (lambda: Tensor(np.ones((2, 3))).clamp(), "clamp: at least one of min and max"),
        (lambda: Tensor(np.ones((2, 3))).repeat(2), "repeat: 1 sizes for a tensor with 2 dimensions"),
        (lambda: Tensor(np.ones((2, 3))).split([1, 1], 1), r"split: sizes \[1, 1\] add up to 2"),
        (lambda: Tensor(np.ones((2, 3))).narrow(1, 2, 2), "narrow: start 2 and length 2 do not fit"),
        (lambda: Tensor(np.ones((2, 3))).unflatten(1, (2, 2)), r"unflatten: sizes \(2, 2\) do not multiply"),
        (lambda: Tensor(np.ones(3)).tril(), "tril: needs a tensor with at least 2 dimensions"),
        (lambda: Tensor(np.ones((2, 3))).flatten(1, 0), "flatten: start_dim 1 comes after end_dim 0"),
        (lambda: ag.einsum("ij,jk", Tensor(np.ones((2, 3)))), "einsum: 'ij,jk' names 2 operands, got 1"),
        (lambda: ag.einsum("ij->ik", Tensor(np.ones((2, 3)))), "einsum: output 'ik' must name"),
        (lambda: ag.einsum("ijk", Tensor(np.ones((2, 3)))), "einsum: subscripts 'ijk' do not match"),
        (lambda: ag.gelu(Tensor(np.ones(2)), approximate="erf"), "gelu: approximate must be"),
        (lambda: ag.atan2(Tensor(np.ones(2)), Tensor(np.ones(3))), r"atan2: shapes \(2,\) and \(3,\)"),
        (lambda: Tensor(np.ones(2)).eq(Tensor(np.ones(3))), r"eq: shapes \(2,\) and \(3,\)"),
        (lambda: ag.relu6(Tensor(np.ones(2)), inplace=True), "relu6: inplace=True is not supported"),
        (lambda: Tensor(np.ones((2, 3))).view(5, 2), r"view: cannot reshape \(2, 3\)"),
        (lambda: Tensor(np.ones(2)).to("cuda"), "to: chainrule has no devices"),
        (lambda: Tensor(np.ones(2)).cuda(), "cuda: chainrule has no devices"),
        (lambda: Tensor(np.ones((2, 3))).unsqueeze(3), r"unsqueeze: dim 3 .* 2 dimensions .*\[-3, 2\]"),
        (lambda: Tensor(np.ones((2, 3))).repeat(-1, 2), "repeat: sizes .* must not be negative"),
        (lambda: Tensor(np.ones((2, 3))).index_select(1, [5]), "index_select: index out of range"),
        (lambda: ag.hardswish(Tensor(np.ones(2)), inplace=True), "hardswish: inplace=True is not"),
    ],
)
def test_errors_name_the_op_and_the_fix(call, message):
    with pytest.raises((ValueError, TypeError, IndexError), match=message):
        call()


def test_squeeze_of_a_dim_not_of_size_one_is_a_no_op_as_torch():
    x = np.ones((2, 1, 3))
    assert Tensor(x).squeeze(0).shape == tuple(torch.tensor(x).squeeze(0).shape) == (2, 1, 3)


SAVED = {  # op -> (ours, torch's), on a (2, 2) input in (0.2, 0.6)
    "sin": (ag.sin, torch.sin),
    "tan": (ag.tan, torch.tan),
    "rsqrt": (ag.rsqrt, torch.rsqrt),
    "floor": (ag.floor, torch.floor),
    "elu": (ag.elu, F.elu),
    "hardswish": (ag.hardswish, F.hardswish),
    "clamp": (lambda x: x.clamp(0.25, 0.5), lambda x: x.clamp(0.25, 0.5)),
    "prod": (lambda x: x.prod(1), lambda x: x.prod(1)),
    "norm": (lambda x: x.norm(), lambda x: x.norm()),
    "cumsum": (lambda x: x.cumsum(0), lambda x: x.cumsum(0)),
    "cumprod": (lambda x: x.cumprod(0), lambda x: x.cumprod(0)),
    "flip": (lambda x: x.flip(0), lambda x: x.flip(0)),
    "tril": (lambda x: x.tril(), lambda x: x.tril()),
    "gather": (lambda x: x.gather(0, np.array([[1, 0]])), lambda x: x.gather(0, torch.tensor([[1, 0]]))),
    "einsum": (lambda x: ag.einsum("ij,jk", x, x), lambda x: torch.einsum("ij,jk", x, x)),
}


@pytest.mark.parametrize("name", list(SAVED))
def test_inplace_change_of_an_input_raises_where_torch_saved_it(name):
    """The version check looks at what a rule reads, so it raises exactly where PyTorch does."""
    outcomes = []
    for fn, lib in zip(SAVED[name], (ag, torch)):
        x = lib.tensor([[0.3, 0.6], [0.2, 0.4]], requires_grad=True)
        y = fn(x)
        x.detach().mul_(2)  # the same memory, changed after the op ran
        try:
            y.sum().backward()
            outcomes.append("ok")
        except RuntimeError as e:
            assert "modified by an inplace operation" in str(e)
            outcomes.append("raises")
    assert outcomes[0] == outcomes[1]


def test_clamp_with_tensor_bounds_when_min_exceeds_max_as_torch():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, 0.5])
    lo = np.array([-1.0, -1.0, -1.0, -1.0, -1.0, 1.0])
    hi = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.0])  # the last: min > max, the result is max
    ours = [Tensor(v, requires_grad=True) for v in (x, lo, hi)]
    refs = [torch.tensor(v, requires_grad=True) for v in (x, lo, hi)]
    for fn in (lambda a, b, c: a.clamp(b, c), lambda a, b, c: a.clamp(min=b), lambda a, b, c: a.clamp(max=c)):
        for t in ours + refs:
            t.grad = None
        out, ref = fn(*ours), fn(*refs)
        np.testing.assert_array_equal(out.data, ref.detach().numpy())
        out.sum().backward()
        ref.sum().backward()
        for o, r in zip(ours, refs):
            assert (o.grad is None) == (r.grad is None)
            if r.grad is not None:
                np.testing.assert_array_equal(o.grad, r.grad.numpy())


def test_0d_and_empty_edges_as_torch():
    s, ts = Tensor(np.array(2.0), requires_grad=True), torch.tensor(2.0, requires_grad=True)
    for fn in (lambda t: t.cumsum(0), lambda t: t.cumprod(-1), lambda t: t.prod(0), lambda t: t.flip(0)):
        out, ref = fn(s), fn(ts)
        assert out.shape == tuple(ref.shape) == ()
        out.backward()
        ref.backward()
    np.testing.assert_allclose(s.grad, ts.grad.numpy())
    e = np.zeros((3, 0))
    for ours, ref in [
        (Tensor(e).chunk(2, 1), torch.tensor(e).chunk(2, 1)),
        (Tensor(e).split(2, 1), torch.tensor(e).split(2, 1)),
    ]:
        assert [o.shape for o in ours] == [tuple(r.shape) for r in ref]


@pytest.mark.parametrize(
    "fn",
    [
        lambda p: p.sin().cos(),
        lambda p: ag.gelu(p) + ag.softplus(p) + ag.hardswish(p),
        lambda p: p.cumprod(0) + p.cumsum(0),
        lambda p: p.prod(),
        lambda p: p.norm(3),
        lambda p: ag.einsum("i,i->i", p, p),
        lambda p: p.clamp(-1.0, 0.25) * p,
        lambda p: p.gather(0, np.array([1, 1, 0])) * p.sort().values,
    ],
)
def test_second_order_through_a_parameter(fn):
    """Rules see their parents themselves under create_graph=True: an nn.Parameter too."""
    import nn

    p = nn.Parameter(np.array([0.5, 0.0, -1.5]))
    assert gradgradcheck(fn, [p], atol=1e-4, rtol=1e-3)
