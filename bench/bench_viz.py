"""Time draw_graph plus graphviz's dot, to SVG, on big scalar graphs.

Graphs: micrograd's demo MLP(2, [16, 16, 1]) on one sample (SVM max-margin loss plus 1e-4
L2 over all 337 parameters, as in micrograd's demo), and a graph of over 2,000 nodes (the
same MLP's data loss over three samples, no regulariser). Each is drawn four ways: as
draw_graph draws it by default (boxes per module past max_nodes=150, with `model=`),
without names (boxes found from the graph's shape: `16 alike blocks` per layer), the
backward view, and in full (max_nodes=None: every node, distant uses of a leaf drawn again beside the use).
"build" is draw_graph itself (reading the graph, replaying gradients, writing DOT), "dot"
is `Graph.pipe(format="svg")`. Median of several runs. Past 500 drawn nodes each op is
drawn as a cell of the node it makes (half the shapes for dot to place).

Recorded on the development machine (2 CPUs shared with other jobs, graphviz 2.43):

    micrograd demo MLP, one sample, hinge + L2: 1666 nodes
      default, model= (module boxes)         27 drawn   0.06 s total
      default, no names (alike blocks)       27 drawn   0.05 s
      backward view, model=                  27 drawn   0.07 s
      full, max_nodes=None                 2012 drawn   0.65 s   (4.5 MB of SVG)
    over 2,000 nodes: the same MLP, three samples, hinge: 2284 nodes
      default, model= (module boxes)         39 drawn   0.06 s
      default, no names (alike blocks)       33 drawn   0.06 s
      full, max_nodes=None                 2357 drawn   1.26 s   (5.9 MB of SVG)

`--trace-cost`: what keeping a freed graph drawable costs (issue 13, item 1). The SGD step
of bench/tensor_mlp.py (784-256-128-10 batch 128 and 2-16-16-1 batch 32, float32) and the
MNIST 784-50-10 batch 64 step run interleaved with the engine's trace on and off, in one
process: ratio of median step times, and of tracemalloc peaks over 20 steps.
`--fallback`: render time of the pure-Python SVG picture (grandalf layout) next to dot's.
`--player`: the backprop player of the micrograd demo MLP on one sample: build time, page
size, and its load time in headless chromium (Debian's, through playwright).

Recorded on the development machine (2 CPUs shared with five other jobs, so noisy):

    --trace-cost (trace on / off, same process, interleaved)
      MLP 784-256-128-10 b128   0.99x time  1.004x peak memory
      MLP 784-50-10 b64         1.06x time  1.016x peak memory
      MLP 2-16-16-1 b32         1.18x time  1.22x peak memory  (overhead-bound: why the
                                trace is on by default only in notebooks and consoles)
    --fallback (pure Python vs dot -Tsvg, demo MLP on one sample)
      module boxes (27 drawn)   dot 85 ms   pure Python 46 ms
      a neuron, every node      dot 92 ms   pure Python 51 ms
      every node (2011 drawn)   dot 4.1 s   pure Python 0.6 s (linear sweep; grandalf: 270 s)
    --player (demo MLP on one sample, 1666 nodes, collapsed by module)
      283 frames, build 6.8 s, page 5.1 MB, load in chromium 1.6 s, one step 19 ms
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograd import Value, draw_graph, topological_order  # noqa: E402
from nn.scalar import MLP  # noqa: E402


def demo_loss(model, samples, regularise):
    """micrograd's demo loss: mean SVM max-margin over the samples, plus 1e-4 L2 if asked."""
    losses = []
    for x0, x1, y in samples:
        score = model([Value(x0, label="x0"), Value(x1, label="x1")])
        losses.append((1 + -y * score).relu())
    loss = sum(losses) * (1.0 / len(losses))
    if regularise:
        loss = loss + 1e-4 * sum(p * p for p in model.parameters())
    loss.label = "loss"
    loss.backward()
    return loss


def timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def bench(name, loss, model):
    n = len(topological_order(loss))
    print(f"\n{name}: {n} nodes")
    print(f"  {'drawing':<34}{'drawn':>7}{'build':>9}{'dot':>9}{'total':>9}{'svg':>10}")
    for what, kwargs, repeat in (
        ("default, model= (module boxes)", {"model": model}, 5),
        ("default, no names (alike blocks)", {}, 5),
        ("backward view, model=", {"model": model, "direction": "backward"}, 5),
        ("full, max_nodes=None", {"max_nodes": None}, 3),
    ):
        build, g = timed(lambda kw=kwargs: draw_graph(loss, **kw), repeat)
        dot, svg = timed(lambda g=g: g.pipe(format="svg"), repeat)
        drawn = sum(1 for line in g.source.splitlines() if line.startswith("\t") and " [label=<" in line)
        drawn -= sum(1 for line in g.source.splitlines() if " -> " in line and " [label=<" in line)
        print(f"  {what:<34}{drawn:>7}{build:>8.3f}s{dot:>8.3f}s{build + dot:>8.3f}s{len(svg) / 1e6:>8.2f}MB")


