"""Tensor ops: arithmetic and elementwise primitives, each forward with its backward rule
right below it, then the ops composed from them, then the binding of these and of the
shape ops, reductions and in-place ops (their own files) as Tensor methods.

A rule is `rule(ctx, g, out, *parents) -> one gradient per parent (None: not needed)`.
The engine calls it on raw numpy arrays (fast path) or, for `create_graph=True`, on the
Tensors themselves, so rules use only what both understand: operators, `.T`, `.sum`,
`.reshape`, `.swapaxes`, `.astype`, and the small `_exp`/`_where`/`shape_ops._permute`/...
helpers that dispatch on type (an array's `transpose(perm)` is a Tensor's
`permute(perm)`). Gradients may keep the output's broadcast shape: the
engine's one unbroadcast step (`Tensor._conform`) sums them back to each input's shape.
Piecewise-constant factors (masks of relu, max, clip) are computed from raw data: they
are constants of the graph, with zero derivative almost everywhere.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from . import inplace, reductions, shape_ops
from .engine import add_rule as _add_rule
from .engine import mul_rule as _mul_rule
from .engine import sub_rule as _sub_rule
from .reductions import argmax, argmin, log_softmax, logsumexp, max, mean, min, softmax, std, sum, var
from .shape_ops import cat, clone, expand, permute, reshape, stack, swapaxes, transpose
from .shape_ops import lift as _lift
from .tensor import EXACT_RULES, READS, Tensor, _const, _make, _raw

__all__ = [  # the ops of this file and the two it binds with it, as autograd functions
    "abs", "add", "argmax", "argmin", "cat", "clip", "clone", "exp", "expand", "log", "log_softmax",
    "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "permute",
    "pow", "relu", "reshape", "sigmoid", "softmax", "sqrt", "stack", "std", "sub", "sum",
    "swapaxes", "tanh", "transpose", "truediv", "var", "where",
]  # fmt: skip

_ndarray = np.ndarray
_add_reduce = np.add.reduce  # ndarray.sum without its Python wrapper (float arrays)


# operands -----------------------------------------------------------------------------
def _is_scalar(x) -> bool:
    """A Python or numpy number: kept as a number so NEP 50 keeps float32 float32."""
    return x.__class__ is float or x.__class__ is int or isinstance(x, (Real, np.number, np.bool_))


def _lift_pair(a, b, op: str):
    """Two operands as Tensors; a lone number becomes a 0-d constant of the dtype numpy
    would give the result (so `where(m, x32, 0.0)` stays float32)."""
    a_num, b_num = not isinstance(a, Tensor) and _is_scalar(a), not isinstance(b, Tensor) and _is_scalar(b)
    if a_num and b_num:
        a, b = _lift(a, op), _lift(b, op)
    elif a_num:
        b = _lift(b, op)
        a = _const(np.asarray(a, dtype=np.result_type(b._data, a)))
    elif b_num:
        a = _lift(a, op)
        b = _const(np.asarray(b, dtype=np.result_type(a._data, b)))
    else:
        a, b = _lift(a, op), _lift(b, op)
    return a, b


def _broadcast_error(op: str, x, y) -> ValueError:
    return ValueError(
        f"{op}: shapes {np.shape(x)} and {np.shape(y)} do not broadcast (numpy's rule: aligned from "
        "the right, each pair of sizes equal or one of them 1)"
    )


# dispatch helpers for rules -------------------------------------------------------------
def _log(x):
    return log(x) if isinstance(x, Tensor) else np.log(x)


def _where(cond, x, y):
    if isinstance(x, Tensor) or isinstance(y, Tensor):
        return where(cond, x, y)
    return np.where(cond, x, y)


def _masked(g, mask):
    """g where mask is true, else 0. For arrays: the mask cast once and multiplied in place,
    which avoids numpy's casting buffer for float * bool (half the transient memory)."""
    if isinstance(g, Tensor):
        return g * mask
    m = np.asarray(mask, g.dtype)  # an array even for 0-d, where numpy gives a bool scalar
    m *= g
    return m


