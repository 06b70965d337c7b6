"""LeNet-5 timed: one SGD step (batch 64, float32) of chainrule's nn against PyTorch on CPU
and against the same step written by hand in numpy (im2col + matmul), side by side.

    python bench/bench_cnn.py             # 7 rounds of 30 steps, layers, one epoch, memory
    python bench/bench_cnn.py --quick     # a smoke run: few steps, no epoch
    python bench/bench_cnn.py --no-epoch --no-memory

The network: conv 1->6 5x5 (pad 2), relu, max-pool 2, conv 6->16 5x5, relu, max-pool 2,
flatten, 400-120-84-10 with relu, softmax cross-entropy, SGD lr 0.05 momentum 0.9. All three
start from the same weights and see the same batches. Rounds rotate the order of the
versions; the figures are medians over rounds of the median step. Also timed: each conv
layer's forward plus backward alone, one epoch of MNIST-sized data (60,000 images, 938
steps), and the peak memory of 100 steps (tracemalloc for chainrule, whose arrays numpy
reports to it; the growth of the resident set for both, each in a fresh process, over
the resident set after a warm-up step on 2 images).
Targets (issue 12): chainrule's step at most 1.5x PyTorch's and 1.2x the numpy one;
peak memory at most 1.5x PyTorch's.

BLAS runs on one thread (override with OPENBLAS_NUM_THREADS=...) and PyTorch on as many
(torch.set_num_threads): on a machine shared by several jobs, threads only add noise.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
from autograd import Tensor  # noqa: E402
from autograd import conv as _conv  # noqa: E402

THREADS = int(os.environ["OPENBLAS_NUM_THREADS"])
BATCH, LR, MOMENTUM, SEED = 64, 0.05, 0.9, 0
TARGET_TORCH, TARGET_NUMPY, TARGET_MEMORY = 1.5, 1.2, 1.5
_as_strided = np.lib.stride_tricks.as_strided


class LeNet(nn.Module):
    def __init__(self, dtype=np.float32):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2, dtype=dtype)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5, dtype=dtype)
        self.fc1 = nn.Linear(400, 120, dtype=dtype)
        self.fc2 = nn.Linear(120, 84, dtype=dtype)
        self.fc3 = nn.Linear(84, 10, dtype=dtype)

    def forward(self, x):
        x = self.pool(self.conv1(x).relu())
        x = self.pool(self.conv2(x).relu())
        x = x.reshape(x.shape[0], -1)
        return self.fc3(self.fc2(self.fc1(x).relu()).relu())


def data(n: int, dtype, seed: int = SEED):
    rng = np.random.default_rng(seed)
    return rng.random((n, 1, 28, 28)).astype(dtype), rng.integers(0, 10, n)


# ------------------------------------------------------------------------------ chainrule
def chainrule_version(state, dtype):
    model = LeNet(dtype)
    model.load_state_dict(state)
    opt = nn.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step(x, y):
        loss = F.cross_entropy(model(Tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.data)

    return step, lambda: {k: np.array(v) for k, v in model.state_dict().items()}


# ---------------------------------------------------------------------------------- torch
def torch_version(state, dtype):
    import torch

    torch.set_num_threads(THREADS)
    tnn = torch.nn
    model = tnn.Sequential()
    model.add_module("conv1", tnn.Conv2d(1, 6, 5, padding=2))
    model.add_module("r1", tnn.ReLU())
    model.add_module("p1", tnn.MaxPool2d(2))
    model.add_module("conv2", tnn.Conv2d(6, 16, 5))
    model.add_module("r2", tnn.ReLU())
    model.add_module("p2", tnn.MaxPool2d(2))
    model.add_module("flat", tnn.Flatten())
    model.add_module("fc1", tnn.Linear(400, 120))
    model.add_module("r3", tnn.ReLU())
    model.add_module("fc2", tnn.Linear(120, 84))
    model.add_module("r4", tnn.ReLU())
    model.add_module("fc3", tnn.Linear(84, 10))
    model = model.to(getattr(torch, np.dtype(dtype).name))
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step(x, y):
        loss = tnn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step, lambda: {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


# -------------------------------------------------------------------- numpy, by hand
def _im2col(x, k, pad):
    """(C, N, H, W) -> (C*k*k, N*Ho*Wo) windows, channels first throughout."""
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    c, n, h, w = x.shape
    ho, wo = h - k + 1, w - k + 1
    sc, sn, sh, sw = x.strides
    win = _as_strided(x, (c, k, k, n, ho, wo), (sc, sh, sw, sn, sh, sw))
    return win.reshape(c * k * k, n * ho * wo), (ho, wo)


def _col2im(cols, shape, k, pad):
    c, n, h, w = shape
    ho, wo = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    cols = cols.reshape(c, k, k, n, ho, wo)
    img = np.zeros((c, n, h + 2 * pad, w + 2 * pad), cols.dtype)
    for i in range(k):
        for j in range(k):
            img[:, :, i : i + ho, j : j + wo] += cols[:, i, j]
    return img[:, :, pad : pad + h, pad : pad + w] if pad else img


def _pool2(a):
    """2x2 max-pooling as the maximum of the four strided quarters; the gradient mask of each."""
    q = [a[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]
    out = np.maximum(np.maximum(q[0], q[1]), np.maximum(q[2], q[3]))
    return out, [qi == out for qi in q]


def _unpool2(masks, g, shape):
    """The gradient of _pool2: g at every maximum of its window."""
    d = np.empty(shape, g.dtype)
    for (i, j), m in zip(((0, 0), (0, 1), (1, 0), (1, 1)), masks):
        np.multiply(m, g, out=d[:, :, i::2, j::2])
    return d


def numpy_version(state, dtype):
    p = {k: np.array(v) for k, v in state.items()}
    vel = {k: np.zeros_like(v) for k, v in p.items()}

    def step(x, y):
        n = len(x)
        # conv1 + relu + pool, channels-first (C, N, H, W) layout
        cols1, (h1, w1) = _im2col(x.transpose(1, 0, 2, 3), 5, 2)
        z1 = p["conv1.weight"].reshape(6, -1) @ cols1 + p["conv1.bias"][:, None]
        a1 = np.maximum(z1, 0).reshape(6, n, h1, w1)
        q1, m1 = _pool2(a1)
        cols2, (h2, w2) = _im2col(q1, 5, 0)
        z2 = p["conv2.weight"].reshape(16, -1) @ cols2 + p["conv2.bias"][:, None]
        a2 = np.maximum(z2, 0).reshape(16, n, h2, w2)
        q2, m2 = _pool2(a2)
        f = q2.transpose(1, 0, 2, 3).reshape(n, -1)
        h3 = np.maximum(f @ p["fc1.weight"].T + p["fc1.bias"], 0)
        h4 = np.maximum(h3 @ p["fc2.weight"].T + p["fc2.bias"], 0)
        z = h4 @ p["fc3.weight"].T + p["fc3.bias"]
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.log(s[:, 0]).sum() - z[np.arange(n), y].sum()) / n
        dz = e / s
        dz[np.arange(n), y] -= 1
        dz /= n
        g = {"fc3.weight": dz.T @ h4, "fc3.bias": dz.sum(0)}
        d4 = (dz @ p["fc3.weight"]) * (h4 > 0)
        g["fc2.weight"], g["fc2.bias"] = d4.T @ h3, d4.sum(0)
        d3 = (d4 @ p["fc2.weight"]) * (h3 > 0)
        g["fc1.weight"], g["fc1.bias"] = d3.T @ f, d3.sum(0)
        df = (d3 @ p["fc1.weight"]).reshape(n, 16, 5, 5).transpose(1, 0, 2, 3)
        da2 = _unpool2(m2, df, a2.shape)
        dz2 = (da2 * (a2 > 0)).reshape(16, -1)
        g["conv2.weight"] = (dz2 @ cols2.T).reshape(16, 6, 5, 5)
        g["conv2.bias"] = dz2.sum(1)
        dq1 = _col2im(p["conv2.weight"].reshape(16, -1).T @ dz2, q1.shape, 5, 0)
        da1 = _unpool2(m1, dq1, a1.shape)
        dz1 = (da1 * (a1 > 0)).reshape(6, -1)
        g["conv1.weight"] = (dz1 @ cols1.T).reshape(6, 1, 5, 5)
        g["conv1.bias"] = dz1.sum(1)
        for k, gk in g.items():
            vel[k] *= MOMENTUM
            vel[k] += gk
            p[k] -= LR * vel[k]
        return loss

    return step, lambda: p


VERSIONS = {"chainrule": chainrule_version, "torch": torch_version, "numpy": numpy_version}


def initial_state(dtype=np.float32):
    nn.manual_seed(SEED)
    return {k: np.array(v) for k, v in LeNet(dtype).state_dict().items()}


def first_step(dtype, names):
    """Loss and weights after two steps of each version (for the test that they agree)."""
    state = initial_state(dtype)
    x, y = data(2 * BATCH, dtype)
    out = {}
    for name in names:
        step, weights = VERSIONS[name](state, dtype)
        losses = [step(x[i : i + BATCH], y[i : i + BATCH]) for i in (0, BATCH)]
        out[name] = (losses, weights())
    return out


# ---------------------------------------------------------------------------------- timing
def time_steps(step, x, y, steps: int) -> float:
    times = []
    for i in range(steps):
        s = (i * BATCH) % (len(x) - BATCH)
        xb, yb = x[s : s + BATCH], y[s : s + BATCH]
        t = time.perf_counter()
        step(xb, yb)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def layer_versions(dtype):
    """Each conv layer's forward plus backward alone: (name, {version: fn}) pairs."""
    import torch

    rng = np.random.default_rng(1)
    out = []
    for name, cin, cout, hw, pad in (("conv1", 1, 6, 28, 2), ("conv2", 6, 16, 14, 0)):
        x = rng.standard_normal((BATCH, cin, hw, hw)).astype(dtype)
        w = rng.standard_normal((cout, cin, 5, 5)).astype(dtype)
        b = rng.standard_normal(cout).astype(dtype)
        ho = hw + 2 * pad - 4
        g = rng.standard_normal((BATCH, cout, ho, ho)).astype(dtype)
        need_x = cin > 1  # the first layer's input (the images) needs no gradient

        def ours(x=x, w=w, b=b, g=g, pad=pad, need_x=need_x):
            xt = Tensor(x, requires_grad=need_x)
            wt, bt = Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)
            _conv.conv2d(xt, wt, bt, padding=pad).backward(g)

        xt_, wt_, bt_, gt_ = (torch.from_numpy(a) for a in (x, w, b, g))

        def theirs(pad=pad, need_x=need_x, xt_=xt_, wt_=wt_, bt_=bt_, gt_=gt_):
            xx = xt_.clone().requires_grad_(need_x)
            ww, bb = wt_.clone().requires_grad_(), bt_.clone().requires_grad_()
            torch.nn.functional.conv2d(xx, ww, bb, padding=pad).backward(gt_)

        def by_hand(x=x, w=w, b=b, g=g, pad=pad, need_x=need_x, cout=cout):
            cols, _ = _im2col(x.transpose(1, 0, 2, 3), 5, pad)
            wm = w.reshape(cout, -1)
            wm @ cols + b[:, None]
            gm = g.transpose(1, 0, 2, 3).reshape(cout, -1)
            gm @ cols.T, gm.sum(1)
            if need_x:
                _col2im(wm.T @ gm, x.transpose(1, 0, 2, 3).shape, 5, pad)

        out.append((name, {"chainrule": ours, "torch": theirs, "numpy": by_hand}))
    return out


