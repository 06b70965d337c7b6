"""Elementwise math with PyTorch's names, arguments and gradients: trigonometric and
hyperbolic functions, exponentials and logarithms, activations, clamping, rounding.

Each primitive is one line of forward and a rule right above it (`rule(ctx, g, out, a)`),
written with operators and the dispatching helpers below so that a rule runs on numpy
arrays (the fast path) and on Tensors (`create_graph=True`, second order) alike. Masks
(which branch of a piecewise function is taken) come from raw data: constants of the
graph. Where PyTorch's gradient at a kink or boundary is a convention (strict or
inclusive bounds), the rule follows PyTorch's, as the op table checks.
"""

from __future__ import annotations

import math

import numpy as np

from . import surface
from . import tensor_ops as _ops
from .tensor import Tensor, _const, _make, _make_n, _raw
from .tensor_ops import _lift, _lift_pair, _masked, _where

try:  # scipy's erf is vectorised; math.erf elementwise is the fallback (numpy has none)
    from scipy.special import erf as _erf_np
except ImportError:  # pragma: no cover - scipy comes with the test extras
    _erf_scalar = np.frompyfunc(math.erf, 1, 1)

    def _erf_np(x):
        return np.asarray(_erf_scalar(x), dtype=np.result_type(x, np.float16))


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


# dispatch: the same call on an array (numpy) or a Tensor (our op, recorded) -----------
def _on(tensor_fn, numpy_fn):
    def f(x):
        return tensor_fn(x) if x.__class__ is Tensor else numpy_fn(x)

    return f


_sin = _on(lambda x: sin(x), np.sin)
_cos = _on(lambda x: cos(x), np.cos)
_sinh = _on(lambda x: sinh(x), np.sinh)
_cosh = _on(lambda x: cosh(x), np.cosh)
_exp = _on(lambda x: _ops.exp(x), np.exp)
_sigmoid = _on(lambda x: _ops.sigmoid(x), lambda x: _ops.sigmoid(_const(x))._data)


def _unary(name: str, forward, rule, doc: str):
    """The op `name`: forward(array) -> array, recorded with `rule`."""

    def op(input):
        a = input if input.__class__ is Tensor else _lift(input, name)
        return _make(forward(a._data), a, None, name, rule)

    op.__name__, op.__qualname__, op.__doc__ = name, name, doc
    return op


def _zero_rule(ctx, g, out, a):
    return (np.zeros(np.shape(_raw(g)), _raw(g).dtype),)  # piecewise constant: zero, as PyTorch


def _identity_rule(ctx, g, out, a):
    return (g,)


# trigonometric and hyperbolic -------------------------------------------------------
def _sin_rule(ctx, g, out, a):
    return (g * _cos(a),)


def _cos_rule(ctx, g, out, a):
    return (-g * _sin(a),)


def _tan_rule(ctx, g, out, a):
    return (g * (1 + out * out),)


def _asin_rule(ctx, g, out, a):
    return (g * (1 - a * a) ** -0.5,)


def _acos_rule(ctx, g, out, a):
    return (-g * (1 - a * a) ** -0.5,)


def _atan_rule(ctx, g, out, a):
    return (g / (1 + a * a),)


def _sinh_rule(ctx, g, out, a):
    return (g * _cosh(a),)


def _cosh_rule(ctx, g, out, a):
    return (g * _sinh(a),)


sin = _unary("sin", np.sin, _sin_rule, "sin x; d/dx = cos x")
cos = _unary("cos", np.cos, _cos_rule, "cos x; d/dx = -sin x")
tan = _unary("tan", np.tan, _tan_rule, "tan x; d/dx = 1 + tan² x")
asin = _unary("asin", np.arcsin, _asin_rule, "arcsin x; d/dx = 1 / sqrt(1 - x²)")
acos = _unary("acos", np.arccos, _acos_rule, "arccos x; d/dx = -1 / sqrt(1 - x²)")
atan = _unary("atan", np.arctan, _atan_rule, "arctan x; d/dx = 1 / (1 + x²)")
sinh = _unary("sinh", np.sinh, _sinh_rule, "sinh x; d/dx = cosh x")
cosh = _unary("cosh", np.cosh, _cosh_rule, "cosh x; d/dx = sinh x")
arcsin, arccos, arctan = asin, acos, atan  # PyTorch's aliases


def atan2(input, other):
    """the angle of the point (other, input), in (-pi, pi]; d/dy = x / r², d/dx = -y / r²"""
    y, x = _lift_pair(input, other, "atan2")
    try:
        data = np.arctan2(y._data, x._data)
    except ValueError:
        raise _ops._broadcast_error("atan2", y._data, x._data) from None
    return _make(data, y, x, "atan2", _atan2_rule)


