"""Op-table rows for PyTorch's shape, gathering, sorting and product ops (issue 10, item 3),
part of tests/tensor_op_table_surface.py (which assembles OPS and draws the inputs)."""

from __future__ import annotations

import numpy as np

import autograd as ag
from tests.tensor_op_table import Op

S = ((3, 4),)


def _torch():
    import torch

    return torch


def _t(x):
    return _torch().as_tensor(x)


def unary(name, ours, numpy, torch, domain="any", **kw):
    return Op(name, ours, numpy, torch, S, domain, **kw)


SHAPE = [
    unary("view", lambda a: a.view(4, 3), lambda a: a.reshape(4, 3), lambda a: a.view(4, 3)),
    unary("view_tuple", lambda a: a.view((2, -1)), lambda a: a.reshape(2, -1), lambda a: a.view((2, -1))),
    Op("flatten", lambda a: a.flatten(), np.ravel, lambda a: a.flatten(), ((2, 3, 4),)),
    Op(
        "flatten_1",
        lambda a: ag.flatten(a, 1),
        lambda a: a.reshape(2, 12),
        lambda a: a.flatten(1),
        ((2, 3, 4),),
    ),
    Op(
        "flatten_0_1",
        lambda a: a.flatten(0, -2),
        lambda a: a.reshape(6, 4),
        lambda a: a.flatten(0, -2),
        ((2, 3, 4),),
    ),
    unary(
        "unflatten",
        lambda a: a.unflatten(1, (2, -1)),
        lambda a: a.reshape(3, 2, 2),
        lambda a: a.unflatten(1, (2, -1)),
    ),
    Op("squeeze", lambda a: a.squeeze(), np.squeeze, lambda a: a.squeeze(), ((3, 1, 4, 1),)),
    Op(
        "squeeze_dim", lambda a: a.squeeze(1), lambda a: a.squeeze(1), lambda a: a.squeeze(1), ((3, 1, 4, 1),)
    ),
    Op("squeeze_not1", lambda a: a.squeeze(0), lambda a: a, lambda a: a.squeeze(0), ((3, 1, 4, 1),)),
    Op(
        "squeeze_tuple",
        lambda a: ag.squeeze(a, (1, -1)),
        lambda a: a.squeeze((1, 3)),
        lambda a: a.squeeze((1, -1)),
        ((3, 1, 4, 1),),
    ),
    unary("unsqueeze", lambda a: a.unsqueeze(-1), lambda a: a[..., None], lambda a: a.unsqueeze(-1)),
    unary("unsqueeze_0", lambda a: ag.unsqueeze(a, 0), lambda a: a[None], lambda a: a.unsqueeze(0)),
    Op(
        "expand_as",
        lambda a, b: a.expand_as(b) * b,
        lambda a, b: a * b,
        lambda a, b: a.expand_as(b) * b,
        ((3, 1), (2, 3, 4)),
    ),
    unary(
        "repeat", lambda a: a.repeat(2, 1, 3), lambda a: np.tile(a, (2, 1, 3)), lambda a: a.repeat(2, 1, 3)
    ),
    unary(
        "repeat_tuple", lambda a: a.repeat((2, 2)), lambda a: np.tile(a, (2, 2)), lambda a: a.repeat((2, 2))
    ),
    unary("tile", lambda a: ag.tile(a, (2,)), lambda a: np.tile(a, 2), lambda a: a.tile((2,))),
    unary(
        "tile_sizes", lambda a: a.tile(2, 1, 2), lambda a: np.tile(a, (2, 1, 2)), lambda a: a.tile(2, 1, 2)
    ),
    Op(
        "view_as",
        lambda a, b: a.view_as(b) * b,
        lambda a, b: a.reshape(b.shape) * b,
        lambda a, b: a.view_as(b) * b,
        ((3, 4), (2, 6)),
    ),
    Op(
        "reshape_as",
        lambda a, b: ag.reshape_as(a, b) * b,
        lambda a, b: a.reshape(b.shape) * b,
        lambda a, b: a.reshape_as(b) * b,
        ((3, 4), (4, 3)),
    ),
    unary("flip", lambda a: a.flip(0, 1), lambda a: a[::-1, ::-1], lambda a: a.flip(0, 1)),
    unary("flip_list", lambda a: ag.flip(a, [1]), lambda a: a[:, ::-1], lambda a: a.flip([1])),
    unary("flip_dims_kw", lambda a: a.flip(dims=(0,)), lambda a: a[::-1], lambda a: a.flip(dims=(0,))),
    unary(
        "tile_dims_kw",
        lambda a: ag.tile(a, dims=(1, 2)),
        lambda a: np.tile(a, (1, 2)),
        lambda a: a.tile(dims=(1, 2)),
    ),
    unary("roll", lambda a: a.roll(1, 0), lambda a: np.roll(a, 1, 0), lambda a: a.roll(1, 0)),
    unary(
        "roll_dims",
        lambda a: a.roll((1, -2), (0, 1)),
        lambda a: np.roll(a, (1, -2), (0, 1)),
        lambda a: a.roll((1, -2), (0, 1)),
    ),
    unary("roll_flat", lambda a: ag.roll(a, 5), lambda a: np.roll(a, 5), lambda a: a.roll(5)),
    Op(
        "movedim",
        lambda a: a.movedim(0, -1),
        lambda a: np.moveaxis(a, 0, -1),
        lambda a: a.movedim(0, -1),
        ((2, 3, 4),),
    ),
    Op(
        "movedim_tuple",
        lambda a: ag.movedim(a, (0, 1), (2, 0)),
        lambda a: np.moveaxis(a, (0, 1), (2, 0)),
        lambda a: a.movedim((0, 1), (2, 0)),
        ((2, 3, 4),),
    ),
    unary("narrow", lambda a: a.narrow(1, 1, 2), lambda a: a[:, 1:3], lambda a: a.narrow(1, 1, 2)),
    unary("narrow_neg", lambda a: ag.narrow(a, 0, -2, 2), lambda a: a[1:], lambda a: a.narrow(0, -2, 2)),
    Op(
        "split",
        lambda a: ag.cat(a.split(2, 1)[::-1], 1),
        lambda a: np.concatenate([a[:, 4:], a[:, 2:4], a[:, :2]], 1),
        lambda a: _torch().cat(a.split(2, 1)[::-1], 1),
        ((3, 5),),
    ),
    Op(
        "split_sizes",
        lambda a: ag.split(a, [1, 3, 1], dim=1)[1],
        lambda a: a[:, 1:4],
        lambda a: a.split([1, 3, 1], dim=1)[1],
        ((3, 5),),
    ),
    Op(
        "chunk",
        lambda a: a.chunk(3, 1)[2] * a.chunk(3, 1)[0][:, :1],
        lambda a: a[:, 4:] * a[:, :1],
        lambda a: a.chunk(3, 1)[2] * a.chunk(3, 1)[0][:, :1],
        ((3, 5),),
    ),
    unary(
        "unbind",
        lambda a: a.unbind(1)[0] * a.unbind(1)[3],
        lambda a: a[:, 0] * a[:, 3],
        lambda a: a.unbind(1)[0] * a.unbind(1)[3],
    ),
    unary("tril", lambda a: a.tril(), np.tril, lambda a: a.tril()),
    unary("triu_1", lambda a: ag.triu(a, 1), lambda a: np.triu(a, 1), lambda a: a.triu(1)),
    Op("tril_batched", lambda a: a.tril(-1), lambda a: np.tril(a, -1), lambda a: a.tril(-1), ((2, 3, 4),)),
    Op(
        "hstack",
        lambda a, b: ag.hstack([a, b]),
        lambda a, b: np.hstack([a, b]),
        lambda a, b: _torch().hstack([a, b]),
        ((3, 2), (3, 4)),
    ),
    Op(
        "hstack_1d",
        lambda a, b: ag.hstack([a, b]),
        lambda a, b: np.hstack([a, b]),
        lambda a, b: _torch().hstack([a, b]),
        ((3,), (4,)),
    ),
    Op(
        "vstack",
        lambda a, b: ag.vstack([a, b]),
        lambda a, b: np.vstack([a, b]),
        lambda a, b: _torch().vstack([a, b]),
        ((4,), (2, 4)),
    ),
]

