#!/usr/bin/env bash
# Generate the client from spec/openapi.yaml into DEST (default: the committed
# fluidstack_client/_generated). The destination is wiped first so operations
# removed from the spec disappear too. Expects the dev tools on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-fluidstack_client/_generated}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
openapi-python-client generate \
  --path spec/openapi.yaml \
  --config generator-config.yaml \
  --custom-template-path templates \
  --meta none \
  --fail-on-warning \
  --output-path "$work/_generated" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
# The generator prints warnings (e.g. a post-hook it could not run) but may
# still exit 0; treat any warning as failure.
if grep -qi "warning" "$work/log"; then cat "$work/log" >&2; exit 1; fi
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$work/_generated" "$dest"
