"""A chain of 1,000 elementwise ops on a (10,) array, forward plus backward: the cost per op
of chainrule's node bookkeeping, with PyTorch side by side (when installed).

    python bench/bench_tensor_chain.py            # 200 repeats, 5 rounds, best and median
    python bench/bench_tensor_chain.py --quick    # a smoke run

The chain cycles through `*`, `+`, `tanh`, `-` and `* 0.5` so every op is small and the
numbers are per-node overhead, not arithmetic. Target (issue 10): at most 2.0 us per op.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import autograd as ag  # noqa: E402

N_OPS = 1000


def chain(lib, x, c):
    h = x
    for _ in range(N_OPS // 5):
        h = h * c
        h = h + c
        h = h.tanh()
        h = h - c
        h = h * 0.5
    return h.sum()


def run_chainrule(repeats: int) -> float:
    x = ag.Tensor(np.linspace(-1, 1, 10), requires_grad=True)
    c = ag.Tensor(np.full(10, 0.9))
    t = time.perf_counter()
    for _ in range(repeats):
        x.grad = None
        chain(ag, x, c).backward()
    return (time.perf_counter() - t) / repeats / N_OPS


def run_torch(repeats: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    x = torch.linspace(-1, 1, 10, dtype=torch.float64, requires_grad=True)
    c = torch.full((10,), 0.9, dtype=torch.float64)
    t = time.perf_counter()
    for _ in range(repeats):
        x.grad = None
        chain(torch, x, c).backward()
    return (time.perf_counter() - t) / repeats / N_OPS


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    repeats, rounds = (20, 1) if args.quick else (200, 5)
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(run_chainrule(repeats))
        t = run_torch(repeats)
        if t is not None:
            theirs.append(t)
    us = 1e6
    print(f"1,000-op elementwise chain on (10,), forward + backward, per op ({rounds} rounds x {repeats}):")
    print(f"  chainrule  best {min(ours) * us:.2f} us   median {statistics.median(ours) * us:.2f} us")
    if theirs:
        print(f"  PyTorch    best {min(theirs) * us:.2f} us   median {statistics.median(theirs) * us:.2f} us")
        print(f"  chainrule / PyTorch (best): {min(ours) / min(theirs):.2f}")


if __name__ == "__main__":
    main()
