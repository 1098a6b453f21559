# Every target sets itself up from nothing: a virtual environment with Python 3.12+,
# the package installed in editable mode, the database migrated.
.DEFAULT_GOAL := help
SHELL := /bin/bash

HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
FANFOLD := $(VENV)/bin/fanfold
STAMP := $(VENV)/.installed

# The first interpreter that really runs and reports 3.12 or newer. pyenv shims for
# versions that are not selected fail, so each candidate is executed, not just found.
find_python = for p in $${PYTHON:-} python3.13 python3.12 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 python3; do \
	  [ -n "$$p" ] || continue; \
	  if "$$p" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then echo "$$p"; exit 0; fi; \
	done; echo "No Python 3.12 or newer found: install one or set PYTHON=/path/to/python3.12" >&2; exit 1

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@python=$$($(find_python)) && echo "Using $$python" && \
	  { [ -x $(PY) ] || "$$python" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

.PHONY: install
install: $(STAMP) ## create .venv and install Fanfold with its development tools

.PHONY: run
run: $(STAMP) ## migrate, add demo data the first time, serve on http://$(HOST):$(PORT) with a worker
	$(FANFOLD) migrate --noinput
	$(FANFOLD) demo --if-empty
	$(FANFOLD) collectstatic --noinput --verbosity 0
	$(FANFOLD) serve --host $(HOST) --port $(PORT)

.PHONY: test
test: $(STAMP) ## run the whole test suite (DATABASE_URL picks the engine)
	$(PY) -m pytest $(PYTEST_ARGS)

.PHONY: lint
lint: $(STAMP) ## ruff lint and format check
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

.PHONY: format
format: $(STAMP) ## apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

.PHONY: bench
bench: $(STAMP) ## measure the anonymous chapter page under granian (see bench/README.md)
	$(PY) bench/chapter_page.py

.PHONY: editor
editor: ## rebuild the vendored rich-text editor (Quill) from editor/package.json; needs npm
	cd editor && npm ci --no-audit --no-fund && node build.mjs

.PHONY: clean
clean: ## remove the virtual environment and local data under var/
	rm -rf $(VENV) var
