"""Products with PyTorch's names and checks: mm, bmm, mv, dot, outer (compositions of
matmul, which has the gradient) and einsum, a primitive whose gradient for each operand is
another einsum: of the output's gradient with the other operands. Also diagonal, trace and
diag (compositions of indexing and einsum).
"""

from __future__ import annotations

import string

import numpy as np

from . import surface
from . import tensor_ops as _ops
from .dims import one_dim
from .tensor import Tensor, _make_n
from .tensor_ops import _lift


def _tensor(x, op: str) -> Tensor:
    return x if isinstance(x, Tensor) else _lift(x, op)


def _ranks(op: str, a: Tensor, b: Tensor, ra: int, rb: int, fix: str) -> None:
    if a.ndim != ra or b.ndim != rb:
        raise ValueError(
            f"{op}: expects {ra}-D and {rb}-D tensors, got shapes {a.shape} and {b.shape}; {fix}"
        )


def mm(input, mat2):
    """the matrix product of two 2-D tensors"""
    a, b = _tensor(input, "mm"), _tensor(mat2, "mm")
    _ranks("mm", a, b, 2, 2, "use matmul (@) for vectors and batches")
    if a.shape[1] != b.shape[0]:
        raise ValueError(
            f"mm: shapes {a.shape} and {b.shape} cannot be multiplied ({a.shape[1]} != {b.shape[0]})"
        )
    return _ops.matmul(a, b)


def bmm(input, mat2):
    """batched matrix products of two 3-D tensors with the same batch size (no broadcasting)"""
    a, b = _tensor(input, "bmm"), _tensor(mat2, "bmm")
    _ranks("bmm", a, b, 3, 3, "use matmul (@) to broadcast")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise ValueError(
            f"bmm: shapes {a.shape} and {b.shape} need equal batch sizes and {a.shape[2]} == {b.shape[1]}"
        )
    return _ops.matmul(a, b)


def mv(input, vec):
    """matrix (2-D) times vector (1-D)"""
    a, b = _tensor(input, "mv"), _tensor(vec, "mv")
    _ranks("mv", a, b, 2, 1, "use matmul (@) for other shapes")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"mv: shapes {a.shape} and {b.shape} cannot be multiplied")
    return _ops.matmul(a, b)


def dot(input, tensor):
    """the inner product of two 1-D tensors of one size (no broadcasting)"""
    a, b = _tensor(input, "dot"), _tensor(tensor, "dot")
    _ranks("dot", a, b, 1, 1, "use matmul (@) or (a * b).sum(dim)")
    if a.shape != b.shape:
        raise ValueError(f"dot: the vectors have sizes {a.shape[0]} and {b.shape[0]}; they must be equal")
    return _ops.matmul(a, b)


def outer(input, vec2):
    """out[i, j] = input[i] * vec2[j] for two 1-D tensors"""
    a, b = _tensor(input, "outer"), _tensor(vec2, "outer")
    _ranks("outer", a, b, 1, 1, "flatten them first")
    return a.reshape(-1, 1) * b.reshape(1, -1)


ger = outer


