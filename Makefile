# SpiffArena connector proxy on AWS Lambda.
#   make zip    build the deployable archive into dist/ (needs only python3 and pip)
#   make test   linters + tests (creates .venv on first use), on every core; make test-fast skips the
#               end-to-end tests
#   make serve  run the handler locally on http://127.0.0.1:$(PORT), reloading on changes
#   make deploy build the zip and deploy it: SAM (template.yaml), or FUNCTION=name to update
#               an existing function; DRY_RUN=1 prints the commands (docs/deploy.md)
#   make tools  the pinned AWS SAM CLI and AWS CLI in .venv-tools/ (make deploy uses them), and Chromium
#   make browser  a headless Chromium for the browser test (Debian's package, with apt-get)
#   make docs   regenerate docs/configuration.md from the code
#   make results background results waiting for SpiffArena: list, REDELIVER=<run id>|all, DROP=<run id>
#   make lint   ruff + mypy only

PYTHON ?= python3
VENV ?= .venv
VENV_PY := $(VENV)/bin/python
# The pinned AWS SAM CLI and AWS CLI (make tools); make deploy prefers them to those on PATH.
TOOLS_VENV ?= .venv-tools
PORT ?= 7004
HOST ?= 127.0.0.1
# Function timeout the local context reports (make serve), in seconds.
TIMEOUT ?= 30
# make serve restarts when code or connectors change; RELOAD=0 turns that off.
RELOAD ?= 1
# Where make serve keeps background results SpiffArena has not taken yet (a SQLite file, mode 0600).
RESULTS_FILE ?= .serve/results.sqlite3

# make zip: the Lambda runtime to build for, and what goes in (see README, "make zip").
# Plain `=`: some images export PYTHON_VERSION=3.12.4 or ARCH=amd64 for other purposes;
# `make zip PYTHON_VERSION=3.12` on the command line still wins.
PYTHON_VERSION = 3.13
ARCH = x86_64
BUNDLE_BOTO3 ?= 0
PRECOMPILE ?= 1
# The built-in typeahead lists (countries, states, cities) in the zip and under make serve; 0 leaves them out.
TYPEAHEAD_BUILTINS ?= 1

.PHONY: test lint serve zip deploy docs clean tools results browser browser-started

