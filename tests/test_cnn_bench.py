"""bench/bench_cnn.py: its three LeNet-5 steps compute the same thing, and a smoke run
prints every figure (no timing is asserted)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.bench_module import load_bench


@pytest.fixture(scope="module")
def bench():
    return load_bench("bench_cnn")


def _agree(first, a, b, rtol):
    (la, wa), (lb, wb) = first[a], first[b]
    np.testing.assert_allclose(la, lb, rtol=rtol)
    assert list(wa) == list(wb) or set(wa) == set(wb)
    for key in wa:
        np.testing.assert_allclose(wa[key], wb[key], rtol=rtol, atol=rtol, err_msg=key)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 2e-4)])
def test_chainrule_two_steps_match_hand_written_numpy(bench, dtype, rtol):
    first = bench.first_step(dtype, ["numpy", "chainrule"])
    _agree(first, "numpy", "chainrule", rtol)
    assert all(v.dtype == dtype for v in first["chainrule"][1].values())


def test_torch_two_steps_match_too(bench):
    pytest.importorskip("torch")
    first = bench.first_step(np.float64, ["numpy", "torch"])
    _agree(first, "numpy", "torch", 1e-10)


def test_smoke_run_prints_every_figure(bench, capsys):
    pytest.importorskip("torch")
    assert bench.main(["--quick", "--no-memory"]) == 0
    out = capsys.readouterr().out
    for text in ("chainrule / torch", "chainrule / numpy", "conv1: chainrule", "conv2: chainrule"):
        assert text in out


def test_memory_child_reports_peaks(bench):
    m = bench.memory_child("chainrule", 2)
    assert m["tracemalloc_peak"] > 1e6 and m["rss_growth"] >= 0
