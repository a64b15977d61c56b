# SpiffArena connector proxy on AWS Lambda.
#   make zip    build the deployable archive into dist/
#   make test   linters + tests (creates .venv on first use)
#   make serve  run the handler locally on http://127.0.0.1:$(PORT)
#   make lint   ruff + mypy only

PYTHON ?= python3
VENV ?= .venv
VENV_PY := $(VENV)/bin/python
PORT ?= 7004
HOST ?= 127.0.0.1

.PHONY: test lint serve zip clean

$(VENV)/.installed: requirements.txt requirements-aws.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "error: $(PYTHON) is older than Python 3.10; set PYTHON=python3.x" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet --upgrade pip
	$(VENV_PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

lint: $(VENV)/.installed
	$(VENV_PY) -m ruff check .
	$(VENV_PY) -m ruff format --check .
	$(VENV_PY) -m mypy

test: lint
	$(VENV_PY) -m pytest $(PYTEST_ARGS)

serve: $(VENV)/.installed
	$(VENV_PY) -m spiff_lambda_proxy serve --host $(HOST) --port $(PORT)

clean:
	rm -rf dist build .pytest_cache .mypy_cache .ruff_cache
