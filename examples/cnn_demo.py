"""chainrule's second demo: LeNet-5 on the real MNIST.

conv 1->6 5x5 (padding 2), ReLU, max-pool 2, conv 6->16 5x5, ReLU, max-pool 2, flatten,
400-120-84-10 with ReLU; softmax cross-entropy, Adam (lr 0.003, halved every epoch),
batches of 64, 5 epochs, float32, on the 60,000 / 10,000 MNIST normalised as the PyTorch
example does (mean 0.1307, std 0.3081). It reaches about 99.2% test accuracy. Writes
out/cnn_curves.png, out/cnn_filters.png (the learned first-layer filters) and
out/cnn_graph.svg (the graph of one forward pass, collapsed by module).

    python examples/cnn_demo.py [--epochs 5]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nn  # noqa: E402
from autograd import draw_graph  # noqa: E402
from nn.datasets import load_mnist  # noqa: E402

OUT = ROOT / "out"
BATCH, LR, GAMMA, SEED = 64, 0.003, 0.5, 0
MEAN, STD = 0.1307, 0.3081


def lenet() -> nn.Sequential:
    """LeNet-5 as in every PyTorch MNIST tutorial (ReLU and max-pooling)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def images():
    """MNIST as (N, 1, 28, 28) float32, normalised."""
    (x_train, y_train), (x_test, y_test) = load_mnist(normalize=True, flatten=False)

    def prep(x):
        return ((x - np.float32(MEAN)) / np.float32(STD))[:, None]

    return (prep(x_train), y_train), (prep(x_test), y_test)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    train, test = images()
    print(f"MNIST: {len(train[0]):,} training and {len(test[0]):,} test images of shape {train[0].shape[1:]}")
    nn.manual_seed(SEED)
    model = lenet()
    print(model)
    print(f"{sum(p.numel() for p in model.parameters()):,} parameters")
    optimizer = nn.optim.Adam(model.parameters(), lr=LR)
    scheduler = nn.optim.lr_scheduler.ExponentialLR(optimizer, GAMMA)
    start = time.perf_counter()
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=args.epochs, val_data=test,
                     batch_size=BATCH, seed=SEED, scheduler=scheduler)  # fmt: skip
    print(f"trained in {time.perf_counter() - start:.0f} s; test accuracy {history.val_acc[-1]:.2%}")
    history.plot(OUT / "cnn_curves.png")
    _save_filters(model[0].weight.data, OUT / "cnn_filters.png")
    model.eval()
    graph = draw_graph(model(test[0][:2]), model=model, max_nodes=12, title="LeNet-5, collapsed by module")
    graph.render(OUT / "cnn_graph", format="svg", cleanup=True)
    print(f"wrote {OUT / 'cnn_curves.png'}, {OUT / 'cnn_filters.png'}, {OUT / 'cnn_graph.svg'}")


def _save_filters(w: np.ndarray, path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1.6 * len(w), 1.8))
    for i, k in enumerate(w[:, 0]):
        ax = fig.add_subplot(1, len(w), i + 1)
        ax.imshow(k, cmap="RdBu_r", vmin=-abs(w).max(), vmax=abs(w).max())
        ax.set_title(f"filter {i}", fontsize=8)
        ax.axis("off")
    fig.savefig(path, dpi=120, bbox_inches="tight")


if __name__ == "__main__":
    main()
