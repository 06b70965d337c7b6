"""The scalar demo: the micrograd README expression, its graph, a Value MLP on two moons,
and the pages that page through them (the backprop player, the recorded training run).

python examples/scalar_demo.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograd import Value, draw_graph, player, record_training  # noqa: E402
from nn.datasets import make_moons  # noqa: E402
from nn.scalar import MLP  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "out"


def readme_expression() -> Value:
    """The expression from micrograd's README; its published g is 24.7041."""
    a = Value(-4.0, label="a")
    b = Value(2.0, label="b")
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.label = "g"
    g.backward()
    print(f"g = {g.data:.4f}   dg/da = {a.grad:.4f}   dg/db = {b.grad:.4f}")
    return g


def train_moons(steps: int = 100, seed: int = 1337, record_every: int = 10) -> float:
    """micrograd's demo: MLP(2, [16, 16, 1]), SVM max-margin loss + 1e-4 L2, decaying SGD.
    Every `record_every` steps a frame of the run goes to out/moons_training.html."""
    X, y = make_moons(n_samples=100, noise=0.1, seed=1)
    rec = record_training(None, X, [2.0 * v - 1.0 for v in y], every=record_every)
    X, y = X.tolist(), [2.0 * v - 1.0 for v in y]
    model = MLP(2, [16, 16, 1], seed=seed)
    rec.model = model
    print(f"MLP(2, [16, 16, 1]): {len(model.parameters())} parameters")
    for k in range(steps):
        scores = [model([Value(a), Value(b)]) for a, b in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        reg = 1e-4 * sum(p * p for p in model.parameters())
        loss = sum(losses) * (1.0 / len(losses)) + reg
        accuracy = sum((si.data > 0) == (yi > 0) for yi, si in zip(y, scores)) / len(y)
        model.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / steps
        rec.record(loss, k)  # after backward, before the update: the graph that ran
        for p in model.parameters():
            p.data -= lr * p.grad
        if k % 10 == 0 or k == steps - 1:
            print(f"step {k:3d}  loss {loss.data:.4f}  accuracy {accuracy:.0%}")
    path = rec.save(OUT / "moons_training.html")
    print(f"{len(rec)} frames of the run saved to {path} (open it in a browser)")
    return accuracy


def main() -> None:
    OUT.mkdir(exist_ok=True)
    g = readme_expression()
    path = draw_graph(g).save(OUT / "micrograd_expression.svg")
    print(f"graph of the expression saved to {path}")
    path = player(g).save(OUT / "micrograd_expression_player.html")
    print(f"its backprop player saved to {path}: arrow keys step, space plays")
    accuracy = train_moons()
    print(f"two moons: training accuracy {accuracy:.0%}")


if __name__ == "__main__":
    main()