def _atan2_rule(ctx, g, out, y, x):
    s = g / (x * x + y * y)
    return s * x, -s * y


arctan2 = atan2


# exponentials and logarithms ----------------------------------------------------------
def _exp2_rule(ctx, g, out, a):
    return (g * out * _LN2,)


def _expm1_rule(ctx, g, out, a):
    return (g * (out + 1),)


def _log2_rule(ctx, g, out, a):
    return (g / (a * _LN2),)


def _log10_rule(ctx, g, out, a):
    return (g / (a * _LN10),)


def _log1p_rule(ctx, g, out, a):
    return (g / (a + 1),)


def _rsqrt_rule(ctx, g, out, a):
    return (g * out * out * out * -0.5,)  # from the output alone, as PyTorch saves it


def _square_rule(ctx, g, out, a):
    return (g * a * 2,)


def _reciprocal_rule(ctx, g, out, a):
    return (-g * out * out,)


def _erf_rule(ctx, g, out, a):
    return (g * _exp(-a * a) * _TWO_OVER_SQRT_PI,)


exp2 = _unary("exp2", np.exp2, _exp2_rule, "2 ** x; d/dx = 2 ** x ln 2")
expm1 = _unary("expm1", np.expm1, _expm1_rule, "e ** x - 1, exact for small x; d/dx = e ** x")
log2 = _unary("log2", np.log2, _log2_rule, "log base 2; d/dx = 1 / (x ln 2)")
log10 = _unary("log10", np.log10, _log10_rule, "log base 10; d/dx = 1 / (x ln 10)")
log1p = _unary("log1p", np.log1p, _log1p_rule, "log(1 + x), exact for small x; d/dx = 1 / (1 + x)")
rsqrt = _unary("rsqrt", lambda x: 1 / np.sqrt(x), _rsqrt_rule, "1 / sqrt x; d/dx = -x ** -1.5 / 2")
square = _unary("square", np.square, _square_rule, "x²; d/dx = 2x")
reciprocal = _unary("reciprocal", lambda x: 1 / x, _reciprocal_rule, "1 / x; d/dx = -1 / x²")
erf = _unary("erf", _erf_np, _erf_rule, "2/sqrt(pi) ∫₀ˣ e^(-t²) dt; d/dx = 2/sqrt(pi) e^(-x²)")


# rounding: zero gradient (frac: the identity's), as PyTorch -------------------------------
sign = _unary("sign", np.sign, _zero_rule, "-1, 0 or 1; zero gradient")
floor = _unary("floor", np.floor, _zero_rule, "largest integer <= x; zero gradient")
ceil = _unary("ceil", np.ceil, _zero_rule, "smallest integer >= x; zero gradient")
trunc = _unary("trunc", np.trunc, _zero_rule, "x rounded toward 0; zero gradient")
frac = _unary("frac", lambda x: x - np.trunc(x), _identity_rule, "x - trunc(x); d/dx = 1")
fix = trunc


def round(input, decimals: int = 0):
    """x rounded to `decimals` places, halves to even (as PyTorch and numpy); zero gradient"""
    a = input if input.__class__ is Tensor else _lift(input, "round")
    if decimals.__class__ is bool or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    return _make(np.round(a._data, int(decimals)), a, None, "round", _zero_rule)


# activations --------------------------------------------------------------------------
def _logsigmoid_np(x):
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))  # no overflow for large |x|


def _logsigmoid_rule(ctx, g, out, a):
    return (g * _sigmoid(-a),)


logsigmoid = _unary("logsigmoid", _logsigmoid_np, _logsigmoid_rule, "log(sigmoid x); d/dx = sigmoid(-x)")


def _no_inplace(op: str, inplace) -> None:
    if inplace:
        raise ValueError(
            f"{op}: inplace=True is not supported (backward could not see the change); "
            f"use the result, y = {op}(x)"
        )


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)"""
    a = input if input.__class__ is Tensor else _lift(input, "softplus")
    x = a._data
    bx = x * beta
    linear = bx > threshold
    data = np.where(linear, x, np.logaddexp(0, bx) / beta)  # logaddexp: no overflow
    return _make(data, a, None, "softplus", _softplus_rule, (beta, linear))


def _softplus_rule(ctx, g, out, a):
    beta, linear = ctx
    return (_where(linear, g, g * _sigmoid(a * beta)),)


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """x for x > 0, else alpha (e^x - 1); the gradient at 0 is alpha, as PyTorch"""
    _no_inplace("elu", inplace)
    a = input if input.__class__ is Tensor else _lift(input, "elu")
    x = a._data
    pos = x > 0
    data = np.where(pos, x, alpha * np.expm1(np.minimum(x, 0)))  # no overflow on the unused side
    return _make(data, a, None, "elu", _elu_rule, (alpha, pos))


def _elu_rule(ctx, g, out, a):
    alpha, pos = ctx
    return (_where(pos, g, g * (out + alpha)),)  # alpha e^x = out + alpha where x <= 0


def selu(input, inplace: bool = False):
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al."""
    _no_inplace("selu", inplace)
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def _bounded(name, forward, mask):
    """An op that is linear between bounds and constant outside: gradient g * mask(x)."""

    def rule(ctx, g, out, a):
        return (_masked(g, mask(_raw(a), *ctx)),)

    def op(input, *bounds):
        a = input if input.__class__ is Tensor else _lift(input, name)
        return _make(forward(a._data, *bounds), a, None, name, rule, bounds)

    rule.__name__ = f"_{name}_rule"
    return op, rule


