"""The losses of a second course as functions (nn.functional re-exports them): l1_loss,
smooth_l1_loss, huber_loss, kl_div, and the general forms of cross_entropy (class weights,
ignore_index, label_smoothing, (N, C, d1, ...) inputs) and of binary_cross_entropy_with_logits
(pos_weight, weight). Composed from Tensor ops; the hot case of cross_entropy stays fused."""

from __future__ import annotations

import numpy as np

from autograd import Tensor, where

from .functional import _check_reduction, _reduce, _same_shape, _target, _tensor, _values

__all__ = [
    "cross_entropy_general",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "smooth_l1_loss",
    "bce_with_logits_weighted",
]


def l1_loss(input, target, reduction: str = "mean"):
    """|input - target|, averaged (or summed)"""
    _check_reduction(reduction, "l1_loss")
    input, target = _tensor(input), _target(target, "l1_loss")
    _same_shape(input, target, "l1_loss")
    return _reduce(abs(input - _values(target, input)), reduction)


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target)"""
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta={beta} must be non-negative")
    input, target = _tensor(input), _target(target, "smooth_l1_loss")
    _same_shape(input, target, "smooth_l1_loss")
    d = input - _values(target, input)
    a = abs(d)
    if beta == 0:
        return _reduce(a, reduction)
    return _reduce(where(a.data < beta, d * d * (0.5 / beta), a - 0.5 * beta), reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0):
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta)"""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta={delta} must be positive")
    input, target = _tensor(input), _target(target, "huber_loss")
    _same_shape(input, target, "huber_loss")
    d = input - _values(target, input)
    a = abs(d)
    return _reduce(where(a.data <= delta, d * d * 0.5, (a - 0.5 * delta) * delta), reduction)


def kl_div(input, target, reduction: str = "mean", log_target: bool = False):
    """target (log target - input) for log-probabilities `input` (0 where target is 0);
    reduction='batchmean' divides the sum by the batch size, the true KL divergence"""
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"kl_div: reduction={reduction!r}; use 'batchmean', 'sum', 'mean' or 'none'")
    input, target = _tensor(input), _target(target, "kl_div")
    _same_shape(input, target, "kl_div")
    target = _values(target, input)
    if log_target:
        t = target if isinstance(target, Tensor) else Tensor(target)
        loss = t.exp() * (t - input)
    else:
        t = target if isinstance(target, Tensor) else Tensor(target)
        pos = t.data > 0
        log_t = where(pos, t, 1.0).log()  # xlogy: 0 log 0 is 0
        loss = where(pos, t * (log_t - input), 0.0 * input)
    if reduction == "batchmean":
        return loss.sum() * (1.0 / (input.shape[0] if input.ndim else 1))
    return _reduce(loss, reduction)


def _classes_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N * d1 * ..., C)"""
    if x.ndim == 2:
        return x
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return x.permute(*perm).reshape(-1, x.shape[1])


def cross_entropy_general(
    input, target, weight=None, ignore_index: int = -100, reduction="mean", label_smoothing: float = 0.0
):
    """PyTorch's cross_entropy in full: -w[y] log softmax(x)[y] per sample, the mean divided by
    the sum of the weights of the samples not ignored; with label smoothing eps,
    (1 - eps) * that + eps / C * the same with every class as the target."""
    input = _tensor(input)
    if input.ndim == 1 and np.shape(target) in ((), input.shape):
        input = input.reshape(1, -1)  # unbatched (C,), as PyTorch
        target = target.reshape(1, *target.shape) if isinstance(target, Tensor) else np.asarray(target)[None]
    if input.ndim < 2:
        raise ValueError(
            "cross_entropy: input must be (batch, classes) or (N, C, d1, ...), or (C,) with a 0-d target; "
            f"got input {input.shape} and target {np.shape(target)}"
        )
    n, c = input.shape[:2]
    spatial = input.shape[2:]
    w = None if weight is None else np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if w is not None and w.shape != (c,):
        raise ValueError(f"cross_entropy: weight must have one entry per class, shape ({c},), got {w.shape}")
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing={label_smoothing} must be in [0, 1]")
    logp = _classes_last(input).log_softmax(axis=1)  # (M, C)
    wrow = None if w is None else w.astype(input.dtype)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.shape == input.shape:  # class probabilities
        probs = _classes_last(target if isinstance(target, Tensor) else Tensor(t.astype(input.dtype)))
        if label_smoothing:
            probs = probs * (1 - label_smoothing) + label_smoothing / c
        lw = logp if wrow is None else logp * wrow
        loss = -(probs * lw).sum(axis=1)
        if reduction == "none":
            return loss.reshape((n,) + spatial)
        return loss.sum() * (1.0 / loss.shape[0]) if reduction == "mean" else loss.sum()
    if t.shape != (n,) + spatial:
        raise ValueError(
            f"cross_entropy: input {input.shape} needs class-index targets of shape {(n,) + spatial} "
            f"(or probabilities of shape {input.shape}), got {t.shape}"
        )
    if t.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: class-index targets must be integers, got dtype {t.dtype}")
    t = t.reshape(-1)
    ignored = t == ignore_index
    bad = (~ignored) & ((t < 0) | (t >= c))
    if bad.any():
        raise IndexError(
            f"cross_entropy: target holds class {t[bad][0]}, but the input has {c} classes (0 to {c - 1})"
        )
    safe = np.where(ignored, 0, t)
    keep = (~ignored).astype(input.dtype)
    wi = keep if wrow is None else wrow[safe] * keep  # each sample's weight, 0 if ignored
    nll = -logp[np.arange(len(t)), safe] * wi
    parts = [(1 - label_smoothing, nll)]
    if label_smoothing:
        smooth = -(logp if wrow is None else logp * wrow).sum(axis=1) * keep
        parts.append((label_smoothing / c, smooth))
    if reduction == "none":
        loss = (
            parts[0][1] * parts[0][0]
            if len(parts) == 1
            else parts[0][1] * parts[0][0] + parts[1][1] * parts[1][0]
        )
        return loss.reshape((n,) + spatial)
    scale = 1.0 / wi.sum() if reduction == "mean" else 1.0
    total = None
    for f, part in parts:
        term = part.sum() * (f * scale)
        total = term if total is None else total + term
    return total


def bce_with_logits_weighted(x: Tensor, target, weight=None, pos_weight=None, reduction: str = "mean"):
    """-(pw t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))) * weight, computed stably as
    (1 - t) x + (1 + (pw - 1) t) (max(-x, 0) + log(1 + e^-|x|))"""
    t = _values(target, x)
    sp = (-x).maximum(0.0) + (1 + (-abs(x)).exp()).log()  # softplus(-x) = -log sigmoid(x)
    if pos_weight is None:
        loss = (1 - t) * x + sp
    else:
        pw = np.asarray(pos_weight.data if isinstance(pos_weight, Tensor) else pos_weight, dtype=x.dtype)
        loss = (1 - t) * x + (1 + (pw - 1) * t) * sp
    if weight is not None:
        loss = loss * (weight if isinstance(weight, Tensor) else np.asarray(weight, dtype=x.dtype))
    return _reduce(loss, reduction)