# ======================================================================================
# primitives: arithmetic
# ======================================================================================
def add(a, b):
    """a + b"""
    if b.__class__ is not Tensor:
        if b.__class__ is float or b.__class__ is int:  # a Python number: a's dtype stays (NEP 50)
            return _make(a._data + b, a, None, "+", _add_number_rule)
        if _is_scalar(b):
            return _make(a._data + b, a, None, "+", _add_scalar_rule)
        b = _lift(b, "+")
    try:
        data = a._data + b._data
    except ValueError:
        raise _broadcast_error("+", a._data, b._data) from None
    return _make(data, a, b, "+", _add_rule)


def _add_scalar_rule(ctx, g, out, a):
    return (g,)


def _add_number_rule(ctx, g, out, a):
    """_add_scalar_rule for a Python number, which keeps a's dtype: g is a's shape and dtype"""
    return (g,)


def mul(a, b):
    """a * b"""
    if b.__class__ is not Tensor:
        if b.__class__ is float or b.__class__ is int:  # a Python number: a's dtype stays (NEP 50)
            return _make(a._data * b, a, None, "*", _mul_number_rule, b)
        if _is_scalar(b):
            return _make(a._data * b, a, None, "*", _mul_scalar_rule, b)
        b = _lift(b, "*")
    try:
        data = a._data * b._data
    except ValueError:
        raise _broadcast_error("*", a._data, b._data) from None
    return _make(data, a, b, "*", _mul_rule)


def _mul_scalar_rule(c, g, out, a):
    return (g * c,)


def _mul_number_rule(c, g, out, a):
    """_mul_scalar_rule for a Python number, which keeps a's dtype: g * c is a's shape and dtype"""
    return (g * c,)


def sub(a, b):
    """a - b (a primitive rather than a + -b: one node fewer in every loss; see bench/)"""
    if b.__class__ is not Tensor:
        if b.__class__ is float or b.__class__ is int:  # a Python number: a's dtype stays (NEP 50)
            return _make(a._data - b, a, None, "-", _add_number_rule)
        if _is_scalar(b):
            return _make(a._data - b, a, None, "-", _add_scalar_rule)
        b = _lift(b, "-")
    try:
        data = a._data - b._data
    except ValueError:
        raise _broadcast_error("-", a._data, b._data) from None
    return _make(data, a, b, "-", _sub_rule)  # the rule: engine.sub_rule, d(a - b) = (g, -g)


def rsub(a, b):
    """b - a"""
    if _is_scalar(b):
        return _make(b - a._data, a, None, "-", _rsub_scalar_rule)
    return sub(_lift(b, "-"), a)


def _rsub_scalar_rule(ctx, g, out, a):
    return (-g,)


def pow(a, b):
    """a ** b for a number b, or elementwise for a tensor b (then d/db uses log a)"""
    if b.__class__ is not Tensor and _is_scalar(b):
        x = a._data
        if x.dtype.kind in "biu" and b < 0 and float(b).is_integer():
            raise ValueError(
                f"**: an integer tensor ({x.dtype}) to the negative power {b}; use a float tensor "
                "(t.astype(np.float64) ** b) or a float exponent"
            )
        return _make(x**b, a, None, f"**{b:g}", _pow_scalar_rule, b)
    a, b = _lift_pair(a, b, "**")
    x, y = a._data, b._data
    if x.dtype.kind in "biu" and y.dtype.kind in "biu" and (y < 0).any():
        raise ValueError(
            f"**: integers to negative integer powers ({x.dtype} ** {y.dtype}); use float tensors"
        )
    try:
        data = x**y
    except ValueError:
        raise _broadcast_error("**", x, y) from None
    return _make(data, a, b, "**", _pow_rule)


def _pow_scalar_rule(n, g, out, a):
    # n * a**(n-1), taken as 0 for n == 0 (as PyTorch: a**0 is constant, even at a = 0)
    if n == 2:
        return (g * (2 * a),)
    if n == 0:
        return (g * 0,)
    return (g * (n * a ** (n - 1)),)


