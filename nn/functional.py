"""Activations and losses as functions (PyTorch's `torch.nn.functional` names), composed from
Tensor ops so their gradients come from the primitives' rules.

Losses take the model's output first and the target second, and reduce with
`reduction="mean"` (the default), `"sum"` or `"none"`. A target whose shape differs from
what the loss expects is an error, never a silent broadcast.
"""

from __future__ import annotations

import math

import numpy as np

from autograd import Tensor
from autograd import fused as _fused

from . import init

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "dropout2d",
    "elu",
    "embedding",
    "fold",
    "gelu",
    "hardtanh",
    "huber_loss",
    "interpolate",
    "kl_div",
    "l1_loss",
    "max_pool2d",
    "pad",
    "silu",
    "smooth_l1_loss",
    "softplus",
    "unfold",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "hinge_loss",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]

REDUCTIONS = ("mean", "sum", "none")
_max_reduce = np.maximum.reduce  # ndarray.max without its Python wrapper
_min_reduce = np.minimum.reduce
_LOG_FLOOR = math.exp(-100)  # PyTorch's binary_cross_entropy clamps log(p) at -100


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# ------------------------------------------------------------------------------ activations
def linear(x, weight, bias=None):
    """x @ weight.T + bias (one fused node for a batch of rows)"""
    return _fused.linear(x, weight, bias)


def relu(x):
    """max(0, x)"""
    return _tensor(x).relu()


def sigmoid(x):
    """1 / (1 + e^-x)"""
    return _tensor(x).sigmoid()


def tanh(x):
    """tanh x"""
    return _tensor(x).tanh()


def leaky_relu(x, negative_slope: float = 0.01):
    """x if x > 0 else negative_slope * x"""
    return _tensor(x).leaky_relu(negative_slope)


def softmax(x, dim: int = -1):
    """e^x / sum(e^x) along dim"""
    return _tensor(x).softmax(axis=dim)


def log_softmax(x, dim: int = -1):
    """x - logsumexp(x) along dim"""
    return _tensor(x).log_softmax(axis=dim)


def dropout(x, p: float = 0.5, training: bool = True, rng=None):
    """x * mask / (1 - p), mask ~ Bernoulli(1 - p), in training; x itself otherwise"""
    x = _tensor(x)
    if not training or p == 0:
        return x
    if p == 1:
        return x * np.zeros(x.shape, dtype=x.dtype)
    keep = init.get_rng(rng).random(x.shape) >= p
    return x * (keep * (1 / (1 - p))).astype(x.dtype)


# ----------------------------------------------------------------------------------- losses
def _reduce(loss, reduction: str):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(reduction, op: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction={reduction!r}; use one of {REDUCTIONS}")


def _target(target, op: str):
    """A target as a Tensor (kept, so it may carry a gradient) or a numpy array."""
    if isinstance(target, Tensor):
        return target
    try:
        arr = np.asarray(target)
    except ValueError as exc:
        raise ValueError(f"{op}: cannot read the target as an array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{op}: target must hold numbers, got dtype {arr.dtype}")
    return arr


def _values(target, input: Tensor):
    """A target of values (not class indices) in the input's dtype, so float32 stays float32."""
    if isinstance(target, np.ndarray) and target.dtype != input.dtype:
        return target.astype(input.dtype)
    return target


def _same_shape(input: Tensor, target, op: str) -> None:
    if input.shape != target.shape:
        raise ValueError(
            f"{op}: input shape {input.shape} and target shape {target.shape} differ; broadcasting "
            "them would compare every input with every target. Reshape one to the other "
            "(e.g. target.reshape(input.shape))"
        )


def _class_indices(input: Tensor, target, op: str, lowest=None) -> np.ndarray:
    """Check that `target` holds one class index per row of the (N, C) `input` (`lowest`:
    its smallest value, if the caller has it)."""
    t = target.data if isinstance(target, Tensor) else target
    n, c = input.shape
    if t.ndim != 1 or len(t) != n:
        raise ValueError(
            f"{op}: input has shape {input.shape}, so target must be {n} class indices, got shape {t.shape}"
        )
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: class-index targets must be integers, got dtype {t.dtype}; use target.astype(np.int64) "
            "(or pass probabilities of the input's shape)"
        )
    if n and ((_min_reduce(t) if lowest is None else lowest) < 0 or _max_reduce(t) >= c):
        bad = t[(t < 0) | (t >= c)][0]
        raise IndexError(f"{op}: target holds class {bad}, but the input has {c} classes (0 to {c - 1})")
    return t


