"""Constructors with PyTorch's names: tensor, zeros, ones, full, empty, arange, linspace, eye,
rand, randn, randint, the *_like forms and from_numpy; and the one random generator that
they, nn.init, dropout and data shuffling draw from, reset by `manual_seed`.

Dtypes are numpy's: the float constructors default to float64 (numpy's rule; nn's layers
choose float32 as PyTorch's do), integers to int64. `tensor()` copies its data;
`from_numpy()` shares the array's memory, so an in-place change through either is seen by
the version check of the other.
"""

from __future__ import annotations

import math

import numpy as np

from .tensor import Tensor, as_dtype, share
from .tensor_convert import _check_device

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the generator every random constructor and nn draw from (when given no rng)."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def get_rng(rng: np.random.Generator | None = None) -> np.random.Generator:
    """`rng` if given, else the shared generator (the one `manual_seed` resets)."""
    if rng is None:
        return _generator
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    return rng


def _shape(op: str, size) -> tuple:
    """PyTorch's size arguments: ints, or one tuple/list of ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise TypeError(f"{op}: sizes must be non-negative ints, got {tuple(size)!r}")
    return tuple(int(n) for n in size)


def _out(op: str, data: np.ndarray, dtype, requires_grad: bool) -> Tensor:
    if dtype is not None:
        data = data.astype(as_dtype(dtype, op), copy=False)
    if requires_grad and data.dtype.kind != "f":
        raise TypeError(f"{op}: only floating-point tensors can require grad, this one is {data.dtype}")
    t = Tensor(data)
    if requires_grad:
        t.requires_grad = True  # the array is new: no copy needed
    return t


def tensor(data, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A new tensor holding a copy of `data` (Python floats: float64, ints: int64, bools: bool)."""
    _check_device("tensor", device)
    if isinstance(data, Tensor):
        data = data.data
    return Tensor(
        np.array(data, dtype=None if dtype is None else as_dtype(dtype, "tensor")),
        requires_grad=requires_grad,
    )


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory (no copy; an in-place change shows in both)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    share(array)  # the array may be a parameter's (from_numpy(p.data))
    return Tensor(array)


