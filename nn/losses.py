"""Loss modules: each holds its options and calls its function in nn.functional."""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HingeLoss", "MSELoss", "NLLLoss"]


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
    """softmax cross-entropy from logits, targets as class indices or probabilities"""

    _fn = staticmethod(F.cross_entropy)


class NLLLoss(_Loss):
    """-input[target] for log-probabilities (after LogSoftmax)"""

    _fn = staticmethod(F.nll_loss)


class BCELoss(_Loss):
    """binary cross-entropy of probabilities (after Sigmoid)"""

    _fn = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """binary cross-entropy from logits, stable for large |x|"""

    _fn = staticmethod(F.binary_cross_entropy_with_logits)


class HingeLoss(_Loss):
    """max-margin loss: max(0, margin - t * s) for t in {-1, +1}, or the multi-class form"""

    def __init__(self, margin: float = 1.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_loss(input, target, margin=self.margin, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, reduction={self.reduction!r}"
