"""Issue 10 beyond parity: numpy's spellings keep numpy's meaning, mixing spellings is an
error naming the call to use, constructors and the shared generator, the version check's
edges, and the defects found by independent checks (each against PyTorch or the math)."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, Value, grad, no_grad
from autograd.dims import one_dim, reduce_dims


def leaf(data, dtype=np.float64):
    return Tensor(np.asarray(data, dtype=dtype), requires_grad=True)


A = np.arange(12.0).reshape(3, 4) % 5  # ties in rows and columns


# dims.reduce_dims / one_dim: the contract the reductions share ------------------------
def test_reduce_dims_normalises_both_spellings():
    assert reduce_dims("sum", 3) == (None, False)
    assert reduce_dims("sum", 3, dim=-1) == ((2,), False)
    assert reduce_dims("sum", 3, dim=[2, -3], keepdim=True) == ((0, 2), True)
    assert reduce_dims("sum", 3, axis=(1,), keepdims=True) == ((1,), True)
    assert reduce_dims("sum", 0, dim=0) == ((), False) and reduce_dims("sum", 0, dim=-1) == ((), False)
    assert one_dim("softmax", 3, -1) == 2 and one_dim("softmax", 0, -1) == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        (dict(axis=1.5), TypeError, "sum: axis must be an int"),
        (dict(dim="0"), TypeError, "sum: dim must be an int"),
        (dict(dim=True), TypeError, "sum: dim must be an int"),
        (dict(dim=1, axis=1), TypeError, "sum: got both PyTorch's `dim` and numpy's `axis`"),
        (dict(dim=1, keepdims=True), TypeError, "got both PyTorch's `dim` and numpy's `keepdims`"),
        (dict(axis=1, keepdim=True), TypeError, "got both PyTorch's `keepdim` and numpy's `axis`"),
        (dict(keepdim=True, keepdims=True), TypeError, "`keepdim` and numpy's `keepdims`"),
        (
            dict(dim=2),
            IndexError,
            r"sum: dim 2 is out of range for a tensor with 2 dimensions \(expected a dim in \[-2, 1\]\)",
        ),
        (dict(axis=-3), ValueError, "sum: axis -3 is out of range"),
        (dict(dim=(0, -2)), ValueError, "sum: dim .* names a dimension twice"),
    ],
)
def test_reduce_dims_errors_name_the_op(kwargs, error, text):
    with pytest.raises(error, match=text):
        reduce_dims("sum", 2, **kwargs)
    if "dim" in kwargs and "keepdims" in kwargs or "axis" in kwargs and "keepdim" in kwargs:
        leaf(A).sum(**kwargs)  # sum means the same in both spellings: PyTorch accepts this mix too
        with pytest.raises(TypeError, match=text):
            leaf(A).max(**kwargs)  # max does not: the two spellings give different results
    else:
        with pytest.raises(error, match=text):
            leaf(A).sum(**kwargs)  # the method says the same


# numpy's keywords keep numpy's meaning ----------------------------------------------
def test_where_the_meanings_agree_a_mix_pytorch_accepts_is_accepted():
    x = leaf(A)
    np.testing.assert_array_equal(x.sum(1, keepdims=True).data, A.sum(1, keepdims=True))  # numpy and torch
    np.testing.assert_array_equal(x.mean(axis=0, keepdim=True).data, A.mean(0, keepdims=True))
    np.testing.assert_array_equal(x.argmax(1, keepdims=True).data, A.argmax(1, keepdims=True))
    with pytest.raises(TypeError, match="max: got both PyTorch's `dim` and numpy's `keepdims`"):
        x.max(1, keepdims=True)  # torch: (values, indices); numpy: values. Neither is guessed
    with pytest.raises(TypeError, match="min: got both PyTorch's `keepdim` and numpy's `axis`"):
        x.min(axis=1, keepdim=True)


def test_numpy_keywords_keep_numpys_meaning():
    x = leaf(A)
    np.testing.assert_array_equal(x.max(axis=1).data, A.max(axis=1))  # values, not a pair
    np.testing.assert_array_equal(x.min(axis=(0, 1), keepdims=True).data, A.min(axis=(0, 1), keepdims=True))
    np.testing.assert_allclose(x.var(axis=0).data, A.var(axis=0))  # ddof=0
    np.testing.assert_allclose(x.var(axis=0, ddof=1).data, A.var(axis=0, ddof=1))
    np.testing.assert_allclose(x.std(axis=1, keepdims=True).data, A.std(axis=1, keepdims=True))
    np.testing.assert_allclose(x.var().data, A.var(ddof=1))  # no numpy keyword: PyTorch's unbiased
    np.testing.assert_array_equal(x.transpose(axes=(1, 0)).data, A.T)
    np.testing.assert_array_equal(x.transpose().data, A.T)
    np.testing.assert_array_equal(ag.cat([x, x], axis=1).data, np.concatenate([A, A], axis=1))
    np.testing.assert_array_equal(x.argmax(axis=1).data, A.argmax(axis=1))


def test_max_axis_gradient_splits_ties_while_max_dim_picks_the_index():
    x = leaf([[3.0, 3.0, 1.0]])
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.5, 0.5, 0.0]])  # as torch.amax
    x.grad = None
    x.max(1).values.sum().backward()
    np.testing.assert_allclose(x.grad, [[1.0, 0.0, 0.0]])  # as torch.max(dim): the index returned


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda x: x.transpose(1, 0, 2), r"use permute\(1, 0, 2\)"),
        (lambda x: x.transpose((2, 0, 1)), r"use permute\(2, 0, 1\)"),
        (lambda x: x.max(dim=(0, 1)), r"max\(axis=\(0, 1\)\) or amax\(dim=\(0, 1\)\)"),
        (lambda x: x.min(keepdim=True), r"min\(dim, keepdim=True\)"),
        (lambda x: x.var(1, ddof=1), r"var\(dim, correction=1, keepdim=False\) or var\(axis=..., ddof=0"),
        (lambda x: x.var(axis=0, unbiased=False), "use one spelling"),
        (lambda x: x.var(unbiased=True, correction=1), "give unbiased or correction, not both"),
        (lambda x: x.softmax(dim=0, axis=0), r"use softmax\(dim=...\)"),
        (lambda x: ag.cat([x, x], dim=0, axis=0), r"cat\(ts, dim=...\)"),
        (lambda x: x.argmax(dim=(0, 1)), "argmax: takes one dimension"),
        (lambda x: x.size(3), "size: dim 3 is out of range"),
        (lambda x: x.permute(0, 0, 1), r"permute: dims \(0, 0, 1\) must name each of the 3 dimensions"),
    ],
)
def test_habits_that_would_mean_something_else_get_an_error_naming_the_call(call, text):
    with pytest.raises((TypeError, ValueError, IndexError), match=text):
        call(leaf(np.ones((2, 3, 4))))


def test_size_is_pytorchs_and_numel_is_numpys_size():
    t = Tensor(np.zeros((2, 3)))
    assert t.size() == (2, 3) and t.size(-1) == 3 and t.numel() == 6 == t.data.size and t.dim() == 2
    with pytest.raises(IndexError, match="0-d tensor has no dimensions"):
        Tensor(1.0).size(0)


def test_0d_leaf_grad_is_an_array():
    s = leaf(2.0)
    (s * s).backward()
    (s * 3).backward()
    assert isinstance(s.grad, np.ndarray) and s.grad.shape == () and s.grad == 7.0  # 2*2 + 3


def test_second_order_through_the_new_reductions():
    x = leaf(np.random.default_rng(1).standard_normal((3, 4)))
    for f in (
        lambda t: t.var(1).sum(),
        lambda t: t.std(0, correction=0).sum(),
        lambda t: t.max(1).values.pow(2).sum(),
        lambda t: (t.logsumexp(dim=0, keepdim=True) * t).sum(),
        lambda t: (t.permute(1, 0).mT * t).sum() ** 2,
        lambda t: (t / (t * t + 1)).sum(),
        lambda t: ag.minimum(t, t.T.mT * 0.5).pow(3).sum(),
    ):
        assert ag.gradcheck(f, [x]) and ag.gradgradcheck(f, [x])


# dtypes and constructors (item 2) -----------------------------------------------------
def test_only_floating_tensors_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="only floating-point"):
        ag.zeros(2, dtype=np.int64, requires_grad=True)
    with pytest.raises(TypeError, match="Tensor: dtype 'foo' is not a dtype"):
        Tensor([1.0], dtype="foo")
    assert ag.tensor([1, 2], dtype=np.float32, requires_grad=True).requires_grad


def test_tensor_copies_and_from_numpy_shares():
    a = np.array([1.0, 2.0])
    t, s = ag.tensor(a), ag.from_numpy(a)
    a[0] = 5.0
    assert t.data[0] == 1.0 and s.data[0] == 5.0
    with pytest.raises(TypeError, match="from_numpy: expected a numpy array"):
        ag.from_numpy([1.0])


def test_manual_seed_is_one_generator_for_autograd_and_nn():
    ag.manual_seed(7)
    first = (ag.randn(3).data, nn.Linear(2, 2).weight.data.copy(), ag.rand(2).data)
    nn.manual_seed(7)  # the same function
    second = (ag.randn(3).data, nn.Linear(2, 2).weight.data.copy(), ag.rand(2).data)
    for u, v in zip(first, second):
        np.testing.assert_array_equal(u, v)
    assert nn.manual_seed is ag.manual_seed and nn.init.get_rng() is ag.get_rng()
    k = ag.randint(3, 5, (1000,))
    assert k.dtype == np.int64 and set(np.unique(k.data)) == {3, 4}
    assert ag.randint(4, (2, 2)).shape == (2, 2)


def test_linspace_is_computed_as_pytorch_does():
    """The first half counted from start, the second back from end: the end points are exact."""
    torch = pytest.importorskip("torch")
    for start, end, steps in ((-np.pi, np.pi, 2000), (0, 1, 7), (3, -2, 4), (1, 1, 1), (0, 5, 0)):
        ours = ag.linspace(start, end, steps).data
        theirs = torch.linspace(start, end, steps, dtype=torch.float64).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=1e-15)  # to the last bit or so (FMA)


# in-place ops and the version check (item 4) --------------------------------------------
def test_the_issue_example_raises_and_never_gives_8_10():
    x = leaf([3.0, 4.0])
    y = (x * x).sum()
    xd = x.detach()
    xd += 1
    with pytest.raises(RuntimeError, match=r"is at version 1; expected version 0 instead"):
        y.backward()
    assert x.grad is None


def test_version_check_through_tensor_of_tensor_and_from_numpy():
    base = np.array([1.0, 2.0])
    w = Tensor(base)  # shares base's memory (needs no grad)
    x = leaf([0.5, 1.5])
    y = (x * w).sum()
    ag.from_numpy(base).mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    z = (x * Tensor(w)).sum()  # a new op after the change: fine
    z.backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


def test_version_counts_every_change():
    x = leaf([1.0, 2.0])
    y = x.log().sum()  # log's backward reads its input (sigmoid's would read its output only)
    d = x.detach()
    d.add_(1).sub_(1).mul_(1)
    with pytest.raises(RuntimeError, match="is at version 3; expected version 0"):
        y.backward()


def test_optimizer_steps_do_not_trip_the_check():
    model = nn.Linear(3, 1, dtype=np.float64)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    x = Tensor(np.ones((4, 3)))
    for _ in range(3):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()  # changes the weights in place, after the backward that used them
    with no_grad():
        model.weight.zero_()
    np.testing.assert_array_equal(model.weight.data, 0.0)


def test_inplace_errors_are_ours():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf([1.0]).zero_()
    with pytest.raises(RuntimeError, match=r"Please clone\(\) the tensor"):
        Tensor(np.ones(3)).expand(2, 3).add_(1)
    with pytest.raises(
        TypeError, match="add_: the result type float64 can't be cast to the tensor's dtype int64"
    ):
        Tensor([1, 2]).add_(0.5)
    with pytest.raises(ValueError, match=r"mul_: an operand of shape \(3,\) does not broadcast"):
        Tensor(np.ones(2)).mul_(np.ones(3))
    with pytest.raises(RuntimeError, match="in-place change of the result of op"):
        (leaf([1.0]) * 2).mul_(2)


def test_data_assignment_detection_still_works():
    w = leaf([1.0, 2.0])
    y = (w * w).sum()
    w.data = np.array([5.0, 5.0])
    with pytest.raises(RuntimeError, match="was assigned after the op ran"):
        y.backward()


# defects of item 5 (references: PyTorch or the math) -----------------------------------
def test_true_division_with_integers_and_arrays():
    x = leaf([1.0, 2.0, 3.0])
    for divisor in (np.array([2, 4, 8]), [2, 4, 8], Tensor([2, 4, 8])):
        np.testing.assert_allclose((x / divisor).data, [0.5, 0.5, 0.375])
    q = Tensor([1, 2, 3]) / Tensor([2, 4, 8])
    assert q.dtype == np.float64
    np.testing.assert_allclose(q.data, [0.5, 0.5, 0.375])
    np.testing.assert_allclose((6 / Tensor([2, 4])).data, [3.0, 1.5])
    with pytest.raises(ValueError, match=r"^/: shapes \(3,\) and \(2,\)"):
        x / np.ones(2)  # the error names /, not *


def test_pow_gradients_at_zero_as_pytorch():
    x = leaf([0.0, 0.0, 0.0])
    (x ** np.arange(3.0)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])  # d/dx x^k at 0: 0, 1, 0
    z = leaf([0.0])
    (g,) = grad((z**1).sum(), [z], create_graph=True)
    (h,) = grad(g.sum(), [z])
    assert g.data[0] == 1.0 and h[0] == 0.0  # (x)'' = 0
    a, b = Value(0.0), Value(0.0)
    (a**b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)
    c = Value(0.0)
    (c**0).backward()
    assert c.grad == 0.0


def test_integer_minimum_exact_and_bool_stays_bool():
    lo = np.iinfo(np.int64).min
    np.testing.assert_array_equal(ag.minimum(Tensor([lo, 1]), Tensor([0, lo])).data, [lo, lo])
    u = ag.minimum(Tensor(np.array([200, 3], np.uint8)), Tensor(np.array([7, 250], np.uint8)))
    assert u.dtype == np.uint8 and u.data.tolist() == [7, 3]
    b = ag.minimum(Tensor([True, False]), Tensor([True, True]))
    assert b.dtype == np.bool_ and b.data.tolist() == [True, False]
    with pytest.raises(ValueError, match="^minimum: shapes"):
        ag.minimum(Tensor(np.ones(2)), Tensor(np.ones(3)))


def test_value_relu_of_nan_is_nan():
    assert np.isnan(Value(float("nan")).relu().data)


def test_backward_with_a_string_gradient_is_our_error():
    with pytest.raises(TypeError, match="backward: gradient must be a Tensor, an array or a number"):
        (leaf([1.0, 2.0]) * 2).backward("abc")


# Module.load and save (item 5) ---------------------------------------------------------
def _npz_with_header(path, header: bytes, payload: bytes = b"\0" * 16):
    header = header + b" " * (-(len(header) + 11) % 64) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("weight.npy", npy)


@pytest.mark.parametrize(
    "header",
    [
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (5000000000000,), }",  # 40 TB
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,, }",  # unbalanced
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (2, ",
    ],
)
def test_load_of_a_crafted_header_is_a_state_dict_error_and_changes_nothing(tmp_path, header):
    model = nn.Linear(2, 1)
    before = model.weight.data.copy()
    path = tmp_path / "bad.npz"
    _npz_with_header(path, header)
    with pytest.raises(nn.StateDictError, match="is not a readable .npz of arrays"):
        model.load(path)
    np.testing.assert_array_equal(model.weight.data, before)


def test_save_respects_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = nn.Linear(2, 1).save(tmp_path / "m.npz")
    finally:
        os.umask(old)
    assert (os.stat(path).st_mode & 0o777) == 0o644  # as open() would create it


def test_a_save_killed_half_way_leaves_nothing_after_the_next_save(tmp_path):
    script = (
        "import os, signal, numpy as np, nn\n"
        "real = np.lib.format.write_array\n"
        "def die(*a, **k):\n"
        "    real(*a, **k)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "np.lib.format.write_array = die\n"
        f"nn.Linear(2, 1).save({str(tmp_path / 'm.npz')!r})\n"
    )
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert done.returncode == -signal.SIGKILL
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # killed: no cleanup ran
    nn.Linear(2, 1).save(tmp_path / "m.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_numpys_size_habit_gets_an_error_naming_numel():
    t = Tensor(np.zeros((2, 3)))
    for habit in (lambda: t.size * 2, lambda: t.size == 6, lambda: range(t.size), lambda: 1 + t.size):
        with pytest.raises(TypeError, match=r"use t.numel\(\)"):
            habit()
    assert t.size() == (2, 3) and t.size(0) == 2


def test_data_update_of_a_parameter_seen_through_its_aliases():
    for alias in (lambda w: w.detach(), lambda w: Tensor(w), lambda w: ag.from_numpy(w.data)):
        w = leaf([1.0, 2.0])
        x = leaf([3.0, 4.0])
        y = (x * alias(w)).sum()  # the graph reads w's memory through the alias
        w.data -= 0.5  # an optimizer's update
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_optimizer_updates_keep_no_record():
    records = sys.modules["autograd.tensor"]._mutations  # the module (autograd.tensor is the function)
    model = nn.Linear(3, 2)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    before = len(records)
    for _ in range(3):
        opt.zero_grad()
        model(Tensor(np.ones((2, 3), np.float32))).sum().backward()
        opt.step()
    assert len(records) == before  # the hot path adds nothing (peak-memory benchmark)


def test_ported_code_names_device_and_short_dtypes():
    """`device=`, `torch.device`, `torch.float` and `torch.autograd.X` as ported code writes
    them (PyTorch's tutorial scripts), with PyTorch's meaning: float is float32, int is int32."""
    import math

    import autograd as ag

    dev = ag.device("cpu")
    assert dev == "cpu" and repr(dev) == "device(type='cpu')"
    x = ag.linspace(-math.pi, math.pi, 5, device=dev, dtype=ag.float)
    assert x.dtype == np.float32
    assert ag.full((), 0.3, device="cpu", dtype=ag.float, requires_grad=True).requires_grad
    assert ag.zeros(2, dtype=ag.int).dtype == np.int32 and ag.ones(2, dtype=ag.bool).dtype == np.bool_
    for make in (lambda: ag.zeros(2, device="cuda"), lambda: ag.device("cuda:0")):
        with pytest.raises(ValueError, match="no devices"):
            make()
    assert ag.autograd.Function is ag.Function and ag.autograd.grad is ag.grad
    ns: dict = {}
    exec("from autograd import *", ns)
    assert "float" not in ns and "int" not in ns  # the builtins stay Python's
