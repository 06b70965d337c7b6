"""The README's MNIST training, timed: chainrule (nn.fit, and a plain loop) vs the same
training hand-written in numpy.

    python bench/bench_mnist.py             # 10,000 iterations, 5 rounds, medians
    python bench/bench_mnist.py --quick     # 300 iterations, 1 round (a smoke run)

The training: 784-50-10, Linear-ReLU-Linear, softmax cross-entropy, SGD lr 0.1, batch 100,
float32, on the real MNIST. All versions start from the same weights, see the same batches
(one seeded permutation per epoch, as nn.data.DataLoader draws them) and do the same work
per step: gather the batch, forward, loss, backward, update, record the loss and count the
correct predictions. The numpy version keeps its weights (in, out), the layout that makes
its products fastest. Rounds rotate the order of the versions; ratios are of the median
run and of the best run (the one least disturbed by the rest of a shared machine, as
timeit reports), of wall-clock time.
Target (issue 4): chainrule's time at most 1.10 times the hand-written one.

BLAS runs on one thread (override with OPENBLAS_NUM_THREADS=...): for matrices this small
threads cost more than they give, and on a busy machine far more.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
from nn.datasets import load_mnist  # noqa: E402

SIZES, LR, BATCH, SEED = [784, 50, 10], 0.1, 100, 0
TARGET = 1.10


def batches(n: int, iters: int, seed: int):
    """Index arrays of the first `iters` batches: a fresh permutation per epoch, as DataLoader."""
    rng = np.random.default_rng(seed)
    done = 0
    while done < iters:
        order = rng.permutation(n)
        for start in range(0, n, BATCH):
            yield order[start : start + BATCH]
            done += 1
            if done == iters:
                return


def initial_model():
    nn.manual_seed(SEED)
    return nn.MLP(SIZES)


def run_fit(x, y, iters):
    model = initial_model()
    opt = nn.optim.SGD(model.parameters(), lr=LR)
    epochs = -(-iters // -(-len(x) // BATCH))
    start = time.perf_counter()
    history = nn.fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=epochs, batch_size=BATCH, seed=SEED,
                     max_steps=iters, progress=False)  # fmt: skip
    seconds = time.perf_counter() - start
    return seconds, model, history.step_loss


def run_loop(x, y, iters):
    model = initial_model()
    opt = nn.optim.SGD(model.parameters(), lr=LR)
    losses, correct = [], 0
    start = time.perf_counter()
    for idx in batches(len(x), iters, SEED):
        xb, yb = x[idx], y[idx]
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.data))
        correct += int(np.count_nonzero(out.data.argmax(axis=1) == yb))
    seconds = time.perf_counter() - start
    return seconds, model, losses


def run_numpy(x, y, iters):
    """Forward, backward and update written out by hand, as the tutorials do."""
    model = initial_model()
    W1, b1 = model[0].weight.data.T.copy(), model[0].bias.data.copy()
    W2, b2 = model[2].weight.data.T.copy(), model[2].bias.data.copy()
    lr = np.float32(LR)
    losses, correct = [], 0
    start = time.perf_counter()
    for idx in batches(len(x), iters, SEED):
        xb, yb = x[idx], y[idx]
        n = len(idx)
        rows = np.arange(n)
        h = xb @ W1 + b1
        a = np.maximum(h, 0)
        z = a @ W2 + b2
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - shifted[rows, yb])
        dz = e / total
        dz[rows, yb] -= 1
        dz /= n
        dW2 = a.T @ dz
        db2 = dz.sum(axis=0)
        dh = (dz @ W2.T) * (h > 0)
        dW1 = xb.T @ dh
        db1 = dh.sum(axis=0)
        W1 -= lr * dW1
        b1 -= lr * db1
        W2 -= lr * dW2
        b2 -= lr * db2
        losses.append(float(loss))
        correct += int(np.count_nonzero(z.argmax(axis=1) == yb))
    seconds = time.perf_counter() - start
    weights = {"0.weight": W1.T, "0.bias": b1, "2.weight": W2.T, "2.bias": b2}
    return seconds, weights, losses


def test_accuracy(state, x_test, y_test) -> float:
    model = nn.MLP(SIZES)
    model.load_state_dict(state)
    return nn.evaluate(model, nn.CrossEntropyLoss(), (x_test, y_test))["accuracy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 iterations, one round")
    parser.add_argument("--iters", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    iters, rounds = (300, 1) if args.quick else (args.iters, args.rounds)

    (x, y), (x_test, y_test) = load_mnist()
    runners = {"chainrule nn.fit": run_fit, "chainrule loop": run_loop, "numpy by hand": run_numpy}
    wall = {name: [] for name in runners}
    results = {}
    names = list(runners)
    for r in range(rounds):
        for name in names[r % 3 :] + names[: r % 3]:  # each version takes each place in turn
            seconds, weights, losses = runners[name](x, y, iters)
            wall[name].append(seconds)
            results[name] = (weights, losses)

    print(f"MNIST 784-50-10, SGD lr {LR}, batch {BATCH}, {iters:,} iterations, float32, "
          f"BLAS threads {os.environ['OPENBLAS_NUM_THREADS']}, {rounds} round(s)")  # fmt: skip
    head = f"{'us/step':>8s} {'ratio':>6s}"
    print(f"  {'':18s} {'median':>8s} {head}   {'best':>8s} {head}")
    stats = {"median": statistics.median, "best": min}  # best: the run least disturbed, as timeit
    base = {label: f(wall["numpy by hand"]) for label, f in stats.items()}
    for name in runners:
        m, b = statistics.median(wall[name]), min(wall[name])
        print(f"  {name:18s} {m:7.2f}s {m / iters * 1e6:8.1f} {m / base['median']:6.3f}   "
              f"{b:7.2f}s {b / iters * 1e6:8.1f} {b / base['best']:6.3f}")  # fmt: skip
    print("  rounds (s): " + "; ".join(f"{n} " + " ".join(f"{t:.2f}" for t in wall[n]) for n in runners))
    for label, f in stats.items():
        ratio = f(wall["chainrule nn.fit"]) / base[label]
        verdict = "met" if ratio <= TARGET else "NOT met"
        print(f"nn.fit / numpy ({label} of {rounds}) = {ratio:.3f}  (target <= {TARGET:.2f}: {verdict})")

    # The same training: the same losses step by step (float32 rounding aside) and accuracy.
    fit_model, fit_losses = results["chainrule nn.fit"]
    np_weights, np_losses = results["numpy by hand"]
    gap = max(abs(a - b) for a, b in zip(fit_losses, np_losses))
    acc_fit = test_accuracy(fit_model.state_dict(), x_test, y_test)
    acc_np = test_accuracy({k: np.ascontiguousarray(v) for k, v in np_weights.items()}, x_test, y_test)
    print(f"largest per-step loss difference, fit vs numpy: {gap:.2e}; "
          f"test accuracy: fit {acc_fit:.2%}, numpy {acc_np:.2%}")  # fmt: skip


if __name__ == "__main__":
    main()
