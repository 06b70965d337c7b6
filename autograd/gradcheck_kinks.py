"""Finite differences that know about kinks, and the element-by-element verdict.

A central difference (f(x+eps) - f(x-eps)) / 2eps straddles a point where f is not
differentiable (relu or abs at 0, max with a tie, clamp at a bound) and gives the average
of the two slopes, which no backward returns. So every element also gets its two one-sided
differences (f(x+eps) - f(x)) / eps and (f(x) - f(x-eps)) / eps: where they disagree the
element sits at a kink, and the analytic value is accepted if it matches either slope or
lies between them (a subgradient). Everywhere else the central difference decides.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor
from .value import Value


class KinkWarning(UserWarning):
    """Some elements sit where the function is not differentiable; one-sided checks passed."""


def outputs_of(out) -> list:
    """fn's result as a list of nodes, refusing anything else."""
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    for o in outs:
        if not isinstance(o, (Value, Tensor)):
            raise TypeError(
                f"gradcheck: fn must return Values or Tensors (or a tuple of them), got {type(o).__name__}"
            )
    return outs


def flat_values(outs) -> np.ndarray:
    """All output elements, flattened and joined, as float64."""
    return np.concatenate([np.ravel(np.asarray(o.data, dtype=np.float64)) for o in outs])


def differences(fn, inputs, wrt, eps: float, elements=None) -> dict:
    """{input index: (central, forward, backward)} arrays of shape (n_outputs, *input shape).

    `elements` ({input index: flat indices}) limits the differences to those elements of
    big inputs; the others are left nan (not checked)."""
    base = flat_values(outputs_of(fn(*inputs)))
    res = {}
    for i in wrt:
        x = inputs[i]
        if isinstance(x, Value):
            orig = x.data
            try:
                x.data = orig + eps
                up = flat_values(outputs_of(fn(*inputs)))
                x.data = orig - eps
                down = flat_values(outputs_of(fn(*inputs)))
            finally:
                x.data = orig
            res[i] = ((up - down) / (2 * eps), (up - base) / eps, (base - down) / eps)
            continue
        orig = x._data
        work = orig.copy()
        cen, fwd, bwd = (np.full((base.size, work.size), np.nan) for _ in range(3))
        x._data = work  # perturbed in place below; the original array is put back after
        try:
            ks = None if elements is None else elements.get(i)
            for k in range(work.size) if ks is None else ks:
                v = work.flat[k]
                work.flat[k] = v + eps
                up = flat_values(outputs_of(fn(*inputs)))
                work.flat[k] = v - eps
                down = flat_values(outputs_of(fn(*inputs)))
                work.flat[k] = v
                cen[:, k], fwd[:, k], bwd[:, k] = (
                    (up - down) / (2 * eps),
                    (up - base) / eps,
                    (base - down) / eps,
                )
        finally:
            x._data = orig
        shape = (base.size,) + orig.shape
        res[i] = (cen.reshape(shape), fwd.reshape(shape), bwd.reshape(shape))
    return res


def judge(analytic: np.ndarray, cen, fwd, bwd, atol: float, rtol: float):
    """(bad, kink, excess) masks/arrays over the elements: bad are real disagreements, kink
    the elements at a non-differentiable point (accepted or not), excess how far past the
    tolerance the analytic value is from the central difference. nan differences (elements
    not sampled) are neither bad nor kinks."""
    a = analytic
    checked = ~np.isnan(cen)
    tol = lambda ref: atol + rtol * np.abs(ref)  # noqa: E731
    excess = np.abs(a - cen) - tol(cen)
    off = ~(excess <= 0) & checked  # nan in the analytic value counts as a failure
    slopes_differ = np.abs(fwd - bwd) > tol(np.maximum(np.abs(fwd), np.abs(bwd)))
    kink = slopes_differ & checked
    lo, hi = np.minimum(fwd, bwd), np.maximum(fwd, bwd)
    fits_a_slope = (np.abs(a - fwd) <= tol(fwd)) | (np.abs(a - bwd) <= tol(bwd))
    between = (a >= lo - tol(lo)) & (a <= hi + tol(hi))
    bad = off & ~(kink & (fits_a_slope | between))
    return bad, kink, excess


def describe_kinks(inputs, found: list, limit: int = 5) -> str:
    """A line per kink: which input element, the two slopes and the analytic value."""
    lines = []
    for i, idx, row, a, f, b in found[:limit]:
        name = input_name(inputs, i)
        where = f"element {idx}" if idx else "its value"
        where += f" of output element {row}" if row is not None else ""
        lines.append(
            f"  {name}, {where}: one-sided slopes {b:.6g} (left) and {f:.6g} (right), analytic {a:.6g}"
        )
    more = f"\n  ... and {len(found) - limit} more" if len(found) > limit else ""
    return "\n".join(lines) + more


def kink_list(inputs, wrt, analytic: dict, numeric: dict, kinks: dict) -> list:
    """[(input, element index, output row or None, analytic, right slope, left slope)] per kink."""
    found = []
    for i in wrt:
        mask = kinks.get(i)
        if mask is None or not mask.any():
            continue
        _, fwd, bwd = numeric[i]
        for k in np.flatnonzero(mask.ravel()):
            pos = np.unravel_index(k, mask.shape)
            row = int(pos[0]) if mask.shape[0] > 1 else None
            idx = tuple(int(j) for j in pos[1:])
            found.append((i, idx, row, analytic[i].flat[k], fwd.flat[k], bwd.flat[k]))
    return found


def input_name(inputs, i) -> str:
    x = inputs[i]
    return f"input {i}" + (f" ({x.label!r})" if getattr(x, "label", "") else "")
