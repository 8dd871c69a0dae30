# Two entry points: `make run` (the portal with a demo estate) and `make test`.
# Both create the virtual environment and install what they need on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Tests use the machine's PostgreSQL and Redis unless told otherwise. Each run
# gets its own database name (suffixed with the shell's PID), so that two test
# runs on one machine never drop each other's test database.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/groundskeeper_$$$$
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
TEST_CACHE_URL ?= redis://127.0.0.1:6379/14

.PHONY: install run manage test lint bench clean

install: $(STAMP) node_modules/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

run: install
	$(BIN)/python -m portal.localstack

# A manage.py command against the portal that `make run` serves, e.g.
# make manage ARGS="create_api_key airflow --scope lineage:write"
manage: install
	$(BIN)/python -m portal.localstack manage $(ARGS)

test: install
	SECRET_KEY=test-only-not-secret SECURE_HTTPS=false WHITENOISE_USE_FINDERS=true \
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	CACHE_URL=$${CACHE_URL:-$(TEST_CACHE_URL)} CACHE_KEY_PREFIX=test_$$$$ \
	$(BIN)/python -m pytest $(ARGS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m benchmarks $(ARGS)

clean:
	rm -rf $(VENV) node_modules var
