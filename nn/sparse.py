"""Embedding: a lookup table of num_embeddings vectors, as torch.nn.Embedding."""

from __future__ import annotations

import numpy as np

from autograd import Tensor

from . import init
from .module import Module, Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """y = weight[indices]; weight (num_embeddings, embedding_dim) ~ N(0, 1), the padding_idx
    row zero and never updated (its gradient is zero), as PyTorch."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm=None,
        _weight=None,
        dtype=np.float32,
        rng=None,
    ):
        super().__init__()
        if max_norm is not None:
            raise NotImplementedError("Embedding: max_norm is not supported")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx={padding_idx} is outside 0..{num_embeddings - 1}")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        if _weight is not None:
            self.weight = Parameter(np.array(_weight, dtype=dtype))
        else:
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype))
            init.normal_(self.weight, rng=init.get_rng(rng))
            if padding_idx is not None:
                self.weight.data[padding_idx] = 0

    def forward(self, indices):
        idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"Embedding: indices must be integers, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            bad = idx[(idx < 0) | (idx >= self.num_embeddings)].flat[0]
            raise IndexError(f"Embedding: index {bad} is out of range for {self.num_embeddings} embeddings")
        out = self.weight[idx]
        if self.padding_idx is not None and (idx == self.padding_idx).any():
            keep = (idx != self.padding_idx)[..., None].astype(out.dtype)
            out = out * keep + self.weight.data[idx] * (1 - keep)  # the padding row: its value, no gradient
        return out

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
