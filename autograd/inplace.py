"""In-place ops as PyTorch has them: `zero_ fill_ add_ sub_ mul_ div_ clamp_ copy_` and the
operators `+= -= *= /=`. Each writes into the tensor's memory and records the change
(`tensor.bump`), so that a backward through an op whose saved data changed refuses, also
when the change came through another tensor sharing the memory (detach(), a view).

As in PyTorch, a leaf that requires grad may change in place only under `no_grad()`. Unlike
PyTorch, an op's result that requires grad cannot: chainrule does not rewrite the graph
behind it (write `t = t + x`; the operators `t += x` do that by themselves).
"""

from __future__ import annotations

import numpy as np

from .grad_mode import state as _state
from .tensor import Tensor, _raw, bump


def _writable(t: Tensor, op: str) -> np.ndarray:
    """t's array, once checked that an in-place op may write it."""
    if t.requires_grad and _state.enabled:
        if t._rule is None:
            raise RuntimeError(
                f"{op}: a leaf Variable that requires grad is being used in an in-place operation "
                "(backward could not see it); do it under `with no_grad():`, or change t.data"
            )
        raise RuntimeError(
            f"{op}: in-place change of the result of op '{t.op}', which requires grad; chainrule "
            "does not rewrite the graph behind it. Write it out of place (t = t + x, t = t.clamp(...))"
        )
    x = t._data
    if not x.flags.writeable:
        raise RuntimeError(
            f"{op}: unsupported operation: more than one element of the written-to tensor (shape "
            f"{x.shape}) refers to a single memory location (it was made by expand or broadcasting) "
            "or the memory is read-only. Please clone() the tensor before performing the operation"
        )
    return x


def _apply(t: Tensor, op: str, ufunc, other) -> Tensor:
    x = _writable(t, op)
    y = _raw(other)
    try:
        ufunc(x, y, out=x)
    except TypeError:  # numpy's casting error for out=
        raise TypeError(
            f"{op}: the result type {np.result_type(x, y)} can't be cast to the tensor's dtype {x.dtype}; "
            f"convert first (t = t.astype(...)) or use the out-of-place op"
        ) from None
    except ValueError:
        raise ValueError(
            f"{op}: an operand of shape {np.shape(y)} does not broadcast to the tensor's shape {x.shape} "
            "(an in-place op cannot change the shape)"
        ) from None
    _changed(t)
    return t


def _changed(t: Tensor) -> None:
    bump(t._data)  # the memory's record, which every tensor viewing it shares


def _scaled(other, alpha):
    return other if alpha == 1 else _raw(other) * alpha


def add_(self, other, *, alpha=1):
    """self += alpha * other, in place"""
    return _apply(self, "add_", np.add, _scaled(other, alpha))


def sub_(self, other, *, alpha=1):
    """self -= alpha * other, in place"""
    return _apply(self, "sub_", np.subtract, _scaled(other, alpha))


def mul_(self, other):
    """self *= other, in place"""
    return _apply(self, "mul_", np.multiply, other)


def div_(self, other):
    """self /= other, in place (an integer tensor cannot hold the quotient)"""
    return _apply(self, "div_", np.true_divide, other)


def clamp_(self, min=None, max=None):
    """self = clamp(self, min, max), in place"""
    if min is None and max is None:
        raise ValueError("clamp_: give min, max or both")
    x = _writable(self, "clamp_")
    np.clip(x, _raw(min), _raw(max), out=x)
    _changed(self)
    return self


def fill_(self, value):
    """every element = value, in place"""
    _writable(self, "fill_").fill(_raw(value))
    _changed(self)
    return self


def zero_(self):
    """every element = 0, in place"""
    return fill_(self, 0)


def copy_(self, src):
    """self's elements = src's (broadcast to self's shape, cast to self's dtype), in place"""
    x = _writable(self, "copy_")
    s = _raw(src)
    try:
        np.copyto(x, s, casting="unsafe")
    except ValueError:
        raise ValueError(f"copy_: a source of shape {np.shape(s)} does not broadcast to {x.shape}") from None
    _changed(self)
    return self


def _operator(op, ufunc, symbol: str):
    """t += x: in place on a leaf (under no_grad if it requires grad); out of place, as
    t = t + x, on the result of an op."""

    def method(self, other):
        if self._rule is not None and self.requires_grad:
            return op(self, other)
        return _apply(self, f"{symbol}=", ufunc, other)

    method.__name__ = f"__i{ufunc.__name__}__"
    method.__doc__ = f"t {symbol}= x: in place on a leaf under no_grad (or needing no grad)"
    return method


def _no_setitem(self, key, value):
    raise TypeError(
        "Tensor does not support item assignment: backward could not see the change. Build the "
        "new value with where(), cat() or stack(), or assign into a leaf's array (t.data[...] = x)"
    )


def bind(add, sub, mul, truediv) -> None:
    T = Tensor
    for fn in (add_, sub_, mul_, div_, clamp_, fill_, zero_, copy_):
        setattr(T, fn.__name__, fn)
    T.clip_ = clamp_
    T.__iadd__, T.__isub__ = _operator(add, np.add, "+"), _operator(sub, np.subtract, "-")
    T.__imul__, T.__itruediv__ = _operator(mul, np.multiply, "*"), _operator(truediv, np.true_divide, "/")
    T.__setitem__ = _no_setitem
