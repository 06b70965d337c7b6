"""chainrule's autograd: Value (scalar) and Tensor (numpy) nodes sharing one graph core."""

from . import functional
from .compare_grads import compare_grads
from .engine import grad, topological_order
from .function import Function, once_differentiable
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from .gradcheck_kinks import KinkWarning
from .tensor import Tensor
from .tensor_ops import cat, maximum, stack, where
from .value import Value
from .viz import draw_graph

__all__ = [
    "GradcheckError",
    "gradcheck",
    "gradgradcheck",
    "numerical_grad",
    "Tensor",
    "cat",
    "maximum",
    "stack",
    "where",
    "Value",
    "detect_anomaly",
    "draw_graph",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
    "Function",
    "once_differentiable",
    "functional",
    "compare_grads",
    "KinkWarning",
]
