"""compare_grads: a hand-derived gradient against the engine's, parameter by parameter.

The tutorials' pattern "my numpy backward against autograd" in one call:

    compare_grads({"W1": dW1, "b1": db1}, {"W1": W1, "b1": b1})
    compare_grads(my_grads, model.named_parameters(), names={"W1": "layers.0.weight"})

A Tensor or Value that requires grad stands for its `.grad` (what backward gave it); an
array or a number stands for itself. It prints a table of the largest absolute and
relative difference per parameter, returns its rows, and raises GradcheckError naming
the first parameter and element that disagree beyond atol + rtol * |expected|.
"""

from __future__ import annotations

import numpy as np

from .engine import Node


def _pairs(obj) -> list:
    """(name or None, value) pairs from a dict, a list/tuple or named_parameters()."""
    if isinstance(obj, dict):
        return [(str(k), v) for k, v in obj.items()]
    if isinstance(obj, (Node, np.ndarray)):
        return [(None, obj)]
    items = list(obj)
    if items and all(isinstance(it, tuple) and len(it) == 2 and isinstance(it[0], str) for it in items):
        return items  # named_parameters(): (name, parameter) pairs
    return [(None, it) for it in items]


def _as_array(v, where: str) -> np.ndarray:
    if isinstance(v, Node):
        if v.requires_grad:
            if v.grad is None:
                raise ValueError(f"compare_grads: {where} requires grad but has no .grad; run backward first")
            v = v.grad
        else:
            v = v.data
    if isinstance(v, Node):
        v = v.data
    return np.asarray(v, dtype=np.float64)


def compare_grads(expected, actual, names=None, rtol: float = 1e-5, atol: float = 1e-8, verbose: bool = True):
    """Compare two sets of gradients; print and return a per-parameter table, raise on disagreement.

    `names`: labels for lists (a list of names), or a dict mapping expected's names to
    actual's (`{"W1": "fc1.weight"}`) when the two sides name parameters differently.
    """
    from .gradcheck import GradcheckError  # gradcheck's error, so one except clause catches both

    exp, act = _pairs(expected), _pairs(actual)
    if isinstance(names, dict):
        act_by_name = {n: v for n, v in act}
        missing = [names.get(n, n) for n, _ in exp if names.get(n, n) not in act_by_name]
        if missing:
            raise KeyError(f"compare_grads: actual has no {missing[0]!r}; it has {sorted(act_by_name)}")
        rows = [(n, v, act_by_name[names.get(n, n)]) for n, v in exp]
    elif all(n is not None for n, _ in exp) and all(n is not None for n, _ in act) and names is None:
        act_by_name = dict(act)
        if set(act_by_name) >= {n for n, _ in exp}:
            rows = [(n, v, act_by_name[n]) for n, v in exp]
        else:
            rows = _positional(exp, act, None)
    else:
        rows = _positional(exp, act, names)
    table = []
    first_bad = None
    for name, e, a in rows:
        ea, aa = _as_array(e, f"expected {name!r}"), _as_array(a, f"actual {name!r}")
        if ea.shape != aa.shape:
            raise ValueError(
                f"compare_grads: {name!r} has shape {ea.shape} in expected but {aa.shape} in actual"
                + ("; transpose one of them" if ea.shape == aa.shape[::-1] and ea.ndim == 2 else "")
            )
        diff = np.abs(ea - aa)
        rel = diff / np.maximum(np.abs(ea), np.finfo(np.float64).tiny)
        bad = ~(diff <= atol + rtol * np.abs(ea))
        row = {
            "name": name,
            "shape": ea.shape,
            "max_abs_diff": float(diff.max()) if diff.size else 0.0,
            "max_rel_diff": float(np.where(diff == 0, 0.0, rel).max()) if diff.size else 0.0,
            "n_bad": int(bad.sum()),
            "ok": not bad.any(),
        }
        table.append(row)
        if first_bad is None and bad.any():
            k = int(np.argmax(np.where(bad, diff - rtol * np.abs(ea), -np.inf)))
            idx = tuple(int(j) for j in np.unravel_index(k, ea.shape))
            first_bad = (name, idx, ea.flat[k], aa.flat[k], row)
    if verbose:
        print(_format(table))
    if first_bad is not None:
        name, idx, e, a, row = first_bad
        where = f"element {idx}" if idx else "its value"
        raise GradcheckError(
            f"compare_grads: {name!r}, {where}: expected {e:.10g} but actual {a:.10g} (difference "
            f"{abs(e - a):.3g} > atol {atol:g} + rtol {rtol:g} * |expected|); {row['n_bad']} of "
            f"{int(np.prod(row['shape']))} elements of {name!r} disagree"
        )
    return table


def _positional(exp, act, names):
    if len(exp) != len(act):
        raise ValueError(f"compare_grads: expected has {len(exp)} entries but actual has {len(act)}")
    if names is not None and len(names) != len(exp):
        raise ValueError(f"compare_grads: {len(names)} names for {len(exp)} entries")
    out = []
    for k, ((ne, e), (na, a)) in enumerate(zip(exp, act)):
        out.append((names[k] if names is not None else ne or na or str(k), e, a))
    return out


def _format(table) -> str:
    w = max([4] + [len(r["name"]) for r in table])
    lines = [f"{'name':<{w}}  {'shape':<14} {'max abs diff':>12} {'max rel diff':>12}  ok"]
    for r in table:
        lines.append(
            f"{r['name']:<{w}}  {str(r['shape']):<14} {r['max_abs_diff']:>12.3g} {r['max_rel_diff']:>12.3g}  "
            + ("yes" if r["ok"] else f"NO ({r['n_bad']})")
        )
    return "\n".join(lines)
