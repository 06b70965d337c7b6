"""One SGD step of an MLP: chainrule Tensor vs the same step hand-written in numpy vs PyTorch.

    python bench/tensor_mlp.py            # all cases, printed as ratios against the targets
    python bench/tensor_mlp.py --quick    # fewer steps (a smoke run, for tests)

Cases (issue 3): MLP 784-256-128-10, ReLU, softmax cross-entropy, batch 128, float32 and
float64 (target: <= 1.10x hand-written numpy and no slower than PyTorch); MLP 2-16-16-1,
ReLU, hinge loss, batch 32 (overhead-bound; target <= 2.5x hand-written); peak traced
memory of 100 steps (target <= 1.2x hand-written). The versions run interleaved, from
the same data and initial weights, and PyTorch gets numpy's BLAS thread count. With more
than one thread PyTorch runs in a subprocess of its own: its OpenMP pool and numpy's
OpenBLAS pool spin against each other in one process. Times are medians of single steps.

On machines that set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (a workaround for old OpenBLAS
builds) run it with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE` for numpy's real speed.
On a machine shared with other busy processes, multi-threaded BLAS timings swing wildly
(spinning worker threads lose their cores); `--threads 1` gives stable figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from autograd import Tensor  # noqa: E402

try:
    import torch
except ImportError:  # PyTorch is optional: its columns are skipped
    torch = None


# the same network, three ways ----------------------------------------------------------
def init_params(sizes, dtype, seed=0):
    """He-initialised weights (in, out) and zero biases, as plain arrays."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append((rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)).astype(dtype))
        params.append(np.zeros(n_out, dtype))
    return params


def make_data(sizes, batch, dtype, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0])).astype(dtype)
    if sizes[-1] == 1:  # hinge loss: labels -1 / +1
        y = np.where(rng.random((batch, 1)) < 0.5, -1.0, 1.0).astype(dtype)
    else:
        y = rng.integers(0, sizes[-1], batch)
    return x, y


def numpy_step(params, x, y, lr):
    """Forward, backward and update written by hand."""
    n_layers = len(params) // 2
    acts, pre = [x], []
    h = x
    for i in range(n_layers):
        z = h @ params[2 * i] + params[2 * i + 1]
        pre.append(z)
        h = np.maximum(z, 0) if i < n_layers - 1 else z
        acts.append(h)
    z = acts[-1]
    batch = x.shape[0]
    if y.dtype.kind == "f":  # hinge: mean(relu(1 - y * z))
        margin = 1 - y * z
        loss = np.maximum(margin, 0).mean()
        d = (margin > 0) * (-y / batch)
    else:  # softmax cross-entropy
        m = z.max(1, keepdims=True)
        e = np.exp(z - m)
        s = e.sum(1, keepdims=True)
        rows = np.arange(batch)
        loss = -(z[rows, y] - m[:, 0] - np.log(s[:, 0])).mean()
        d = e / s
        d[rows, y] -= 1
        d /= batch
    grads = [None] * len(params)
    for i in reversed(range(n_layers)):
        if i < n_layers - 1:
            d = d * (pre[i] > 0)
        grads[2 * i] = acts[i].T @ d
        grads[2 * i + 1] = d.sum(0)
        if i:
            d = d @ params[2 * i].T
    for p, g in zip(params, grads):
        p -= lr * g
    return loss


def chainrule_step(params, x, y, lr):
    """The same step with chainrule Tensors: forward, loss.backward(), update."""
    n_layers = len(params) // 2
    h = Tensor(x)
    for i in range(n_layers):
        h = h @ params[2 * i] + params[2 * i + 1]
        if i < n_layers - 1:
            h = h.relu()
    if y.dtype.kind == "f":
        loss = (1 - y * h).relu().mean()
    else:
        loss = -h.log_softmax(axis=1)[np.arange(len(y)), y].mean()
    loss.backward()
    for p in params:
        p.data -= lr * p.grad
        p.grad = None
    return loss


def torch_step(params, x, y, lr):
    n_layers = len(params) // 2
    h = x
    for i in range(n_layers):
        h = h @ params[2 * i] + params[2 * i + 1]
        if i < n_layers - 1:
            h = h.relu()
    if y.dtype.is_floating_point:
        loss = (1 - y * h).relu().mean()
    else:
        loss = torch.nn.functional.cross_entropy(h, y)
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
    return loss


