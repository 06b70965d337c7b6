"""chainrule's main demo: the two-layer MNIST network of the backpropagation tutorials.

784-50-10 (Linear, ReLU, Linear), softmax cross-entropy, SGD with learning rate 0.1, batches
of 100, 10,000 iterations (about 17 epochs), on the real 60,000 / 10,000 MNIST. The
tutorial ("Deep Learning from Scratch", ch. 5) reports about 97.8% train and 96.9% test
accuracy. Writes out/mnist_curves.png (loss and accuracy) and out/mnist_forward_graph.svg
(the graph of one forward pass, parameters named as in the state dict).

    python examples/mnist_demo.py
"""

from __future__ import annotations

import os

# For matrices this small, BLAS threads cost more than they give (and far more on a busy
# machine); set OPENBLAS_NUM_THREADS yourself to override.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nn  # noqa: E402
from autograd import draw_graph  # noqa: E402
from nn.datasets import load_mnist  # noqa: E402

OUT = ROOT / "out"
ITERATIONS, BATCH, LR, SEED = 10_000, 100, 0.1, 0


def main() -> None:
    OUT.mkdir(exist_ok=True)
    (x_train, y_train), (x_test, y_test) = load_mnist(normalize=True, flatten=True)
    print(f"MNIST: {len(x_train):,} training and {len(x_test):,} test images of {x_train.shape[1]} pixels")

    nn.manual_seed(SEED)
    model = nn.MLP([784, 50, 10])  # Linear(784, 50), ReLU, Linear(50, 10)
    print(model)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=LR)

    epochs = -(-ITERATIONS * BATCH // len(x_train))  # enough epochs for the iterations
    start = time.perf_counter()
    history = nn.fit(model, loss_fn, optimizer, (x_train, y_train), epochs=epochs, val_data=(x_test, y_test),
                     batch_size=BATCH, seed=SEED, max_steps=ITERATIONS)  # fmt: skip
    seconds = time.perf_counter() - start

    train = nn.evaluate(model, loss_fn, (x_train, y_train))
    test = nn.evaluate(model, loss_fn, (x_test, y_test))
    print(f"{len(history.step_loss):,} iterations in {seconds:.1f} s: {sum(history.seconds):.1f} s training, "
          f"{sum(history.val_seconds):.1f} s validating after each epoch")  # fmt: skip
    print(f"train accuracy {train['accuracy']:.2%}   test accuracy {test['accuracy']:.2%}   "
          f"(tutorial: about 97.8% / 96.9%)")  # fmt: skip

    curves = OUT / "mnist_curves.png"
    history.plot(curves)
    print(f"loss and accuracy curves saved to {curves.relative_to(ROOT)}")
    loss = loss_fn(model(x_test[:4]), y_test[:4])  # one forward pass, on four test images
    graph = draw_graph(loss, model=model, title="784-50-10 MNIST net: one forward pass on 4 images")
    path = Path(graph.save(OUT / "mnist_forward_graph.svg"))
    print(f"graph of one forward pass saved to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
