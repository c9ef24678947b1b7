# Everything runs from a virtual environment built from the lock files; `make site` and `make test`
# create it on first use, so both work on a fresh machine with only Python 3.11.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: site test test-fast serve example check lock regold fuzz screenshots bench clean

# The replayed story `make site` and `make serve` build from: readiness's own folder, replaced on each run
# while nobody has worked in it (examples/replay.py refuses otherwise). To try the commands, use `make example`.
EXAMPLE ?= build/site-example
TRY ?= build/example

site: $(VENV)/.runtime  ## build the example site into site/, from the example story replayed into a git repository
	$(BIN)/python examples/replay.py $(EXAMPLE)
	$(BIN)/readiness build --root $(EXAMPLE) -d site

example: $(VENV)/.runtime  ## replay the example story into build/example to try the README's walk-through in
	$(BIN)/python examples/replay.py $(TRY)

test: $(VENV)/.dev  ## run the whole test suite (slow and browser cases included)
	$(BIN)/pytest

test-fast: $(VENV)/.dev  ## the suite without slow cases, for quick iteration
	$(BIN)/pytest -m "not slow"

serve: $(VENV)/.runtime
	$(BIN)/python examples/replay.py $(EXAMPLE)
	$(BIN)/readiness serve --root $(EXAMPLE)

check: $(VENV)/.runtime
	$(BIN)/readiness check

$(VENV)/.runtime: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $@

screenshots: site $(VENV)/.dev  ## the README's screenshots of the example site (needs Debian's chromium)
	$(BIN)/python docs/screenshots.py site docs/img

bench: $(VENV)/.runtime  ## benchmark on synthetic histories against a bare mkdocs baseline (SIZES=100,1000 RUNS=3)
	$(BIN)/python bench/bench.py --sizes $(or $(SIZES),100,1000) --runs $(or $(RUNS),3)

lock:  ## re-pin requirements*.lock from requirements*.in (needs pip-tools)
	pip-compile -q --strip-extras --allow-unsafe --no-header -o requirements.lock requirements.in
	pip-compile -q --strip-extras --allow-unsafe --no-header -o requirements-dev.lock requirements-dev.in
	sed -i '/^--extra-index-url\|^--find-links\|^--index-url/d' requirements.lock requirements-dev.lock

clean:
	rm -rf $(VENV) site build

regold: $(VENV)/.dev  ## rewrite tests/gold/ from the current output; review the diff before committing
	READINESS_REGOLD=1 $(BIN)/pytest -q tests/test_gold.py

SECONDS ?= 600
fuzz: $(VENV)/.dev  ## fuzz every parser of untrusted input (results, checklists, config, git logs, reports) and the name rule for SECONDS each (default 600)
	$(BIN)/python fuzz/fuzz_inputs.py --seconds $(SECONDS)
	$(BIN)/python fuzz/fuzz_names.py --seconds $(SECONDS)