def trace_cost(rounds=200):
    import tracemalloc

    import numpy as np

    from autograd import Tensor, pass_trace
    from bench.tensor_mlp import chainrule_step, init_params, make_data

    print("trace on / off: one SGD step (median of interleaved steps), tracemalloc peak of 20 steps")
    for sizes, batch in (((784, 256, 128, 10), 128), ((784, 50, 10), 64), ((2, 16, 16, 1), 32)):
        x, y = make_data(sizes, batch, np.float32)
        runs = {}
        for keep in (True, False):
            params = [Tensor(p, requires_grad=True) for p in init_params(sizes, np.float32)]
            runs[keep] = params
        times = {True: [], False: []}
        for k in range(rounds):
            for keep in (True, False) if k % 2 else (False, True):
                pass_trace.KEEP_TRACE = keep
                t = time.perf_counter()
                chainrule_step(runs[keep], x, y, 0.01)
                times[keep].append(time.perf_counter() - t)
        peaks = {}
        for keep in (True, False):
            pass_trace.KEEP_TRACE = keep
            tracemalloc.start()
            for _ in range(20):
                loss = chainrule_step(runs[keep], x, y, 0.01)
            peaks[keep] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            del loss
        pass_trace.KEEP_TRACE = True
        on, off = statistics.median(times[True]), statistics.median(times[False])
        print(
            f"  MLP {'-'.join(map(str, sizes))} batch {batch}: {on * 1e6:8.1f} us vs {off * 1e6:8.1f} us "
            f"= {on / off:.3f}x time, peak {peaks[True] / 1e6:.2f} MB vs {peaks[False] / 1e6:.2f} MB "
            f"= {peaks[True] / peaks[False]:.3f}x memory"
        )


def fallback_cost():
    from autograd.viz import svg

    sample = [(1.0, -0.5, 1)]
    model = MLP(2, [16, 16, 1], seed=1)
    loss = demo_loss(model, sample, True)
    print("pure-Python SVG (grandalf) vs dot -Tsvg, the micrograd demo MLP on one sample")
    for what, kwargs in (("module boxes", {"model": model}), ("neuron, full", None)):
        if kwargs is None:
            n = MLP(2, [1], seed=3)
            root = n([Value(1.0, label="x0"), Value(-2.0, label="x1")])
            root.backward()
            g = draw_graph(root)
        else:
            g = draw_graph(loss, **kwargs)
        t_dot, _ = timed(lambda g=g: g.pipe(format="svg"), 5)
        t_py, _ = timed(lambda g=g: svg.render(g), 5)
        print(f"  {what:<16} dot {t_dot * 1e3:7.1f} ms   pure Python {t_py * 1e3:7.1f} ms")
    g = draw_graph(loss, max_nodes=400)
    t_dot, _ = timed(lambda g=g: g.pipe(format="svg"), 3)
    t_py, _ = timed(lambda g=g: svg.render(g), 3)
    print(f"  {'max_nodes=400':<16} dot {t_dot * 1e3:7.1f} ms   pure Python {t_py * 1e3:7.1f} ms")


def player_cost():
    import shutil as _shutil
    import tempfile

    from playwright.sync_api import sync_playwright

    from autograd.viz import player

    model = MLP(2, [16, 16, 1], seed=1)
    loss = demo_loss(model, [(1.0, -0.5, 1)], True)
    t = time.perf_counter()
    p = player(loss, model=model)
    build = time.perf_counter() - t
    tmp = Path(tempfile.mkdtemp())
    path = p.save(tmp / "mlp.html")
    size = path.stat().st_size
    print(f"micrograd demo MLP, one sample: {len(topological_order(loss))} nodes, {len(p)} frames")
    print(f"  build {build:.1f} s, page {size / 1e6:.2f} MB")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp / "profile"), executable_path=_shutil.which("chromium"), args=flags, headless=True
        )
        page = ctx.new_page()
        loads, steps = [], []
        for _ in range(3):
            t = time.perf_counter()
            page.goto(path.resolve().as_uri())
            page.wait_for_function("document.querySelector('.crp').dataset.frame === '0'")
            loads.append(time.perf_counter() - t)
            page.focus(".crp")
            t = time.perf_counter()
            for _ in range(20):
                page.keyboard.press("ArrowRight")
            page.wait_for_function("document.querySelector('.crp').dataset.frame === '20'")
            steps.append((time.perf_counter() - t) / 20)
        ctx.close()
    load, step = statistics.median(loads), statistics.median(steps)
    print(f"  load in chromium {load:.2f} s (median of 3), one step {step * 1e3:.0f} ms")
    _shutil.rmtree(tmp)


def main():
    if "--player" in sys.argv:
        return player_cost()
    if "--trace-cost" in sys.argv:
        return trace_cost()
    if "--fallback" in sys.argv:
        return fallback_cost()
    if shutil.which("dot") is None:
        print("graphviz's dot is not installed: apt-get install graphviz")
        return 1
    sample = [(1.0, -0.5, 1)]
    model = MLP(2, [16, 16, 1], seed=1)
    bench("micrograd demo MLP, one sample, hinge + L2", demo_loss(model, sample, True), model)
    three = [(1.0, -0.5, 1), (-0.3, 0.8, -1), (0.4, 0.1, 1)]
    model = MLP(2, [16, 16, 1], seed=2)
    bench("over 2,000 nodes: the same MLP, three samples, hinge", demo_loss(model, three, False), model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
