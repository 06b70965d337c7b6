"""The Value op table: one row per op drives finite-difference, PyTorch and property tests.

Each row: name, arity, function written with operators and methods that Value, torch
tensors and floats share, and a sampler for inputs inside the op's domain.
"""

from __future__ import annotations

import random


def _any(rng: random.Random) -> float:
    return rng.uniform(-3, 3)


def _pos(rng: random.Random) -> float:
    return rng.uniform(0.2, 3)


def _away_from_zero(rng: random.Random) -> float:
    return rng.choice([-1, 1]) * rng.uniform(0.2, 3)


VALUE_OPS = [
    ("add", 2, lambda a, b: a + b, (_any, _any)),
    ("mul", 2, lambda a, b: a * b, (_any, _any)),
    ("sub", 2, lambda a, b: a - b, (_any, _any)),
    ("div", 2, lambda a, b: a / b, (_any, _away_from_zero)),
    ("radd", 1, lambda a: 2.5 + a, (_any,)),
    ("rsub", 1, lambda a: 2.5 - a, (_any,)),
    ("rmul", 1, lambda a: 2.5 * a, (_any,)),
    ("rdiv", 1, lambda a: 2.5 / a, (_away_from_zero,)),
    ("neg", 1, lambda a: -a, (_any,)),
    ("pow2", 1, lambda a: a**2, (_any,)),
    ("pow3", 1, lambda a: a**3, (_any,)),
    ("pow-1.5", 1, lambda a: a**-1.5, (_pos,)),
    ("pow_value", 2, lambda a, b: a**b, (_pos, _any)),
    ("rpow", 1, lambda a: 2.0**a, (_any,)),
    ("abs", 1, lambda a: abs(a), (_away_from_zero,)),
    ("exp", 1, lambda a: a.exp(), (_any,)),
    ("log", 1, lambda a: a.log(), (_pos,)),
    ("sqrt", 1, lambda a: a.sqrt(), (_pos,)),
    ("tanh", 1, lambda a: a.tanh(), (_any,)),
    ("sigmoid", 1, lambda a: a.sigmoid(), (_any,)),
    ("relu", 1, lambda a: a.relu(), (_away_from_zero,)),
]