def zeros(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """a tensor of 0s (float64 unless dtype=)"""
    _check_device("zeros", device)
    return _out("zeros", np.zeros(_shape("zeros", size)), dtype, requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """a tensor of 1s (float64 unless dtype=)"""
    _check_device("ones", device)
    return _out("ones", np.ones(_shape("ones", size)), dtype, requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """a tensor whose values are not to be relied on (here they are 0s)"""
    _check_device("empty", device)
    return _out("empty", np.zeros(_shape("empty", size)), dtype, requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """a tensor of fill_value; its dtype follows fill_value (bool, int64 or float64) unless dtype="""
    _check_device("full", device)
    return _out("full", np.full(_shape("full", (size,)), fill_value), dtype, requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """start, start + step, ... up to end (excluded); int64 for int arguments, else float64"""
    _check_device("arange", device)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    return _out("arange", np.arange(start, end, step), dtype, requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """`steps` evenly spaced values from start to end (both included), computed as PyTorch
    does: the first half from start, the second half back from end."""
    _check_device("linspace", device)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise TypeError(f"linspace: steps must be a non-negative int, got {steps!r}")
    start, end = float(start), float(end)
    if steps == 1:
        data = np.array([start])
    else:
        step = (end - start) / (steps - 1) if steps > 1 else 0.0
        i = np.arange(steps, dtype=np.float64)
        half = steps // 2
        data = np.where(i < half, start + i * step, end - (steps - 1 - i) * step)
    return _out("linspace", data, dtype, requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """the n x m identity (m = n unless given)"""
    _check_device("eye", device)
    return _out("eye", np.eye(n, m), dtype, requires_grad)


def rand(*size, dtype=None, requires_grad: bool = False, generator=None, device=None) -> Tensor:
    """uniform on [0, 1), from the shared generator"""
    _check_device("rand", device)
    return _out("rand", get_rng(generator).random(_shape("rand", size)), dtype, requires_grad)


def randn(*size, dtype=None, requires_grad: bool = False, generator=None, device=None) -> Tensor:
    """standard normal, from the shared generator"""
    _check_device("randn", device)
    return _out("randn", get_rng(generator).standard_normal(_shape("randn", size)), dtype, requires_grad)


def randint(low, high=None, size=None, dtype=None, generator=None, device=None) -> Tensor:
    """integers uniform on [low, high) (randint(high, size) starts at 0), int64"""
    _check_device("randint", device)
    if size is None:  # randint(high, size)
        if high is None:
            raise TypeError("randint: give (high, size) or (low, high, size)")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    return _out("randint", get_rng(generator).integers(low, high, _shape("randint", (size,))), dtype, False)


def _like(op: str, t, fill, dtype, requires_grad: bool) -> Tensor:
    like = t.data if isinstance(t, Tensor) else np.asarray(t)
    dtype = like.dtype if dtype is None else as_dtype(dtype, op)
    return _out(op, np.asarray(fill(like.shape), dtype=dtype), None, requires_grad)


def zeros_like(t, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """0s of t's shape and dtype"""
    _check_device("zeros_like", device)
    return _like("zeros_like", t, np.zeros, dtype, requires_grad)


def ones_like(t, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """1s of t's shape and dtype"""
    _check_device("ones_like", device)
    return _like("ones_like", t, np.ones, dtype, requires_grad)


def empty_like(t, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """a tensor of t's shape and dtype (values not to be relied on)"""
    _check_device("empty_like", device)
    return _like("empty_like", t, np.zeros, dtype, requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """fill_value in t's shape and dtype"""
    _check_device("full_like", device)
    return _like("full_like", t, lambda shape: np.full(shape, fill_value), dtype, requires_grad)


def _float_like(op, t, dtype):
    like = t.data if isinstance(t, Tensor) else np.asarray(t)
    dtype = like.dtype if dtype is None else as_dtype(dtype, op)
    if dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating dtype, the tensor is {dtype}; pass dtype=np.float64")
    return like.shape, dtype


def rand_like(t, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """uniform on [0, 1) in t's shape and (floating) dtype"""
    _check_device("rand_like", device)
    shape, dtype = _float_like("rand_like", t, dtype)
    return _out("rand_like", get_rng().random(shape), dtype, requires_grad)


def randn_like(t, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """standard normal in t's shape and (floating) dtype"""
    _check_device("randn_like", device)
    shape, dtype = _float_like("randn_like", t, dtype)
    return _out("randn_like", get_rng().standard_normal(shape), dtype, requires_grad)


# dtype names as PyTorch spells them (numpy's dtypes underneath)
float32, float64, float16 = np.float32, np.float64, np.float16
int8, int16, int32, int64, uint8 = np.int8, np.int16, np.int32, np.int64, np.uint8
double, half, long, short = np.float64, np.float16, np.int64, np.int16
pi, e, inf, nan = math.pi, math.e, math.inf, math.nan


class device:
    """torch.device for ported code: numpy runs on the CPU, so 'cpu' is the only device."""

    def __init__(self, type: str = "cpu", index: int | None = None):
        _check_device("device", type)
        self.type, self.index = "cpu", index

    def __eq__(self, other) -> bool:
        return str(other).split(":")[0] == "cpu" if isinstance(other, str) else isinstance(other, device)

    __hash__ = object.__hash__

    def __str__(self) -> str:
        return "cpu"

    def __repr__(self) -> str:
        return "device(type='cpu')"


__all__ = [
    "arange", "device", "empty", "empty_like", "eye", "from_numpy", "full", "full_like", "get_rng",
    "linspace", "manual_seed", "ones", "ones_like", "rand", "rand_like", "randint", "randn",
    "randn_like", "tensor", "zeros", "zeros_like",
]  # fmt: skip
