"""One training step of micrograd's demo, side by side with micrograd 0.1.0, in one process.

MLP(2, [16, 16, 1]) on 100 two-moons points, SVM max-margin loss plus 1e-4 L2, SGD.
Both engines start from the same weights and build the same graph (node counts printed).
Default garbage-collector settings: the collector's cost is part of what a user pays.
That cost grows with everything else alive in the process, so the step is timed twice:
in a bare process, and with scikit-learn imported (about 90,000 more objects for every
full collection to walk, as in a typical notebook). Also times a chain of 1,000,000 ops,
forward plus backward, three times (a fresh chain each), and reports the median.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from micrograd.engine import Value as MgValue  # noqa: E402
from micrograd.nn import MLP as MgMLP  # noqa: E402

from autograd import Value, topological_order  # noqa: E402
from nn.datasets import make_moons  # noqa: E402
from nn.scalar import MLP  # noqa: E402


def make_step(value_cls, model, X, y):
    """micrograd's demo loss and one SGD step, written once for both engines."""

    def loss():
        inputs = [list(map(value_cls, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        return data_loss + reg_loss

    def step():
        total = loss()
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
        return total

    return loss, step


def count_nodes(root) -> int:
    """Nodes of a micrograd graph (its _prev sets) or of ours (topological_order)."""
    if isinstance(root, Value):
        return len(topological_order(root))
    seen, stack = {id(root)}, [root]
    while stack:
        for p in stack.pop()._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def median_times(steps: dict, rounds: int, per_round: int = 3) -> dict:
    """Median step time of each engine. Rounds alternate between the engines (a machine's
    speed drifts), and each round starts after a full collection, so neither engine pays
    for the other's garbage (micrograd's graphs are cycles, freed only by the collector)."""
    times: dict = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            gc.collect()
            step()  # the first step of a round also frees the previous round's graph
            for _ in range(per_round):
                t0 = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def chain(n: int) -> tuple[float, float]:
    x = Value(1.0)
    c = Value(1.0 + 1e-7)
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = y * c
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def main(repeats: int = 5, chain_ops: int = 1_000_000) -> dict:
    X, y = make_moons(n_samples=100, noise=0.1, seed=1)
    X, y = X.tolist(), [float(2 * v - 1) for v in y]
    mg_model = MgMLP(2, [16, 16, 1])
    model = MLP(2, [16, 16, 1], seed=0)
    for ours, theirs in zip(model.parameters(), mg_model.parameters()):
        ours.data = theirs.data
    mg_loss, mg_step = make_step(MgValue, mg_model, X, y)
    our_loss, our_step = make_step(Value, model, X, y)
    a, b = our_loss(), mg_loss()
    assert abs(a.data - b.data) < 1e-9, (a.data, b.data)
    nodes = count_nodes(a), count_nodes(b)
    del a, b
    medians = median_times({"micrograd": mg_step, "chainrule": our_step}, rounds=repeats)
    t_mg, t_ours = medians["micrograd"], medians["chainrule"]
    chains = sorted((chain(chain_ops) for _ in range(3)), key=sum) if chain_ops else [(float("nan"),) * 2] * 3
    fwd, bwd = chains[1]  # the run with the median total
    result = {
        "nodes_chainrule": nodes[0],
        "nodes_micrograd": nodes[1],
        "step_micrograd_s": t_mg,
        "step_chainrule_s": t_ours,
        "speedup": t_mg / t_ours,
        "chain_us_per_node": (fwd + bwd) / max(chain_ops, 1) * 1e6,
        "chain_forward_s": fwd,
        "chain_backward_s": bwd,
        "chain_us_per_node_runs": [sum(c) / max(chain_ops, 1) * 1e6 for c in chains],
    }
    heap = "with scikit-learn imported" if "sklearn" in sys.modules else "bare process"
    print(f"micrograd demo step ({heap}), median of {3 * repeats}: graph nodes {nodes[0]} / {nodes[1]}")
    print(f"  micrograd 0.1.0 {t_mg * 1e3:8.1f} ms")
    print(f"  chainrule       {t_ours * 1e3:8.1f} ms   -> {t_mg / t_ours:.1f}x faster (target >= 10x)")
    if chain_ops:
        print(
            f"{chain_ops:,}-op chain, median of 3: forward {fwd:.2f} s + backward {bwd:.2f} s = "
            f"{result['chain_us_per_node']:.2f} us per node (target < 1.5; the 3 runs: "
            f"{', '.join(f'{u:.2f}' for u in result['chain_us_per_node_runs'])})"
        )
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="rounds of 3 steps per engine")
    parser.add_argument("--sklearn-heap", action="store_true", help="import scikit-learn first")
    args = parser.parse_args()
    if args.sklearn_heap:
        import sklearn.datasets  # noqa: F401
    main(args.repeats, chain_ops=0 if args.sklearn_heap else 1_000_000)
    if not args.sklearn_heap:
        again = [sys.executable, __file__, "--sklearn-heap", "--repeats", str(args.repeats)]
        subprocess.run(again, check=True)
