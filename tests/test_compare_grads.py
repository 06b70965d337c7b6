"""compare_grads: hand-derived gradients against the engine's, as the tutorials compare them."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import GradcheckError, Tensor, Value, compare_grads


def trained_linear():
    nn.manual_seed(0)
    m = nn.Linear(3, 2, dtype=np.float64)
    x = Tensor(np.arange(12.0).reshape(4, 3))
    (m(x) ** 2).sum().backward()
    # the numpy backward of sum((x W^T + b)^2): dy = 2 y, dW = dy^T x, db = dy.sum(0)
    y = x.data @ m.weight.data.T + m.bias.data
    return m, {"weight": (2 * y).T @ x.data, "bias": (2 * y).sum(0)}


def test_named_parameters_match_a_numpy_backward_and_the_table_is_printed(capsys):
    m, expected = trained_linear()
    rows = compare_grads(expected, m.named_parameters())
    assert [r["name"] for r in rows] == ["weight", "bias"] and all(r["ok"] for r in rows)
    out = capsys.readouterr().out
    assert "max abs diff" in out and "weight" in out and "bias" in out


def test_a_wrong_element_is_named_with_both_values_and_the_count():
    m, expected = trained_linear()
    expected["weight"][1, 2] += 0.5
    with pytest.raises(GradcheckError, match=r"'weight', element \(1, 2\): expected .* 1 of 6 elements"):
        compare_grads(expected, m.named_parameters(), verbose=False)


def test_lists_with_names_dicts_with_a_name_map_and_a_transposed_hint():
    m, expected = trained_linear()
    compare_grads([expected["weight"], expected["bias"]], [m.weight, m.bias], names=["W", "b"], verbose=False)
    named = m.named_parameters()
    rows = compare_grads({"W1": expected["weight"]}, named, names={"W1": "weight"}, verbose=False)
    assert rows[0]["name"] == "W1"
    with pytest.raises(ValueError, match="transpose"):
        compare_grads({"W1": expected["weight"].T}, m.named_parameters(), names={"W1": "weight"})


def test_values_and_missing_grads():
    a = Value(2.0)
    (a * a).backward()
    compare_grads([4.0], [a], verbose=False)
    with pytest.raises(ValueError, match="no .grad"):
        compare_grads([np.zeros(2)], [Tensor(np.zeros(2), requires_grad=True)], verbose=False)
