"""The APIs the package is generated from: one definition for every script.

    python scripts/apis.py            each API's name and spec, one per line

`make generate` (scripts/generate.sh) generates each spec into
`fluidstack_client/_generated/<name>/`; `make update-spec API=<name>`,
`make check-generated`, `make api-check` and the spec-change workflow use the
same names. The Management API comes first: the other APIs' generated packages
take their shared types from it (templates/types.py.jinja).
"""

from __future__ import annotations

import sys

APIS: dict[str, str] = {
    "management": "spec/openapi.yaml",
    "region": "spec/atlas-region-v1alpha1.yaml",
}


def main() -> int:
    for name, spec in APIS.items():
        print(name, spec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
