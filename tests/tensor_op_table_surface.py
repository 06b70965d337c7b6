"""Op-table rows for PyTorch's op surface (issue 10, item 3): elementwise math, reductions,
shape, gathering, sorting and products. Same `Op` rows as tests/tensor_op_table.py, run by
the same drivers (tests/test_tensor_surface.py); the domains below add what these ops need.
"""

from __future__ import annotations

import math

import numpy as np

import autograd as ag
from tests.tensor_op_table import Op, draw


def draw_surface(domain: str, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """Random float64 inputs; the domains of tensor_op_table plus those of these ops."""
    if domain == "unit":  # inside (-1, 1): asin, acos, tan
        return rng.uniform(-0.9, 0.9, shape)
    if domain == "frac":  # away from integers and halves: floor, ceil, round, trunc
        whole = rng.integers(-3, 4, shape)
        return whole + rng.choice([0.1, 0.6], shape) + rng.uniform(0.05, 0.25, shape)
    if domain == "kinks":  # away from -3, -1, 0, 1, 3, 6: hardtanh, relu6, hardswish
        centres = np.array([-4.0, -2.0, -0.5, 0.5, 2.0, 4.5, 6.5])
        return rng.choice(centres, shape) + rng.uniform(-0.35, 0.35, shape)
    if domain == "lo":
        return rng.uniform(-1.0, -0.3, shape)
    if domain == "hi":
        return rng.uniform(0.3, 1.0, shape)
    if domain == "unitpos":  # weights of lerp
        return rng.uniform(0.0, 1.0, shape)
    if domain == "zeros":  # with exact zeros: prod and cumprod gradients
        x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
        x.flat[:: max(1, x.size // 3)] = 0.0
        return x
    return draw(domain, shape, rng)


def sample(op: Op, seed: int, dtype=np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [draw_surface(d, s, rng).astype(dtype) for d, s in zip(op.domains(), op.shapes)]


def _torch():
    import torch

    return torch


def _F():
    return _torch().nn.functional


def _t(x):
    return _torch().as_tensor(x)


_erf = np.vectorize(math.erf)
S = ((3, 4),)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def unary(name, ours, numpy, torch, domain="any", **kw):
    return Op(name, ours, numpy, torch, S, domain, **kw)


ELEMENTWISE = [
    unary("sin", lambda a: a.sin(), np.sin, lambda a: a.sin()),
    unary("cos", ag.cos, np.cos, lambda a: a.cos()),
    unary("tan", lambda a: a.tan(), np.tan, lambda a: a.tan(), "unit"),
    unary("asin", lambda a: a.asin(), np.arcsin, lambda a: a.asin(), "unit"),
    unary("acos", ag.acos, np.arccos, lambda a: a.acos(), "unit"),
    unary("arcsin", lambda a: a.arcsin(), np.arcsin, lambda a: a.arcsin(), "unit"),
    unary("atan", lambda a: a.atan(), np.arctan, lambda a: a.atan()),
    Op("atan2", ag.atan2, np.arctan2, lambda a, b: _torch().atan2(a, b), ((3, 4), (4,)), ("any", "away")),
    Op("atan2_method", lambda a, b: a.atan2(b), np.arctan2, lambda a, b: a.atan2(b), ((3, 4), (3, 4))),
    unary("sinh", lambda a: a.sinh(), np.sinh, lambda a: a.sinh()),
    unary("cosh", ag.cosh, np.cosh, lambda a: a.cosh()),
    unary("exp2", lambda a: a.exp2(), np.exp2, lambda a: a.exp2()),
    unary("expm1", ag.expm1, np.expm1, lambda a: a.expm1()),
    unary("log2", lambda a: a.log2(), np.log2, lambda a: a.log2(), "pos"),
    unary("log10", ag.log10, np.log10, lambda a: a.log10(), "pos"),
    unary("log1p", lambda a: a.log1p(), np.log1p, lambda a: a.log1p(), "pos"),
    unary("rsqrt", lambda a: a.rsqrt(), lambda a: a**-0.5, lambda a: a.rsqrt(), "pos"),
    unary("square", ag.square, np.square, lambda a: a.square()),
    unary("reciprocal", lambda a: a.reciprocal(), lambda a: 1 / a, lambda a: a.reciprocal(), "away"),
    unary("erf", lambda a: a.erf(), _erf, lambda a: a.erf()),
    unary("sign", lambda a: a.sign(), np.sign, lambda a: a.sign(), "away"),
    unary("floor", lambda a: a.floor(), np.floor, lambda a: a.floor(), "frac"),
    unary("ceil", ag.ceil, np.ceil, lambda a: a.ceil(), "frac"),
    unary("trunc", lambda a: a.trunc(), np.trunc, lambda a: a.trunc(), "frac"),
    unary("round", lambda a: a.round(), np.round, lambda a: a.round(), "frac"),
    unary(
        "round_decimals",
        lambda a: (a / 10).round(decimals=1),
        lambda a: np.round(a / 10, 1),
        lambda a: (a / 10).round(decimals=1),
        "frac",
    ),
    unary("frac", lambda a: a.frac(), lambda a: a - np.trunc(a), lambda a: a.frac(), "frac"),
    unary("logsigmoid", ag.logsigmoid, lambda a: np.log(_sigmoid(a)), lambda a: _F().logsigmoid(a)),
    unary("softplus", ag.softplus, _softplus, lambda a: _F().softplus(a)),
    unary(
        "softplus_beta",
        lambda a: ag.softplus(a, beta=2.0, threshold=1.5),
        lambda a: _softplus(a, 2.0, 1.5),
        lambda a: _F().softplus(a, beta=2.0, threshold=1.5),
    ),
    unary("elu", ag.elu, _elu, lambda a: _F().elu(a), "away"),
    unary(
        "elu_alpha", lambda a: a.elu(alpha=0.5), lambda a: _elu(a, 0.5), lambda a: _F().elu(a, 0.5), "away"
    ),
    unary(
        "selu",
        ag.selu,
        lambda a: 1.0507009873554804934193349852946 * _elu(a, 1.6732632423543772848170429916717),
        lambda a: _F().selu(a),
        "away",
    ),
    unary("gelu", ag.gelu, lambda a: 0.5 * a * (1 + _erf(a / math.sqrt(2))), lambda a: _F().gelu(a)),
    unary(
        "gelu_tanh",
        lambda a: a.gelu(approximate="tanh"),
        _gelu_tanh,
        lambda a: _F().gelu(a, approximate="tanh"),
    ),
    unary("silu", ag.silu, lambda a: a * _sigmoid(a), lambda a: _F().silu(a)),
    unary("mish", ag.mish, lambda a: a * np.tanh(np.log1p(np.exp(a))), lambda a: _F().mish(a)),
    unary("relu6", ag.relu6, lambda a: np.clip(a, 0, 6), lambda a: _F().relu6(a), "kinks"),
    unary("hardtanh", ag.hardtanh, lambda a: np.clip(a, -1, 1), lambda a: _F().hardtanh(a), "kinks"),
    unary(
        "hardtanh_bounds",
        lambda a: ag.hardtanh(a, min_val=-0.5, max_val=0.5),
        lambda a: np.clip(a, -0.5, 0.5),
        lambda a: _F().hardtanh(a, -0.5, 0.5),
        "clip",
    ),
    unary(
        "hardsigmoid",
        ag.hardsigmoid,
        lambda a: np.clip(a / 6 + 0.5, 0, 1),
        # F.hardsigmoid's backward multiplies by 1/6 rounded to float32 (2^-25 off in float64)
        lambda a: (a / 6 + 0.5).clamp(0, 1),
        "kinks",
    ),
    unary(
        "hardswish",
        ag.hardswish,
        lambda a: a * np.clip(a + 3, 0, 6) / 6,
        lambda a: _F().hardswish(a),
        "kinks",
    ),
    unary(
        "clamp",
        lambda a: a.clamp(-0.5, 0.5),
        lambda a: np.clip(a, -0.5, 0.5),
        lambda a: a.clamp(-0.5, 0.5),
        "clip",
    ),
    unary(
        "clamp_max_kw",
        lambda a: a.clamp(max=0.5),
        lambda a: np.minimum(a, 0.5),
        lambda a: a.clamp(max=0.5),
        "clip",
    ),
    unary(
        "clip_min_kw",
        lambda a: ag.clip(a, min=-0.5),
        lambda a: np.maximum(a, -0.5),
        lambda a: a.clip(min=-0.5),
        "clip",
    ),
    unary(
        "clamp_min",
        lambda a: a.clamp_min(0.5),
        lambda a: np.maximum(a, 0.5),
        lambda a: a.clamp_min(0.5),
        "clip",
    ),
    unary(
        "clamp_max",
        lambda a: ag.clamp_max(a, -0.5),
        lambda a: np.minimum(a, -0.5),
        lambda a: _torch().clamp_max(a, -0.5),
        "clip",
    ),
    Op(
        "clamp_tensors",
        lambda x, lo, hi: x.clamp(lo, hi),
        np.clip,
        lambda x, lo, hi: x.clamp(lo, hi),
        ((3, 4), (4,), (3, 1)),
        ("any", "lo", "hi"),
    ),
    Op(
        "clamp_tensor_min",
        lambda x, lo: ag.clamp(x, min=lo),
        np.maximum,
        lambda x, lo: _torch().clamp(x, min=lo),
        ((3, 4), (3, 4)),
    ),
    Op("fmax", ag.fmax, np.fmax, lambda a, b: _torch().fmax(a, b), ((3, 4), (4,))),
    Op("fmin", lambda a, b: a.fmin(b), np.fmin, lambda a, b: a.fmin(b), ((3, 4), (3, 4))),
    Op(
        "lerp",
        ag.lerp,
        lambda a, b, w: a + w * (b - a),
        lambda a, b, w: _torch().lerp(a, b, w),
        ((3, 4), (3, 4), (4,)),
        ("any", "any", "unitpos"),
    ),
    Op(
        "lerp_number",
        lambda a, b: a.lerp(b, 0.3),
        lambda a, b: a + 0.3 * (b - a),
        lambda a, b: a.lerp(b, 0.3),
        ((3, 4), (3, 4)),
    ),
]


def _np_norm(x, p, axis=None, keepdims=False):
    if p == 0:
        return (x != 0).sum(axis=axis, keepdims=keepdims).astype(x.dtype)
    if p == math.inf:
        return np.abs(x).max(axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return np.abs(x).min(axis=axis, keepdims=keepdims)
    return (np.abs(x) ** p).sum(axis=axis, keepdims=keepdims) ** (1 / p)


REDUCTIONS = [
    unary("prod", lambda a: a.prod(), np.prod, lambda a: a.prod()),
    unary("prod_dim", lambda a: a.prod(1), lambda a: a.prod(1), lambda a: a.prod(1)),
    unary(
        "prod_dim_keep",
        lambda a: ag.prod(a, dim=0, keepdim=True),
        lambda a: a.prod(0, keepdims=True),
        lambda a: a.prod(0, keepdim=True),
    ),
    unary("prod_axis_numpy", lambda a: a.prod(axis=0), lambda a: a.prod(0), lambda a: a.prod(0)),
    unary("prod_zeros_dim1", lambda a: a.prod(dim=1), lambda a: a.prod(1), lambda a: a.prod(1), "zeros"),
    unary("prod_zeros_dim0", lambda a: a.prod(0), lambda a: a.prod(0), lambda a: a.prod(0), "zeros"),
    Op("prod_zeros_all", lambda a: a.prod(), np.prod, lambda a: a.prod(), ((2, 3),), "zeros"),
    unary("cumsum", lambda a: a.cumsum(1), lambda a: a.cumsum(1), lambda a: a.cumsum(1)),
    unary("cumsum_dim0", lambda a: ag.cumsum(a, dim=0), lambda a: a.cumsum(0), lambda a: a.cumsum(dim=0)),
    unary("cumprod", lambda a: a.cumprod(1), lambda a: a.cumprod(1), lambda a: a.cumprod(1)),
    unary("cumprod_zeros", lambda a: a.cumprod(1), lambda a: a.cumprod(1), lambda a: a.cumprod(1), "zeros"),
    unary(
        "cumprod_zeros_dim0", lambda a: a.cumprod(0), lambda a: a.cumprod(0), lambda a: a.cumprod(0), "zeros"
    ),
    unary("norm", lambda a: a.norm(), np.linalg.norm, lambda a: a.norm()),
    unary(
        "norm_fro_dim",
        lambda a: a.norm("fro", dim=1),
        lambda a: _np_norm(a, 2, 1),
        lambda a: a.norm("fro", dim=1),
    ),
    unary("norm_1", lambda a: a.norm(p=1), lambda a: _np_norm(a, 1), lambda a: a.norm(p=1), "away"),
    unary(
        "norm_inf",
        lambda a: a.norm(math.inf, 1),
        lambda a: _np_norm(a, math.inf, 1),
        lambda a: a.norm(math.inf, 1),
    ),
    unary(
        "norm_-inf",
        lambda a: ag.norm(a, -math.inf),
        lambda a: _np_norm(a, -math.inf),
        lambda a: a.norm(-math.inf),
    ),
    unary("norm_3", lambda a: a.norm(3, dim=0), lambda a: _np_norm(a, 3, 0), lambda a: a.norm(3, dim=0)),
    unary(
        "norm_0.5_keep",
        lambda a: a.norm(0.5, dim=1, keepdim=True),
        lambda a: _np_norm(a, 0.5, 1, True),
        lambda a: a.norm(0.5, dim=1, keepdim=True),
        "away",
    ),
    unary("norm_1.5", lambda a: a.norm(1.5), lambda a: _np_norm(a, 1.5), lambda a: a.norm(1.5), "away"),
    # torch leaves .grad None for the count p=0; ours is zeros (gradcheck checks it)
    unary("norm_0", lambda a: a.norm(0), lambda a: _np_norm(a, 0), None, "away", second_order=False),
    unary("amax", lambda a: a.amax(), np.max, lambda a: a.amax()),
    unary("amax_dim", lambda a: a.amax(1), lambda a: a.max(1), lambda a: a.amax(1)),
    unary(
        "amin_dims_keep",
        lambda a: ag.amin(a, dim=(0, 1), keepdim=True),
        lambda a: a.min(keepdims=True),
        lambda a: a.amin(dim=(0, 1), keepdim=True),
    ),
]

from tests.tensor_op_table_surface_shapes import INDEXING, PRODUCTS, SHAPE  # noqa: E402

OPS = ELEMENTWISE + REDUCTIONS + SHAPE + INDEXING + PRODUCTS
IDS = [op.name for op in OPS]
BY_NAME = {op.name: op for op in OPS}
assert len(BY_NAME) == len(OPS), "op names must be unique"
