"""Gradient checking: gradients from backward against central differences.

    numerical_grad(fn, inputs)          d fn / d input by central differences, every element
    gradcheck(fn, inputs)               True, or raises naming the worst element and the op
    gradcheck(fn, inputs, fast_mode=True)   v . J . u along a few random directions
    gradgradcheck(fn, inputs)           the same for second derivatives

`fn` takes the inputs (Values, Tensors, or constants passed through) and returns a Value,
a Tensor, or a tuple of them. A Tensor input is checked when it requires grad; gradcheck
wants those in float64, as float32 differences are too coarse to mean anything. Every
element of the Jacobian is compared: one backward pass per output element and two
evaluations of `fn` per input element, so keep shapes small (or use fast_mode).
Elements at a kink are judged by one-sided differences (gradcheck_kinks.py); on a failure
the first op whose own backward is wrong is named (gradcheck_localise.py).
"""

from __future__ import annotations

import warnings

import numpy as np

from . import engine
from . import gradcheck_localise as _localise
from .gradcheck_kinks import (
    KinkWarning,
    describe_kinks,
    differences,
    flat_values,
    input_name,
    judge,
    kink_list,
    outputs_of,
)
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
    outs = outputs_of(fn(*inputs))
    weights = _output_weights(outs, grad_output)
    jac = {
        i: d[0]
        for i, d in differences(fn, inputs, [i for i, x in enumerate(inputs) if _is_node(x)], eps).items()
    }
    grads = []
    for i, x in enumerate(inputs):
        if i not in jac:
            grads.append(None)
            continue
        g = np.tensordot(weights, jac[i], axes=1)
        grads.append(float(g) if isinstance(x, Value) else g.astype(x._data.dtype))
    return grads


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, fast_mode: bool = False,
              locate: bool = True) -> bool:  # fmt: skip
    """Compare the Jacobian that backward gives with central differences, element by element.

    Passes when |analytic - numeric| <= atol + rtol * |numeric| everywhere. Elements at a
    kink (the two one-sided differences disagree) pass if the analytic value matches one
    of them or lies between, and are reported with a KinkWarning. `fast_mode=True` checks
    v . J . u along a few random directions instead of every element (PyTorch's fast mode).
    On failure it raises GradcheckError naming the worst element and both values, then
    (with `locate`) the first op whose own backward disagrees with differences of that op
    alone (or returns False with `raise_exception=False`).
    """
    inputs = list(inputs)
    wrt = _checked_inputs(inputs, "gradcheck")
    if fast_mode:
        msg = _fast_check(fn, inputs, wrt, eps, atol, rtol)
    else:
        analytic = _analytic_jacobian(fn, inputs, wrt)
        numeric = differences(fn, inputs, wrt, eps)
        msg = _compare(inputs, wrt, analytic, numeric, atol, rtol, "gradcheck", "")
    return _verdict(msg, fn, inputs, eps, atol, rtol, raise_exception, locate)


def _verdict(msg, fn, inputs, eps, atol, rtol, raise_exception, locate, order=1) -> bool:
    if msg is None:
        return True
    if not raise_exception:
        return False
    if locate:
        msg += "\n" + _localise.locate(fn, inputs, eps, atol, rtol, order)
    raise GradcheckError(msg)


def _fast_check(fn, inputs, wrt, eps, atol, rtol, directions: int = 3):
    """v . J . u for random unit u (over all checked inputs) and random v (over the outputs):
    one backward pass gives v . J, two evaluations of fn per direction the differences."""
    rng = np.random.default_rng(0)
    outs = outputs_of(fn(*inputs))
    v = [rng.standard_normal(_shape(o)) for o in outs]
    live = [k for k, o in enumerate(outs) if o.requires_grad]
    vj = [None] * len(wrt)
    if live:
        seeds = [_seed_like(outs[k], v[k]) for k in live]
        vj = engine.grad([outs[k] for k in live], [inputs[i] for i in wrt], seeds, allow_unused=True)
    vj = [
        np.zeros(_shape(inputs[i])) if g is None else np.asarray(_data_of(g), np.float64)
        for i, g in zip(wrt, vj)
    ]
    vflat = np.concatenate([np.ravel(x) for x in v])

    def along(us, t):
        saved = [_data_of(inputs[i]) for i in wrt]
        try:
            for i, u, d in zip(wrt, us, saved):
                _set(inputs[i], d + t * u)
            return float(vflat @ flat_values(outputs_of(fn(*inputs))))
        finally:
            for i, d in zip(wrt, saved):
                _set(inputs[i], d)

    base = float(vflat @ flat_values(outs))
    for d in range(directions):
        us = [rng.standard_normal(_shape(inputs[i])) for i in wrt]
        norm = np.sqrt(sum(float(np.sum(u * u)) for u in us)) or 1.0
        us = [u / norm for u in us]
        a = sum(float(np.sum(g * u)) for g, u in zip(vj, us))
        up, down = along(us, eps), along(us, -eps)
        cen, fwd, bwd = (up - down) / (2 * eps), (up - base) / eps, (base - down) / eps
        bad, kink, _ = judge(np.array([a]), np.array([cen]), np.array([fwd]), np.array([bwd]), atol, rtol)
        if kink.any() and not bad.any():
            warnings.warn(f"gradcheck (fast mode): direction {d} crosses a kink (one-sided slopes "
                          f"{bwd:.6g} and {fwd:.6g}); analytic {a:.6g} accepted", KinkWarning,
                          stacklevel=3)  # fmt: skip
        if bad.any():
            return (
                f"gradcheck (fast mode): along random direction {d}, v . J . u from backward is {a:.10g} "
                f"but finite differences give {cen:.10g} (difference {abs(a - cen):.3g} > atol {atol:g} + "
                f"rtol {rtol:g} * |numeric|); run without fast_mode to see the elements"
            )
    return None


