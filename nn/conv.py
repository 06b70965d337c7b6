"""Convolution layers: Conv1d, Conv2d and ConvTranspose2d, as their PyTorch namesakes
(arguments, defaults, initialisation, `weight` / `bias` state-dict keys)."""

from __future__ import annotations

import math

import numpy as np

from autograd import conv as _conv

from . import init
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]


class _ConvNd(Module):
    """Shared set-up: weight (out, in/groups, *k) for a convolution, (in, out/groups, *k) for a
    transposed one; initialised as PyTorch does, kaiming_uniform(a=sqrt(5)) and b ~ U(-k, k)
    with k = 1/sqrt(fan_in)."""

    _dims = 2
    _transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype=np.float32,
        rng=None,
    ):
        super().__init__()
        name, n = type(self).__name__, self._dims
        if padding_mode != "zeros":
            raise NotImplementedError(
                f"{name}: padding_mode={padding_mode!r}; only 'zeros' (use F.pad first)"
            )
        if min(in_channels, out_channels) < 1 or groups < 1:
            raise ValueError(f"{name}: in_channels, out_channels and groups must be positive")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: in_channels={in_channels} and out_channels={out_channels} must both be "
                f"divisible by groups={groups}"
            )
        if isinstance(padding, str) and padding not in ("same", "valid"):
            raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), int(groups)
        self.kernel_size = _conv.pair(kernel_size, "kernel_size", name, n)
        self.stride = _conv.pair(stride, "stride", name, n)
        self.padding = padding if isinstance(padding, str) else _conv.pair(padding, "padding", name, n)
        self.dilation = _conv.pair(dilation, "dilation", name, n)
        shape = (
            (in_channels, out_channels // groups)
            if self._transposed
            else (out_channels, in_channels // groups)
        )
        self.weight = Parameter(np.empty(shape + self.kernel_size, dtype=dtype))
        self.bias = Parameter(np.empty(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None) -> None:
        """Draw fresh weights with PyTorch's default initialisation."""
        rng = init.get_rng(rng)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        if self.bias is not None:
            fan_in = init._fans(self.weight.data)[0]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, rng=rng)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0,) * self._dims, "valid"):
            s += (
                f", padding={self.padding!r}"
                if isinstance(self.padding, str)
                else f", padding={self.padding}"
            )
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if getattr(self, "output_padding", (0,) * self._dims) != (0,) * self._dims:
            s += f", output_padding={self.output_padding}"
        return s + ("" if self.bias is not None else ", bias=False")


class Conv2d(_ConvNd):
    """y = conv2d(x, W) + b over (N, C_in, H, W) inputs; W is (C_out, C_in/groups, kh, kw)."""

    def forward(self, x):
        return _conv.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """y = conv1d(x, W) + b over (N, C_in, L) inputs; W is (C_out, C_in/groups, k)."""

    _dims = 1

    def forward(self, x):
        pad = self.padding if isinstance(self.padding, str) else self.padding[0]
        return _conv.conv1d(x, self.weight, self.bias, self.stride[0], pad, self.dilation[0], self.groups)


class ConvTranspose2d(_ConvNd):
    """The adjoint of Conv2d in its input (an upsampling layer); W is (C_in, C_out/groups, kh, kw)."""

    _transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        dtype=np.float32,
        rng=None,
    ):
        if padding_mode != "zeros" or isinstance(padding, str):
            raise ValueError("ConvTranspose2d: padding must be an int or a pair, and padding_mode 'zeros'")
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            "zeros",
            dtype,
            rng,
        )
        self.output_padding = _conv.pair(output_padding, "output_padding", "ConvTranspose2d")

    def forward(self, x, output_size=None):
        op = self.output_padding
        if output_size is not None:  # PyTorch's way to pick among the sizes a stride allows
            size = tuple(output_size)[-2:]
            h, w = _tensor_shape(x)[-2:]
            base = [
                (i - 1) * s - 2 * p + d * (k - 1) + 1
                for i, s, p, d, k in zip((h, w), self.stride, self.padding, self.dilation, self.kernel_size)
            ]
            op = tuple(o - b for o, b in zip(size, base))
        return _conv.conv_transpose2d(
            x, self.weight, self.bias, self.stride, self.padding, op, self.groups, self.dilation
        )


def _tensor_shape(x) -> tuple:
    return tuple(np.shape(x.data if hasattr(x, "data") else x))
