"""Elementwise math with PyTorch's names, arguments and gradients: trigonometric and
hyperbolic functions, exponentials and logarithms, rounding, clamping (the activations
are in tensor_activation.py).

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
from .surface import raw as _raw
from .tensor import Tensor, _const, _make, _make_n
from .tensor_ops import _lift, _lift_pair, _masked

try:  # scipy's erf is vectorised; math.erf elementwise is the fallback (numpy has none)
    from scipy.special import erf as _erf_np
except ImportError:  # pragma: no cover - scipy comes with the test extras
    _erf_scalar = np.frompyfunc(math.erf, 1, 1)

    def _erf_np(x):
        return np.asarray(_erf_scalar(x), dtype=np.result_type(x, np.float16))


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


# dispatch: the same call on an array (numpy) or a Tensor (our op, recorded) -----------
def _on(tensor_fn, numpy_fn):
    def f(x):
        return tensor_fn(x) if isinstance(x, Tensor) else numpy_fn(x)

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
        a = input if isinstance(input, Tensor) else _lift(input, name)
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
    a = input if isinstance(input, Tensor) else _lift(input, "round")
    if decimals.__class__ is bool or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    return _make(np.round(a._data, int(decimals)), a, None, "round", _zero_rule)


# clamping and elementwise extrema ---------------------------------------------------------
def clamp(input, min=None, max=None):
    """min(max(x, min), max); min and max are numbers or tensors (broadcasting). The gradient
    goes to x where min <= x <= max, to min where it wins, to max where it wins (as PyTorch)"""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given (not None)")
    a = input if isinstance(input, Tensor) else _lift(input, "clamp")
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
    if lo is None:
        from_x, low = np.ones(x.shape, bool), x
    else:
        from_x = x >= lo  # ties go to x
        low = np.where(from_x, x, lo)  # max(x, min)
    over = np.zeros(x.shape, bool) if hi is None else low > hi
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
           clamp_min, clamp_max, fmax, fmin, lerp)  # fmt: skip
ALIASES = {"arcsin": asin, "arccos": acos, "arctan": atan, "arctan2": atan2, "fix": trunc}

__all__ = [fn.__name__ for fn in METHODS] + list(ALIASES)


_RULES_OF_INPUTS = (_sin_rule, _cos_rule, _asin_rule, _acos_rule, _atan_rule, _sinh_rule, _cosh_rule,
                    _log2_rule, _log10_rule, _log1p_rule, _square_rule, _erf_rule, _clamp_rule,
                    _fmax_rule, _fmin_rule, _atan2_rule)  # fmt: skip
_RULES_OF_OUTPUT = (_tan_rule, _exp2_rule, _expm1_rule, _rsqrt_rule, _reciprocal_rule)
_READS = dict.fromkeys(_RULES_OF_INPUTS, surface.INPUTS)
_READS.update(dict.fromkeys(_RULES_OF_OUTPUT, surface.OUTPUT))
_READS.update({_zero_rule: surface.NOTHING, _identity_rule: surface.NOTHING})
surface.bind(METHODS, ALIASES, _READS)
