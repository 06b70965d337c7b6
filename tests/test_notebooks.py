"""Run every notebook in notebooks/ top to bottom, one test per notebook.

Each notebook ends with cells that assert its headline numbers, so running it is its
test. The kernel starts in notebooks/ (as `jupyter lab notebooks/` would) with the
repository root on PYTHONPATH, so the working tree's autograd and nn are the ones
imported. A failure names the cell and shows its source and its error.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL = "python3"
CELL_TIMEOUT = 900  # seconds; generous, as a cell may train a network on MNIST
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
def test_notebook_runs_top_to_bottom(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(path.parent)}},
    )
    current: dict = {}

    def remember(cell, cell_index, **_):
        current.update(cell=cell, index=cell_index)

    client.on_cell_execute = remember
    start = time.perf_counter()
    failure = None
    try:
        client.execute()
    except nbclient.exceptions.CellTimeoutError:
        failure = f"timed out after {CELL_TIMEOUT} s (CELL_TIMEOUT in {Path(__file__).name})"
    except Exception as exc:  # the cell's own error, a dead kernel, a kernel that would not start
        failure = _error_text(current.get("cell"), exc)
    if failure is not None:  # failed outside the except block, so the report is not chained to the traceback
        pytest.fail(_report(path, nb, current, failure), pytrace=False)
    print(f"{path.name}: ran in {time.perf_counter() - start:.1f} s")
