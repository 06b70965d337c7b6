"""Gradient checking: gradients from backward against central differences.

    numerical_grad(fn, inputs)          d fn / d input by central differences, every element
    gradcheck(fn, inputs)               True, or raises naming the worst element
    gradgradcheck(fn, inputs)           the same for second derivatives

`fn` takes the inputs (Values, Tensors, or constants passed through) and returns a Value,
a Tensor, or a tuple of them. A Tensor input is checked when it requires grad; gradcheck
wants those in float64, as float32 differences are too coarse to mean anything. Every
element of the Jacobian is compared: one backward pass per output element and two
evaluations of `fn` per input element, so keep shapes small.
"""

from __future__ import annotations

import numpy as np

from . import engine
from .tensor import Tensor
from .value import Value


class GradcheckError(AssertionError):
    """Analytic and numerical derivatives disagree beyond the tolerance."""


def numerical_grad(fn, inputs, eps: float = 1e-6, grad_output=None) -> list:
    """d(output)/d(input) for every input by central differences (f(x+eps) - f(x-eps)) / 2eps.

    For an output with more than one element, pass `grad_output` (an array of the output's
    shape, or a tuple for a tuple of outputs): the result is then the gradient of
    sum(output * grad_output). Returns a float per Value input, an array of the input's
    shape per Tensor input and None for any other input.
    """
    inputs = list(inputs)
    outs = _flatten(fn(*inputs))
    weights = _output_weights(outs, grad_output)
    jac = _numeric_jacobian(fn, inputs, [i for i, x in enumerate(inputs) if _is_node(x)], eps)
    grads = []
    for i, x in enumerate(inputs):
        if i not in jac:
            grads.append(None)
            continue
        g = np.tensordot(weights, jac[i], axes=1)
        grads.append(float(g) if isinstance(x, Value) else g.astype(x._data.dtype))
    return grads


def gradcheck(
    fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True
) -> bool:
    """Compare the Jacobian that backward gives with central differences, element by element.

    Passes when |analytic - numeric| <= atol + rtol * |numeric| everywhere. On failure it
    raises GradcheckError naming the input, the worst element's index, and both values
    (or returns False with `raise_exception=False`).
    """
    inputs = list(inputs)
    wrt = _checked_inputs(inputs, "gradcheck")
    analytic = _analytic_jacobian(fn, inputs, wrt)
    numeric = _numeric_jacobian(fn, inputs, wrt, eps)
    return _compare(inputs, wrt, analytic, numeric, atol, rtol, raise_exception, "gradcheck", "")


