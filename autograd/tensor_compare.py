"""Comparisons and tests with PyTorch's names: eq ne lt le gt ge (and their long names),
isclose, allclose, isnan, isinf, isfinite, equal, logical_and/or/xor/not. No gradient: the
elementwise ones give bool tensors, allclose and equal give a Python bool.
"""

from __future__ import annotations

import numpy as np

from . import surface
from .surface import raw as _raw
from .tensor import _const
from .tensor_ops import _broadcast_error


def _arr(x):
    return np.asarray(_raw(x))


def _compare(name: str, ufunc, symbol: str):
    def fn(input, other):
        try:
            return _const(np.asarray(ufunc(_arr(input), _arr(other))))
        except ValueError:
            raise _broadcast_error(name, _arr(input), _arr(other)) from None

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"input {symbol} other elementwise, as a bool tensor (no gradient)"
    return fn


eq = _compare("eq", np.equal, "==")
ne = _compare("ne", np.not_equal, "!=")
lt = _compare("lt", np.less, "<")
le = _compare("le", np.less_equal, "<=")
gt = _compare("gt", np.greater, ">")
ge = _compare("ge", np.greater_equal, ">=")


logical_and = _compare("logical_and", np.logical_and, "and")
logical_or = _compare("logical_or", np.logical_or, "or")
logical_xor = _compare("logical_xor", np.logical_xor, "xor")


def logical_not(input):
    """not input elementwise (nonzero is true), as a bool tensor"""
    return _const(np.asarray(np.logical_not(_arr(input))))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """|input - other| <= atol + rtol |other| elementwise, as a bool tensor"""
    try:
        return _const(np.asarray(np.isclose(_arr(input), _arr(other), rtol, atol, equal_nan)))
    except ValueError:
        raise _broadcast_error("isclose", _arr(input), _arr(other)) from None


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """whether isclose holds everywhere (a Python bool)"""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:
    """True if both have one shape and equal elements (a Python bool)"""
    x, y = _arr(input), _arr(other)
    return x.shape == y.shape and bool((x == y).all())


def isnan(input):
    """where the elements are nan (a bool tensor)"""
    return _const(np.asarray(np.isnan(_arr(input))))


def isinf(input):
    """where the elements are +inf or -inf (a bool tensor)"""
    return _const(np.asarray(np.isinf(_arr(input))))


def isfinite(input):
    """where the elements are neither inf nor nan (a bool tensor)"""
    return _const(np.asarray(np.isfinite(_arr(input))))


METHODS = (eq, ne, lt, le, gt, ge, isclose, allclose, equal, isnan, isinf, isfinite, logical_and,
           logical_or, logical_xor, logical_not)  # fmt: skip
ALIASES = {"greater": gt, "greater_equal": ge, "less": lt, "less_equal": le, "not_equal": ne}
__all__ = [fn.__name__ for fn in METHODS] + list(ALIASES)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


surface.bind(METHODS, ALIASES)