def _set(x, data) -> None:
    if isinstance(x, Value):
        x.data = float(data)
    else:
        x._data = np.asarray(data, dtype=x._data.dtype)


def gradgradcheck(fn, inputs, grad_outputs=None, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True) -> bool:  # fmt: skip
    """gradcheck of the first derivatives: checks the second derivatives of `fn`.

    The first derivatives are taken with `grad(fn(...), inputs, grad_outputs,
    create_graph=True)`; for an output with more than one element, `grad_outputs`
    defaults to fixed random weights (seed 0), as in PyTorch.
    """
    inputs = list(inputs)
    wrt = _checked_inputs(inputs, "gradgradcheck")
    outs = outputs_of(fn(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [None if _size(o) == 1 else rng.standard_normal(_shape(o)) for o in outs]
    else:
        grad_outputs = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]

    def first_derivatives(*xs):
        ys = outputs_of(fn(*xs))
        seeds = [_seed_like(y, w) for y, w in zip(ys, grad_outputs)]
        live = [k for k, y in enumerate(ys) if y.requires_grad]
        if not live:
            gs = [None] * len(wrt)
        else:
            gs = engine.grad([ys[k] for k in live], [xs[i] for i in wrt], [seeds[k] for k in live],
                             create_graph=True, allow_unused=True)  # fmt: skip
        return tuple(_zeros_like(xs[i]) if g is None else g for i, g in zip(wrt, gs))

    analytic = _analytic_jacobian(first_derivatives, inputs, wrt)
    numeric = differences(first_derivatives, inputs, wrt, eps)
    msg = _compare(inputs, wrt, analytic, numeric, atol, rtol, "gradgradcheck", " (of the first derivatives)")
    return _verdict(msg, fn, inputs, eps, atol, rtol, raise_exception, True, order=2)


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


def _size(o) -> int:
    return 1 if isinstance(o, Value) else o._data.size


def _shape(o) -> tuple:
    return () if isinstance(o, Value) else o._data.shape


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
    outs = outputs_of(fn(*inputs))
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


def _compare(inputs, wrt, analytic, numeric, atol, rtol, what, of):
    """None if every element agrees (kinks accepted and warned about), else the message."""
    worst, kinks = None, {}
    for i in wrt:
        bad, kink, excess = judge(analytic[i], *numeric[i], atol, rtol)
        kinks[i] = kink
        if bad.any():
            flat = np.where(bad.ravel(), np.nan_to_num(excess.ravel(), nan=np.inf), -np.inf)
            k = int(np.argmax(flat))
            if worst is None or flat[k] > worst[0]:
                worst = (flat[k], i, k, int(bad.sum()), bad.size)
    found = kink_list(inputs, wrt, analytic, numeric, kinks)
    if found and worst is None:
        warnings.warn(f"{what}: {len(found)} element(s) sit at a kink, where the function is not "
                      "differentiable; checked against one-sided differences and accepted:\n"
                      + describe_kinks(inputs, found), KinkWarning, stacklevel=3)  # fmt: skip
    if worst is None:
        return None
    _, i, k, n_bad, n_all = worst
    a, n = analytic[i], numeric[i][0]
    out_row, elem = np.unravel_index(k, a.shape)[0], np.unravel_index(k, a.shape)[1:]
    where = f"element {tuple(int(j) for j in elem)}" if elem else "its value"
    of_out = f" of output element {int(out_row)}" if a.shape[0] > 1 else ""
    msg = (
        f"{what}: {input_name(inputs, i)}, {where}{of_out}{of}: analytic {a.flat[k]:.10g} vs numeric "
        f"{n.flat[k]:.10g} (difference {abs(a.flat[k] - n.flat[k]):.3g} > atol {atol:g} + rtol {rtol:g} * "
        f"|numeric|); {n_bad} of {n_all} Jacobian entries of that input disagree"
    )
    if found:
        msg += f"\n{len(found)} element(s) at a kink were checked against one-sided differences:\n"
        msg += describe_kinks(inputs, found)
    return msg