GIDX = np.array([[0, 2, 1, 0], [2, 2, 0, 1]])  # gather along dim 0 of a (3, 4): repeats
SIDX = np.array([[0, 2, 1, 3], [1, 0, 3, 2]])  # a permutation per row: scatter without clashes
TIDX = np.array([[3, 0], [1, 1], [2, 0]])  # take_along_dim on dim 1 of a (3, 4)
MASK = np.array([True, False, True, False])
MASK34_T = np.arange(12).reshape(3, 4) % 5 == 1


def _np_gather0(a, idx):
    return a[idx, np.arange(idx.shape[1])]


def _np_scatter_add0(a, idx, s):
    out = a.copy()
    np.add.at(out, (idx, np.arange(idx.shape[1])), s)
    return out


def _np_scatter1(a, idx, s):
    out = a.copy()
    out[np.arange(idx.shape[0])[:, None], idx] = s
    return out


def _np_sort(a, axis=-1, descending=False):
    return -np.sort(-a, axis) if descending else np.sort(a, axis)


INDEXING = [
    unary(
        "gather", lambda a: a.gather(0, GIDX), lambda a: _np_gather0(a, GIDX), lambda a: a.gather(0, _t(GIDX))
    ),
    unary(
        "gather_dim1",
        lambda a: ag.gather(a, 1, SIDX[:, :3]),
        lambda a: np.take_along_axis(a[:2], SIDX[:, :3], 1),
        lambda a: a.gather(1, _t(SIDX[:, :3])),
    ),
    Op(
        "scatter_add",
        lambda a, s: a.scatter_add(0, GIDX, s),
        lambda a, s: _np_scatter_add0(a, GIDX, s),
        lambda a, s: a.scatter_add(0, _t(GIDX), s),
        ((3, 4), (2, 4)),
    ),
    Op(
        "scatter_add_bigger_src",
        lambda a, s: ag.scatter_add(a, 0, GIDX, s),
        lambda a, s: _np_scatter_add0(a, GIDX, s[:2, :4]),
        None,  # torch 2.13's backward fails when src is larger than index (shape check)
        ((3, 4), (3, 5)),
    ),
    Op(
        "scatter",
        lambda a, s: a.scatter(1, SIDX[:, :2], s),
        lambda a, s: _np_scatter1(a, SIDX[:, :2], s),
        lambda a, s: a.scatter(1, _t(SIDX[:, :2]), s),
        ((2, 4), (2, 2)),
    ),
    unary(
        "scatter_value",
        lambda a: a.scatter(1, SIDX[:, :2], value=1.5),
        lambda a: _np_scatter1(a, SIDX[:, :2], 1.5),
        lambda a: a.scatter(1, _t(SIDX[:, :2]), value=1.5),
    ),
    unary(
        "index_select",
        lambda a: a.index_select(1, np.array([3, 0, 3])),
        lambda a: a[:, [3, 0, 3]],
        lambda a: a.index_select(1, _t(np.array([3, 0, 3]))),
    ),
    unary(
        "masked_fill",
        lambda a: a.masked_fill(MASK, -2.0),
        lambda a: np.where(MASK, -2.0, a),
        lambda a: a.masked_fill(_t(MASK), -2.0),
    ),
    Op(
        "masked_fill_tensor_value",
        lambda a, v: ag.masked_fill(a, MASK34_T, v),
        lambda a, v: np.where(MASK34_T, v, a),
        lambda a, v: a.masked_fill(_t(MASK34_T), v),
        ((3, 4), ()),
    ),
    unary(
        "masked_select",
        lambda a: a.masked_select(MASK),
        lambda a: a[np.broadcast_to(MASK, a.shape)],
        lambda a: a.masked_select(_t(MASK)),
    ),
    unary(
        "take_along_dim",
        lambda a: a.take_along_dim(TIDX, 1),
        lambda a: np.take_along_axis(a, TIDX, 1),
        lambda a: a.take_along_dim(_t(TIDX), 1),
    ),
    unary(
        "take_along_dim_bcast",
        lambda a: ag.take_along_dim(a, TIDX[:1], 1),
        lambda a: np.take_along_axis(a, np.broadcast_to(TIDX[:1], (3, 2)), 1),
        lambda a: _torch().take_along_dim(a, _t(TIDX[:1]), 1),
    ),
    unary(
        "take_along_dim_flat",
        lambda a: ag.take_along_dim(a, GIDX * 3),
        lambda a: a.ravel()[(GIDX * 3).ravel()],
        lambda a: _torch().take_along_dim(a, _t(GIDX * 3)),
    ),
    unary("sort", lambda a: a.sort().values, np.sort, lambda a: a.sort().values),
    unary(
        "sort_desc_dim0",
        lambda a: ag.sort(a, 0, descending=True)[0],
        lambda a: _np_sort(a, 0, True),
        lambda a: a.sort(0, descending=True)[0],
    ),
    unary(
        "topk",
        lambda a: a.topk(2).values,
        lambda a: _np_sort(a, 1, True)[:, :2],
        lambda a: a.topk(2).values,
    ),
    unary(
        "topk_smallest_dim0",
        lambda a: ag.topk(a, 2, dim=0, largest=False)[0],
        lambda a: np.sort(a, 0)[:2],
        lambda a: a.topk(2, dim=0, largest=False)[0],
    ),
]