# harness -------------------------------------------------------------------------------
BIG, SMALL = [784, 256, 128, 10], [2, 16, 16, 1]
CASES = [  # label, sizes, batch, dtype, target ratio to hand-written numpy
    ("MLP 784-256-128-10 b128", BIG, 128, "float32", 1.10),
    ("MLP 784-256-128-10 b128", BIG, 128, "float64", 1.10),
    ("MLP 2-16-16-1 b32", SMALL, 32, "float32", 2.5),
    ("MLP 2-16-16-1 b32", SMALL, 32, "float64", 2.5),
]


def make_runners(sizes, batch, dtype, names):
    """name -> (step function, its params, x, y), all from the same arrays."""
    base = init_params(sizes, dtype)
    x, y = make_data(sizes, batch, dtype)
    runners = {}
    if "numpy" in names:
        runners["numpy"] = (numpy_step, [p.copy() for p in base], x, y)
    if "chainrule" in names:
        runners["chainrule"] = (chainrule_step, [Tensor(p, requires_grad=True) for p in base], x, y)
    if "torch" in names:
        tp = [torch.tensor(p, requires_grad=True) for p in base]
        runners["torch"] = (torch_step, tp, torch.from_numpy(x), torch.from_numpy(y))
    return runners


def first_step(sizes, batch, dtype, names, lr=1e-2) -> dict:
    """name -> (loss, first weight matrix) after one step from the same start."""
    result = {}
    for name, (step, params, x, y) in make_runners(sizes, batch, dtype, names).items():
        out = step(params, x, y, lr)
        loss = float(out.detach() if name == "torch" else out)
        w = params[0]
        result[name] = (loss, w.detach().numpy() if name == "torch" else np.asarray(w))
    return result


def time_steps(sizes, batch, dtype, names, rounds, per_round, lr=1e-3) -> dict:
    """Median seconds per step, the implementations interleaved round by round."""
    runners = make_runners(sizes, batch, dtype, names)
    times = {name: [] for name in runners}
    for _ in range(3):  # warm-up
        for step, params, x, y in runners.values():
            step(params, x, y, lr)
    clock = time.perf_counter
    gc_was = gc.isenabled()
    gc.disable()  # a collector pause lands on whichever step runs then; no step needs it
    try:
        for _ in range(rounds):
            for name, (step, params, x, y) in runners.items():
                for _ in range(per_round):
                    t = clock()
                    step(params, x, y, lr)
                    times[name].append(clock() - t)
    finally:
        if gc_was:
            gc.enable()
    return {name: statistics.median(ts) for name, ts in times.items()}


