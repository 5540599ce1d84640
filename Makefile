# seminar_app — the two commands: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app seminar_app
PORT ?= 5000
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
PG_TEST_URL ?= postgresql+psycopg://root@127.0.0.1:5432/test
# the suite runs on every CPU (pytest-xdist); TEST_WORKERS=0 runs it in one process
TEST_WORKERS ?= auto

.PHONY: run test test-pg lint bench translations extract-messages migrate demo worker clean help chromium

help:
	@echo "make run    - install, migrate, load the demo forum, serve on http://127.0.0.1:$(PORT)"
	@echo "make test   - install the dev tools and run the whole test suite"
	@echo "make test-pg - the suite again on PostgreSQL ($(PG_TEST_URL))"
	@echo "make bench  - run the benchmarks, results in bench/RESULTS.md"
	@echo "make lint   - ruff"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(STAMP_DEV): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(STAMP_RUN)

translations: $(STAMP_RUN)
	@$(BIN)/pybabel compile --statistics -d translations

extract-messages: $(STAMP_DEV)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -o translations/messages.pot --no-location --sort-output --project seminar_app .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

migrate: $(STAMP_RUN)
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load --if-empty

run: translations demo
	$(FLASK) serve --port $(PORT)

worker: translations
	$(FLASK) worker

test: $(STAMP_DEV) translations chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Debian's chromium for the browser tests (tests/e2e); without it they are skipped.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif ! command -v apt-get >/dev/null; then echo "chromium: /usr/bin/chromium is missing and apt-get is not available; the browser tests will be skipped"; \
	elif [ "$$(id -u)" != 0 ]; then echo "chromium: /usr/bin/chromium is missing; run 'sudo apt-get install -y chromium' (not root here); the browser tests will be skipped"; \
	else apt-get install -y chromium || { apt-get update && apt-get install -y chromium; } || echo "chromium: apt-get could not install it; the browser tests will be skipped"; fi

test-pg: $(STAMP_DEV) translations
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP_DEV)
	$(BIN)/ruff check .

bench: $(STAMP_DEV) translations
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
