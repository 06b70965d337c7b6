"""The op table of the convolution primitives (autograd/conv.py, pool.py, resize.py): one
row per op and configuration drives the same checks as the Tensor op table (forward vs
PyTorch, gradcheck, gradgradcheck, PyTorch float64 values, gradients and second order).

The forward reference is PyTorch itself run on the numpy arrays (these ops have no
one-line numpy reference). Every backward is written in chainrule ops, so every row is
checked to second order: conv2d's adjoints are each other, max_pool2d's backward is a
scatter by the saved indices (whose backward is the gather), the rest are compositions.
"""

from __future__ import annotations

import numpy as np

from autograd import conv as C
from autograd import pool as P
from autograd import resize as R
from tests.tensor_op_table import Op


def _F():
    import torch

    return torch.nn.functional


def _np(torch_fn):
    """The PyTorch function as a numpy reference: arrays in, array out."""

    def ref(*arrays):
        import torch

        return torch_fn(*[torch.from_numpy(np.asarray(a)) for a in arrays]).numpy()

    return ref


def row(name, ours, theirs, shapes, domain="any", second_order=True):
    return Op(name, ours, _np(theirs), theirs, shapes, domain, second_order)


X = (2, 3, 7, 6)
CONV_OPS = [
    row(
        "conv2d",
        lambda x, w, b: C.conv2d(x, w, b),
        lambda x, w, b: _F().conv2d(x, w, b),
        [X, (4, 3, 3, 2), (4,)],
    ),
    row(
        "conv2d-stride-pad-dilation",
        lambda x, w, b: C.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
        lambda x, w, b: _F().conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
        [X, (4, 3, 3, 2), (4,)],
    ),
    row(
        "conv2d-same-groups",
        lambda x, w: C.conv2d(x, w, padding="same", groups=3),
        lambda x, w: _F().conv2d(x, w, padding="same", groups=3),
        [(2, 6, 5, 6), (9, 2, 3, 3)],
    ),
    row(
        "conv2d-valid-unbatched",
        lambda x, w: C.conv2d(x, w, padding="valid"),
        lambda x, w: _F().conv2d(x, w, padding="valid"),
        [(3, 6, 5), (2, 3, 2, 2)],
    ),
    row(
        "conv1d",
        lambda x, w, b: C.conv1d(x, w, b, stride=2, padding=1, dilation=2),
        lambda x, w, b: _F().conv1d(x, w, b, stride=2, padding=1, dilation=2),
        [(2, 4, 11), (3, 4, 3), (3,)],
    ),
    row(
        "conv1d-same-groups",
        lambda x, w: C.conv1d(x, w, padding="same", groups=2),
        lambda x, w: _F().conv1d(x, w, padding="same", groups=2),
        [(2, 4, 9), (6, 2, 4)],
    ),
    row(
        "conv_transpose2d",
        lambda x, w, b: C.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        lambda x, w, b: _F().conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        [(2, 3, 4, 5), (3, 2, 3, 3), (2,)],
    ),
    row(
        "conv_transpose2d-groups-dilation",
        lambda x, w: C.conv_transpose2d(x, w, groups=3, dilation=2),
        lambda x, w: _F().conv_transpose2d(x, w, groups=3, dilation=2),
        [(2, 3, 4, 5), (3, 2, 2, 3)],
    ),
    row("max_pool2d", lambda x: P.max_pool2d(x, 2), lambda x: _F().max_pool2d(x, 2), [X]),
    row(
        "max_pool2d-overlap-pad-ceil",
        lambda x: P.max_pool2d(x, 3, 2, 1, ceil_mode=True),
        lambda x: _F().max_pool2d(x, 3, 2, 1, ceil_mode=True),
        [(2, 3, 8, 7)],
    ),
    row(
        "max_pool2d-dilation",
        lambda x: P.max_pool2d(x, (2, 3), (1, 2), (1, 1), dilation=2),
        lambda x: _F().max_pool2d(x, (2, 3), (1, 2), (1, 1), dilation=2),
        [(2, 3, 8, 7)],
    ),
    row("avg_pool2d", lambda x: P.avg_pool2d(x, 2), lambda x: _F().avg_pool2d(x, 2), [X]),
    row(
        "avg_pool2d-pad-exclude",
        lambda x: P.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
        lambda x: _F().avg_pool2d(x, 3, 2, 1, count_include_pad=False),
        [(2, 3, 8, 7)],
    ),
    row(
        "avg_pool2d-divisor",
        lambda x: P.avg_pool2d(x, (2, 3), 1, (1, 1), divisor_override=4),
        lambda x: _F().avg_pool2d(x, (2, 3), 1, (1, 1), divisor_override=4),
        [(2, 3, 5, 6)],
    ),
    row(
        "adaptive_avg_pool2d",
        lambda x: P.adaptive_avg_pool2d(x, (3, 4)),
        lambda x: _F().adaptive_avg_pool2d(x, (3, 4)),
        [(2, 3, 8, 7)],
    ),
    row(
        "adaptive_avg_pool2d-1",
        lambda x: P.adaptive_avg_pool2d(x, 1),
        lambda x: _F().adaptive_avg_pool2d(x, 1),
        [(2, 3, 5, 6)],
    ),
    row(
        "pad-constant",
        lambda x: R.pad(x, (1, 2, 0, 3), value=1.5),
        lambda x: _F().pad(x, (1, 2, 0, 3), value=1.5),
        [(2, 3, 4, 5)],
    ),
    row(
        "pad-reflect",
        lambda x: R.pad(x, (1, 2, 3, 1), mode="reflect"),
        lambda x: _F().pad(x, (1, 2, 3, 1), mode="reflect"),
        [(2, 3, 4, 5)],
    ),  # fmt: skip
    row(
        "pad-replicate",
        lambda x: R.pad(x, (2, 0, 1, 3), mode="replicate"),
        lambda x: _F().pad(x, (2, 0, 1, 3), mode="replicate"),
        [(2, 3, 4, 5)],
    ),  # fmt: skip
    row(
        "pad-circular",
        lambda x: R.pad(x, (1, 2, 2, 1), mode="circular"),
        lambda x: _F().pad(x, (1, 2, 2, 1), mode="circular"),
        [(2, 3, 4, 5)],
    ),  # fmt: skip
    row(
        "pad-reflect-1d",
        lambda x: R.pad(x, (2, 1), mode="reflect"),
        lambda x: _F().pad(x, (2, 1), mode="reflect"),
        [(2, 3, 5)],
    ),  # fmt: skip
    row(
        "unfold",
        lambda x: C.unfold(x, (2, 3), padding=1, stride=2),
        lambda x: _F().unfold(x, (2, 3), padding=1, stride=2),
        [(2, 3, 5, 6)],
    ),
    row(
        "fold",
        lambda x: C.fold(x, (5, 6), (2, 3), padding=1, dilation=(1, 2)),
        lambda x: _F().fold(x, (5, 6), (2, 3), padding=1, dilation=(1, 2)),
        [(2, 18, 24)],
    ),
    row(
        "interpolate-nearest-2x",
        lambda x: R.interpolate(x, scale_factor=2),
        lambda x: _F().interpolate(x, scale_factor=2),
        [(2, 3, 4, 5)],
    ),  # fmt: skip
    row(
        "interpolate-nearest-size",
        lambda x: R.interpolate(x, size=(7, 3)),
        lambda x: _F().interpolate(x, size=(7, 3)),
        [(2, 3, 4, 5)],
    ),  # fmt: skip
    row(
        "interpolate-bilinear",
        lambda x: R.interpolate(x, size=(7, 3), mode="bilinear"),
        lambda x: _F().interpolate(x, size=(7, 3), mode="bilinear"),
        [(2, 3, 4, 5)],
    ),
    row(
        "interpolate-bilinear-align",
        lambda x: R.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=True),
        lambda x: _F().interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=True),
        [(2, 3, 4, 5)],
    ),
    row(
        "interpolate-linear",
        lambda x: R.interpolate(x, size=9, mode="linear"),
        lambda x: _F().interpolate(x, size=9, mode="linear"),
        [(2, 3, 4)],
    ),  # fmt: skip
]
CONV_IDS = [op.name for op in CONV_OPS]
