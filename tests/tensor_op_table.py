"""The Tensor op table: one row per op drives forward checks against numpy, gradcheck,
gradgradcheck and comparisons with PyTorch (values, gradients, second-order gradients).

Each row: a name, our function (on Tensors), the numpy reference (on arrays), the PyTorch
reference (on torch tensors; None where torch has no such op), input shapes, and the
domain inputs are drawn from (kept away from kinks and ties, where derivatives are not
unique). Adding an op is adding a row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import autograd as ag


@dataclass(frozen=True)
class Op:
    name: str
    ours: object
    numpy: object
    torch: object
    shapes: tuple
    domain: str | tuple = "any"  # one per input, or one for all
    second_order: bool = True  # worth comparing second derivatives
    tol: float = 1e-10

    def domains(self) -> tuple:
        return self.domain if isinstance(self.domain, tuple) else (self.domain,) * len(self.shapes)


def draw(domain: str, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """Random float64 inputs inside an op's domain."""
    if domain == "any":
        return rng.standard_normal(shape)
    if domain == "pos":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "away":  # away from 0: relu, abs, division
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape)
    if domain == "clip":  # away from the clip bounds -0.5 and 0.5
        return rng.choice([-1.0, 1.0], shape) * rng.choice([0.25, 1.0], shape) * rng.uniform(0.8, 1.6, shape)
    raise ValueError(domain)


