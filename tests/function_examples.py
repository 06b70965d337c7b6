"""Functions written once for both libraries: `base` is autograd.Function or
torch.autograd.Function, so chainrule's and PyTorch's twins have the very same code."""

from __future__ import annotations


def legendre(base, planted_mistake: bool = False):
    """PyTorch's tutorial op P3(x) = (5x^3 - 3x) / 2, P3'(x) = 1.5 (5x^2 - 1); the planted
    mistake writes + 1 for - 1."""
    shift = 1 if planted_mistake else -1

    class LegendrePolynomial3(base):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input**3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input**2 + shift)

    LegendrePolynomial3.__name__ = "WrongLegendre" if planted_mistake else "LegendrePolynomial3"
    return LegendrePolynomial3


def half_exp(base):
    """exp(x) whose backward forgets nothing but halves the gradient: a wrong op."""

    class HalfExp(base):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y * 0.5

    return HalfExp


def module_of(method: str):
    """The module whose globals hold the rule of Tensor's `method` (ops move between files:
    a planted bug goes where the op's function looks its rule up)."""
    import sys

    from autograd import Tensor

    fn = getattr(Tensor, method)
    return sys.modules[getattr(fn, "__module__", "autograd.tensor_ops")]
