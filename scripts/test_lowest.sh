#!/usr/bin/env bash
# The test suite with every runtime dependency, and every extra's (msgspec), at the
# lower bound pyproject.toml declares (httpx>=X runs on httpx==X exactly), plus httpcore at the oldest version
# that the httpx floor accepts: what `make test-lowest` runs (`nox -s lowest` runs
# `make test-lowest`). The pins come from scripts/lowest.py.
#
# Only the tests those versions can change run: the markers leave out `slow` ones
# (subprocesses and stress loads, whose client paths faster tests take too), `contract`
# ones (Prism and schemathesis judge our requests, not httpx's), `tooling` ones (the
# generator, api-check, docs, dist: dev tools, not runtime dependencies) and `extras`
# ones (OpenTelemetry, a user's choice). `make test` runs them all on the locked versions.
#
# Needs only python3 (>= 3.11; PYTHON=... for another) and the package index. The
# venv (.venv-lowest, or LOWEST_VENV) is made once and reused until pyproject.toml,
# requirements/test-lowest.txt, scripts/lowest.py, this script or the interpreter
# changes. Extra arguments go to pytest (`scripts/test_lowest.sh -n 0 -x`).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${LOWEST_VENV:-.venv-lowest}
STAMP=$VENV/.inputs
MARKERS="not slow and not contract and not tooling and not extras"
# Two workers: the run must add little to CI's 10 minutes (a trailing `-n 0` turns it off).
PYTEST_ARGS=(-q -p no:cacheprovider -n 2)

"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "python >= 3.11 is required")'

pins=()
while read -r pin; do
    pins+=("$pin")
done < <("$PYTHON" scripts/lowest.py pins)
inputs=$("$PYTHON" scripts/lowest.py stamp)
if [ -z "$inputs" ] || [ "${#pins[@]}" -eq 0 ]; then
    echo "test_lowest.sh: no pins from scripts/lowest.py" >&2
    exit 1
fi
echo "lowest dependencies: ${pins[*]}"

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$inputs" ]; then
    echo "reusing $VENV (its inputs have not changed)"
else
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    echo '*' > "$VENV/.gitignore"  # untracked and ignored, without touching .gitignore
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r requirements/test-lowest.txt "${pins[@]}"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-deps --no-build-isolation -e .
    echo "$inputs" > "$STAMP"
fi

"$VENV/bin/python" -m pip check --disable-pip-version-check
"$VENV/bin/python" -m pip freeze --disable-pip-version-check |
    grep -iE '^(httpx|httpcore|h11|attrs|anyio|sniffio|msgspec)=='
"$VENV/bin/python" scripts/lowest.py check "${pins[@]}"

exec "$VENV/bin/python" -m pytest "${PYTEST_ARGS[@]}" -m "$MARKERS" "$@"
