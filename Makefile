# Leadflow: `make dev` runs the whole pipeline locally, `make test` runs every test.
# Everything a fresh machine needs is installed from here (Python 3.11+ assumed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCAL_PATH := PYTHONPATH=layers/leadflow:local:cli
# Root (CI, containers) installs system packages directly; others go through sudo.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install dev test bench lint browser clean token openapi schemas

install: $(STAMP)

# The `leadflow` command (cli/) is installed editable, after the pinned requirements,
# so it finds them satisfied and changes none. setuptools warns that a folder named like
# a package could shadow it: here that folder (layers/leadflow/leadflow) is the package.
$(STAMP): requirements-dev.txt layers/leadflow/requirements.txt cli/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet --editable cli
	touch $(STAMP)

# The browser tests drive Debian's chromium with Playwright (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

dev: install
	$(LOCAL_PATH) $(BIN)/python -m leadflow_local

# A Cognito ID token from the running `make dev`: make -s token USER=olivia@sales.example.com
# (the seed's admin by default). USER is also every shell's login name, so only a USER
# given on make's command line picks the user.
token: install
	@$(LOCAL_PATH) $(BIN)/python -m leadflow_local.token $(if $(filter command line,$(origin USER)),$(USER))

# pytest exits non-zero when it collects no tests, so an empty run fails. Two workers
# (pytest-xdist), the queue in collection order: one begins with the end-to-end tests
# (their local stacks, the browser, the contract runs in the background), the other
# with the in-process ones, and whichever is free takes the next module (tests/conftest.py
# groups them). In one process the second core would sit idle through the in-process tests.
PYTEST_WORKERS ?= -n 2 --dist loadscope
test: install browser
	$(BIN)/python -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

bench: install browser
	$(LOCAL_PATH) $(BIN)/python -m bench

# openapi.json: the leads API's OpenAPI document, generated from the code (Powertools);
# tests/template/test_openapi.py fails when the checked-in file is stale.
openapi: install
	PYTHONPATH=layers/leadflow:cli $(BIN)/python -m leadflow_cli.openapi openapi.json

# schemas/events/*.json: the JSON Schema of each event a webhook receives, generated from
# leadflow.shared.events; tests/template/test_event_schemas.py fails when they are stale.
schemas: install
	PYTHONPATH=layers/leadflow:cli $(BIN)/python -m leadflow_cli.event_schemas schemas/events

lint: install
	$(BIN)/ruff check layers functions local cli tests bench

clean:
	rm -rf $(VENV) .pytest_cache bench/results.json