# einsum ----------------------------------------------------------------------------------
def _parse(equation: str, shapes: list) -> tuple:
    """(subscripts of each operand, of the output) with '...' spelled out in letters and
    the implicit output (letters seen once, sorted) made explicit."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: '{equation}' names {len(terms)} operands, got {len(shapes)}")
    used = set(eq) - set(",.->")
    bad = used - set(string.ascii_letters)
    if bad:
        raise ValueError(f"einsum: subscripts must be letters, got {sorted(bad)} in '{equation}'")
    free = [c for c in string.ascii_letters if c not in used]
    n_ell = max([len(s) - (len(t) - 3) for t, s in zip(terms, shapes) if "..." in t] or [0])
    ell = "".join(free[:n_ell])
    del free[:n_ell]
    subs = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            k = len(s) - (len(t) - 3)
            if k < 0:
                raise ValueError(f"einsum: '{t}' names more dims than the operand's shape {s} has")
            t = t.replace("...", ell[n_ell - k :])
        if "." in t or len(t) != len(s):
            raise ValueError(f"einsum: subscripts '{t}' do not match an operand of shape {s}")
        subs.append(t)
    if arrow:
        out = rhs.replace("...", ell)
        if "." in out or len(set(out)) != len(out) or not set(out) <= set("".join(subs)):
            raise ValueError(f"einsum: output '{rhs}' must name distinct subscripts of the inputs")
    else:
        counts = {c: "".join(subs).count(c) for c in set("".join(subs)) - set(ell)}
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    return subs, out, free


def _sizes(subs, shapes) -> dict:
    sizes: dict = {}
    for t, s in zip(subs, shapes):
        for c, n in zip(t, s):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise ValueError(f"einsum: subscript '{c}' has sizes {sizes[c]} and {n}")
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    return sizes


def _call(subs, out, arrays):
    return np.einsum(",".join(subs) + "->" + out, *arrays, optimize=len(arrays) > 2)


def einsum(equation: str, *operands):
    """Einstein summation, as torch.einsum: einsum('ij,jk->ik', a, b) or with a list of
    operands; '...' and the implicit output (no '->') as in numpy"""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = tuple(_tensor(t, "einsum") for t in operands)
    if not ts:
        raise ValueError("einsum: needs at least one operand")
    shapes = [t.shape for t in ts]
    subs, out, free = _parse(equation, shapes)
    sizes = _sizes(subs, shapes)
    data = _call(subs, out, [t._data for t in ts])
    ctx = (tuple(subs), out, sizes, "".join(free), tuple(t.requires_grad for t in ts))
    return _make_n(np.asarray(data), ts, "einsum", _einsum_rule, ctx)


def _einsum_rule(ctx, g, out, *ops):
    subs, out_sub, sizes, free, need = ctx
    grads = []
    for k, sk in enumerate(subs):
        if not need[k]:
            grads.append(None)
            continue
        dtype = g.dtype
        # Repeated subscripts of operand k (a diagonal) get fresh letters, tied to the
        # original by identity matrices; subscripts summed in operand k alone get ones.
        fresh, extra_subs, extra = [], [], []
        spare = iter(free)
        seen: set = set()
        for c in sk:
            if c in seen:
                f = next(spare)
                extra_subs.append(c + f)
                extra.append(np.eye(sizes[c], dtype=dtype))
                fresh.append(f)
            else:
                seen.add(c)
                fresh.append(c)
        others = [s for i, s in enumerate(subs) if i != k]
        arrays = [g] + [o for i, o in enumerate(ops) if i != k] + extra
        have: dict = {}  # each subscript's largest size among the operands of this einsum
        for t, x in zip([out_sub] + others + extra_subs, arrays):
            for c, n in zip(t, x.shape):
                have[c] = n if n > have.get(c, 0) else have[c]
        for c in dict.fromkeys(sk):
            if have.get(c, 0) < sizes[c]:  # summed in operand k alone, or broadcast from size 1
                extra_subs.append(c)
                arrays.append(np.ones(sizes[c], dtype))
        terms = [out_sub] + others + extra_subs
        target = "".join(fresh)
        if any(isinstance(a, Tensor) for a in arrays):
            grads.append(einsum(",".join(terms) + "->" + target, *arrays))
        else:
            grads.append(_call(terms, target, arrays))
    return tuple(grads)


# diagonals -------------------------------------------------------------------------------
def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """the diagonal of the (dim1, dim2) planes, shifted by offset, as the last dim (a gather)"""
    a = _tensor(input, "diagonal")
    if a.ndim < 2:
        raise ValueError(f"diagonal: needs at least 2 dimensions, got shape {a.shape}")
    d1, d2 = one_dim("diagonal", a.ndim, dim1), one_dim("diagonal", a.ndim, dim2)
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 must differ, both are {dim1}")
    m = a.movedim((d1, d2), (-2, -1))
    n1, n2 = m.shape[-2:]
    rows = np.arange(max(0, -offset), max(0, min(n1, n2 - offset)))
    return m[..., rows, rows + offset]


_diagonal = diagonal  # diag's argument is named `diagonal`, as PyTorch's


def trace(input):
    """the sum of the main diagonal of a 2-D tensor"""
    a = _tensor(input, "trace")
    if a.ndim != 2:
        raise ValueError(f"trace: expects a 2-D tensor, got shape {a.shape}")
    return diagonal(a).sum()


def diag(input, diagonal: int = 0):
    """a 1-D tensor as the `diagonal`-th diagonal of a square matrix, or that diagonal of a 2-D tensor"""
    a = _tensor(input, "diag")
    if a.ndim == 2:
        return _diagonal(a, diagonal)
    if a.ndim != 1:
        raise ValueError(f"diag: expects a 1-D or 2-D tensor, got shape {a.shape}")
    n, k = a.shape[0], abs(diagonal)
    # out[r_i, c_i] = x[i] through two one-hot selectors, so the gradient is einsum's
    rows, cols = (
        np.eye(n, n + k, 0 if diagonal >= 0 else k),
        np.eye(n, n + k, diagonal if diagonal >= 0 else 0),
    )
    return einsum("i,ia,ib->ab", a, rows.astype(a.dtype), cols.astype(a.dtype))


METHODS = (mm, bmm, mv, dot, outer, diagonal, trace, diag)
__all__ = [fn.__name__ for fn in METHODS] + ["ger", "einsum"]


surface.bind(METHODS, {"ger": outer}, {_einsum_rule: surface.INPUTS})
