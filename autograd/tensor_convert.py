"""The conversions ported code calls on tensors, with PyTorch's names: float, double, half,
long, int, short, bool, type_as, to, cpu, tolist, contiguous, negative, the `x.where(cond, y)`
method and new_zeros / new_ones / new_full / new_empty / new_tensor.

Dtypes are numpy's; a float result keeps the gradient (astype's rule casts it back), an
integer or bool result is a constant. There are no devices: 'cpu' is accepted, others are
an error that says so.
"""

from __future__ import annotations

import numpy as np

from . import surface
from . import tensor_ops as _ops
from .tensor import Tensor, _const


def _cast(dtype, name: str = "type_as"):
    dtype = np.dtype(dtype)

    def fn(self):
        return _ops.astype(self, dtype) if self.dtype != dtype else self

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"the tensor as {dtype} (itself if it is {dtype} already)"
    return fn


float, double, half = _cast(np.float32, "float"), _cast(np.float64, "double"), _cast(np.float16, "half")
long, int, short = _cast(np.int64, "long"), _cast(np.int32, "int"), _cast(np.int16, "short")
bool = _cast(np.bool_, "bool")


def _check_device(op: str, device) -> None:
    if device is None:
        return
    name = device if isinstance(device, str) else getattr(device, "type", device)
    if str(name).split(":")[0] != "cpu":
        raise ValueError(f"{op}: chainrule has no devices (numpy on the CPU); got {device!r}, use 'cpu'")


def type_as(self, other):
    """the tensor in other's dtype"""
    return _cast(other.dtype)(self)


def to(self, *args, dtype=None, device=None, copy: bool = False, non_blocking: bool = False):
    """to(dtype), to(device), to(device, dtype), to(other): a cast; 'cpu' is the only device"""
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, str) or type(a).__name__ == "device":
            device = a
        else:
            dtype = a
    if device is not None:
        _check_device("to", device)
    out = self if dtype is None else _cast(dtype)(self)
    return out.clone() if copy and out is self else out


def cpu(self):
    """itself: chainrule's tensors live in host memory"""
    return self


def cuda(self, *args, **kwargs):
    """an error: chainrule has no devices"""
    _check_device("cuda", "cuda")


def tolist(self):
    """the data as (nested) Python lists of numbers"""
    return self._data.tolist()


def contiguous(self, memory_format=None):
    """itself (numpy arrays need no such step for chainrule's ops)"""
    return self


def negative(self):
    """-x"""
    return -self


def where(self, condition, other):
    """x where condition is true, else other: PyTorch's method form of where(cond, x, y)"""
    return _ops.where(condition, self, other)


def _new(fill):
    def fn(self, *size, dtype=None, requires_grad: bool = False, device=None):
        if device is not None:
            _check_device(fn.__name__, device)
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        data = fill(size, np.dtype(dtype) if dtype is not None else self.dtype)
        return Tensor(data, requires_grad=requires_grad) if requires_grad else _const(data)

    return fn


new_zeros = _new(np.zeros)
new_ones = _new(np.ones)
new_empty = _new(np.empty)
new_zeros.__name__, new_ones.__name__, new_empty.__name__ = "new_zeros", "new_ones", "new_empty"
new_zeros.__doc__ = "zeros of this tensor's dtype (unless dtype=)"
new_ones.__doc__ = "ones of this tensor's dtype (unless dtype=)"
new_empty.__doc__ = "an uninitialised tensor of this tensor's dtype (unless dtype=)"


def new_full(self, size, fill_value, *, dtype=None, requires_grad: bool = False, device=None):
    """fill_value everywhere, of this tensor's dtype (unless dtype=)"""
    if device is not None:
        _check_device("new_full", device)
    data = np.full(tuple(size), fill_value, np.dtype(dtype) if dtype is not None else self.dtype)
    return Tensor(data, requires_grad=requires_grad) if requires_grad else _const(data)


def new_tensor(self, data, *, dtype=None, requires_grad: bool = False, device=None):
    """data as a new leaf of this tensor's dtype (unless dtype=)"""
    if device is not None:
        _check_device("new_tensor", device)
    arr = np.array(data.data if isinstance(data, Tensor) else data, np.dtype(dtype) if dtype else self.dtype)
    return Tensor(arr, requires_grad=requires_grad) if requires_grad else _const(arr)


METHODS = (float, double, half, long, int, short, bool, type_as, to, cpu, cuda, tolist, contiguous,
           negative, where, new_zeros, new_ones, new_empty, new_full, new_tensor)  # fmt: skip
__all__ = ["negative"]
surface.bind(METHODS)
