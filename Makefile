# Two entry points that work on a fresh machine with only python3, pip and make:
#   make demo   solve Taxi-v3 exactly, print the optimal mean return, show one solved episode
#   make test   run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench bench-peers docs clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,graph,plot,distributed,docs,lp]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/python -m rlfoundations solve Taxi-v3 --show-episode

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check .

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_planning.py
	$(BIN)/python benchmarks/bench_learning.py

docs: $(BIN)/.installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# Peer libraries (the bench extra, plus bettermdptools without its numpy<2 / gymnasium<1.4 pins),
# then one run of benchmarks/bench_peers.py and of benchmarks/bench_yardsticks.py (each learner
# against a minimal hand-written loop of it); ARGS=--quick for a short smoke run.
bench-peers: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m pip install --quiet --no-deps 'bettermdptools==0.9.0'
	$(BIN)/python benchmarks/bench_peers.py $(ARGS)
	$(BIN)/python benchmarks/bench_yardsticks.py $(filter --quick --no-busy,$(ARGS))

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