def sample(op: Op, seed: int, dtype=np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [draw(d, s, rng).astype(dtype) for d, s in zip(op.domains(), op.shapes)]


def _torch():
    import torch

    return torch


def _t(x):
    """An index array as a torch tensor (torch indexes with tensors)."""
    return _torch().as_tensor(x)


MASK34 = np.arange(12).reshape(3, 4) % 3 == 0
IDX = np.array([2, 0, 2, 1])  # repeats accumulate
ROWS, COLS = np.array([0, 1, 2, 1]), np.array([3, 0, 1, 3])


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _logsumexp(x, axis=None, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax_log(x, axis):
    return np.log(_softmax(x, axis))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


OPS = [
    # elementwise binary, with broadcasting
    Op("add", lambda a, b: a + b, np.add, lambda a, b: a + b, ((3, 4), (3, 4))),
    Op("add_bcast", lambda a, b: a + b, np.add, lambda a, b: a + b, ((3, 1), (1, 4))),
    Op("sub", lambda a, b: a - b, np.subtract, lambda a, b: a - b, ((3, 4), (4,))),
    Op("mul", lambda a, b: a * b, np.multiply, lambda a, b: a * b, ((2, 3, 4), (3, 1))),
    Op("div", lambda a, b: a / b, np.divide, lambda a, b: a / b, ((3, 4), (3, 1)), ("any", "away")),
    Op("pow", lambda a, b: a**b, np.power, lambda a, b: a**b, ((3, 4), (4,)), ("pos", "any")),
    # with numbers
    Op("radd", lambda a: 2.5 + a, lambda a: 2.5 + a, lambda a: 2.5 + a, ((3, 4),)),
    Op("rsub", lambda a: 2.5 - a, lambda a: 2.5 - a, lambda a: 2.5 - a, ((3, 4),)),
    Op("sub_num", lambda a: a - 2.5, lambda a: a - 2.5, lambda a: a - 2.5, ((3, 4),)),
    Op("rmul", lambda a: 2.5 * a, lambda a: 2.5 * a, lambda a: 2.5 * a, ((3, 4),)),
    Op("div_num", lambda a: a / 4.0, lambda a: a / 4.0, lambda a: a / 4.0, ((3, 4),)),
    Op("rdiv", lambda a: 2.5 / a, lambda a: 2.5 / a, lambda a: 2.5 / a, ((3, 4),), "away"),
    Op("pow2", lambda a: a**2, np.square, lambda a: a**2, ((3, 4),)),
    Op("pow3", lambda a: a**3, lambda a: a**3, lambda a: a**3, ((3, 4),)),
    Op("pow-1.5", lambda a: a**-1.5, lambda a: a**-1.5, lambda a: a**-1.5, ((3, 4),), "pos"),
    Op("rpow", lambda a: 2.0**a, lambda a: 2.0**a, lambda a: 2.0**a, ((3, 4),)),
    Op("neg", lambda a: -a, np.negative, lambda a: -a, ((3, 4),)),
    # elementwise unary
    Op("abs", lambda a: abs(a), np.abs, lambda a: a.abs(), ((3, 4),), "away"),
    Op("exp", lambda a: a.exp(), np.exp, lambda a: a.exp(), ((3, 4),)),
    Op("log", lambda a: a.log(), np.log, lambda a: a.log(), ((3, 4),), "pos"),
    Op("sqrt", lambda a: a.sqrt(), np.sqrt, lambda a: a.sqrt(), ((3, 4),), "pos"),
    Op("tanh", lambda a: a.tanh(), np.tanh, lambda a: a.tanh(), ((3, 4),)),
    Op("sigmoid", lambda a: a.sigmoid(), _sigmoid, lambda a: a.sigmoid(), ((3, 4),)),
    Op("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0), lambda a: a.relu(), ((3, 4),), "away"),
    Op(
        "leaky_relu",
        lambda a: a.leaky_relu(0.1),
        lambda a: np.where(a > 0, a, 0.1 * a),
        lambda a: _torch().nn.functional.leaky_relu(a, 0.1),
        ((3, 4),),
        "away",
    ),
    Op(
        "clip",
        lambda a: a.clip(-0.5, 0.5),
        lambda a: np.clip(a, -0.5, 0.5),
        lambda a: a.clamp(-0.5, 0.5),
        ((3, 4),),
        "clip",
    ),
    Op(
        "clip_lo",
        lambda a: a.clip(lo=-0.5),
        lambda a: np.maximum(a, -0.5),
        lambda a: a.clamp(min=-0.5),
        ((3, 4),),
        "clip",
    ),
    Op("maximum", ag.maximum, np.maximum, lambda a, b: _torch().maximum(a, b), ((3, 4), (4,))),
    Op(
        "maximum_num",
        lambda a: ag.maximum(a, 0.2),
        lambda a: np.maximum(a, 0.2),
        lambda a: _torch().clamp(a, min=0.2),
        ((3, 4),),
        "clip",
    ),
    Op(
        "where",
        lambda a, b: ag.where(MASK34, a, b),
        lambda a, b: np.where(MASK34, a, b),
        lambda a, b: _torch().where(_t(MASK34), a, b),
        ((3, 4), (1, 4)),
    ),
    Op(
        "where_num",
        lambda a: ag.where(MASK34, a, 0.0),
        lambda a: np.where(MASK34, a, 0.0),
        lambda a: _torch().where(_t(MASK34), a, 0.0),
        ((3, 4),),
    ),
    # matmul, numpy's rules
    Op("matmul", lambda a, b: a @ b, np.matmul, lambda a, b: a @ b, ((3, 4), (4, 2))),
    Op("matmul_vv", lambda a, b: a @ b, np.matmul, lambda a, b: a @ b, ((4,), (4,))),
    Op("matmul_vm", lambda a, b: a @ b, np.matmul, lambda a, b: a @ b, ((4,), (4, 2))),
    Op("matmul_mv", lambda a, b: a @ b, np.matmul, lambda a, b: a @ b, ((3, 4), (4,))),
    Op("matmul_batched", lambda a, b: a @ b, np.matmul, lambda a, b: a @ b, ((2, 3, 4), (2, 4, 2))),
    Op("matmul_bcast", lambda a, b: a @ b, np.matmul, lambda a, b: a @ b, ((2, 1, 3, 4), (3, 4, 2))),
    Op("matmul_bv", lambda a, b: a @ b, np.matmul, lambda a, b: a @ b, ((2, 3, 4), (4,))),
    Op("matmul_vb", lambda a, b: a @ b, np.matmul, lambda a, b: a @ b, ((3,), (2, 3, 4))),
    # reductions
    Op("sum", lambda a: a.sum(), np.sum, lambda a: a.sum(), ((3, 4),)),
    Op("sum_axis", lambda a: a.sum(axis=1), lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), ((3, 4),)),
    Op(
        "sum_axes_keep",
        lambda a: a.sum(axis=(0, 2), keepdims=True),
        lambda a: a.sum(axis=(0, 2), keepdims=True),
        lambda a: a.sum(dim=(0, 2), keepdim=True),
        ((2, 3, 4),),
    ),
    Op("mean", lambda a: a.mean(), np.mean, lambda a: a.mean(), ((3, 4),)),
    Op("mean_axis", lambda a: a.mean(axis=0), lambda a: a.mean(axis=0), lambda a: a.mean(dim=0), ((3, 4),)),
    Op("max", lambda a: a.max(), np.max, lambda a: a.amax(), ((3, 4),)),
    Op("max_axis", lambda a: a.max(axis=1), lambda a: a.max(axis=1), lambda a: a.amax(dim=1), ((3, 4),)),
    Op(
        "min_axis_keep",
        lambda a: a.min(axis=0, keepdims=True),
        lambda a: a.min(axis=0, keepdims=True),
        lambda a: a.amin(dim=0, keepdim=True),
        ((3, 4),),
    ),
    Op("var", lambda a: a.var(), lambda a: a.var(ddof=1), lambda a: a.var(), ((3, 4),)),  # unbiased
    Op(
        "var_numpy_axis",
        lambda a: a.var(axis=0),
        lambda a: a.var(axis=0),
        lambda a: a.var(0, correction=0),
        ((3, 4),),
    ),
    Op(
        "var_dim_biased",
        lambda a: a.var(1, unbiased=False, keepdim=True),
        lambda a: a.var(axis=1, keepdims=True),
        lambda a: a.var(1, unbiased=False, keepdim=True),
        ((3, 4),),
    ),
    Op("std", lambda a: a.std(), lambda a: a.std(ddof=1), lambda a: a.std(), ((3, 4),)),
    Op(
        "std_dim_correction",
        lambda a: a.std(dim=(0, 2), correction=2),
        lambda a: a.std(axis=(0, 2), ddof=2),
        lambda a: a.std(dim=(0, 2), correction=2),
        ((2, 3, 4),),
    ),
    Op(
        "sum_dim_keep",
        lambda a: a.sum(1, keepdim=True),
        lambda a: a.sum(1, keepdims=True),
        lambda a: a.sum(1, True),
        ((3, 4),),
    ),
    Op(
        "mean_dims",
        lambda a: a.mean(dim=[0, -1]),
        lambda a: a.mean(axis=(0, 2)),
        lambda a: a.mean(dim=[0, -1]),
        ((2, 3, 4),),
    ),
    Op(
        "max_dim_values",
        lambda a: a.max(1).values,
        lambda a: a.max(axis=1),
        lambda a: a.max(1).values,
        ((3, 4),),
    ),
    Op(
        "max_dim_keep",
        lambda a: a.max(dim=0, keepdim=True)[0],
        lambda a: a.max(axis=0, keepdims=True),
        lambda a: a.max(dim=0, keepdim=True)[0],
        ((3, 4),),
    ),
    Op(
        "min_dim_values",
        lambda a: a.min(-1).values,
        lambda a: a.min(axis=-1),
        lambda a: a.min(-1).values,
        ((2, 3, 4),),
    ),
    Op("max_elementwise", lambda a, b: a.max(b), np.maximum, lambda a, b: a.max(b), ((3, 4), (3, 4))),
    Op("minimum", lambda a, b: ag.minimum(a, b), np.minimum, lambda a, b: a.minimum(b), ((3, 4), (4,))),
    Op("div_row", lambda a, b: a / b, np.true_divide, lambda a, b: a / b, ((3, 4), (4,)), ("any", "away")),
    Op("rdiv_number", lambda a: 2.0 / a, lambda a: 2.0 / a, lambda a: 2.0 / a, ((3, 4),), "away"),
    Op("pow_method", lambda a: a.pow(3), lambda a: a**3, lambda a: a.pow(3), ((3, 4),)),
    Op(
        "pow_tensor_exp",
        lambda a, b: a.pow(b),
        np.power,
        lambda a, b: a.pow(b),
        ((3, 4), (3, 4)),
        ("pos", "any"),
    ),
    Op(
        "logsumexp_dim_keep",
        lambda a: a.logsumexp(0, keepdim=True),
        lambda a: _logsumexp(a, 0, True),
        lambda a: a.logsumexp(0, keepdim=True),
        ((3, 4),),
    ),
    Op(
        "softmax_dim",
        lambda a: a.softmax(dim=0),
        lambda a: _softmax(a, 0),
        lambda a: a.softmax(dim=0),
        ((3, 4),),
    ),
    Op(
        "log_softmax_dim",
        lambda a: a.log_softmax(1),
        lambda a: _softmax_log(a, 1),
        lambda a: a.log_softmax(1),
        ((3, 4),),
    ),
    Op("matmul_fn", lambda a, b: ag.matmul(a, b), np.matmul, lambda a, b: a.matmul(b), ((3, 4), (4, 2))),
    Op(
        "permute",
        lambda a: a.permute(2, 0, 1),
        lambda a: a.transpose(2, 0, 1),
        lambda a: a.permute(2, 0, 1),
        ((2, 3, 4),),
    ),
    Op(
        "transpose_pytorch",
        lambda a: a.transpose(0, 2),
        lambda a: a.swapaxes(0, 2),
        lambda a: a.transpose(0, 2),
        ((2, 3, 4),),
    ),
    Op("transpose_2d", lambda a: a.transpose(0, 1), lambda a: a.T, lambda a: a.transpose(0, 1), ((3, 4),)),
    Op(
        "transpose_fn",
        lambda a: ag.transpose(a, -1, -2),
        lambda a: a.swapaxes(-1, -2),
        lambda a: a.transpose(-1, -2),
        ((2, 3, 4),),
    ),
    Op("mT", lambda a: a.mT, lambda a: a.swapaxes(-1, -2), lambda a: a.mT, ((2, 3, 4),)),
    Op("t", lambda a: a.t(), lambda a: a.T, lambda a: a.t(), ((3, 4),)),
    Op(
        "cat_dim",
        lambda a, b: ag.cat([a, b], dim=-1),
        lambda a, b: np.concatenate([a, b], -1),
        lambda a, b: _torch().cat([a, b], dim=-1),
        ((3, 2), (3, 4)),
    ),
    Op(
        "stack_dim",
        lambda a, b: ag.stack((a, b), dim=1),
        lambda a, b: np.stack([a, b], 1),
        lambda a, b: _torch().stack([a, b], dim=1),
        ((3, 4), (3, 4)),
    ),
    Op("sum_0d", lambda a: a.sum(0), lambda a: a.sum(), lambda a: a.sum(0), ((),)),
    Op("logsumexp_0d", lambda a: a.logsumexp(-1), lambda a: a, lambda a: a.logsumexp(-1), ((),)),
    Op("softmax_0d", lambda a: a.softmax(0) * a, lambda a: a, lambda a: a.softmax(0) * a, ((),)),
    Op(
        "var_axis_ddof",
        lambda a: a.var(axis=1, ddof=1),
        lambda a: a.var(axis=1, ddof=1),
        lambda a: a.var(dim=1),
        ((3, 4),),
    ),
    # shape
    Op("reshape", lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), ((3, 4),)),
    Op(
        "reshape_neg",
        lambda a: a.reshape((2, -1)),
        lambda a: a.reshape((2, -1)),
        lambda a: a.reshape((2, -1)),
        ((2, 3, 2),),
    ),
    Op(
        "transpose_axes_numpy",
        lambda a: a.transpose(axes=(1, 2, 0)),
        lambda a: a.transpose(1, 2, 0),
        lambda a: a.permute(1, 2, 0),
        ((2, 3, 4),),
    ),
    Op("T", lambda a: a.T, lambda a: a.T, lambda a: a.T, ((3, 4),)),
    Op(
        "swapaxes",
        lambda a: a.swapaxes(0, 2),
        lambda a: a.swapaxes(0, 2),
        lambda a: a.transpose(0, 2),
        ((2, 3, 4),),
    ),
    # indexing
    Op("index_int", lambda a: a[1], lambda a: a[1], lambda a: a[1], ((3, 4),)),
    Op("index_slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], lambda a: a[1:, ::2], ((3, 4),)),
    Op("index_neg_step", lambda a: a[::-1], lambda a: a[::-1], None, ((3, 4),)),
    Op("index_array", lambda a: a[IDX], lambda a: a[IDX], lambda a: a[_t(IDX)], ((3, 4),)),
    Op(
        "index_pairs",
        lambda a: a[ROWS, COLS],
        lambda a: a[ROWS, COLS],
        lambda a: a[_t(ROWS), _t(COLS)],
        ((3, 4),),
    ),
    Op("index_mask", lambda a: a[MASK34], lambda a: a[MASK34], lambda a: a[_t(MASK34)], ((3, 4),)),
    Op(
        "index_mixed",
        lambda a: a[..., None, IDX[:2]],
        lambda a: a[..., None, IDX[:2]],
        lambda a: a[..., None, _t(IDX[:2])],
        ((2, 3, 4),),
    ),
    # joining
    Op(
        "cat",
        lambda a, b, c: ag.cat([a, b, c]),
        lambda a, b, c: np.concatenate([a, b, c]),
        lambda a, b, c: _torch().cat([a, b, c]),
        ((1, 4), (2, 4), (3, 4)),
    ),
    Op(
        "cat_axis1",
        lambda a, b: ag.cat([a, b], axis=1),
        lambda a, b: np.concatenate([a, b], axis=1),
        lambda a, b: _torch().cat([a, b], dim=1),
        ((3, 2), (3, 4)),
    ),
    Op(
        "stack",
        lambda a, b, c: ag.stack([a, b, c]),
        lambda a, b, c: np.stack([a, b, c]),
        lambda a, b, c: _torch().stack([a, b, c]),
        ((3, 4), (3, 4), (3, 4)),
    ),
    Op(
        "stack_axis_last",
        lambda a, b: ag.stack([a, b], axis=-1),
        lambda a, b: np.stack([a, b], axis=-1),
        lambda a, b: _torch().stack([a, b], dim=-1),
        ((3, 4), (3, 4)),
    ),
    # softmax family
    Op(
        "softmax",
        lambda a: a.softmax(axis=-1),
        lambda a: _softmax(a, -1),
        lambda a: a.softmax(dim=-1),
        ((3, 4),),
    ),
    Op(
        "softmax_axis0",
        lambda a: a.softmax(axis=0),
        lambda a: _softmax(a, 0),
        lambda a: a.softmax(dim=0),
        ((3, 4),),
    ),
    Op(
        "log_softmax",
        lambda a: a.log_softmax(axis=1),
        lambda a: np.log(_softmax(a, 1)),
        lambda a: a.log_softmax(dim=1),
        ((3, 4),),
    ),
    Op(
        "logsumexp",
        lambda a: a.logsumexp(axis=1),
        lambda a: _logsumexp(a, 1),
        lambda a: a.logsumexp(dim=1),
        ((3, 4),),
    ),
    Op(
        "logsumexp_all_keep",
        lambda a: a.logsumexp(axis=None, keepdims=True),
        lambda a: _logsumexp(a, None, True),
        lambda a: a.logsumexp(dim=(0, 1), keepdim=True),
        ((3, 4),),
    ),
    # composites users write, as a check that pieces fit together
    Op(
        "cross_entropy",
        lambda a: -a.log_softmax(axis=1)[np.arange(3), np.array([1, 0, 3])].mean(),
        lambda a: -np.log(_softmax(a, 1))[np.arange(3), [1, 0, 3]].mean(),
        lambda a: _torch().nn.functional.cross_entropy(a, _t(np.array([1, 0, 3]))),
        ((3, 4),),
    ),
    Op(
        "mlp",
        lambda x, w, b: ((x @ w + b).tanh() ** 2).sum(axis=1),
        lambda x, w, b: (np.tanh(x @ w + b) ** 2).sum(axis=1),
        lambda x, w, b: ((x @ w + b).tanh() ** 2).sum(dim=1),
        ((3, 4), (4, 2), (2,)),
    ),
]

IDS = [op.name for op in OPS]
BY_NAME = {op.name: op for op in OPS}
assert len(BY_NAME) == len(OPS), "op names must be unique"

__all__ = ["BY_NAME", "IDS", "OPS", "Op", "draw", "sample"]
