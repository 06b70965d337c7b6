"""Loss modules: each holds its options and calls its function in nn.functional."""

from __future__ import annotations

import numpy as np

from . import functional as F
from .module import Module

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HingeLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
    "SmoothL1Loss",
]


class _Loss(Module):
    _fn = staticmethod(F.mse_loss)

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def forward(self, input, target):
        return self._fn(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """mean (or sum) of (input - target)^2"""

    _fn = staticmethod(F.mse_loss)


class CrossEntropyLoss(_Loss):
    """softmax cross-entropy from logits (N, C) or (N, C, d1, ...), targets as class indices or
    probabilities; optional class weights (a buffer, as PyTorch), ignore_index, label_smoothing"""

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ):
        if isinstance(weight, str):  # the old CrossEntropyLoss("sum")
            weight, reduction = None, weight
        F._deprecated(size_average, reduce, "CrossEntropyLoss")
        super().__init__(reduction)
        if weight is not None:
            self.register_buffer("weight", np.asarray(getattr(weight, "data", weight)))
        else:
            self.weight = None
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        if self.weight is None and self.ignore_index == -100 and not self.label_smoothing:
            return F.cross_entropy(input, target, reduction=self.reduction)
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_Loss):
    """-input[target] for log-probabilities (after LogSoftmax)"""

    _fn = staticmethod(F.nll_loss)


class BCELoss(_Loss):
    """binary cross-entropy of probabilities (after Sigmoid)"""

    _fn = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """binary cross-entropy from logits, stable for large |x|; weight and pos_weight are buffers"""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None):
        if isinstance(weight, str):  # the old BCEWithLogitsLoss("sum")
            weight, reduction = None, weight
        F._deprecated(size_average, reduce, "BCEWithLogitsLoss")
        super().__init__(reduction)
        for name, value in (("weight", weight), ("pos_weight", pos_weight)):
            if value is not None:
                self.register_buffer(name, np.asarray(getattr(value, "data", value)))
            else:
                setattr(self, name, None)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class HingeLoss(_Loss):
    """max-margin loss: max(0, margin - t * s) for t in {-1, +1}, or the multi-class form"""

    def __init__(self, margin: float = 1.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_loss(input, target, margin=self.margin, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, reduction={self.reduction!r}"


class L1Loss(_Loss):
    """mean (or sum) of |input - target|"""

    _fn = staticmethod(F.l1_loss)


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta for |d| < beta, else |d| - 0.5 beta"""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        F._deprecated(size_average, reduce, "SmoothL1Loss")
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """0.5 d^2 for |d| <= delta, else delta (|d| - 0.5 delta)"""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(Module):
    """target (log target - input) for log-probability inputs; reduction='batchmean' is the KL divergence"""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False):
        super().__init__()
        F._deprecated(size_average, reduce, "KLDivLoss")
        if reduction not in ("mean", "sum", "none", "batchmean"):
            raise ValueError(f"KLDivLoss: reduction={reduction!r}; use 'batchmean', 'sum', 'mean' or 'none'")
        self.reduction, self.log_target = reduction, log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, log_target={self.log_target}"