# The venvs of make test need Python 3.11 or newer: the test tools pinned in requirements-dev.txt
# and requirements-tools.txt (schemathesis, hypothesis, the SAM CLI's dependencies) dropped 3.10.
# make zip itself needs only python3 (3.9+). The first of these that runs and is new enough:
DEV_PYTHON ?= $(shell for p in $(PYTHON) python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
NEED_DEV_PYTHON = @test -n "$(DEV_PYTHON)" || { echo "error: make test needs Python 3.11 or newer (its \
pinned test tools do), and $(PYTHON) is $$($(PYTHON) -c 'import platform; print(platform.python_version())' \
2>/dev/null || echo missing). Install one (pyenv install 3.13, uv python install 3.13, apt install \
python3.11) and run make test PYTHON=python3.x; make zip works with $(PYTHON) as it is." >&2; exit 1; }

# A venv's pinned packages go in with uv (parallel downloads: seconds where pip takes a minute or
# two), itself pinned and installed into the venv by pip. pip does it all instead when uv cannot be
# installed or fails, or when pip is configured with an index of its own (uv would not read it).
UV_PIN = uv==0.9.30
# $(call install_into,<venv>,<requirements file>)
install_into = if { [ -n "$$PIP_INDEX_URL" ] || $(1)/bin/python -m pip config list 2>/dev/null | grep -q '\.index-url='; } \
	|| ! $(1)/bin/python -m pip install --quiet $(UV_PIN) 2>/dev/null \
	|| ! $(1)/bin/uv pip install --quiet --python $(1)/bin/python -r $(2); then \
	echo "make: installing $(2) with pip"; \
	$(1)/bin/python -m pip install --quiet --upgrade pip && $(1)/bin/python -m pip install --quiet -r $(2); fi

$(VENV)/.installed: requirements.txt requirements-aws.txt requirements-dev.txt
	$(NEED_DEV_PYTHON)
	@echo "make test: creating $(VENV) with $(DEV_PYTHON)"
	$(DEV_PYTHON) -m venv $(VENV)
	@$(call install_into,$(VENV),requirements-dev.txt)
	@touch $@

lint: $(VENV)/.installed
	$(VENV_PY) -m ruff check .
	$(VENV_PY) -m ruff format --check .
	$(VENV_PY) -m mypy

# The deploy tests run the real SAM CLI and AWS CLI (tests/deploy), so make test installs them too;
# both venvs are made at once. The browser test needs Chromium: its install starts first, in the
# background, while the venvs, the linters and the other tests run; that test waits for it, or says
# why it is skipped (BROWSER=0: no install). The tests run on every core (TEST_WORKERS=1: one process).
TEST_WORKERS ?= auto
PYTEST_PARALLEL = -n $(TEST_WORKERS) --dist loadgroup
test: browser-started venvs
	$(MAKE) --no-print-directory lint
	$(VENV_PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# The inner loop: every test but the end-to-end ones (marked slow: archive builds, the real SAM CLI,
# make serve as a subprocess), which make test runs.
test-fast: $(VENV)/.installed
	@echo "make test-fast: leaving out the end-to-end tests (marked slow: they build archives, run the SAM CLI and make serve); make test runs them"
	$(VENV_PY) -m pytest $(PYTEST_PARALLEL) -m "not slow" $(PYTEST_ARGS)

.PHONY: venvs test-fast
venvs:
	@$(MAKE) --no-print-directory -j2 $(VENV)/.installed $(TOOLS_VENV)/.installed

BROWSER ?= 1
browser-started:
	@if [ "$(BROWSER)" = 0 ]; then echo "make test: BROWSER=0: no Chromium is installed for the browser test"; \
	else $(PYTHON) -m tools.chromium start; fi

# Debian's chromium with apt-get, as root or with sudo -n, unless a Chromium is on PATH (tools/chromium.py).
browser:
	@$(PYTHON) -m tools.chromium install

# The AWS SAM CLI and the AWS CLI, every version pinned, in a venv of their own (their dependencies
# would clash with the dev tools'). Rebuilt only when requirements-tools.txt changes.
$(TOOLS_VENV)/.installed: requirements-tools.txt
	$(NEED_DEV_PYTHON)
	$(DEV_PYTHON) -m venv $(TOOLS_VENV)
	@$(call install_into,$(TOOLS_VENV),requirements-tools.txt)
	@touch $@

tools: $(TOOLS_VENV)/.installed browser
	@echo "sam and aws are in $(TOOLS_VENV)/bin; make deploy uses them"

serve: $(VENV)/.installed
	$(VENV_PY) -m tools.local serve --host $(HOST) --port $(PORT) --timeout $(TIMEOUT) --reload $(RELOAD) \
		--typeahead-builtins $(TYPEAHEAD_BUILTINS) --results-file "$(RESULTS_FILE)"

# make results: the background results that wait for SpiffArena, in make serve's RESULTS_FILE, or of a
# deployed stack with STACK=<name> (or TABLE=<table> QUEUE=<queue url>; REGION= when not the default).
# REDELIVER=<run id> or all delivers now; DROP=<run id> forgets one. Never shows a result's body.
STACK_OR_FILE = $(if $(STACK),--stack "$(STACK)",$(if $(TABLE)$(QUEUE),--table "$(TABLE)" --queue "$(QUEUE)",--file "$(RESULTS_FILE)"))
results: $(VENV)/.installed
	$(VENV_PY) -m tools.results $(STACK_OR_FILE) $(if $(REGION),--region "$(REGION)") \
		$(if $(REDELIVER),redeliver "$(REDELIVER)",$(if $(DROP),drop "$(DROP)",list))

# Not the .venv: a fresh machine with python3 (and its pip) builds the archive.
zip:
	$(PYTHON) -m tools.build_zip --python-version $(PYTHON_VERSION) --arch $(ARCH) \
		--bundle-boto3 $(BUNDLE_BOTO3) --precompile $(PRECOMPILE) --typeahead-builtins $(TYPEAHEAD_BUILTINS)

# make deploy: `sam deploy` of template.yaml with samconfig.toml (written on the first run, which is
# guided when there is a terminal; GUIDED=1 or 0 decides), or with FUNCTION=<name> the AWS CLI's
# update-function-code on that existing function (ALIAS=live also publishes a version and moves the
# alias). STACK names the stack; PARAMETERS are sam's --parameter-overrides for this run; DRY_RUN=1
# prints the commands without running them. sam and aws come from $(TOOLS_VENV) if there, else PATH.
FUNCTION ?=
ALIAS ?=
STACK ?=
GUIDED ?=
PARAMETERS ?=
DRY_RUN ?= 0

deploy:
	$(PYTHON) -m tools.deploy --python-version $(PYTHON_VERSION) --arch $(ARCH) \
		--bundle-boto3 $(BUNDLE_BOTO3) --precompile $(PRECOMPILE) \
		--function "$(FUNCTION)" --alias "$(ALIAS)" --stack "$(STACK)" --guided "$(GUIDED)" \
		--parameters '$(PARAMETERS)' --tools-bin "$(TOOLS_VENV)/bin" --dry-run "$(DRY_RUN)"

# sam build / sam sync: template.yaml's function is built with `BuildMethod: makefile`, so SAM runs
# this target (in the project root) with ARTIFACTS_DIR set; it puts the files of `make zip` there.
.PHONY: build-ProxyFunction
build-ProxyFunction:
	$(PYTHON) -m tools.sam.artifacts --artifacts-dir "$(ARTIFACTS_DIR)" \
		--python-version $(PYTHON_VERSION) --arch $(ARCH) --bundle-boto3 $(BUNDLE_BOTO3) --precompile $(PRECOMPILE)

docs: $(VENV)/.installed
	$(VENV_PY) -m tools.configuration_doc --write

clean:
	rm -rf dist build .aws-sam .pytest_cache .mypy_cache .ruff_cache

# make bench: cold start, warm overhead, archive size and connection reuse, measured on the
# archive as Lambda loads it (needs the target Python; see docs/benchmarks.md). Not part of
# make test. The chart needs matplotlib (requirements-bench.txt); without it, no chart.
.PHONY: bench
bench: $(VENV)/.installed $(VENV)/.bench-installed
	$(VENV_PY) -m bench $(BENCH_ARGS)

$(VENV)/.bench-installed: requirements-bench.txt
	@$(VENV_PY) -m pip install --quiet -r requirements-bench.txt && touch $@ || \
		echo "make bench: could not install requirements-bench.txt, so no chart this time"
