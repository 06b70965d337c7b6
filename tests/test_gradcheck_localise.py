"""gradcheck names the op whose backward is wrong: planted bugs in 20-op programs, Tensor and
Value graphs, Functions; fast mode; verdicts equal torch.autograd.gradcheck's."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

import autograd
from autograd import Function, GradcheckError, Tensor, Value, gradcheck, gradgradcheck
from autograd import value as V
from autograd.tensor import _make, _raw

from .function_examples import half_exp, legendre, module_of
from .tensor_op_table import OPS, sample

torch = pytest.importorskip("torch")


def leaf(shape, seed=0):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def tensor_program(x, w):
    """Twenty ops, one per line, so each op has its own line number."""
    h = x @ w
    h = h.tanh()
    h = h * 2.0
    h = h + 1.0
    h = h.exp()
    h = h.log()
    h = h.sigmoid()
    h = h - 0.5
    h = h**2
    h = h + 0.1
    h = h.sqrt()
    h = h.sum(1)
    h = h.reshape(3, 1)
    h = h * x
    h = h.abs()
    h = h + 1e-3
    h = h.mean(0)
    h = h.softmax(0)
    h = h.log()
    return h.sum()


def value_program(a, b, c):
    h = a * b
    h = h + c
    h = h.tanh()
    h = h * a
    h = h.exp()
    h = h + b
    h = h * h
    h = h.sigmoid()
    h = h - c
    h = h**3
    h = h * 2
    h = h + a
    h = h.relu()
    h = h * b
    h = abs(h)
    h = h + 1
    h = h.log()
    h = h * c
    h = h.sqrt()
    return h / a


def line_of(fn, text):
    import inspect

    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if text in line)


TENSOR_BUGS = [  # (rule name, wrong rule, the program line it is named at)
    ("_tanh_rule", lambda ctx, g, out, a: (g * (1 - out),), "h = h.tanh()"),
    ("_exp_rule", lambda ctx, g, out, a: (g * out * 1.01,), "h = h.exp()"),
    ("_sigmoid_rule", lambda ctx, g, out, a: (g * out,), "h = h.sigmoid()"),
    ("_sqrt_rule", lambda ctx, g, out, a: (g / out,), "h = h.sqrt()"),
    ("_softmax_rule", lambda ax, g, out, a: (g * out,), "h = h.softmax(0)"),
]


@pytest.mark.parametrize("rule, wrong, line", TENSOR_BUGS, ids=[b[0] for b in TENSOR_BUGS])
def test_a_planted_bug_in_a_tensor_program_is_named_at_its_op_and_line(monkeypatch, rule, wrong, line):
    x, w = leaf((3, 4), 1), leaf((4, 5), 2)
    assert gradcheck(tensor_program, [x, w])
    op = rule[1:-5]
    monkeypatch.setattr(module_of(op), rule, wrong)
    with pytest.raises(GradcheckError) as e:
        gradcheck(tensor_program, [x, w])
    msg = str(e.value)
    site = f"test_gradcheck_localise.py:{line_of(tensor_program, line)} in tensor_program"
    assert f"op '{op}' made at {site}" in msg
    assert re.search(r"\d+ of \d+ elements checked disagree", msg)
    assert "inputs of shapes (" in msg


VALUE_BUGS = [
    ("_tanh_rule", lambda ctx, g, out, a: (g * (1 + out * out),), "h = h.tanh()", "tanh"),
    ("_sigmoid_rule", lambda ctx, g, out, a: (g * out,), "h = h.sigmoid()", "sigmoid"),
    ("_log_rule", lambda ctx, g, out, a: (g * a,), "h = h.log()", "log"),
    ("_exp_rule", lambda ctx, g, out, a: (g,), "h = h.exp()", "exp"),
]


@pytest.mark.parametrize("rule, wrong, line, op", VALUE_BUGS, ids=[b[0] for b in VALUE_BUGS])
def test_a_planted_bug_in_a_value_program_is_named_at_its_op_and_line(monkeypatch, rule, wrong, line, op):
    args = [Value(0.3), Value(-0.7), Value(1.1)]
    assert gradcheck(value_program, args)
    monkeypatch.setattr(V, rule, wrong)
    monkeypatch.setitem(V._OP_NAMES, wrong, op)
    with pytest.raises(GradcheckError) as e:
        gradcheck(value_program, args)
    assert f"op '{op}' made at test_gradcheck_localise.py:{line_of(value_program, line)}" in str(e.value)


def test_a_planted_bug_in_multiplication_by_a_number_is_named(monkeypatch):
    x, w = leaf((3, 4), 1), leaf((4, 5), 2)
    monkeypatch.setattr(module_of("__mul__"), "_mul_number_rule", lambda c, g, out, a: (g * c * 1.5,))
    with pytest.raises(GradcheckError, match=r"op '\*' made at test_gradcheck_localise.py:\d+"):
        gradcheck(tensor_program, [x, w])


Legendre, WrongLegendre = legendre(Function), legendre(Function, planted_mistake=True)


def test_a_wrong_function_backward_is_named_by_its_class():
    x = leaf((6,), 3)

    def f(fn):
        return lambda t: (fn.apply(t.tanh()) * 2).sum()

    assert gradcheck(f(Legendre), [x])
    with pytest.raises(GradcheckError, match=r"op 'WrongLegendre' made at test_gradcheck_localise.py:\d+"):
        gradcheck(f(WrongLegendre), [x])


def test_a_wrong_value_function_is_named_by_its_class():
    class Sq(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * a  # missing the 2

    with pytest.raises(GradcheckError, match=r"op 'Sq' made at test_gradcheck_localise.py"):
        gradcheck(lambda a, b: (Sq.apply(a * b) + a).tanh(), [Value(0.4), Value(1.3)])


def test_gradgradcheck_names_the_op_whose_first_derivative_is_not_differentiable(monkeypatch):
    x = leaf((4,), 5)
    # a tanh rule that reads the output as a constant: right first derivatives, wrong second
    monkeypatch.setattr(module_of("tanh"), "_tanh_rule", lambda ctx, g, out, a: (g * (1 - _raw(out) ** 2),))
    assert gradcheck(lambda t: (t.tanh() * t).sum(), [x])
    with pytest.raises(GradcheckError, match=r"not differentiable(.|\n)*op 'tanh' made at"):
        gradgradcheck(lambda t: (t.tanh() * t).sum(), [x])


def test_gradgradcheck_names_the_value_op_whose_backward_reads_a_constant(monkeypatch):
    monkeypatch.setattr(V, "_sigmoid_rule", lambda ctx, g, out, a: (g * V._data(out) * (1 - V._data(out)),))
    monkeypatch.setitem(V._OP_NAMES, V._sigmoid_rule, "sigmoid")
    args = [Value(0.3), Value(-0.7)]
    assert gradcheck(lambda a, b: (a * b).sigmoid() + a, args)
    with pytest.raises(GradcheckError, match=r"op 'sigmoid' made at test_gradcheck_localise.py"):
        gradgradcheck(lambda a, b: (a * b).sigmoid() + a, args)


def test_fast_mode_passes_right_gradients_and_catches_a_planted_bug(monkeypatch):
    x, w = leaf((3, 4), 1), leaf((4, 5), 2)
    assert gradcheck(tensor_program, [x, w], fast_mode=True)
    monkeypatch.setattr(module_of("tanh"), "_tanh_rule", lambda ctx, g, out, a: (g * (1 - out),))
    with pytest.raises(GradcheckError, match=r"fast mode(.|\n)*op 'tanh' made at"):
        gradcheck(tensor_program, [x, w], fast_mode=True)


def test_fast_mode_checks_a_model_of_a_hundred_thousand_parameters_in_seconds():
    rng = np.random.default_rng(0)
    w1 = Tensor(rng.standard_normal((100, 500)) * 0.1, requires_grad=True)
    w2 = Tensor(rng.standard_normal((500, 100)) * 0.1, requires_grad=True)
    x = Tensor(rng.standard_normal((16, 100)))
    start = time.perf_counter()
    assert gradcheck(lambda a, b: ((x @ a).tanh() @ b).tanh().sum(), [w1, w2], fast_mode=True)
    assert w1.numel() + w2.numel() == 100_000
    print(f"fast mode, 1e5 parameters: {time.perf_counter() - start:.3f} s")


def test_float32_inputs_keep_the_clear_refusal_in_fast_mode_too():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t.exp().sum(), [x], fast_mode=True)


# the same verdict as torch.autograd.gradcheck ----------------------------------------------
TorchLegendre, TorchWrongLegendre = legendre(torch.autograd.Function), legendre(torch.autograd.Function, True)
HalfExp, TorchHalfExp = half_exp(Function), half_exp(torch.autograd.Function)

PAIRS = [
    ("legendre", Legendre, TorchLegendre),
    ("wrong-legendre", WrongLegendre, TorchWrongLegendre),
    ("half-exp", HalfExp, TorchHalfExp),
]


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("name, ours, theirs", PAIRS, ids=[p[0] for p in PAIRS])
def test_verdicts_equal_torch_autograd_gradcheck(name, ours, theirs, fast):
    x0 = np.random.default_rng(7).standard_normal((2, 3))
    tx = torch.tensor(x0, requires_grad=True)
    expected = torch.autograd.gradcheck(theirs.apply, (tx,), raise_exception=False, fast_mode=fast)
    got = gradcheck(ours.apply, [Tensor(x0, requires_grad=True)], raise_exception=False, fast_mode=fast)
    assert got == expected


def test_the_report_when_every_op_agrees_says_where_to_look():
    x = leaf((3,), 4)
    state = {"n": 0}

    def drifting(t):  # reads data outside the graph: no op is wrong, the function is
        state["n"] += 1
        return (t * Tensor(t.data.copy())).sum()

    with pytest.raises(GradcheckError, match="every op's backward agrees"):
        gradcheck(drifting, [x])
    assert autograd.gradcheck_localise is not None


def _unary(name, forward, rule):
    """An op factory, as autograd/tensor_math.py makes its elementwise ops: closures."""

    def op(a):
        return _make(forward(a._data), a, None, name, rule)

    return op


def _cos_rule_planted(ctx, g, out, a):
    return (g * np.sin(a),)  # the planted mistake: the sign of d cos = -sin


factory_sin = _unary("sin", np.sin, lambda ctx, g, out, a: (g * np.cos(a),))
factory_cos = _unary("cos", np.cos, _cos_rule_planted)


def test_ops_made_by_a_factory_are_re_run_from_their_frame_and_named():
    x = leaf((2, 3), 6)
    with pytest.raises(GradcheckError, match=r"op 'cos' made at test_gradcheck_localise.py:\d+"):
        gradcheck(lambda t: factory_cos(factory_sin(t) * 2.0).sum(), [x])


TABLE_ROWS = [op for op in OPS if op.torch is not None][::6]


@pytest.mark.parametrize("op", TABLE_ROWS, ids=[op.name for op in TABLE_ROWS])
def test_verdicts_equal_torch_autograd_gradcheck_on_op_table_rows(op):
    xs = sample(op, 11)
    ours = gradcheck(op.ours, [Tensor(x, requires_grad=True) for x in xs], raise_exception=False)
    theirs = torch.autograd.gradcheck(op.torch, tuple(torch.tensor(x, requires_grad=True) for x in xs),
                                      raise_exception=False)  # fmt: skip
    assert ours == theirs
