"""Binding for the modules of PyTorch's op surface (tensor_math, tensor_reduce, tensor_shape,
tensor_index, tensor_linalg, tensor_compare): each op becomes a Tensor method, and each rule
states what it reads for the in-place check, as PyTorch checks only what it saved."""

from __future__ import annotations

from .tensor import READS, Tensor
from .tensor import _raw as raw  # noqa: F401  (the rules' helpers, for the surface modules)
from .tensor_ops import _where as where  # noqa: F401

NOTHING, INPUTS, OUTPUT, BOTH = (False, False), (True, False), (False, True), (True, True)


def bind(methods, aliases=None, reads=None) -> None:
    """Set each function as a Tensor method (under its name, and under each alias), and
    record what each rule reads besides g: {rule: NOTHING | INPUTS | OUTPUT | BOTH}."""
    for fn in methods:
        setattr(Tensor, fn.__name__, fn)
    for name, fn in (aliases or {}).items():
        setattr(Tensor, name, fn)
    READS.update(reads or {})
