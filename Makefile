# Revue — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app revue
PORT   ?= 5000

.PHONY: run test test-sqlite test-postgres lint bench clean-venv

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## make run: install, migrate, seed the demo into an empty database, serve app + worker.
run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) revue seed-demo --if-empty
	@echo "Revue on http://127.0.0.1:$(PORT)  (Ctrl-C stops the app and the worker)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(FLASK) revue worker & \
	  $(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:$(PORT) --access-logfile - \
	    --graceful-timeout 5 --no-control-socket --logger-class revue.gunicorn_logging.RedactingLogger 'revue:create_app()'

## make test: install dev dependencies and run the suite (see README for the switches).
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)
	@if [ -n "$$REVUE_TEST_DATABASE_URL" ]; then \
	  echo "== the same suite on PostgreSQL (browser tests ran once, above) =="; \
	  REVUE_TEST_BACKEND=postgres $(BIN)/python -m pytest -n 2 --dist loadgroup -q -m "not e2e" $(PYTEST_ARGS); \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check revue tests bench

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run_all.py
