"""The drivers of tests/test_tensor_ops.py (forward vs numpy, float32, gradcheck,
gradgradcheck, PyTorch values, gradients and second order) over the rows of
tests/tensor_op_table_surface.py, plus forward checks of the ops without a gradient."""

from __future__ import annotations

import pytest

from tests import test_tensor_ops as drivers
from tests.tensor_op_table_surface import IDS, OPS, sample

SECOND = [op for op in OPS if op.second_order]
SECOND_IDS = [op.name for op in SECOND]


@pytest.fixture(autouse=True)
def _surface_domains(monkeypatch):
    monkeypatch.setattr(drivers, "sample", sample)  # the drivers draw inputs with our domains


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_forward_matches_numpy(op):
    drivers.test_forward_matches_numpy(op)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_float32_stays_float32(op):
    drivers.test_float32_stays_float32(op)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_gradcheck(op):
    drivers.test_gradcheck(op)


@pytest.mark.parametrize("op", SECOND, ids=SECOND_IDS)
def test_gradgradcheck(op):
    drivers.test_gradgradcheck(op)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_matches_torch_values_and_gradients(op):
    drivers.test_matches_torch_values_and_gradients(op)


@pytest.mark.parametrize("op", SECOND, ids=SECOND_IDS)
def test_matches_torch_second_order(op):
    drivers.test_matches_torch_second_order(op)
