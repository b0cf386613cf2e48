# Every target bootstraps what it needs from a bare python3 (>= 3.11), make and npm.
# Each task is defined here (and in the scripts a target calls) and nowhere else: nox's
# sessions call these targets with another interpreter and venv (PYTHON=... VENV=...).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PRISM  := tests/contract/node_modules/.bin/prism
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help venv generate check-generated lint format typecheck pytest quick fuzz test demo lock \
        wheel clean api-check api-snapshot update-spec dist test-lowest bench docs mutate

help:
	@echo "make demo             the quickstart, a client-credentials service and provisioning, against the built-in fake"
	@echo "make test             check-generated + lint + typecheck + api-check + docs + pytest + test-lowest (CI)"
	@echo "make generate         regenerate fluidstack_client/_generated from both specs (scripts/apis.py)"
	@echo "make check-generated  fail if the committed generated code differs from the spec"
	@echo "make quick            the fast tests only: none marked slow, contract or tooling"
	@echo "make test-lowest      the tests on the lowest dependency versions pyproject.toml allows"
	@echo "make api-check        fail on a breaking API change the version and CHANGELOG do not admit"
	@echo "                      (BASE=<git ref> to compare with a ref instead of the last release)"
	@echo "make update-spec API=management|region SPEC=<file or URL>  validate, take, regenerate; say what changed"
	@echo "make api-snapshot     when releasing: freeze the released API as api-check's baseline"
	@echo "make fuzz             the property-based parser tests, run long"
	@echo "make bench            raw httpx vs generated client vs wrapper, one ratio table (BENCH_ARGS=...)"
	@echo "make docs             the documentation site into site/ (strict: docstrings, links)"
	@echo "make mutate           mutation testing of the hand-written modules (slow; >= 95% each)"
	@echo "make dist             reproducible sdist + wheel in dist/, checked and smoke-tested"
	@echo "make lint | typecheck | pytest | wheel | lock   (PYTEST_ARGS=... to the pytest runs)"

venv: $(STAMP)

$(STAMP): requirements/dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "python >= 3.11 is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Stoplight Prism for the contract tests, from the committed lock file (npm ci; nothing global).
$(PRISM): tests/contract/package.json tests/contract/package-lock.json
	npm ci --prefix tests/contract --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

generate: $(STAMP)
	scripts/generate.sh
	$(BIN)/python scripts/unasync.py

check-generated: $(STAMP)
	scripts/check-generated.sh
	$(BIN)/python scripts/unasync.py --check

lint: $(STAMP)
	ruff check .
	ruff format --check .

format: $(STAMP)
	ruff check --fix .
	ruff format .

typecheck: $(STAMP)
	mypy

# Runs choose tests by marker (pyproject.toml registers them), never by path.
QUICK_MARKERS := not slow and not contract and not tooling

# The whole suite, on xdist workers (PYTEST_WORKERS=0 runs in one process): keeps CI
# inside its 10 minutes.
pytest: $(STAMP) $(PRISM)
	pytest -n $${PYTEST_WORKERS:-auto} --dist loadgroup $(PYTEST_ARGS)

# While writing code: every test but the slow ones, the outside judges (Prism,
# schemathesis: no npm needed) and the tooling's (generator, api-check, docs, dist).
quick: $(STAMP)
	pytest -n $${PYTEST_WORKERS:-auto} --dist loadgroup -m "$(QUICK_MARKERS)" $(PYTEST_ARGS)

# The property-based tests (marker `fuzz`), run long (the default run in `make test` is short).
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-5000} pytest -q -m fuzz $(PYTEST_ARGS)

test: check-generated lint typecheck api-check docs pytest test-lowest

# The suite again with every runtime dependency at the lower bound pyproject.toml
# declares (httpx==0.27.0, attrs==23.1.0, ...), in its own venv (.venv-lowest): the pins
# from scripts/lowest.py, the tests those versions can change chosen by marker.
test-lowest:
	PYTHON="$(PYTHON)" bash scripts/test_lowest.sh $(PYTEST_ARGS)

# Mutation testing (mutmut 3; settings in setup.cfg, equivalents in mutation/equivalent.txt):
# the score per hand-written module, failing under 95%. Slow, so not in `make test`;
# .github/workflows/mutate.yml runs it weekly. MUTATE_ARGS="_retry errors" for a part.
mutate: $(STAMP)
	$(BIN)/python scripts/mutate.py $(MUTATE_ARGS)

# The documentation site into site/: every public name must have a docstring
# (scripts/check_docstrings.py), then mkdocs --strict (broken links, anchors and
# docstrings griffe cannot parse fail the build).
docs: $(STAMP)
	$(BIN)/python scripts/check_docstrings.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# The public API against the last release: the newest v* tag, else api/public-api.json.gz.
api-check: $(STAMP)
	$(BIN)/python scripts/api_check.py $(if $(BASE),--base "$(BASE)")

api-snapshot: $(STAMP)
	$(BIN)/python scripts/api_check.py --write-snapshot

update-spec: $(STAMP)
	@test -n "$(SPEC)" -a -n "$(API)" || { echo "usage: make update-spec API=management|region SPEC=<file or URL>" >&2; exit 2; }
	$(BIN)/python scripts/update_spec.py --api "$(API)" "$(SPEC)"

demo: $(STAMP)
	$(BIN)/python examples/quickstart.py
	@echo
	$(BIN)/python examples/service_credentials.py
	@echo
	$(BIN)/python examples/provision.py

wheel: $(STAMP)
	rm -rf dist && $(BIN)/python -m pip wheel --quiet --no-deps -w dist .

# The like-for-like benchmark (raw httpx, generated client, wrapper): 20-25 minutes.
# `make test` runs its --smoke version (tests/tooling/test_bench.py) so it cannot rot.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# Release artifacts in dist/: two byte-identical builds, twine check --strict, the sdist
# regenerating the client, the wheel smoke-tested in a fresh venv (scripts/dist.py).
dist: $(STAMP)
	$(BIN)/python scripts/dist.py --out dist

# Refresh the dev-tool lock from requirements/dev.in in a throwaway venv.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -r requirements/dev.in
	{ echo "# Generated by 'make lock' from requirements/dev.in: exact pins for every dev tool."; \
	  .lock-venv/bin/pip freeze --exclude-editable; } > requirements/dev.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .venv-lowest dist build .mypy_cache .ruff_cache .pytest_cache .hypothesis tests/contract/node_modules
