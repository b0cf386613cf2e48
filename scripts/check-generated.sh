#!/usr/bin/env bash
# Check each committed spec against the rules `make update-spec` applies
# (scripts/spec_rules.py: no spec that generates a broken package), then regenerate
# into a temporary folder and compare with the committed tree. Fails, naming every
# differing file and showing the diff, when someone edited generated code by hand or
# changed the spec/config/templates without regenerating.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/spec_rules.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scripts/generate.sh "$tmp/_generated"
if ! diff -rq -x __pycache__ "$tmp/_generated" fluidstack_client/_generated >"$tmp/names"; then
  echo "check-generated: fluidstack_client/_generated does not match the specs (scripts/apis.py) + generator-config.yaml + templates/." >&2
  echo "These files differ (run 'make generate' and commit the result):" >&2
  sed -e "s#$tmp/_generated#<fresh>#g" -e 's/^/  /' "$tmp/names" >&2
  diff -ru -x __pycache__ "$tmp/_generated" fluidstack_client/_generated | sed "s#$tmp/_generated#<fresh>#g" >&2 || true
  exit 1
fi
echo "check-generated: fluidstack_client/_generated matches the specs."