def peak_memory(sizes, batch, dtype, steps=100, lr=1e-3) -> dict:
    """Peak bytes traced by tracemalloc over `steps` steps (numpy and chainrule)."""
    peaks = {}
    for name in ("numpy", "chainrule"):
        step, params, x, y = make_runners(sizes, batch, dtype, [name])[name]
        step(params, x, y, lr)  # warm-up: one-off caches (numpy's and ours) are not the step's
        gc.collect()
        tracemalloc.start()
        for _ in range(steps):
            step(params, x, y, lr)
        peaks[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peaks


def blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info

        return max((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"), default=1)
    except ImportError:
        return os.cpu_count() or 1


def torch_worker(case: int, rounds: int, per_round: int, threads: int) -> None:
    """Runs in a subprocess: PyTorch's thread pool and numpy's must not spin against each
    other in one process (on few cores that slows both many times over)."""
    torch.set_num_threads(threads)
    label, sizes, batch, dtype, _ = CASES[case]
    loss, w = first_step(sizes, batch, dtype, ["torch"])["torch"]
    t = time_steps(sizes, batch, dtype, ["torch"], rounds, per_round)["torch"]
    print(json.dumps({"loss": loss, "w_sum": float(np.abs(w).sum()), "median": t}))


def run_torch(case: int, rounds: int, per_round: int, threads: int):
    if torch is None:
        return None
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-worker", str(case)]
    cmd += ["--rounds", str(rounds), "--per-round", str(per_round), "--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few steps: a smoke run")
    ap.add_argument("--torch-worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--per-round", type=int, default=3)
    ap.add_argument(
        "--threads", type=int, default=0, help="BLAS threads for numpy and torch (default: numpy's)"
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.per_round = 2, 3
    if args.torch_worker is not None:
        torch_worker(args.torch_worker, args.rounds, args.per_round, args.threads)
        return 0
    threads = args.threads or blas_threads()
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads, user_api="blas")
    torch_info = f"torch {torch.__version__} with {threads} threads" if torch is not None else "no torch"
    print(f"numpy {np.__version__} ({threads} BLAS threads), {torch_info}")
    print(f"median of {args.rounds * args.per_round} steps (x3 for the small MLP) each\n")

    missed = []
    head = f"{'case':32s} {'numpy':>9s} {'chainrule':>10s} {'torch':>9s} {'cr/numpy':>9s} {'target':>7s}"
    print(head + f" {'cr/torch':>9s}")
    for i, (label, sizes, batch, dtype, target) in enumerate(CASES):
        big = sizes is BIG
        rounds = args.rounds if big else 3 * args.rounds
        first = first_step(sizes, batch, dtype, ["numpy", "chainrule"])
        if threads == 1 and torch is not None:  # no thread pools to fight: all three interleaved
            torch.set_num_threads(1)
            t = time_steps(sizes, batch, dtype, ["numpy", "chainrule", "torch"], rounds, args.per_round)
            loss, w = first_step(sizes, batch, dtype, ["torch"])["torch"]
            tr = {"loss": loss, "w_sum": float(np.abs(w).sum()), "median": t["torch"]}
        else:
            t = time_steps(sizes, batch, dtype, ["numpy", "chainrule"], rounds, args.per_round)
            tr = run_torch(i, rounds, args.per_round, threads)
        _agree(first, tr, dtype)
        ratio = t["chainrule"] / t["numpy"]
        vs_torch = t["chainrule"] / tr["median"] if tr else float("nan")
        ok = ratio <= target and (not big or not vs_torch > 1.0)
        if not ok:
            missed.append(f"{label} {dtype}")
        torch_us = f"{tr['median'] * 1e6:7.0f}us" if tr else f"{'-':>9s}"
        print(
            f"{label + ' ' + dtype:32s} {t['numpy'] * 1e6:7.0f}us {t['chainrule'] * 1e6:8.0f}us {torch_us} "
            f"{ratio:8.2f}x {target:6.2f}x {vs_torch:8.2f}x  {'ok' if ok else 'MISSED'}"
        )

    print()
    steps = 10 if args.quick else 100
    for label, sizes, batch in (("MLP 784-256-128-10 b128", BIG, 128), ("MLP 2-16-16-1 b32", SMALL, 32)):
        for dtype in ("float32", "float64"):
            m = peak_memory(sizes, batch, dtype, steps=steps)
            ratio = m["chainrule"] / m["numpy"]
            ok = ratio <= 1.2
            if not ok:
                missed.append(f"memory {label} {dtype}")
            print(
                f"peak memory of {steps} steps, {label} {dtype}: numpy {m['numpy'] / 1e3:.0f} kB, "
                f"chainrule {m['chainrule'] / 1e3:.0f} kB: {ratio:.2f}x (target 1.20x)  "
                + ("ok" if ok else "MISSED")
            )
    print("\nmissed: " + ", ".join(missed) if missed else "\nall targets met")
    return 0


def _agree(first: dict, torch_result, dtype) -> None:
    """The three implementations must compute the same step before their times mean anything."""
    rtol = 1e-4 if dtype == "float32" else 1e-9
    loss, w = first["numpy"]
    loss_cr, w_cr = first["chainrule"]
    if not np.isclose(loss_cr, loss, rtol=rtol) or not np.allclose(w_cr, w, rtol=rtol, atol=rtol):
        raise AssertionError(f"chainrule's step differs from numpy's (loss {loss_cr} vs {loss})")
    if torch_result is not None:
        if not np.isclose(torch_result["loss"], loss, rtol=rtol):
            raise AssertionError(f"torch's loss {torch_result['loss']} differs from numpy's {loss}")
        if not np.isclose(torch_result["w_sum"], float(np.abs(w).sum()), rtol=rtol):
            raise AssertionError("torch's weights after one step differ from numpy's")


if __name__ == "__main__":
    raise SystemExit(main())
