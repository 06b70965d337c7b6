"""Layers: Linear, activations, Dropout, BatchNorm1d and MLP, as their PyTorch namesakes.

Parameters are float32 by default, as in PyTorch; pass `dtype=np.float64` (or call
`.double()` on a model) for gradient checks and comparisons. Layers accept numpy arrays
as well as Tensors.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from autograd import Tensor
from autograd import fused as _fused
from autograd.dims import one_dim

from . import functional as F
from . import init
from .module import Module, Parameter, Sequential

__all__ = [
    "BatchNorm1d",
    "Dropout",
    "Flatten",
    "Identity",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MLP",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "Unflatten",
]


def _tensor(x) -> Tensor:
    return x if x.__class__ is Tensor or isinstance(x, Tensor) else Tensor(x)


class Linear(Module):
    """y = x @ W.T + b, W shaped (out_features, in_features) as in PyTorch.

    Initialised as PyTorch does: W ~ kaiming_uniform(a=sqrt(5)), which is U(-k, k) with
    k = 1/sqrt(in_features), and b ~ U(-k, k).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=np.float32, rng=None):
        super().__init__()
        if in_features < 1 or out_features < 1:
            raise ValueError(
                f"Linear: sizes must be positive, got in_features={in_features}, out_features={out_features}"
            )
        self.in_features, self.out_features = int(in_features), int(out_features)
        # Stored column-major: then W.T is a row-major (in, out) matrix, x @ W.T is the
        # fastest kind of BLAS product, and W's gradient arrives in W's layout. The shape,
        # the values and the state dict are PyTorch's.
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype, order="F"))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        self.reset_parameters(rng)

    def reset_parameters(self, rng=None) -> None:
        """Draw fresh weights with PyTorch's default initialisation."""
        rng = init.get_rng(rng)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound, rng=rng)

    def forward(self, x):
        x = _tensor(x)
        shape = x.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features} -> {self.out_features}): input of shape {shape} has "
                f"{shape[-1] if shape else 'no'} features in its last dimension, expected "
                f"{self.in_features}"
            )
        return _fused.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )


class ReLU(Module):
    """max(0, x)"""

    def forward(self, x):
        return _tensor(x).relu()


class Sigmoid(Module):
    """1 / (1 + e^-x)"""

    def forward(self, x):
        return _tensor(x).sigmoid()


class Tanh(Module):
    """tanh x"""

    def forward(self, x):
        return _tensor(x).tanh()


class Identity(Module):
    """x"""

    def forward(self, x):
        return _tensor(x)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x"""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return _tensor(x).leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    """e^x / sum(e^x) along dim"""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return _tensor(x).softmax(axis=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """x - logsumexp(x) along dim (pairs with NLLLoss)"""

    def forward(self, x):
        return _tensor(x).log_softmax(axis=self.dim)


class Flatten(Module):
    """dims start_dim..end_dim merged into one (PyTorch's defaults keep the batch dim 0)"""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        x = _tensor(x)
        shape = x.shape
        nd = len(shape)
        if nd == 0:
            return x.reshape(1)
        s, e = one_dim("Flatten", nd, self.start_dim), one_dim("Flatten", nd, self.end_dim)
        if s > e:
            raise ValueError(
                f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim} for shape {shape}"
            )
        return x.reshape(shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """dim `dim` split into the sizes `unflattened_size` (one of them may be -1)"""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        x = _tensor(x)
        shape = x.shape
        d = one_dim("Unflatten", len(shape), self.dim)
        sizes = self.unflattened_size
        known = math.prod(n for n in sizes if n != -1)
        if (-1 in sizes and (known == 0 or shape[d] % known)) or (-1 not in sizes and known != shape[d]):
            raise ValueError(
                f"Unflatten: dim {self.dim} of shape {shape} (size {shape[d]}) cannot be split into {sizes}"
            )
        return x.reshape(shape[:d] + sizes + shape[d + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1/(1-p);
    in eval mode, the identity. Masks come from `rng`, else nn's generator."""

    def __init__(self, p: float = 0.5, rng=None):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p={p} is a probability and must be in [0, 1]")
        self.p = p
        self.rng = rng

    def forward(self, x):
        return F.dropout(x, self.p, self.training, rng=self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, per feature (axis 1) of (N, C) or (N, C, L).

    Training uses the batch's mean and biased variance and updates the running estimates
    r = (1 - momentum) * r + momentum * batch_stat (the variance unbiased, as PyTorch);
    eval mode uses the running estimates. momentum=None averages all batches seen.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype=np.float32,
    ):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    def forward(self, x):
        x = _tensor(x)
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}): expected input of shape (N, {self.num_features}) or "
                f"(N, {self.num_features}, L), got {x.shape}"
            )
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, -1) if x.ndim == 2 else (1, -1, 1)
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            n = x.numel() // self.num_features
            if n < 2:
                raise ValueError(
                    "BatchNorm1d: a training batch needs more than 1 value per feature, got input "
                    f"{x.shape}; use a larger batch, or call model.eval() to use the running statistics"
                )
            mean = x.mean(axis=axes, keepdims=True)
            centered = x - mean
            var = (centered * centered).mean(axis=axes, keepdims=True)
            if self.training and self.track_running_stats:
                self._update_running(mean.data.reshape(-1), var.data.reshape(-1), n)
        else:
            mean = self.running_mean.reshape(shape)
            var = self.running_var.reshape(shape)
            centered = x - mean
        y = centered / ((var + self.eps) ** 0.5)
        if self.affine:
            y = y * self.weight.reshape(shape) + self.bias.reshape(shape)
        return y

    def _update_running(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        self.num_batches_tracked = self.num_batches_tracked + 1
        m = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        unbiased = var * (n / (n - 1))
        dtype = self.running_mean.dtype
        self.running_mean = ((1 - m) * self.running_mean + m * mean).astype(dtype)
        self.running_var = ((1 - m) * self.running_var + m * unbiased).astype(dtype)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


_ACTIVATIONS = {
    "relu": ReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "leaky_relu": LeakyReLU,
    "identity": Identity,
    "softmax": Softmax,
    "log_softmax": LogSoftmax,
}


def _activation(spec, what: str) -> Module | None:
    """A fresh activation module from a name, a Module class, a Module (copied) or None."""
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec.lower() not in _ACTIVATIONS:
            raise ValueError(f"MLP: unknown {what} {spec!r}; use one of {sorted(_ACTIVATIONS)} or a Module")
        return _ACTIVATIONS[spec.lower()]()
    if isinstance(spec, Module):
        return copy.deepcopy(spec)
    if isinstance(spec, type) and issubclass(spec, Module):
        return spec()
    if callable(spec):
        made = spec()
        if isinstance(made, Module):
            return made
    raise TypeError(f"MLP: {what} must be a name, a Module class or instance, or None; got {spec!r}")


class MLP(Sequential):
    """Linear layers of the given sizes with `activation` between them:
    MLP([784, 50, 10]) is Sequential(Linear(784, 50), ReLU(), Linear(50, 10)), so its state
    dict has the keys of the same torch.nn.Sequential ("0.weight", "0.bias", "2.weight", ...).
    `output_activation` (None by default: raw scores, for the losses that take logits) is
    appended after the last layer."""

    def __init__(
        self, sizes, activation="relu", output_activation=None, bias: bool = True, dtype=np.float32, rng=None
    ):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes={sizes} needs at least an input and an output size")
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out, bias=bias, dtype=dtype, rng=rng))
            act = _activation(activation if i < len(sizes) - 2 else output_activation, "activation")
            if act is not None:
                layers.append(act)
        super().__init__(*layers)
        self.sizes = sizes