def _median_time(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def memory_child(name: str, steps: int) -> dict:
    """Run in a fresh process: peak memory of `steps` steps of one version."""
    import tracemalloc

    state = initial_state()
    x, y = data(steps * BATCH if steps * BATCH <= 6400 else 6400, np.float32)
    step, _ = VERSIONS[name](state, np.float32)
    # A warm-up step on a batch of 2 does the libraries' lazy set-up (kernels, caches)
    # with next to no data, so the growth measured next is the steps' own memory.
    step(x[:2], y[:2])
    rss0 = _rss("VmRSS")
    _reset_peak()
    if name == "chainrule":
        tracemalloc.start()
    for i in range(steps):
        s = (i * BATCH) % (len(x) - BATCH)
        step(x[s : s + BATCH], y[s : s + BATCH])
    traced = tracemalloc.get_traced_memory()[1] if name == "chainrule" else None
    return {"rss_growth": _rss("VmHWM") - rss0, "tracemalloc_peak": traced}


def _rss(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


def memory(steps: int) -> dict:
    out = {}
    for name in ("chainrule", "torch"):
        cmd = [sys.executable, os.path.abspath(__file__), "--memory-child", name, "--steps", str(steps)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        out[name] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a smoke run: 2 rounds of 3 steps, no epoch")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--no-epoch", action="store_true")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, args.steps)))
        return 0
    rounds, steps = (2, 3) if args.quick else (args.rounds, args.steps)
    dtype = np.float32
    state = initial_state(dtype)
    x, y = data(max(steps, 8) * BATCH, dtype)
    names = list(VERSIONS)
    steppers = {n: VERSIONS[n](state, dtype)[0] for n in names}
    for n in names:
        steppers[n](x[:BATCH], y[:BATCH])  # warm-up
    results = {n: [] for n in names}
    for r in range(rounds):
        for n in names[r % 3 :] + names[: r % 3]:
            results[n].append(time_steps(steppers[n], x, y, steps))
    med = {n: statistics.median(v) for n, v in results.items()}
    print(f"LeNet-5 SGD step, batch {BATCH}, float32, {THREADS} thread(s); median of {rounds} rounds:")
    for n in names:
        print(f"  {n:10s} {med[n] * 1e3:7.2f} ms")
    rt, rn = med["chainrule"] / med["torch"], med["chainrule"] / med["numpy"]
    print(f"  chainrule / torch  {rt:.2f}x (target <= {TARGET_TORCH})")
    print(f"  chainrule / numpy  {rn:.2f}x (target <= {TARGET_NUMPY})")
    print(f"  numpy / torch      {med['numpy'] / med['torch']:.2f}x")

    print("Each conv layer, forward + backward alone (median ms):")
    for name, fns in layer_versions(dtype):
        times = {n: [] for n in fns}
        for _ in range(rounds):
            for n, fn in fns.items():
                fn()
                times[n].append(_median_time(fn, max(3, steps // 3)))
        m = {n: statistics.median(v) for n, v in times.items()}
        print(
            f"  {name}: chainrule {m['chainrule'] * 1e3:.2f}, torch {m['torch'] * 1e3:.2f}, numpy "
            f"{m['numpy'] * 1e3:.2f}; chainrule/torch {m['chainrule'] / m['torch']:.2f}x, "
            f"chainrule/numpy {m['chainrule'] / m['numpy']:.2f}x"
        )

    if not (args.quick or args.no_epoch):
        xe, ye = data(60000, dtype, seed=1)
        print("One epoch (60,000 images, 938 steps), wall time:")
        for n in names:
            t = time.perf_counter()
            for s in range(0, 60000, BATCH):
                steppers[n](xe[s : s + BATCH], ye[s : s + BATCH])
            print(f"  {n:10s} {time.perf_counter() - t:6.1f} s")

    if not args.no_memory:
        mem_steps = 5 if args.quick else 100
        m = memory(mem_steps)
        ours, theirs = m["chainrule"], m["torch"]
        mb = 1 / 2**20
        print(f"Peak memory of {mem_steps} steps:")
        print(f"  chainrule tracemalloc peak {ours['tracemalloc_peak'] * mb:.1f} MB")
        grow = ours["rss_growth"] * mb, theirs["rss_growth"] * mb
        print(f"  RSS growth after a warm-up on 2 images: chainrule {grow[0]:.1f} MB, torch {grow[1]:.1f} MB")
        if theirs["rss_growth"] > 0:
            print(f"  RSS ratio {ours['rss_growth'] / theirs['rss_growth']:.2f}x (target <= {TARGET_MEMORY})")
            print(f"  tracemalloc / torch RSS {ours['tracemalloc_peak'] / theirs['rss_growth']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
