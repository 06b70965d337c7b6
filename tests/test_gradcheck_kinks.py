"""No false alarms at kinks: elements where the function is not differentiable are checked
against one-sided differences and reported; real errors elsewhere still fail."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd
from autograd import GradcheckError, KinkWarning, Tensor, Value, gradcheck

from .function_examples import module_of

torch = pytest.importorskip("torch")


def leaf(a):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


KINKS = [  # (name, fn, input with elements exactly at the kink, how many kink elements)
    ("relu-at-0", lambda x: x.relu(), [-1.0, 0.0, 2.0, 0.0], 2),
    ("abs-at-0", lambda x: x.abs(), [0.0, 1.5, -0.5], 1),
    ("maximum-tie", lambda x: autograd.maximum(x, Tensor(np.array([0.5, 1.0, -2.0]))), [0.5, 0.0, -2.0], 2),
    ("max-tie", lambda x: x.max(), [3.0, 1.0, 3.0], 2),
    ("min-tie", lambda x: x.min(axis=0), [[1.0, 2.0], [1.0, 0.0]], 2),
    ("clip-bounds", lambda x: x.clip(-1.0, 1.0), [-1.0, 0.2, 1.0, 3.0], 2),
    ("relu-then-smooth", lambda x: (x.relu() * x.exp()).sum(), [0.0, 0.7, -0.3], 1),
]


@pytest.mark.parametrize("name, fn, x0, n", KINKS, ids=[k[0] for k in KINKS])
def test_kinks_are_reported_and_accepted(name, fn, x0, n):
    x = leaf(x0)
    with pytest.warns(KinkWarning) as record:
        assert gradcheck(fn, [x])
    message = str(record[0].message)
    assert f"{n} element(s) sit at a kink" in message
    assert "one-sided slopes" in message


def test_value_kinks_relu_and_abs_at_zero():
    with pytest.warns(KinkWarning, match="one-sided slopes -1 \\(left\\) and 2 \\(right\\)"):
        assert gradcheck(lambda v: v.relu() + abs(v), [Value(0.0)])


def test_torch_gradcheck_fails_where_ours_reports_a_kink():
    """The reference for 'this is a kink': PyTorch's gradcheck, central differences only, fails."""
    tx = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    assert not torch.autograd.gradcheck(torch.relu, (tx,), raise_exception=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KinkWarning)
        assert gradcheck(lambda t: t.relu(), [leaf([-1.0, 0.0, 2.0])])


def test_a_real_error_away_from_the_kink_still_fails_and_the_kink_is_listed(monkeypatch):
    monkeypatch.setattr(module_of("exp"), "_exp_rule", lambda ctx, g, out, a: (g * out * 1.01,))
    x = leaf([-1.0, 0.0, 2.0, 0.0])
    with pytest.raises(GradcheckError) as e:
        gradcheck(lambda t: t.relu().exp().sum(), [x])
    msg = str(e.value)
    assert "input 0, element (2,)" in msg  # the real error, at x = 2
    assert "2 element(s) at a kink were checked against one-sided differences" in msg
    assert "op 'exp'" in msg


def test_a_wrong_derivative_at_the_kink_outside_both_slopes_fails(monkeypatch):
    # relu's derivative at 0 given as 3: neither one-sided slope (0 or 1), nor between them
    def wrong(ctx, g, out, a):
        return (g * np.where(a > 0, 1.0, np.where(a == 0, 3.0, 0.0)),)

    monkeypatch.setattr(module_of("relu"), "_relu_rule", wrong)
    with pytest.raises(GradcheckError, match="element \\(1,\\)"):
        gradcheck(lambda t: t.relu(), [leaf([-1.0, 0.0, 2.0])])


def test_fast_mode_at_a_kink_is_accepted_with_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KinkWarning)
        assert gradcheck(lambda t: t.abs().sum(), [leaf([0.0, 0.0, 0.0])], fast_mode=True)


def test_sort_with_equal_keys_is_a_kink_when_sort_is_there():
    if not hasattr(Tensor, "sort"):
        pytest.skip("Tensor.sort is not in this tree yet")
    x = leaf([1.0, 2.0, 1.0, 0.5])
    weights = Tensor(np.array([1.0, 2.0, 3.0, 4.0]))
    with pytest.warns(KinkWarning, match=r"element \(0,\) of output element \d"):
        assert gradcheck(lambda t: t.sort()[0] * weights, [x])