PRODUCTS = [
    Op("diagonal", lambda a: a.diagonal(), np.diagonal, lambda a: a.diagonal(), ((3, 4),)),
    Op(
        "diagonal_offset_dims",
        lambda a: ag.diagonal(a, 1, 2, 0),
        lambda a: np.diagonal(a, 1, 2, 0),
        lambda a: a.diagonal(1, 2, 0),
        ((3, 2, 4),),
    ),
    Op(
        "diagonal_neg",
        lambda a: a.diagonal(-1),
        lambda a: np.diagonal(a, -1),
        lambda a: a.diagonal(-1),
        ((3, 4),),
    ),
    Op("trace", lambda a: a.trace(), np.trace, lambda a: a.trace(), ((3, 4),)),
    Op("diag_2d", lambda a: ag.diag(a, 1), lambda a: np.diag(a, 1), lambda a: _torch().diag(a, 1), ((3, 4),)),
    Op("diag_1d", lambda a: a.diag(), np.diag, lambda a: a.diag(), ((3,),)),
    Op(
        "diag_1d_offset",
        lambda a: ag.diag(a, -2),
        lambda a: np.diag(a, -2),
        lambda a: _torch().diag(a, -2),
        ((3,),),
    ),
    Op("mm", ag.mm, np.matmul, lambda a, b: a.mm(b), ((3, 4), (4, 2))),
    Op("bmm", lambda a, b: a.bmm(b), np.matmul, lambda a, b: a.bmm(b), ((2, 3, 4), (2, 4, 2))),
    Op("mv", lambda a, b: a.mv(b), np.matmul, lambda a, b: a.mv(b), ((3, 4), (4,))),
    Op("dot", ag.dot, np.dot, lambda a, b: a.dot(b), ((4,), (4,))),
    Op("outer", lambda a, b: a.outer(b), np.outer, lambda a, b: a.outer(b), ((3,), (4,))),
    Op(
        "einsum_matmul",
        lambda a, b: ag.einsum("ij,jk->ik", a, b),
        lambda a, b: np.einsum("ij,jk->ik", a, b),
        lambda a, b: _torch().einsum("ij,jk->ik", a, b),
        ((3, 4), (4, 2)),
    ),
    Op(
        "einsum_implicit",
        lambda a, b: ag.einsum("bj,ja", a, b),
        lambda a, b: np.einsum("bj,ja", a, b),
        lambda a, b: _torch().einsum("bj,ja", a, b),
        ((3, 4), (4, 2)),
    ),
    Op(
        "einsum_batched_ellipsis",
        lambda a, b: ag.einsum("...ij,...jk->...ik", [a, b]),
        lambda a, b: np.einsum("...ij,...jk->...ik", a, b),
        lambda a, b: _torch().einsum("...ij,...jk->...ik", [a, b]),
        ((2, 3, 4), (2, 4, 2)),
    ),
    Op(
        "einsum_bcast_ellipsis",
        lambda a, b: ag.einsum("...j,j->...", a, b),
        lambda a, b: np.einsum("...j,j->...", a, b),
        lambda a, b: _torch().einsum("...j,j->...", a, b),
        ((2, 3, 4), (4,)),
    ),
    Op(
        "einsum_diagonal",
        lambda a: ag.einsum("ii->i", a),
        lambda a: np.einsum("ii->i", a),
        lambda a: _torch().einsum("ii->i", a),
        ((3, 3),),
    ),
    Op(
        "einsum_trace_times",
        lambda a, b: ag.einsum("ii,ij->j", a, b),
        lambda a, b: np.einsum("ii,ij->j", a, b),
        lambda a, b: _torch().einsum("ii,ij->j", a, b),
        ((3, 3), (3, 4)),
    ),
    Op(
        "einsum_summed_alone",
        lambda a, b: ag.einsum("ij,k->j", a, b),
        lambda a, b: np.einsum("ij,k->j", a, b),
        lambda a, b: _torch().einsum("ij,k->j", a, b),
        ((3, 4), (2,)),
    ),
    Op(
        "einsum_three",
        lambda a, b, c: ag.einsum("ij,jk,k->i", a, b, c),
        lambda a, b, c: np.einsum("ij,jk,k->i", a, b, c),
        lambda a, b, c: _torch().einsum("ij,jk,k->i", a, b, c),
        ((3, 4), (4, 2), (2,)),
    ),
    Op(
        "einsum_outer_transpose",
        lambda a, b: ag.einsum("i,j->ji", a, b),
        lambda a, b: np.einsum("i,j->ji", a, b),
        lambda a, b: _torch().einsum("i,j->ji", a, b),
        ((3,), (4,)),
    ),
    Op(
        "einsum_size1_bcast",
        lambda a, b: ag.einsum("ij,ij->i", a, b),
        lambda a, b: np.einsum("ij,ij->i", a, b),
        lambda a, b: _torch().einsum("ij,ij->i", a, b),
        ((3, 1), (3, 4)),
    ),
]
