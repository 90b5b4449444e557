# Two entry points (see README): `make demo` runs the main job end to end, `make test` the test suite.
# Both build the virtual environment first; it is rebuilt when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# LEAN's sample data: ../shared/lean-data beside the workspace, else data/ when it holds SPY.
LEAN_DATA_FOLDER ?= $(shell if [ -d ../shared/lean-data/equity ]; then cd ../shared/lean-data && pwd; \
	elif [ -f data/equity/usa/daily/spy.zip ]; then cd data && pwd; fi)
export LEAN_DATA_FOLDER

.PHONY: demo test lint typecheck bench bench-peers clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (LEAN runs 3.11), found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

demo: $(BIN)/.installed
	$(BIN)/lean-local demo

lint: $(BIN)/.installed
	$(BIN)/ruff check .

# One mypy run per project: every project has its own main.py, as LEAN expects.
typecheck: $(BIN)/.installed
	@for project in algorithms/*/; do echo "mypy $${project}main.py"; $(BIN)/mypy "$${project}main.py" || exit 1; done

# The report's browser test needs Debian's chromium: when it is missing and we are root, the script says
# so and installs it with apt-get (NO_SYSTEM_PACKAGES=1 skips that; the browser test then skips).
# -rs lists every skipped test with its reason.
test: lint typecheck
	@tools/install-chromium.sh
	$(BIN)/python -m pytest -n 2 --dist loadfile -rs

# Speed and memory against the named peers (pykalman, backtrader, zipline-reloaded, nautilus_trader) and
# budgets; not part of `make test`. A peer whose environment cannot be built is skipped with a message.
bench: $(BIN)/.installed
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	@$(MAKE) --no-print-directory bench-peers || echo "bench-peers failed: the benchmarks skip those peers"
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python "$$script" || exit 1; done

# zipline-reloaded and nautilus_trader pin their own dependency trees: each gets a venv of its own from
# benchmarks/peers/requirements-<peer>.txt, rebuilt when that file changes.
PEERS := benchmarks/peers
bench-peers: $(PEERS)/.venv-zipline/.installed $(PEERS)/.venv-nautilus/.installed

$(PEERS)/.venv-%/.installed: $(PEERS)/requirements-%.txt
	rm -rf $(PEERS)/.venv-$*
	$(PYTHON) -m venv $(PEERS)/.venv-$*
	$(PEERS)/.venv-$*/bin/pip install --quiet -r $<
	touch $@

clean:
	rm -rf $(VENV) $(PEERS)/.venv-* .pytest_cache .mypy_cache .ruff_cache
