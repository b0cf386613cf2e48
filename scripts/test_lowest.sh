#!/usr/bin/env bash
# The test suite with every runtime dependency at the lower bound pyproject.toml
# declares (httpx>=X runs on httpx==X exactly), plus httpcore at the oldest version
# that the httpx floor accepts: what `make test-lowest` runs (`nox -s lowest` does the same
# under nox). Only the tests that depend on those versions run (see LOWEST_SKIPPED).
#
# Needs only python3 (>= 3.11; PYTHON=... for another) and the package index. The
# venv (.venv-lowest, or LOWEST_VENV) is made once and reused until pyproject.toml,
# requirements/test-lowest.txt, this script or the interpreter changes. The pins, the
# test files left out (and why) and the pytest options live in noxfile.py (LOWEST_*,
# lowest_pins), read here without nox. Extra arguments go to pytest
# (`scripts/test_lowest.sh -n 0 -x`).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${LOWEST_VENV:-.venv-lowest}
STAMP=$VENV/.inputs

"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "python >= 3.11 is required")'

# Runs noxfile.py's lowest-run pieces (literals, and lowest_pins) without importing nox.
# $1: python to use; $2: "plan" (what to install and run) or "check" (installed
# versions are the pins, given as further arguments).
noxfile() {
    local python=$1
    shift
    "$python" - "$@" <<'PY'
import ast
import hashlib
import platform
import re
import sys
import tomllib
from pathlib import Path

tree = ast.parse(Path("noxfile.py").read_text(), "noxfile.py")
ns = {"re": re, "tomllib": tomllib, "Path": Path}
for node in tree.body:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id.startswith("LOWEST_"):
            ns[target.id] = ast.literal_eval(node.value)
    elif isinstance(node, ast.FunctionDef) and node.name in ("_skip_option", "_normal", "lowest_pins"):
        exec(compile(ast.Module([node], []), "noxfile.py", "exec"), ns)

mode, args = sys.argv[1], sys.argv[2:]
if mode == "check":
    sys.argv = ["check", *args]
    exec(ns["LOWEST_CHECK"], {"__name__": "__main__"})
    sys.exit()

pins = ns["lowest_pins"]()
digest = hashlib.sha256(platform.python_version().encode() + repr(pins).encode())
for name in ("pyproject.toml", "requirements/test-lowest.txt", "scripts/test_lowest.sh"):
    digest.update(Path(name).read_bytes())
print("hash", digest.hexdigest())
for pin in pins:
    print("pin", pin)
for test in ns["LOWEST_SKIPPED"]:
    print("skip", ns["_skip_option"](test))
for arg in ns["LOWEST_PYTEST_ARGS"]:
    print("arg", arg)
PY
}

plan=$(noxfile "$PYTHON" plan)
inputs=
pins=()
skips=()
pytest_args=()
while read -r kind value; do
    case $kind in
        hash) inputs=$value ;;
        pin) pins+=("$value") ;;
        skip) skips+=("$value") ;;
        arg) pytest_args+=("$value") ;;
        *) echo "test_lowest.sh: unexpected plan line: $kind $value" >&2; exit 1 ;;
    esac
done <<< "$plan"
if [ -z "$inputs" ] || [ "${#pins[@]}" -eq 0 ]; then
    echo "test_lowest.sh: no plan from noxfile.py" >&2
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
    grep -iE '^(httpx|httpcore|h11|attrs|anyio|sniffio)=='
noxfile "$VENV/bin/python" check "${pins[@]}"

# ${a[@]+"${a[@]}"}: an empty array is no argument, even under `set -u` in bash < 4.4.
exec "$VENV/bin/python" -m pytest ${pytest_args[@]+"${pytest_args[@]}"} \
    ${skips[@]+"${skips[@]}"} "$@"
