"""chainrule's autograd: Value (scalar) and Tensor (numpy) nodes sharing one graph core."""

from .engine import grad, topological_order
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from .tensor import Tensor
from .tensor_ops import cat, maximum, stack, where
from .value import Value
from .viz import draw_graph

# isort: split
from .viz import (
    Player,
    TrainingRecorder,
    backward_steps,
    draw_dot,
    keep_graphs,
    player,
    record_training,
    to_text,
)

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
    "draw_dot",
    "backward_steps",
    "to_text",
    "player",
    "Player",
    "TrainingRecorder",
    "record_training",
    "keep_graphs",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]
