# Two commands work on a fresh machine: `make run` and `make test`.
# Both install what they need (virtualenv, pip, npm) and are idempotent.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP_STAMP := $(VENV)/.installed
VENDOR_STAMP := static/vendor/.built
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install vendor lint bench clean

install: $(PIP_STAMP)

$(PIP_STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt 2>&1 | grep -v "is ignored: it is neither" || true
	$(PY) -m pip check
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

vendor: $(VENDOR_STAMP)

$(VENDOR_STAMP): node_modules/.package-lock.json scripts/vendor_assets.mjs
	npm run --silent build

run: install vendor
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_study --base-url http://$(HOST):$(PORT)
	$(PY) manage.py runstack --host $(HOST) --port $(PORT)

test: install vendor
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles
