"""Neuron, Layer and MLP over Value, micrograd-style: every scalar of a small net is a node."""

from __future__ import annotations

import random

from autograd import Value


class ScalarModule:
    """Base for scalar modules: parameters() and zero_grad()."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (gradients accumulate across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(ScalarModule):
    """act(w . x + b), with w drawn uniformly from [-1, 1] and b = 0, as in micrograd."""

    def __init__(self, nin: int, nonlin: bool = True, rng: random.Random | None = None):
        rng = rng or random
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x):
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: got {len(x)} inputs, expected {len(self.w)}")
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(ScalarModule):
    """nout neurons reading the same inputs; returns a list (or one Value when nout == 1)."""

    def __init__(self, nin: int, nout: int, rng: random.Random | None = None, **kwargs):
        self.neurons = [Neuron(nin, rng=rng, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(ScalarModule):
    """Layers of sizes [nin] + nouts; ReLU on all but the last layer."""

    def __init__(self, nin: int, nouts: list[int], seed: int | None = None):
        rng = random.Random(seed) if seed is not None else None
        sizes = [nin] + list(nouts)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], rng=rng, nonlin=i != len(nouts) - 1) for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
