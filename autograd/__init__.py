"""chainrule's autograd: Value (scalar) and Tensor (numpy) nodes sharing one graph core."""

from .engine import grad, topological_order
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .value import Value

__all__ = [
    "Value",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]
