"""chainrule standing in for torch, for tests only: `torch.<name>` -> `autograd.<name>`,
`torch.nn` -> `nn`, `torch.optim` -> `nn.optim`, `torch.autograd` -> `autograd`.

A test case written once in PyTorch's spelling takes the module as an argument and runs
with the real `torch` and with `torch_adapter.torch`; the parity suite compares the two.
"""

from __future__ import annotations

import numpy as np

import autograd
import nn
import nn.functional
import nn.optim

# torch's names for dtypes and the few functions spelled differently
_ALIASES = {
    "float": np.float32,
    "double": np.float64,
    "half": np.float16,
    "int": np.int32,
    "long": np.int64,
    "bool": np.bool_,
    "nn": nn,
    "optim": nn.optim,
    "autograd": autograd,
    "is_tensor": lambda x: isinstance(x, autograd.Tensor),
}


class _Torch:
    """The `torch` namespace, answered by chainrule."""

    __name__ = "chainrule"

    def __getattr__(self, name: str):
        if name in _ALIASES:
            return _ALIASES[name]
        try:
            return getattr(autograd, name)
        except AttributeError:
            raise AttributeError(f"chainrule has no torch.{name} (autograd.{name})") from None

    def set_default_dtype(self, dtype) -> None:
        """float64 is chainrule's default for Python floats already; only that is accepted."""
        if np.dtype(dtype) != np.float64:
            raise ValueError("the adapter's default dtype is float64 (chainrule's rule for Python floats)")


torch = _Torch()


def to_numpy(x):
    """A torch tensor, a chainrule Tensor or an array as a numpy array (None stays None)."""
    if x is None:
        return None
    if hasattr(x, "detach") and hasattr(x, "numpy") and not isinstance(x, autograd.Tensor):
        return x.detach().numpy()  # torch
    if isinstance(x, autograd.Tensor):
        return x.data
    return np.asarray(x)


def dtype_name(x) -> str:
    """'float64', 'int64', 'bool', ... for a torch or chainrule tensor or a dtype."""
    d = getattr(x, "dtype", x)
    s = str(d)
    return s.removeprefix("torch.")