def gradgradcheck(fn, inputs, grad_outputs=None, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True) -> bool:  # fmt: skip
    """gradcheck of the first derivatives: checks the second derivatives of `fn`.

    The first derivatives are taken with `grad(fn(...), inputs, grad_outputs,
    create_graph=True)`; for an output with more than one element, `grad_outputs`
    defaults to fixed random weights (seed 0), as in PyTorch.
    """
    inputs = list(inputs)
    wrt = _checked_inputs(inputs, "gradgradcheck")
    outs = _flatten(fn(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [None if _size(o) == 1 else rng.standard_normal(_shape(o)) for o in outs]
    else:
        grad_outputs = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]

    def first_derivatives(*xs):
        ys = _flatten(fn(*xs))
        seeds = [_seed_like(y, w) for y, w in zip(ys, grad_outputs)]
        live = [k for k, y in enumerate(ys) if y.requires_grad]
        if not live:
            gs = [None] * len(wrt)
        else:
            gs = engine.grad([ys[k] for k in live], [xs[i] for i in wrt], [seeds[k] for k in live],
                             create_graph=True, allow_unused=True)  # fmt: skip
        return tuple(_zeros_like(xs[i]) if g is None else g for i, g in zip(wrt, gs))

    analytic = _analytic_jacobian(first_derivatives, inputs, wrt)
    numeric = _numeric_jacobian(first_derivatives, inputs, wrt, eps)
    return _compare(inputs, wrt, analytic, numeric, atol, rtol, raise_exception, "gradgradcheck",
                    " (of the first derivatives)")  # fmt: skip


# helpers ------------------------------------------------------------------------------
def _is_node(x) -> bool:
    return isinstance(x, (Value, Tensor)) and x.requires_grad


def _checked_inputs(inputs, what) -> list[int]:
    wrt = []
    for i, x in enumerate(inputs):
        if not _is_node(x):
            continue
        if isinstance(x, Tensor) and x._data.dtype != np.float64:
            raise TypeError(
                f"{what}: input {i} is {x._data.dtype}; finite differences need float64 to mean "
                f"anything. Make it with Tensor(..., dtype=np.float64, requires_grad=True)"
            )
        wrt.append(i)
    if not wrt:
        raise ValueError(f"{what}: no input requires grad; nothing to check")
    return wrt


def _flatten(out) -> list:
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    for o in outs:
        if not isinstance(o, (Value, Tensor)):
            raise TypeError(
                f"gradcheck: fn must return Values or Tensors (or a tuple of them), got {type(o).__name__}"
            )
    return outs


def _size(o) -> int:
    return 1 if isinstance(o, Value) else o._data.size


def _shape(o) -> tuple:
    return () if isinstance(o, Value) else o._data.shape


def _values(outs) -> np.ndarray:
    """All output elements, flattened and joined, as float64."""
    return np.concatenate([np.ravel(np.asarray(o.data, dtype=np.float64)) for o in outs])


def _output_weights(outs, grad_output) -> np.ndarray:
    if grad_output is None:
        total = sum(_size(o) for o in outs)
        if total != 1:
            shapes = ", ".join(str(_shape(o)) for o in outs)
            raise ValueError(
                f"numerical_grad: fn returned {total} elements (shapes {shapes}); pass grad_output= "
                "to weight them, or reduce the output to one element"
            )
        return np.ones(1)
    gos = list(grad_output) if isinstance(grad_output, (tuple, list)) and len(outs) > 1 else [grad_output]
    return np.concatenate([np.ravel(np.asarray(_data_of(w), dtype=np.float64)) for w in gos])


def _data_of(w):
    return w.data if isinstance(w, (Value, Tensor)) else w


def _seed_like(y, w):
    if w is None:
        return None
    if isinstance(y, Value):
        return float(np.asarray(_data_of(w)))
    return np.asarray(_data_of(w), dtype=y._data.dtype).reshape(y._data.shape)


def _zeros_like(x):
    return Value(0.0, requires_grad=False) if isinstance(x, Value) else Tensor(np.zeros_like(x._data))


def _analytic_jacobian(fn, inputs, wrt) -> dict:
    """{input index: array (n_outputs, *input shape)} from one backward pass per output element."""
    outs = _flatten(fn(*inputs))
    n_out = sum(_size(o) for o in outs)
    jac = {i: np.zeros((n_out,) + _shape(inputs[i])) for i in wrt}
    row = 0
    for o in outs:
        for k in range(_size(o)):
            if o.requires_grad:
                if isinstance(o, Value):
                    seed = 1.0
                else:
                    seed = np.zeros(o._data.shape, o._data.dtype)
                    seed.flat[k] = 1
                gs = engine.grad([o], [inputs[i] for i in wrt], [seed], retain_graph=True, allow_unused=True)
                for i, g in zip(wrt, gs):
                    if g is not None:
                        jac[i][row] = np.asarray(_data_of(g), dtype=np.float64)
            row += 1
    return jac


def _numeric_jacobian(fn, inputs, wrt, eps) -> dict:
    """{input index: array (n_outputs, *input shape)} by central differences."""
    jac = {}
    for i in wrt:
        x = inputs[i]
        if isinstance(x, Value):
            orig = x.data
            x.data = orig + eps
            up = _values(_flatten(fn(*inputs)))
            x.data = orig - eps
            down = _values(_flatten(fn(*inputs)))
            x.data = orig
            jac[i] = (up - down) / (2 * eps)
            continue
        orig = x._data
        work = orig.copy()
        x._data = work  # perturbed in place below; the original array is put back after
        try:
            cols = []
            for k in range(work.size):
                v = work.flat[k]
                work.flat[k] = v + eps
                up = _values(_flatten(fn(*inputs)))
                work.flat[k] = v - eps
                down = _values(_flatten(fn(*inputs)))
                work.flat[k] = v
                cols.append((up - down) / (2 * eps))
        finally:
            x._data = orig
        n_out = len(cols[0]) if cols else len(_values(_flatten(fn(*inputs))))
        jac[i] = (np.stack(cols, axis=1) if cols else np.zeros((n_out, 0))).reshape((n_out,) + orig.shape)
    return jac


def _compare(inputs, wrt, analytic, numeric, atol, rtol, raise_exception, what, of) -> bool:
    worst = None
    for i in wrt:
        a, n = analytic[i], numeric[i]
        excess = np.abs(a - n) - (atol + rtol * np.abs(n))
        bad = ~(excess <= 0)  # nan counts as a failure
        if bad.any():
            flat = np.where(bad.ravel(), np.nan_to_num(excess.ravel(), nan=np.inf), -np.inf)
            k = int(np.argmax(flat))
            if worst is None or flat[k] > worst[0]:
                worst = (flat[k], i, k)
    if worst is None:
        return True
    _, i, k = worst
    a, n = analytic[i], numeric[i]
    x = inputs[i]
    out_row, elem = np.unravel_index(k, a.shape)[0], np.unravel_index(k, a.shape)[1:]
    name = f"input {i}" + (f" ({x.label!r})" if getattr(x, "label", "") else "")
    where = f"element {tuple(int(j) for j in elem)}" if elem else "its value"
    n_out = a.shape[0]
    of_out = f" of output element {int(out_row)}" if n_out > 1 else ""
    msg = (
        f"{what}: {name}, {where}{of_out}{of}: analytic {a.flat[k]:.10g} vs numeric {n.flat[k]:.10g} "
        f"(difference {abs(a.flat[k] - n.flat[k]):.3g} > atol {atol:g} + rtol {rtol:g} * |numeric|)"
    )
    if raise_exception:
        raise GradcheckError(msg)
    return False
