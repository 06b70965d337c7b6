"""Gradient clipping, as torch.nn.utils: clip_grad_norm_ and clip_grad_value_."""

from __future__ import annotations

import math

import numpy as np

from autograd import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False):
    """Scale all gradients by min(1, max_norm / (total_norm + 1e-6)), total_norm being the
    norm of all gradients joined into one vector; returns total_norm (a 0-d Tensor)."""
    params = _with_grads(parameters)
    norm_type = float(norm_type)
    if not params:
        return Tensor(np.array(0.0, dtype=np.float32))
    dtype = params[0].grad.dtype
    if math.isinf(norm_type):
        total = max(float(np.abs(p.grad).max()) for p in params)
    else:
        total = sum(float((np.abs(p.grad.astype(np.float64)) ** norm_type).sum()) for p in params)
        total = total ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}, so they "
            "cannot be clipped; pass error_if_nonfinite=False to skip this check"
        )
    coef = float(max_norm) / (total + 1e-6)
    if coef < 1:
        for p in params:
            p.grad = p.grad * p.grad.dtype.type(coef)
    return Tensor(np.array(total, dtype=dtype))


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clip every gradient element into [-clip_value, clip_value], in place."""
    c = float(clip_value)
    for p in _with_grads(parameters):
        np.clip(p.grad, -c, c, out=p.grad)
