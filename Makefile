# Two entry points that work on a fresh machine with only python3, pip and make:
#   make demo   solve Taxi-v3 exactly, print the optimal mean return, show one solved episode
#               (installs the package alone, no extras)
#   make test   run the test suite (installs the extras the tests need), without the tests
#               marked slow and with fewer hypothesis examples (make test-all runs everything)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_EXTRAS := dev,graph,plot,distributed,docs,lp,data,notebooks,test-envs

.PHONY: demo test test-slow test-all ci lint bench bench-peers docs notebooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The demo needs the package alone (numpy, numba, gymnasium): a newcomer's first command
# installs nothing else. The tests, docs and plots need the extras.
$(BIN)/.installed-core: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(BIN)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[$(TEST_EXTRAS)]'
	touch $@ $(BIN)/.installed-core

demo: $(BIN)/.installed-core
	$(BIN)/python -m rlfoundations solve Taxi-v3 --show-episode

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

# What make test leaves out: the tests marked slow, and every property test again at the full
# count of examples its decorator names (the thorough hypothesis profile, tests/conftest.py).
# make test and make test-slow together are the complete suite (CI runs both).
test-slow: $(BIN)/.installed
	HYPOTHESIS_PROFILE=thorough $(BIN)/python -m pytest -q -m "slow or hypothesis"

# The complete suite in one run: every test, property tests at full count.
test-all: $(BIN)/.installed
	HYPOTHESIS_PROFILE=thorough $(BIN)/python -m pytest -q -m ""

# What CI runs: the suite, the wheel installed as users install it, the lowest versions.
ci:
	bash .ci/run

# ruff (with the numpy docstring rules) and mypy, as configured in pyproject.toml.
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_planning.py
	$(BIN)/python benchmarks/bench_learning.py

docs: $(BIN)/.installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# Refresh the tutorial notebooks from their pages with Python in them (docs/jupytext.toml).
notebooks: $(BIN)/.installed
	cd docs && ../$(BIN)/jupytext --sync $$(grep -l '^```python' tutorial/*.md)

# Peer libraries (the bench extra, plus bettermdptools without its numpy<2 / gymnasium<1.4 pins),
# then one run of benchmarks/bench_peers.py and of benchmarks/bench_yardsticks.py (each learner
# against a minimal hand-written loop of it); ARGS=--quick for a short smoke run.
bench-peers: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m pip install --quiet --no-deps 'bettermdptools==0.9.0'
	$(BIN)/python benchmarks/bench_peers.py $(ARGS)
	$(BIN)/python benchmarks/bench_yardsticks.py $(filter --quick --no-busy,$(ARGS))

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis rlfoundations/_kernels/__pycache__ $${XDG_CACHE_HOME:-$$HOME/.cache}/rlfoundations $${TMPDIR:-/tmp}/rlfoundations-numba-$$(id -u)
