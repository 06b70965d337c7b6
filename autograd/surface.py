"""Binding for the modules of PyTorch's op surface (tensor_math, tensor_reduce, tensor_shape,
tensor_index, tensor_linalg, tensor_compare): each op becomes a Tensor method, and each rule
states what it reads for the in-place check, as PyTorch checks only what it saved."""

from __future__ import annotations

import numpy as np

from .tensor import READS, Tensor
from .tensor_ops import where as tensor_where

NOTHING, INPUTS, OUTPUT, BOTH = (False, False), (True, False), (False, True), (True, True)


def bind(methods, aliases=None, reads=None) -> None:
    """Set each function as a Tensor method (under its name, and under each alias), and
    record what each rule reads besides g: {rule: NOTHING | INPUTS | OUTPUT | BOTH}."""
    for fn in methods:
        setattr(Tensor, fn.__name__, fn)
    for name, fn in (aliases or {}).items():
        setattr(Tensor, name, fn)
    READS.update(reads or {})


def raw(x):
    """The array behind a Tensor (or a subclass such as nn.Parameter); anything else as is.
    Rules run on parents that may be Parameters when create_graph=True."""
    return x._data if isinstance(x, Tensor) else x


def where(cond, x, y):
    """np.where for arrays; the recorded op where either side is a Tensor (or a subclass)."""
    if isinstance(x, Tensor) or isinstance(y, Tensor):
        return tensor_where(cond, x, y)
    return np.where(cond, x, y)
