"""README's first example runs and prints what its comments say (checked against math)."""

from __future__ import annotations

import contextlib
import io
import math
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_starts_with_exactly_two_commands():
    first = re.match(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert first, "README must start with the set-up commands"
    commands = [line.split("#")[0].strip() for line in first.group(1).splitlines()]
    assert commands == ["make demo", "make test"]


def test_first_example_prints_tanh_and_its_gradients():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(python_blocks()[0], {})
    c, da, db = map(float, out.getvalue().split())
    t = math.tanh(2.0 * -3.0 + 2.0**2)  # c = tanh(a b + a^2) at a = 2, b = -3
    assert c == math.tanh(-2.0) == t
    assert da == pytest.approx((1 - t * t) * (-3.0 + 2 * 2.0), rel=1e-12)  # (1 - c^2)(b + 2a)
    assert db == pytest.approx((1 - t * t) * 2.0, rel=1e-12)  # dc/db = (1 - c^2) a
    assert "-0.96403, 0.07065, 0.14130" in python_blocks()[0]  # the comment says the same
    assert (round(c, 5), round(da, 5), round(db, 5)) == (-0.96403, 0.07065, 0.1413)
