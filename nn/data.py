"""Batching over numpy arrays: mini-batches in order or in a seeded random order."""

from __future__ import annotations

import math
from operator import itemgetter

import numpy as np

from . import init

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over aligned arrays in mini-batches of their first axis.

    >>> loader = DataLoader(x_train, y_train, batch_size=100, shuffle=True, seed=0)
    >>> for x, y in loader: ...

    Each iteration is one epoch. With `shuffle=True` every epoch has a fresh permutation,
    drawn from `rng`, or from a generator seeded with `seed`, or else from nn's generator
    (`nn.manual_seed`): the sequence of epochs is the same in every run with the same
    seed. `drop_last=True` leaves out a last batch smaller than `batch_size`. Batches are
    numpy arrays (views when not shuffled); models wrap them as Tensors.
    """

    def __init__(
        self,
        *arrays,
        batch_size: int = 32,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
    ):
        if not arrays:
            raise ValueError("DataLoader: give at least one array, e.g. DataLoader(x, y, batch_size=32)")
        arrays = tuple(_as_array(a) for a in arrays)
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"DataLoader: array {i} is a scalar; batching needs a first axis of samples")
        n = len(arrays[0])
        lengths = [len(a) for a in arrays]
        if any(m != n for m in lengths):
            raise ValueError(
                f"DataLoader: the arrays have different numbers of samples {lengths}; they must be aligned "
                "along the first axis (one row per sample)"
            )
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size={batch_size!r} must be a positive integer")
        if seed is not None and rng is not None:
            raise ValueError("DataLoader: pass seed or rng, not both")
        self.arrays = arrays
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._rng = np.random.default_rng(seed) if seed is not None else rng

    @property
    def num_samples(self) -> int:
        return len(self.arrays[0])

    def __len__(self) -> int:
        """Batches per epoch."""
        n, b = self.num_samples, self.batch_size
        return n // b if self.drop_last else math.ceil(n / b)

    def __iter__(self):
        n, b, arrays = self.num_samples, self.batch_size, self.arrays
        order = init.get_rng(self._rng).permutation(n) if self.shuffle else None
        stop = n - n % b if self.drop_last else n
        for start in range(0, stop, b):
            if order is None:  # views of each array's rows, without a generator per batch
                batch = tuple(map(itemgetter(slice(start, start + b)), arrays))
            else:  # ndarray.take: the rows a[rows] gives, gathered ~10% faster (real MNIST)
                rows = order[start : start + b]
                batch = tuple([a.take(rows, 0) for a in arrays])
            yield batch if len(batch) > 1 else batch[0]

    def __repr__(self) -> str:
        shapes = ", ".join(str(a.shape) for a in self.arrays)
        return (
            f"DataLoader({shapes}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}): {len(self)} batches"
        )


def _as_array(a) -> np.ndarray:
    if isinstance(a, np.ndarray):
        return a
    data = getattr(a, "data", None)
    if isinstance(data, np.ndarray):  # a Tensor
        return data
    return np.asarray(a)
