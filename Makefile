# Set-up and entry points. `make demo` and `make test` do everything on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo scalar-demo cnn-demo test lint install dot chromium bench lab clean docs

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,notebooks,docs]"
	touch $@

install: $(STAMP)

# Debian's graphviz gives the `dot` binary that renders pictures.
dot:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq graphviz >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq graphviz >/dev/null; \
	  else echo "graphviz's dot is missing and this user cannot apt-get install it: run 'apt-get install graphviz' as root (macOS: brew install graphviz)"; exit 1; fi; }

# Debian's chromium: the player's browser tests drive it with playwright (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing and this user cannot apt-get install it: the player's browser tests will be skipped"; fi; }

demo: install dot
	$(PY) examples/mnist_demo.py

scalar-demo: install dot
	$(PY) examples/scalar_demo.py

# LeNet-5 on the real MNIST (about 99.2% test accuracy in 5 epochs)
cnn-demo: install dot
	$(PY) examples/cnn_demo.py

# Jupyter Lab on the notebooks (installed on first use: it is large and the tests do not need it).
lab: install
	$(PY) -m pip install --quiet jupyterlab
	$(VENV)/bin/jupyter lab notebooks/

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The documentation site, strict, into site/ (open site/index.html). Runs each notebook
# that changed since its last run (tests/notebook_runner.py keeps the executed copies).
docs: install dot
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

test: install dot chromium lint docs
	$(PY) -m pytest -q

bench: install
	$(PY) -m pip install --quiet -e ".[bench]" torch==2.13.0
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) out site .pytest_cache .hypothesis docs/notebooks/*.ipynb
