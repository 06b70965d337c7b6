"""The MLP benchmark's three versions of one SGD step compute the same thing (no timing here)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.bench_module import load_bench


@pytest.fixture(scope="module")
def bench():
    return load_bench("tensor_mlp")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("net", ["small", "big"])
def test_chainrule_step_matches_hand_written_numpy(bench, net, dtype):
    sizes, batch = (bench.SMALL, 32) if net == "small" else (bench.BIG, 16)
    first = bench.first_step(sizes, batch, dtype, ["numpy", "chainrule"])
    bench._agree(first, None, dtype)
    assert first["chainrule"][1].dtype == np.dtype(dtype)


def test_torch_step_matches_too(bench):
    pytest.importorskip("torch")
    first = bench.first_step(bench.SMALL, 32, "float64", ["numpy", "torch"])
    loss, w = first["torch"]
    bench._agree(
        {"numpy": first["numpy"], "chainrule": first["numpy"]},
        {"loss": loss, "w_sum": float(np.abs(w).sum())},
        "float64",
    )
