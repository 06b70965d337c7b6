"""MkDocs hook: the notebooks as pages, executed at build time, once per change.

Before the pages are collected, every notebook in notebooks/ is run top to bottom (or its
kept executed copy reused, while the notebook, autograd/, nn/ and the library versions are
unchanged: see tests/notebook_runner.py, shared with the test suite) and the executed copy
is put in docs/notebooks/ (git-ignored), where mkdocs-jupyter renders it with its outputs:
every graph, player and plot as the code drew it. A cell that fails fails the build.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "docs" / "notebooks"
sys.path.insert(0, str(ROOT))  # mkdocs restores sys.path once the hook is loaded

from tests import notebook_runner  # noqa: E402

# The pages' executed examples run in this process: BLAS on one thread, as the notebooks
# (set before numpy is first imported; the Makefile sets it too).
for _name, _value in notebook_runner.BLAS_THREADS.items():
    os.environ.setdefault(_name, _value)

log = logging.getLogger("mkdocs.hooks.notebooks")


def on_config(config):
    # For the whole build: this tree's autograd and nn, and docs_display (what the
    # executed examples of the Markdown pages print to show a picture).
    for path in (ROOT / "docs" / "hooks", ROOT):
        if str(path) not in sys.path[:2]:
            sys.path.insert(0, str(path))
    return config


def on_pre_build(config) -> None:
    PAGES.mkdir(exist_ok=True)
    sources = notebook_runner.notebooks()
    for stale in set(PAGES.glob("*.ipynb")) - {PAGES / p.name for p in sources}:
        stale.unlink()  # a notebook that was removed or renamed
    for path in sources:
        start = time.perf_counter()
        reused = notebook_runner.cached(path) is not None
        if not reused:
            log.info("running %s", path.name)
            notebook_runner.execute(path)
        shutil.copyfile(notebook_runner.executed_path(path), PAGES / path.name)
        how = "reused its executed copy" if reused else f"ran in {time.perf_counter() - start:.0f} s"
        log.info("notebook %s: %s", path.name, how)
