"""Initialisers with PyTorch's names and formulas, and the random generator nn draws from.

Each `name_(tensor, ..., rng=None)` fills a Tensor (or a numpy array) in place and returns
it. Randomness comes from `rng` when given, else from the generator autograd's random
constructors share, which `nn.manual_seed(seed)` (the same function as
`autograd.manual_seed`) resets: one call makes a whole run (weights, dropout masks,
shuffles, `autograd.randn`) reproducible. Values are drawn in float64 and cast to the tensor's dtype.
"""

from __future__ import annotations

import math

import numpy as np

from autograd.creation import get_rng, manual_seed  # the one generator, shared with autograd

__all__ = [
    "calculate_gain",
    "constant_",
    "get_rng",
    "kaiming_normal_",
    "kaiming_uniform_",
    "manual_seed",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain that keeps activations' variance steady through `nonlinearity` (PyTorch's table)."""
    if nonlinearity in ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; use one of linear, identity, "
        "sigmoid, tanh, relu, leaky_relu, selu"
    )


def _fans(array: np.ndarray) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel), as PyTorch counts them."""
    if array.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a weight with at least 2 dimensions, got shape {array.shape}"
        )
    receptive = math.prod(array.shape[2:])
    return array.shape[1] * receptive, array.shape[0] * receptive


def _fill(tensor, values):
    """Write `values` into the tensor's array (assigning `.data` for a Tensor, so the change is tracked)."""
    if isinstance(tensor, np.ndarray):
        tensor[...] = values
        return tensor
    data = tensor.data
    data[...] = values
    tensor.data = data
    return tensor


def _array(tensor) -> np.ndarray:
    return tensor if isinstance(tensor, np.ndarray) else tensor.data


def uniform_(tensor, a: float = 0.0, b: float = 1.0, rng=None):
    """U(a, b)"""
    return _fill(tensor, get_rng(rng).uniform(a, b, size=_array(tensor).shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0, rng=None):
    """N(mean, std^2)"""
    return _fill(tensor, get_rng(rng).normal(mean, std, size=_array(tensor).shape))


def constant_(tensor, value: float):
    """every element = value"""
    return _fill(tensor, value)


def zeros_(tensor):
    """every element = 0"""
    return _fill(tensor, 0.0)


def ones_(tensor):
    """every element = 1"""
    return _fill(tensor, 1.0)


def xavier_uniform_(tensor, gain: float = 1.0, rng=None):
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))   (Glorot & Bengio, 2010)"""
    fan_in, fan_out = _fans(_array(tensor))
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, rng)


def xavier_normal_(tensor, gain: float = 1.0, rng=None):
    """N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))"""
    fan_in, fan_out = _fans(_array(tensor))
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng)


def _kaiming_std(tensor, a, mode, nonlinearity) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming: mode={mode!r}; use 'fan_in' (forward pass) or 'fan_out' (backward pass)")
    fan_in, fan_out = _fans(_array(tensor))
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", rng=None
):
    """U(-b, b), b = gain * sqrt(3 / fan)   (He et al., 2015); a is leaky_relu's slope"""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, rng)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", rng=None):
    """N(0, std^2), std = gain / sqrt(fan)"""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), rng)
