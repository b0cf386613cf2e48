#!/usr/bin/env bash
# Generate the client from each spec scripts/apis.py lists (spec/openapi.yaml for the
# Management API, spec/atlas-region-v1alpha1.yaml for the regional one) into
# DEST/<api> (default DEST: the committed fluidstack_client/_generated). The
# destination is wiped first so operations removed from a spec disappear too.
# Expects the dev tools on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-fluidstack_client/_generated}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/_generated"
python3 scripts/apis.py > "$work/apis"
while read -r api spec; do
  openapi-python-client generate \
    --path "$spec" \
    --config generator-config.yaml \
    --custom-template-path templates \
    --meta none \
    --fail-on-warning \
    --output-path "$work/_generated/$api" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
  # The generator prints warnings (e.g. a post-hook it could not run) but may
  # still exit 0; treat any warning as failure.
  if grep -qi "warning" "$work/log"; then cat "$work/log" >&2; exit 1; fi
done < "$work/apis"
cat > "$work/_generated/__init__.py" <<'PY'
"""The generated layer: one package per API (scripts/apis.py), each written by
openapi-python-client from its spec (scripts/generate.sh); never edited by hand."""
PY
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$work/_generated" "$dest"