def _inside(x, lo, hi):
    return (x > lo) & (x < hi)  # strict: PyTorch's hardtanh gives 0 at the bounds


_hardtanh, _hardtanh_rule = _bounded("hardtanh", np.clip, _inside)
_relu6, _relu6_rule = _bounded("relu6", np.clip, _inside)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """min_val, x or max_val: x clipped; the gradient is 1 strictly inside, as PyTorch"""
    _no_inplace("hardtanh", inplace)
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} is greater than max_val {max_val}")
    return _hardtanh(input, min_val, max_val)


def relu6(input, inplace: bool = False):
    """min(max(x, 0), 6); the gradient is 1 on 0 < x < 6"""
    _no_inplace("relu6", inplace)
    return _relu6(input, 0.0, 6.0)


def _hardsigmoid_np(x):
    return np.clip(x / 6 + 0.5, 0, 1)


def _hardsigmoid_rule(ctx, g, out, a):
    return (_masked(g, _inside(_raw(a), -3, 3)) / 6,)


def _hardswish_np(x):
    return x * np.clip(x + 3, 0, 6) / 6


def _hardswish_rule(ctx, g, out, a):
    x = _raw(a)
    return (_where(_inside(x, -3, 3), g * (a / 3 + 0.5), _masked(g, x >= 3)),)


_hardsigmoid = _unary("hardsigmoid", _hardsigmoid_np, _hardsigmoid_rule, "")
_hardswish = _unary("hardswish", _hardswish_np, _hardswish_rule, "")


def hardsigmoid(input, inplace: bool = False):
    """clip(x / 6 + 1/2, 0, 1); the gradient is 1/6 strictly inside (-3, 3)"""
    _no_inplace("hardsigmoid", inplace)
    return _hardsigmoid(input)


def hardswish(input, inplace: bool = False):
    """x * hardsigmoid(x); the gradient is x/3 + 1/2 inside (-3, 3), 1 from 3 on"""
    _no_inplace("hardswish", inplace)
    return _hardswish(input)


def gelu(input, approximate: str = "none"):
    """x Φ(x), Φ the standard normal CDF; approximate='tanh' uses Hendrycks & Gimpel's tanh form"""
    a = input if isinstance(input, Tensor) else _lift(input, "gelu")
    if approximate == "none":
        return a * (erf(a * (1 / math.sqrt(2))) + 1) * 0.5
    if approximate == "tanh":
        inner = (a + a * a * a * 0.044715) * math.sqrt(2 / math.pi)
        return a * (_ops.tanh(inner) + 1) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input, inplace: bool = False):
    """x sigmoid(x) (swish)"""
    _no_inplace("silu", inplace)
    a = input if isinstance(input, Tensor) else _lift(input, "silu")
    return a * _ops.sigmoid(a)


def mish(input, inplace: bool = False):
    """x tanh(softplus(x))"""
    _no_inplace("mish", inplace)
    a = input if isinstance(input, Tensor) else _lift(input, "mish")
    return a * _ops.tanh(softplus(a))


# clamping and elementwise extrema ---------------------------------------------------------
def clamp(input, min=None, max=None):
    """min(max(x, min), max); min and max are numbers or tensors (broadcasting). The gradient
    goes to x where min <= x <= max, to min where it wins, to max where it wins (as PyTorch)"""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given (not None)")
    a = input if input.__class__ is Tensor else _lift(input, "clamp")
    lo_t, hi_t = (not (b is None or _ops._is_scalar(b)) for b in (min, max))
    parents, lo, hi = [a], min, max
    if lo_t:
        parents.append(_lift(min, "clamp: min"))
        lo = parents[-1]._data
    if hi_t:
        parents.append(_lift(max, "clamp: max"))
        hi = parents[-1]._data
    try:
        data = np.clip(a._data, lo, hi)
    except ValueError:
        shapes = ", ".join(str(np.shape(v)) for v in (a._data, lo, hi) if v is not None)
        raise ValueError(f"clamp: shapes {shapes} do not broadcast") from None
    return _make_n(data, tuple(parents), "clamp", _clamp_rule, (lo_t, hi_t, min, max))