def _pow_rule(ctx, g, out, a, b):
    # d/da = b a**(b-1), taken as 0 where b == 0; d/db = a**b log a, taken as 0 where
    # a == 0 and b >= 0 (PyTorch's choices: at a = 0, b < 0 it is -inf).
    x, y = _raw(a), _raw(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        ga = g * _where(y == 0, 0.0, b * a ** (b - 1)) if (y == 0).any() else g * b * a ** (b - 1)
        zero = (x == 0) & (y >= 0)
        log_a = _log(_where(zero, 1.0, a)) if zero.any() else _log(a)
        gb = g * _where(zero, 0.0, out * log_a)
    return ga, gb


def matmul(a, b):
    """a @ b with numpy's rules: 1-D, 2-D and batched (broadcast leading) dimensions"""
    if b.__class__ is not Tensor:
        b = _lift(b, "@")
    x, y = a._data, b._data
    try:
        data = x @ y
    except ValueError:
        raise _matmul_error(x.shape, y.shape) from None
    return _make(data, a, b, "@", _matmul_rule, (a.requires_grad, b.requires_grad))


def _matmul_rule(need, g, out, a, b):
    if a.ndim == 2 and b.ndim == 2:
        gb = None
        if need[1]:
            # For b = W.T (as in x @ W.T) give the gradient in the layout whose transpose,
            # W's gradient, is C-contiguous: no copy on the way to W.grad.
            gb = (g.T @ a).T if b.__class__ is _ndarray and b.strides[0] < b.strides[1] else a.T @ g
        return (g @ b.T if need[0] else None, gb)
    if a.ndim == 1 and b.ndim == 1:  # dot product: g is a scalar
        return (g * b if need[0] else None, g * a if need[1] else None)
    # Treat a 1-D operand as a matrix, a (n,) as (1, n) and b (n,) as (n, 1), and put the
    # missing axis back into g; the engine sums the broadcast batch axes away.
    a2 = a.reshape((1,) + a.shape) if a.ndim == 1 else a
    b2 = b.reshape(b.shape + (1,)) if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = g2.reshape(g2.shape[:-1] + (1, g2.shape[-1]))
    if b.ndim == 1:
        g2 = g2.reshape(g2.shape + (1,))
    ga = g2 @ b2.swapaxes(-1, -2) if need[0] else None
    gb = a2.swapaxes(-1, -2) @ g2 if need[1] else None
    if gb is not None and b.ndim == 1:
        gb = gb.reshape(gb.shape[:-1])
    return ga, gb


def _matmul_error(sa: tuple, sb: tuple) -> ValueError:
    head = f"matmul: {sa} @ {sb}"
    if not sa or not sb:
        return ValueError(f"{head}: operands must have at least one dimension (use * for scalars)")
    ka, kb = sa[-1], (sb[0] if len(sb) == 1 else sb[-2])
    if ka != kb:
        return ValueError(f"{head}: inner sizes {ka} and {kb} differ")
    return ValueError(f"{head}: batch dimensions {sa[:-2]} and {sb[:-2]} do not broadcast")


# ======================================================================================
# primitives: elementwise functions
# ======================================================================================
def exp(a):
    """e ** x"""
    return _make(np.exp(a._data), a, None, "exp", _exp_rule)


def _exp_rule(ctx, g, out, a):
    return (g * out,)


def log(a):
    """natural log; x <= 0 gives -inf or nan, as numpy"""
    return _make(np.log(a._data), a, None, "log", _log_rule)


def _log_rule(ctx, g, out, a):
    return (g / a,)


def sqrt(a):
    """x ** 0.5"""
    return _make(np.sqrt(a._data), a, None, "sqrt", _sqrt_rule)


def _sqrt_rule(ctx, g, out, a):
    return (g * 0.5 / out,)


def tanh(a):
    """(e^2x - 1) / (e^2x + 1)"""
    return _make(np.tanh(a._data), a, None, "tanh", _tanh_rule)


def _tanh_rule(ctx, g, out, a):
    return (g - g * out * out,)  # g (1 - tanh^2), without a Python number in a numpy op (slower)


def sigmoid(a):
    """1 / (1 + e^-x), without overflow for large |x|"""
    x = a._data
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    data = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return _make(data, a, None, "sigmoid", _sigmoid_rule)


def _sigmoid_rule(ctx, g, out, a):
    return (g * out * (1 - out),)


def relu(a):
    """max(0, x)"""
    return _make(np.maximum(a._data, 0), a, None, "relu", _relu_rule)


def _relu_rule(ctx, g, out, a):
    return (_masked(g, _raw(a) > 0),)


def abs(a):
    """|x|; the gradient at 0 is 0"""
    return _make(np.abs(a._data), a, None, "abs", _abs_rule)


def _abs_rule(ctx, g, out, a):
    return (g * np.sign(_raw(a)),)


def clip(a, lo=None, hi=None):
    """min(max(x, lo), hi); the gradient passes where lo <= x <= hi, as PyTorch's clamp"""
    if lo is None and hi is None:
        raise ValueError("clip: give lo, hi or both")
    return _make(np.clip(a._data, lo, hi), a, None, "clip", _clip_rule, (lo, hi))


def _clip_rule(ctx, g, out, a):
    lo, hi = ctx
    x = _raw(a)
    inside = np.ones(x.shape, bool)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x <= hi
    return (_masked(g, inside),)


def where(cond, a, b):
    """a where cond is true, else b (elementwise, broadcasting); cond gets no gradient"""
    c = _raw(cond)
    c = np.asarray(c, dtype=bool) if c.__class__ is not _ndarray or c.dtype != bool else c
    a, b = _lift_pair(a, b, "where")
    try:
        data = np.where(c, a._data, b._data)
    except ValueError:
        raise ValueError(
            f"where: condition {c.shape} and operands {a._data.shape}, {b._data.shape} do not broadcast"
        ) from None
    return _make(data, a, b, "where", _where_rule, c)


def _where_rule(c, g, out, a, b):
    return _where(c, g, 0), _where(c, 0, g)


def maximum(a, b):
    """elementwise max(a, b); at ties each side gets half the gradient, as in PyTorch"""
    return _extremum2(a, b, "maximum", np.maximum, np.greater)


def minimum(a, b):
    """elementwise min(a, b); at ties each side gets half the gradient, as in PyTorch"""
    return _extremum2(a, b, "minimum", np.minimum, np.less)


def _extremum2(a, b, op, ufunc, wins):
    a, b = _lift_pair(a, b, op)
    try:
        data = ufunc(a._data, b._data)
    except ValueError:
        raise _broadcast_error(op, a._data, b._data) from None
    return _make(data, a, b, op, _extremum2_rule, wins)


def _extremum2_rule(wins, g, out, a, b):
    x, y = _raw(a), _raw(b)
    share = np.asarray(wins(x, y), dtype=g.dtype)  # an array even for 0-d inputs
    share[x == y] = 0.5  # ties split the gradient
    return g * share, g * (1 - share)


def astype(a, dtype):
    """the same values in another dtype; gradients flow back in the input's dtype"""
    dtype = np.dtype(dtype)
    data = a._data.astype(dtype)
    if dtype.kind != "f":
        return _const(data)  # integer and bool results carry no gradient
    return _make(data, a, None, f"astype({dtype})", _astype_rule)


def _astype_rule(ctx, g, out, a):
    return (g.astype(a.dtype),)


# ======================================================================================
# no gradient: comparisons and arg-reductions give constant tensors
# ======================================================================================
def _compare(ufunc, symbol):
    def compare(a, b):
        try:
            return _const(ufunc(a._data, _raw(b)))
        except ValueError:
            raise _broadcast_error(symbol, a._data, _raw(b)) from None

    compare.__name__ = ufunc.__name__
    compare.__doc__ = f"a {symbol} b elementwise, as a bool tensor (no gradient)"
    return compare


# ======================================================================================
# composed from primitives
# ======================================================================================
def neg(a):
    """-a"""
    return mul(a, -1)


def radd(a, b):
    """b + a"""
    return add(a, b) if _is_scalar(b) else add(_lift(b, "+"), a)


def rmul(a, b):
    """b * a"""
    return mul(a, b) if _is_scalar(b) else mul(_lift(b, "*"), a)


def truediv(a, b):
    """a / b (true division: integer tensors give float64, as numpy and PyTorch)"""
    if b.__class__ is not Tensor and _is_scalar(b):
        if b == 0:
            raise ZeroDivisionError("/: division by the number 0")
        if a._data.dtype.kind in "biu":
            return _make(a._data / b, a, None, "/", _mul_scalar_rule, 1 / b)
        return mul(a, 1 / b)
    a, b = _lift_pair(a, b, "/")
    try:
        data = np.true_divide(a._data, b._data)
    except ValueError:
        raise _broadcast_error("/", a._data, b._data) from None
    return _make(data, a, b, "/", _div_rule)


def _div_rule(ctx, g, out, a, b):
    # d(a/b) = (g / b, -g a / b**2) = (g / b, -(g / b) * out)
    gb = g / b
    return gb, -gb * out


def rtruediv(a, b):
    """b / a"""
    if _is_scalar(b):
        return _make(b / a._data, a, None, "/", _rdiv_scalar_rule)
    return truediv(_lift(b, "/"), a)


def _rdiv_scalar_rule(ctx, g, out, a):
    # d(c / a) = -c / a**2 = -out / a
    return (-g * out / a,)


def rpow(a, b):
    """b ** a"""
    return pow(_lift_pair(b, a, "**")[0], a)


def rmatmul(a, b):
    """b @ a"""
    return matmul(_lift(b, "@"), a)


def leaky_relu(a, negative_slope: float = 0.01):
    """x if x > 0 else slope * x"""
    return where(a._data > 0, a, mul(a, negative_slope))


# ======================================================================================
# binding: the ops above as Tensor methods and operators
# ======================================================================================
def _bind():
    T = Tensor
    T.__add__, T.__radd__, T.__sub__, T.__rsub__ = add, radd, sub, rsub
    T.__mul__, T.__rmul__, T.__truediv__, T.__rtruediv__ = mul, rmul, truediv, rtruediv
    T.__pow__, T.__rpow__, T.__matmul__, T.__rmatmul__ = pow, rpow, matmul, rmatmul
    T.__neg__, T.__abs__ = neg, abs
    T.__lt__, T.__le__ = _compare(np.less, "<"), _compare(np.less_equal, "<=")
    T.__gt__, T.__ge__ = _compare(np.greater, ">"), _compare(np.greater_equal, ">=")
    T.__eq__, T.__ne__ = _compare(np.equal, "=="), _compare(np.not_equal, "!=")
    for fn in (exp, log, sqrt, tanh, sigmoid, relu, abs, clip, astype, leaky_relu, matmul, maximum,
               minimum, pow, neg, add, sub, mul):  # fmt: skip
        setattr(T, fn.__name__, fn)
    T.div = T.divide = T.true_divide = truediv
    shape_ops.bind()
    reductions.bind()
    inplace.bind(add, sub, mul, truediv)
    # What each rule reads besides g (inputs' data, output's data), for the version check.
    nothing, inputs, output = (False, False), (True, False), (False, True)
    for rules, reads in (
        (
            (_add_rule, _add_scalar_rule, _sub_rule, _rsub_scalar_rule, _mul_scalar_rule, _astype_rule),
            nothing,
        ),
        ((_mul_rule, _matmul_rule, _log_rule, _relu_rule, _abs_rule, _clip_rule, _extremum2_rule), inputs),
        ((_exp_rule, _sqrt_rule, _tanh_rule, _sigmoid_rule), output),
        ((_where_rule,), nothing),
        ((_add_number_rule,), nothing),
        ((_mul_number_rule,), nothing),
    ):
        READS.update(dict.fromkeys(rules, reads))
    # Rules whose share always has its parent's shape and dtype (given g of the output's):
    # elementwise functions of one float tensor and ops with a Python number. The engine
    # skips the unbroadcast step for them (a 0-d share may come back as a numpy scalar,
    # which the engine turns into an array where a gradient is kept).
    EXACT_RULES.update(
        (_exp_rule, _log_rule, _sqrt_rule, _tanh_rule, _sigmoid_rule, _relu_rule, _abs_rule,
         _add_number_rule, _mul_number_rule)
    )  # fmt: skip
    READS.update(shape_ops.READS)
    READS.update(reductions.READS)


_bind()
