# Leadflow: `make dev` runs the whole pipeline locally, `make test` runs every test.
# Everything a fresh machine needs is installed from here (Python 3.11+ assumed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCAL_PATH := PYTHONPATH=layers/leadflow:local
# Root (CI, containers) installs system packages directly; others go through sudo.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install dev test bench lint browser clean

install: $(STAMP)

$(STAMP): requirements-dev.txt layers/leadflow/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The browser tests drive Debian's chromium with Playwright (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

dev: install
	$(LOCAL_PATH) $(BIN)/python -m leadflow_local

# pytest exits non-zero when it collects no tests, so an empty run fails.
test: install browser
	$(BIN)/python -m pytest

bench: install
	$(LOCAL_PATH) $(BIN)/python -m bench

lint: install
	$(BIN)/ruff check layers functions local tests bench

clean:
	rm -rf $(VENV) .pytest_cache bench/results.json