def _clamp_rule(ctx, g, out, a, *bounds):
    lo_t, hi_t, lo, hi = ctx
    x = _raw(a)
    lo = _raw(bounds[0]) if lo_t else lo
    hi = _raw(bounds[-1]) if hi_t else hi
    from_x = np.ones(x.shape, bool) if lo is None else x >= lo  # ties go to x
    over = np.zeros(x.shape, bool) if hi is None else np.where(from_x, x, lo) > hi
    grads = [_masked(g, from_x & ~over)]
    if lo_t:
        grads.append(_masked(g, ~from_x & ~over))
    if hi_t:
        grads.append(_masked(g, over))
    return tuple(grads)


def clip(input, min=None, max=None, *, lo=None, hi=None):
    """clamp (PyTorch's alias); numpy-style `lo=` / `hi=` are accepted as min / max"""
    if lo is not None or hi is not None:
        if min is not None or max is not None:
            raise TypeError("clip: give min/max or lo/hi, not both spellings in one call")
        min, max = lo, hi
    if min is None and max is None:
        raise ValueError("clip: give lo, hi or both (PyTorch's spelling: min=, max=)")
    return clamp(input, min, max)


def clamp_min(input, min):
    """max(x, min)"""
    return clamp(input, min, None)


def clamp_max(input, max):
    """min(x, max)"""
    return clamp(input, None, max)


def _nan_extremum(name, ufunc, wins):
    def op(input, other):
        a, b = _lift_pair(input, other, name)
        try:
            data = ufunc(a._data, b._data)
        except ValueError:
            raise _ops._broadcast_error(name, a._data, b._data) from None
        return _make(data, a, b, name, rule)

    def rule(ctx, g, out, a, b):
        x, y = _raw(a), _raw(b)
        first = wins(x, y) | np.isnan(y)  # ties and a nan in other: input wins
        return _masked(g, first), _masked(g, ~first)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"elementwise {name[1:]}, ignoring nan (nan only where both are); ties go to input"
    rule.__name__ = f"_{name}_rule"
    return op, rule


fmax, _fmax_rule = _nan_extremum("fmax", np.fmax, np.greater_equal)
fmin, _fmin_rule = _nan_extremum("fmin", np.fmin, np.less_equal)


def lerp(input, end, weight):
    """input + weight (end - input): linear interpolation; weight a number or a tensor"""
    a = input if isinstance(input, Tensor) else _lift(input, "lerp")
    return a + (end - a) * weight


# binding --------------------------------------------------------------------------------
METHODS = (sin, cos, tan, asin, acos, atan, atan2, sinh, cosh, exp2, expm1, log2, log10, log1p,
           rsqrt, square, reciprocal, erf, sign, floor, ceil, trunc, frac, round, clamp, clip,
           clamp_min, clamp_max, fmax, fmin, lerp, logsigmoid, softplus, elu, selu, hardtanh, relu6,
           hardsigmoid, hardswish, gelu, silu, mish)  # fmt: skip
ALIASES = {"arcsin": asin, "arccos": acos, "arctan": atan, "arctan2": atan2, "fix": trunc}

leaky_relu = _ops.leaky_relu  # already PyTorch's (negative_slope=0.01; slope at 0): exported as is
__all__ = [fn.__name__ for fn in METHODS] + list(ALIASES) + ["leaky_relu"]


_RULES_OF_INPUTS = (_sin_rule, _cos_rule, _asin_rule, _acos_rule, _atan_rule, _sinh_rule, _cosh_rule,
                    _log2_rule, _log10_rule, _log1p_rule, _square_rule, _erf_rule, _logsigmoid_rule,
                    _softplus_rule, _hardtanh_rule, _relu6_rule, _hardsigmoid_rule, _hardswish_rule,
                    _clamp_rule, _fmax_rule, _fmin_rule, _atan2_rule)  # fmt: skip
_READS = dict.fromkeys(_RULES_OF_INPUTS, surface.INPUTS)
_READS.update(
    dict.fromkeys((_tan_rule, _exp2_rule, _expm1_rule, _rsqrt_rule, _reciprocal_rule), surface.OUTPUT)
)
_READS.update({_zero_rule: surface.NOTHING, _identity_rule: surface.NOTHING})
surface.bind(METHODS, ALIASES, _READS)
