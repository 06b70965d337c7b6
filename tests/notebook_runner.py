"""Run a notebook top to bottom once per change, and keep the executed copy.

The test suite (tests/test_notebooks.py) and the documentation site (docs/hooks/
notebooks.py, which shows every notebook with its outputs) both need each notebook run;
the MNIST ones take minutes, so they share one run. An executed copy is reused only while
everything the run depended on is unchanged: the notebook itself, every Python file of
autograd/ and nn/, and the versions of Python and of the libraries the notebooks import.
Only a run that went top to bottom without an error is kept. Set
CHAINRULE_FRESH_NOTEBOOKS=1 to run every notebook again regardless.

The kernel starts in notebooks/ (as `jupyter lab notebooks/` would) with the repository
root first on PYTHONPATH, so the working tree's autograd and nn are the ones imported,
and with BLAS on one thread unless the environment says otherwise: for these small
matrices threads cost more than they give, and on a busy 2-core machine far more (five
MNIST epochs: 7 s on one thread, minutes with OpenBLAS's default threads under load).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
EXECUTED_DIR = ROOT / "out" / "notebooks"  # git-ignored
KERNEL = "python3"
CELL_TIMEOUT = 900  # seconds; generous, as a cell may train a network on MNIST
_SOURCES = ("autograd", "nn")
_LIBRARIES = ("numpy", "matplotlib", "scikit-learn", "graphviz", "nbclient", "ipykernel")
_KEY = "chainrule_run_key"  # where an executed copy records what it was run from


def notebooks() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def run_key(path: Path) -> str:
    """A digest of everything a run of the notebook at `path` depends on."""
    h = hashlib.sha256()
    h.update(path.read_bytes())
    for package in _SOURCES:
        for f in sorted((ROOT / package).rglob("*.py")):
            h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes())
    h.update(sys.version.encode())
    for name in _LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            h.update(f"{name}=={metadata.version(name)}".encode())
    return h.hexdigest()


def executed_path(path: Path) -> Path:
    return EXECUTED_DIR / path.name


def cached(path: Path):
    """The kept executed copy of the notebook, if it was run from what is there now."""
    import nbformat

    copy = executed_path(path)
    if os.environ.get("CHAINRULE_FRESH_NOTEBOOKS") or not copy.exists():
        return None
    try:
        nb = nbformat.read(copy, as_version=4)
    except (OSError, ValueError, json.JSONDecodeError):
        return None
    return nb if nb.metadata.get(_KEY) == run_key(path) else None


def execute(path: Path, on_cell_execute=None):
    """Run the notebook top to bottom (nbclient raises at the first failing cell) and keep
    the executed copy. `on_cell_execute(cell=, cell_index=)` is called before each cell."""
    import nbclient
    import nbformat

    key = run_key(path)  # before the run: a file edited meanwhile must not get this key
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name=KERNEL, resources={"metadata": {"path": str(path.parent)}}
    )
    if on_cell_execute is not None:
        client.on_cell_execute = on_cell_execute
    with _kernel_env():
        client.execute()
    nb.metadata[_KEY] = key
    EXECUTED_DIR.mkdir(parents=True, exist_ok=True)
    tmp = executed_path(path).with_suffix(f".{os.getpid()}.tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, executed_path(path))  # whole or not at all, also with two runs at once
    return nb


def executed(path: Path):
    """The executed notebook: the kept copy when it is current, else a fresh run."""
    return cached(path) or execute(path)


BLAS_THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@contextlib.contextmanager
def _kernel_env():
    """The environment a kernel starts with (it inherits this process's)."""
    old = dict(os.environ)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), old.get("PYTHONPATH")]))
    for name, value in BLAS_THREADS.items():
        os.environ.setdefault(name, value)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(old)
