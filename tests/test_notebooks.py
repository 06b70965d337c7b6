"""Run every notebook in notebooks/ top to bottom, one test per notebook.

Each notebook ends with cells that assert its headline numbers, so running it is its
test. The kernel starts in notebooks/ (as `jupyter lab notebooks/` would) with the
repository root on PYTHONPATH, so the working tree's autograd and nn are the ones
imported. A failure names the cell and shows its source and its error.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from tests.notebook_runner import CELL_TIMEOUT, cached, execute, notebooks  # noqa: E402

NOTEBOOKS = notebooks()
STREAM_LINES = 20
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _error_text(cell, exc: Exception) -> str:
    """The error as the notebook shows it: the cell's error output, else the exception."""
    for output in (cell or {}).get("outputs", []):
        if output.get("output_type") == "error":
            return "\n".join(output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"])
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    return f"{ename}: {evalue}" if ename else f"{type(exc).__name__}: {exc}"


def _report(path: Path, nb, current: dict, error: str) -> str:
    cell, index = current.get("cell"), current.get("index")
    if cell is None:
        return f"{path.name}: {ANSI.sub('', error).strip()}"
    numbered = "\n".join(f"{n:4d} | {line}" for n, line in enumerate(cell.get("source", "").splitlines(), 1))
    printed = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    printed = "\n".join(printed.rstrip().splitlines()[-STREAM_LINES:])
    report = f"{path.name}: cell {index + 1} of {len(nb.cells)} failed\n---- cell source ----\n{numbered}\n"
    if printed:
        report += f"---- what the cell printed (last {STREAM_LINES} lines at most) ----\n{printed}\n"
    return report + f"---- error ----\n{ANSI.sub('', error).strip()}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path) -> None:
    if cached(path) is not None:
        print(f"{path.name}: ran clean from this very source before (executed copy in out/notebooks/)")
        return
    nb = nbformat.read(path, as_version=4)
    current: dict = {}

    def remember(cell, cell_index, **_):
        current.update(cell=cell, index=cell_index)

    start = time.perf_counter()
    failure = None
    try:
        execute(path, on_cell_execute=remember)
    except nbclient.exceptions.CellTimeoutError:
        failure = f"timed out after {CELL_TIMEOUT} s (CELL_TIMEOUT in tests/notebook_runner.py)"
    except Exception as exc:  # the cell's own error, a dead kernel, a kernel that would not start
        failure = _error_text(current.get("cell"), exc)
    if failure is not None:  # failed outside the except block, so the report is not chained to the traceback
        pytest.fail(_report(path, nb, current, failure), pytrace=False)
    print(f"{path.name}: ran in {time.perf_counter() - start:.1f} s")