def _check_2d(input: Tensor, op: str) -> None:
    if input.ndim != 2:
        raise ValueError(f"{op}: input must be (batch, classes), got shape {input.shape}")


def mse_loss(input, target, reduction: str = "mean"):
    """(input - target)^2, averaged (or summed) over every element"""
    _check_reduction(reduction, "mse_loss")
    input, target = _tensor(input), _target(target, "mse_loss")
    _same_shape(input, target, "mse_loss")
    target = _values(target, input)
    diff = input - target
    return _reduce(diff * diff, reduction)


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
):
    """-log softmax(input)[target] per row, from logits (N, C) or (N, C, d1, ...).

    target: class indices (integers) of shape (N,) or (N, d1, ...), or probabilities shaped
    like input (one-hot or soft labels; then the loss is -sum(target * log_softmax(input))
    per row). weight: one factor per class; ignore_index: targets left out of the loss and
    of the mean's denominator; label_smoothing: mixes the target with the uniform
    distribution (PyTorch's definitions). log_softmax subtracts the row's max first, so
    large logits do not overflow.
    """
    if isinstance(weight, str):  # the old (input, target, reduction) order
        weight, reduction = None, weight
    _deprecated(size_average, reduce, "cross_entropy")
    _check_reduction(reduction, "cross_entropy")
    input, target = _tensor(input), _target(target, "cross_entropy")
    if weight is not None or label_smoothing or input.ndim != 2:
        return _losses.cross_entropy_general(input, target, weight, ignore_index, reduction, label_smoothing)
    if target.ndim == 2:
        _same_shape(input, target, "cross_entropy")
        target = _values(target, input)
        if reduction != "none" and not isinstance(target, Tensor):
            return _fused.softmax_cross_entropy(input, target, None, reduction)
        return _reduce(-(target * input.log_softmax(axis=1)).sum(axis=1), reduction)
    t = target.data if isinstance(target, Tensor) else target
    lowest = None
    if t.ndim == 1 and t.dtype.kind in "iu" and len(t):
        lowest = _min_reduce(t)
        if (lowest < 0 or 0 <= ignore_index < input.shape[1]) and (t == ignore_index).any():
            return _losses.cross_entropy_general(input, target, None, ignore_index, reduction, 0.0)
    t = _class_indices(input, target, "cross_entropy", lowest)
    if reduction != "none":
        return _fused.softmax_cross_entropy(input, None, t, reduction)
    return -input.log_softmax(axis=1)[np.arange(len(t)), t]


def _deprecated(size_average, reduce, op: str) -> None:
    if size_average is not None or reduce is not None:
        raise ValueError(f"{op}: size_average and reduce are deprecated in PyTorch; use reduction=")


def nll_loss(input, target, reduction: str = "mean"):
    """-input[target] per row, for log-probabilities (N, C) such as log_softmax's output"""
    _check_reduction(reduction, "nll_loss")
    input, target = _tensor(input), _target(target, "nll_loss")
    _check_2d(input, "nll_loss")
    t = _class_indices(input, target, "nll_loss")
    return _reduce(-input[np.arange(len(t)), t], reduction)


