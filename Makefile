# Decoupled: `make run` serves the site, `make test` runs every test. Both set themselves up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# pyenv's shims (and .python-version) answer python3.12 on the machines this was built on.
PYTHON ?= $(shell command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000
DEV_ENV := DJANGO_DEBUG=1

.PHONY: help setup run test test-unit test-browser conformance lint fmt check-deploy bench clean

help:
	@echo "make run    set up (first time) and serve http://$(HOST):$(PORT)"
	@echo "make test   set up (first time) and run the whole suite, browser tests included"
	@echo "make lint   ruff check + format check;  make fmt  format the code"
	@echo "make bench  run the benchmark scripts under bench/"
	@echo "make conformance  compare the engine with the RabbitMQ at AMQP_URL, rewrite conformance/results.json"

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python 3.12 or newer is needed (found " + sys.version.split()[0] + ")")'
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { echo "Python's venv support is missing: sudo apt-get install python3-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)

run: $(STAMP)
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	@echo "Serving Decoupled at http://$(HOST):$(PORT)/ (Ctrl+C stops)"
	$(DEV_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

test: test-unit test-browser

test-unit: $(STAMP)
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

test-browser: $(STAMP)
	@if [ ! -x /usr/bin/chromium ]; then echo "Chromium is missing: browser tests need Debian's chromium (sudo apt-get install chromium)."; fi
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

# Runs every behaviour script on the real broker and the engine, then rewrites the evidence
# file learners read (conformance/results.json). Commit the file with the change it reflects.
conformance: $(STAMP)
	CONFORMANCE_RECORD=1 $(PY) -m pytest -p no:randomly tests/conformance $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

check-deploy: $(STAMP)
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  DJANGO_ALLOWED_HOSTS=example.org $(PY) manage.py check --deploy --fail-level WARNING
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .hypothesis
