"""Dimension arguments, PyTorch's spelling and numpy's, read in one place.

PyTorch says `dim` / `keepdim`; numpy says `axis` / `keepdims`. Both are accepted, one
spelling per call: mixing them is an error that names the call to use. A 0-d tensor
accepts dim 0 and -1 (as PyTorch does), which reduce over nothing.
"""

from __future__ import annotations

import numpy as np

_int = int
_integer = np.integer


class DimError(IndexError, ValueError):
    """A dimension out of range: an IndexError as PyTorch raises, and a ValueError."""


def _check_int(op: str, d, name: str) -> None:
    if d.__class__ is bool or not isinstance(d, (_int, _integer)):
        raise TypeError(f"{op}: {name} must be an int or a tuple of ints, got {d!r} ({type(d).__name__})")


def _range_error(op: str, d, ndim: int, name: str) -> DimError:
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    return DimError(
        f"{op}: {name} {d} is out of range for a tensor with {ndim} dimensions "
        f"(expected a {name} in [{lo}, {hi}])"
    )


def _normalise(op: str, ndim: int, dims, name: str) -> tuple[int, ...]:
    if dims.__class__ is _int:
        dims = (dims,)
    elif not isinstance(dims, (tuple, list)):
        _check_int(op, dims, name)
        dims = (dims,)
    n = ndim if ndim else 1  # a 0-d tensor accepts 0 and -1
    out = []
    for d in dims:
        _check_int(op, d, name)
        if not -n <= d < n:
            raise _range_error(op, d, ndim, name)
        out.append(_int(d) % n)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: {name} {tuple(dims)} names a dimension twice")
    if not ndim:
        return ()
    out.sort()
    return tuple(out)


def _mixed(op: str, torch_kw: str, numpy_kw: str) -> TypeError:
    return TypeError(
        f"{op}: got both PyTorch's `{torch_kw}` and numpy's `{numpy_kw}`; use one spelling per call, "
        f"e.g. {op}(dim=..., keepdim=...) or {op}(axis=..., keepdims=...)"
    )


def reduce_dims(op: str, ndim: int, dim=None, keepdim=None, axis=None, keepdims=None):
    """(None or a sorted tuple of distinct non-negative dims, keepdim as a bool).

    `dim`/`keepdim` (PyTorch) or `axis`/`keepdims` (numpy): never both spellings of one
    argument, and never PyTorch's `dim` with numpy's `keepdims` (or the reverse).
    A 0-d tensor given dim 0 or -1 yields `()`: a reduction over no dimension.
    """
    if axis is not None:
        if dim is not None:
            raise _mixed(op, "dim", "axis")
        if keepdim is not None:
            raise _mixed(op, "keepdim", "axis")
        dim = axis
    if keepdims is not None:
        if keepdim is not None:
            raise _mixed(op, "keepdim", "keepdims")
        if dim is not None and axis is None:
            raise _mixed(op, "dim", "keepdims")
        keepdim = keepdims
    if keepdim is None:
        keepdim = False
    elif keepdim.__class__ is not bool and not isinstance(keepdim, (np.bool_, _int)):
        raise TypeError(f"{op}: keepdim must be a bool, got {keepdim!r}")
    name = "axis" if axis is not None else "dim"
    return (None if dim is None else _normalise(op, ndim, dim, name)), bool(keepdim)


def one_dim(op: str, ndim: int, dim) -> int:
    """A single dimension, as a non-negative int (a 0-d tensor accepts 0 and -1: gives 0)."""
    if dim.__class__ is _int and 0 <= dim < ndim:
        return dim  # the common case, cheaply
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{op}: takes exactly one dimension, got {dim!r}")
    _check_int(op, dim, "dim")
    n = ndim if ndim else 1
    if not -n <= dim < n:
        raise _range_error(op, dim, ndim, "dim")
    return _int(dim) % n