def binary_cross_entropy(input, target, reduction: str = "mean"):
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1]; logs clamped at -100 as PyTorch"""
    _check_reduction(reduction, "binary_cross_entropy")
    input, target = _tensor(input), _target(target, "binary_cross_entropy")
    _same_shape(input, target, "binary_cross_entropy")
    target = _values(target, input)
    p = input.data
    if p.size and not (p.min() >= 0 and p.max() <= 1):
        raise ValueError(
            "binary_cross_entropy: input must be probabilities in [0, 1], got values in "
            f"[{p.min():g}, {p.max():g}]; apply sigmoid first, or use binary_cross_entropy_with_logits "
            "on the raw scores"
        )
    # clip, not a clamp of the log: at p = 0 the loss is 100 and the gradient stays finite
    log_p = input.clip(lo=_LOG_FLOOR).log()
    log_q = (1 - input).clip(lo=_LOG_FLOOR).log()
    return _reduce(-(target * log_p + (1 - target) * log_q), reduction)


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None
):
    """-(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))) for logits x, computed stably as
    max(x, 0) - x t + log(1 + e^-|x|), which never exponentiates a large number.
    pos_weight multiplies the positive term (one factor per class, broadcast over the
    last dimension); weight rescales each element."""
    if isinstance(weight, str):  # the old (input, target, reduction) order
        weight, reduction = None, weight
    _deprecated(size_average, reduce, "binary_cross_entropy_with_logits")
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x, target = _tensor(input), _target(target, "binary_cross_entropy_with_logits")
    _same_shape(x, target, "binary_cross_entropy_with_logits")
    if weight is not None or pos_weight is not None:
        return _losses.bce_with_logits_weighted(x, target, weight, pos_weight, reduction)
    target = _values(target, x)
    # maximum, not relu: at x = 0 it splits the gradient in half, which makes the total
    # gradient there exactly sigmoid(0) - t (relu and |x| would both give 0)
    loss = x.maximum(0.0) - x * target + (1 + (-abs(x)).exp()).log()
    return _reduce(loss, reduction)


def hinge_loss(input, target, margin: float = 1.0, reduction: str = "mean"):
    """Max-margin loss.

    Binary (scores of shape (N,) or (N, 1), targets -1 or +1 of the same shape):
    max(0, margin - t * s), the SVM loss of micrograd's demo.
    Multi-class (scores (N, C), C > 1, class-index targets): sum over j != t of
    max(0, margin - s_t + s_j), divided by C (torch.nn.functional.multi_margin_loss).
    """
    _check_reduction(reduction, "hinge_loss")
    input, target = _tensor(input), _target(target, "hinge_loss")
    if input.ndim == 2 and input.shape[1] > 1:
        t = _class_indices(input, target, "hinge_loss")
        n, c = input.shape
        rows = np.arange(n)
        correct = input[rows, t].reshape(n, 1)
        others = np.ones((n, c), dtype=input.dtype)
        others[rows, t] = 0
        per_row = ((input - correct + margin).relu() * others).sum(axis=1) * (1 / c)
        return _reduce(per_row, reduction)
    _same_shape(input, target, "hinge_loss")
    t = target.data if isinstance(target, Tensor) else target
    if t.size and not np.all((t == 1) | (t == -1)):
        raise ValueError(
            "hinge_loss: binary targets must be -1 or +1 (for 0/1 labels use 2 * y - 1), "
            f"got values {np.unique(t)[:5]}"
        )
    return _reduce((margin - _values(target, input) * input).relu(), reduction)


hinge = hinge_loss


# -------------------------------------------------- a second course: activations, conv, losses
def gelu(x, approximate: str = "none"):
    """x Φ(x)"""
    return _tensor(x).gelu(approximate=approximate)


def silu(x):
    """x sigmoid(x)"""
    return _tensor(x).silu()


def elu(x, alpha: float = 1.0):
    """x if x > 0 else alpha (e^x - 1)"""
    return _tensor(x).elu(alpha)


def softplus(x, beta: float = 1.0, threshold: float = 20.0):
    """log(1 + e^(beta x)) / beta"""
    return _tensor(x).softplus(beta, threshold)


def hardtanh(x, min_val: float = -1.0, max_val: float = 1.0):
    """x clipped to [min_val, max_val]"""
    return _tensor(x).hardtanh(min_val, max_val)


def dropout2d(x, p: float = 0.5, training: bool = True, rng=None):
    """whole channels of (N, C, H, W) zeroed with probability p in training, the rest scaled by 1/(1-p)"""
    x = _tensor(x)
    if not training or p == 0:
        return x
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: input must be (N, C, H, W) or (C, H, W), got {x.shape}")
    shape = x.shape[:-2] + (1, 1)
    if p == 1:
        return x * np.zeros(shape, dtype=x.dtype)
    keep = init.get_rng(rng).random(shape) >= p
    return x * (keep * (1 / (1 - p))).astype(x.dtype)


def embedding(input, weight, padding_idx=None):
    """weight[input]: rows of an embedding table"""
    idx = np.asarray(input.data if isinstance(input, Tensor) else input)
    return weight[idx]


from autograd.conv import conv1d, conv2d, conv_transpose2d, fold, unfold  # noqa: E402
from autograd.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: E402
from autograd.resize import interpolate, pad  # noqa: E402
from autograd.tensor_activation import hardsigmoid, hardswish, logsigmoid, mish, relu6, selu  # noqa: E402

from . import loss_functions as _losses  # noqa: E402
from .loss_functions import huber_loss, kl_div, l1_loss, smooth_l1_loss  # noqa: E402

__all__ += ["hardsigmoid", "hardswish", "logsigmoid", "mish", "relu6", "selu"]  # tensor_activation
