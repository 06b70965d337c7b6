"""Normalisation layers: BatchNorm2d (BatchNorm1d's statistics over (N, H, W)), LayerNorm
(over the trailing normalized_shape) and GroupNorm (over each group of channels), with
PyTorch's arguments, initialisation (weight 1, bias 0) and state-dict keys."""

from __future__ import annotations

import numpy as np

from .layers import BatchNorm1d, _tensor
from .module import Module, Parameter

__all__ = ["BatchNorm2d", "GroupNorm", "LayerNorm"]


class BatchNorm2d(BatchNorm1d):
    """BatchNorm1d per channel of (N, C, H, W): the statistics are over N, H and W."""

    def forward(self, x):
        x = _tensor(x)
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm2d({self.num_features}): expected input of shape (N, {self.num_features}, H, W), "
                f"got {x.shape}"
            )
        n, c, h, w = x.shape
        return super().forward(x.reshape(n, c, h * w)).reshape(n, c, h, w)


def _normalize(x, axes, eps):
    """(x - mean) / sqrt(var + eps) over axes, the variance biased (as PyTorch's norms)."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    return centered / ((var + eps) ** 0.5)


class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, over the last len(normalized_shape) dims."""

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype=np.float32,
    ):
        super().__init__()
        shape = (
            (normalized_shape,)
            if isinstance(normalized_shape, (int, np.integer))
            else tuple(normalized_shape)
        )
        self.normalized_shape, self.eps, self.elementwise_affine = (
            tuple(int(s) for s in shape),
            eps,
            elementwise_affine,
        )
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if bias else None

    def forward(self, x):
        x = _tensor(x)
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k :] != self.normalized_shape or x.ndim < k:
            raise ValueError(
                f"LayerNorm({self.normalized_shape}): input of shape {x.shape} does not end in "
                f"{self.normalized_shape}"
            )
        y = _normalize(x, tuple(range(x.ndim - k, x.ndim)), self.eps)
        if self.elementwise_affine:
            y = y * self.weight
            if self.bias is not None:
                y = y + self.bias
        return y

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Normalise each of num_groups groups of channels of (N, C, *) over its channels and
    positions, then weight and bias per channel."""

    def __init__(
        self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, dtype=np.float32
    ):
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels={num_channels} must be divisible by num_groups={num_groups}"
            )
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        if affine:
            self.weight = Parameter(np.ones(num_channels, dtype=dtype))
            self.bias = Parameter(np.zeros(num_channels, dtype=dtype))

    def forward(self, x):
        x = _tensor(x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: expected input (N, {self.num_channels}, ...), got {x.shape}")
        n = x.shape[0]
        y = _normalize(x.reshape(n, self.num_groups, -1), (2,), self.eps).reshape(x.shape)
        if self.affine:
            shape = (1, -1) + (1,) * (x.ndim - 2)
            y = y * self.weight.reshape(shape) + self.bias.reshape(shape)
        return y

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
