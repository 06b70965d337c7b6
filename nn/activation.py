"""Activation modules of a second course (GELU, SiLU, ELU, Softplus, Hardtanh) and
Dropout2d, as their PyTorch namesakes; each calls the Tensor op of the same name."""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["ELU", "GELU", "Dropout2d", "Hardtanh", "SiLU", "Softplus"]


class GELU(Module):
    """x Φ(x); approximate='tanh' for the tanh approximation"""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x sigmoid(x)"""

    def forward(self, x):
        return F.silu(x)


class ELU(Module):
    """x if x > 0 else alpha (e^x - 1)"""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softplus(Module):
    """log(1 + e^(beta x)) / beta, linear above threshold"""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x clipped to [min_val, max_val]"""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val {min_val} is greater than max_val {max_val}")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Dropout2d(Module):
    """In training, zero whole channels of (N, C, H, W) with probability p, scale the rest by 1/(1-p)."""

    def __init__(self, p: float = 0.5, rng=None):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout2d: p={p} must be a probability in [0, 1]")
        self.p, self.rng = p, rng

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training, rng=self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"
