"""Fused primitives: ops that composition would make several nodes of, made one node here
because a benchmark showed the difference (the MNIST training step). Each keeps its forward
and backward side by side and gives the same value and gradient as the composition.
"""

from __future__ import annotations

import numpy as np

from .tensor import EXACT_RULES, READS, Tensor, _make, _make_n

# The ufuncs' reductions, called directly: ndarray.sum and .max add a Python wrapper each.
_add_reduce, _max_reduce = np.add.reduce, np.maximum.reduce


def linear(x, weight, bias=None):
    """x @ weight.T + bias

    For a batch of rows (x of shape (N, in)) this is one fused node rather than three
    (transpose, matmul, add): the MNIST benchmark spends a tenth of a step on the extra
    nodes. Its gradients are the ones the three would give: g @ W, (x.T @ g).T and sum(g).
    """
    if x.__class__ is not Tensor and not isinstance(x, Tensor):
        x = Tensor(x)
    xd, wd = x._data, weight._data
    dtype = wd.dtype
    # (dtypes compared by identity: numpy's are singletons, and an equal one that is not takes
    # the composed route, which gives the same result)
    if (
        xd.ndim != 2
        or wd.ndim != 2
        or xd.dtype is not dtype
        or (bias is not None and bias._data.dtype is not dtype)
    ):
        out = x @ weight.T  # other shapes, or mixed dtypes (whose gradients need casting back)
        return out if bias is None else out + bias
    data = xd @ wd.T
    if bias is None:
        return _make(data, x, weight, "linear", _linear_rule, (x.requires_grad, weight.requires_grad, False))
    data += bias._data  # into the fresh matmul result: no second array
    need = (x.requires_grad, weight.requires_grad, bias.requires_grad)
    return _make_n(data, (x, weight, bias), "linear", _linear_rule, need)


def _linear_rule(need, g, out, x, w, b=None):
    return (
        g @ w if need[0] else None,
        (x.T @ g).T if need[1] else None,  # column-major, as Linear stores W: no copy on the way to W.grad
        (_add_reduce(g, 0) if g.__class__ is np.ndarray else g.sum(axis=0)) if need[2] else None,
    )


EXACT_RULES.add(_linear_rule)  # one dtype throughout (linear checks), 2-D shapes
READS[_linear_rule] = (True, False)  # x and W, not the output (for the in-place version check)


def softmax_cross_entropy(input: Tensor, probs, classes, reduction: str):
    """cross_entropy reduced to a number, as one node: loss_i = logsumexp(z_i) - sum_j T_ij z_ij
    with T the one-hot rows of `classes` or the given `probs`; the gradient is
    (softmax(z) * sum_j T_ij - T) * g / n, with no log_softmax, indexing, neg and mean nodes
    in between (the same value and gradient as that composition)."""
    z = input._data
    n = len(z)
    shifted = z - _max_reduce(z, 1, None, None, True)  # e^(z - max) cannot overflow
    e = np.exp(shifted)
    total = _add_reduce(e, 1, None, None, True)
    log_total = np.log(total[:, 0])
    if classes is not None:
        classes = (np.arange(n), classes)  # the (row, class) index of each target
        per_row_sum = _add_reduce(log_total) - _add_reduce(shifted[classes])
        row_sums = None
    else:
        row_sums = _add_reduce(probs, 1, None, None, True)
        per_row_sum = _add_reduce(log_total * row_sums[:, 0]) - _add_reduce(probs * shifted, None)
    scale = 1 / n if reduction == "mean" else 1
    loss = np.asarray(per_row_sum * scale, dtype=z.dtype)
    e /= total  # softmax(z), kept for the backward pass
    ctx = (e, classes, probs, row_sums, scale)
    return _make(loss, input, None, "cross_entropy", _cross_entropy_rule, ctx)


def _cross_entropy_rule(ctx, g, out, z):
    p, classes, probs, row_sums, scale = ctx
    if z.__class__ is np.ndarray:
        c = float(g) * scale  # a Python number keeps the float32 arrays float32
        if classes is not None:  # softmax minus one-hot, without building the one-hot matrix
            d = p * c
            d[classes] -= c
            return (d,)
        return ((p * row_sums - probs) * c,)
    # create_graph: through a softmax node, so that the gradient has a graph of its own
    p = z.softmax(axis=1)
    if classes is not None:
        probs = np.zeros(p.shape, dtype=p.dtype)
        probs[classes] = 1
    else:
        p = p * row_sums
    return ((p - probs) * (g * scale),)


EXACT_RULES.add(_cross_entropy_rule)  # d has the logits' shape and dtype
READS[_cross_entropy_rule] = (True, False)  # the logits only for create_graph; softmax is kept in ctx
