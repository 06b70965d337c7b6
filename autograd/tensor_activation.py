"""Activations with PyTorch's names, arguments and gradients (torch.nn.functional's):
logsigmoid, softplus, elu, selu, hardtanh, relu6, hardsigmoid, hardswish, gelu, silu, mish,
and the existing leaky_relu exported as is.

Where the derivative at a bound is a convention, PyTorch's is kept: hardtanh, relu6 and
hardsigmoid pass the gradient strictly inside their bounds; elu's gradient at 0 is alpha.
`inplace=True` is refused (backward could not see the change). Rules as in tensor_math.py.
"""

from __future__ import annotations

import math

import numpy as np

from . import surface
from . import tensor_ops as _ops
from .surface import raw as _raw
from .surface import where as _where
from .tensor import Tensor, _make
from .tensor_math import _sigmoid, _unary, erf
from .tensor_ops import _lift, _masked

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


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
    a = input if isinstance(input, Tensor) else _lift(input, "softplus")
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
    a = input if isinstance(input, Tensor) else _lift(input, "elu")
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
        a = input if isinstance(input, Tensor) else _lift(input, name)
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


leaky_relu = _ops.leaky_relu  # already PyTorch's (negative_slope=0.01; slope at 0): exported as is

METHODS = (logsigmoid, softplus, elu, selu, hardtanh, relu6, hardsigmoid, hardswish, gelu, silu, mish)
__all__ = [fn.__name__ for fn in METHODS] + ["leaky_relu"]

_RULES_OF_INPUTS = (_logsigmoid_rule, _softplus_rule, _hardtanh_rule, _relu6_rule, _hardsigmoid_rule,
                    _hardswish_rule)  # fmt: skip
_READS = dict.fromkeys(_RULES_OF_INPUTS, surface.INPUTS)
surface.bind(METHODS, reads=_READS)  # elu's rule reads its output; PyTorch saves the input: both
