# credgraph — every target sets itself up: a fresh machine needs only python3.
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
STORE   ?= demo/credgraph.db
DEMO_N  ?= 2000
BENCH_N ?= 100000

.PHONY: setup demo test lint typecheck pytest bench clean node_modules chromium neo4j-up neo4j-down locale

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Translations (DESIGN §12): the .po is the source, the compiled .mo is
# committed too (a wheel or the Docker image needs no build step) and rebuilt
# here whenever the .po changes; a test checks that both agree.
LOCALE_PO := credgraph/locale/zh_CN/LC_MESSAGES/credgraph.po
LOCALE_MO := $(LOCALE_PO:.po=.mo)

$(LOCALE_MO): $(LOCALE_PO) $(STAMP)
	$(VENV)/bin/pybabel -q compile -d credgraph/locale -D credgraph
	touch $(LOCALE_MO)

# After changing user-visible words in Python or the report template:
# extract them, merge into the .po (then translate the new empty entries) and compile.
locale: $(STAMP)
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k N_ -k T_:1c,2 -k gettext --no-location \
		--omit-header -o credgraph/locale/credgraph.pot credgraph queries cli viz api
	$(VENV)/bin/pybabel -q update -i credgraph/locale/credgraph.pot -d credgraph/locale \
		-D credgraph -l zh_CN --no-fuzzy-matching --ignore-obsolete -w 100
	$(VENV)/bin/pybabel -q compile -d credgraph/locale -D credgraph

setup: $(STAMP) $(LOCALE_MO)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy credgraph queries graph_loader api cli bench viz

# Neo4j's Cypher language tooling for the offline Cypher lint test.
NODE_STAMP := node_modules/.installed

$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

node_modules: $(NODE_STAMP)

# Headless Chromium (Debian's package, never a browser download), a CJK
# font for the real-browser tests, and docker-compose to check the compose file
# offline. Without root or apt: warn, and those tests skip.
chromium:
	@if [ ! -x /usr/bin/chromium ] || [ -z "$$(fc-list :lang=zh 2>/dev/null)" ] \
		|| ! command -v docker-compose >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && apt-get update -qq \
			&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei docker-compose; then \
			echo "chromium, a CJK font and docker-compose (offline compose-file check) installed"; \
		else \
			echo "WARNING: chromium, a CJK font or docker-compose is missing and could not be installed; browser and compose tests will skip" >&2; \
		fi; \
	fi

# A local Neo4j 5 (Neo4j's own engine through Maven, neo4j/pom.xml; no Docker):
# 127.0.0.1, a free Bolt port, an empty database; its URI in .neo4j/uri.
neo4j-up:
	@neo4j/ctl.sh up

neo4j-down:
	@neo4j/ctl.sh down

# The whole suite on both backends: a live Neo4j for the run, stopped even when
# tests fail. Without Java the Neo4j tests skip, saying so.
pytest: $(STAMP) $(LOCALE_MO) $(NODE_STAMP) chromium
	@if command -v java >/dev/null 2>&1; then \
		trap 'neo4j/ctl.sh down' EXIT INT TERM; \
		neo4j/ctl.sh up || exit 1; \
		eval "$$(neo4j/ctl.sh env)" && $(PY) -m pytest; \
	else \
		echo "WARNING: java not found: the Neo4j tests will skip" >&2; \
		$(PY) -m pytest; \
	fi

test: lint typecheck pytest

demo: $(STAMP)
	$(VENV)/bin/credgraph demo --enterprises $(DEMO_N) --store $(STORE)

bench: $(STAMP)
	$(VENV)/bin/credgraph bench --enterprises $(BENCH_N)

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache .neo4j neo4j/target
