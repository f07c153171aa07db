# credgraph — every target sets itself up: a fresh machine needs only python3.
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
STORE   ?= demo/credgraph.db
DEMO_N  ?= 2000
BENCH_N ?= 100000

.PHONY: setup demo test lint typecheck pytest bench clean node_modules

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy credgraph queries graph_loader api viz

# Neo4j's Cypher language tooling for the offline Cypher lint test.
NODE_STAMP := node_modules/.installed

$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

node_modules: $(NODE_STAMP)

pytest: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest

test: lint typecheck pytest

demo: $(STAMP)
	$(VENV)/bin/credgraph demo --enterprises $(DEMO_N) --store $(STORE)

bench: $(STAMP)
	$(VENV)/bin/credgraph bench --enterprises $(BENCH_N)

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
