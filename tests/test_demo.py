"""The README's first command, `make demo`: examples/quickstart.py, then
examples/service_credentials.py. Against the bundled fake, tests/test_examples.py
runs both and checks their output; here, what is particular to the demo: with a
token, the same quickstart talks to "the real API" and only reads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import test_examples

from fluidstack_client.testing import FakeAPI, serve

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart.py"


def test_make_demo_runs_the_examples_that_are_checked() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "no demo target in the Makefile"
    ran = re.findall(r"examples/(\w+\.py)", recipe[1])
    assert ran == ["quickstart.py", "service_credentials.py"]
    assert set(ran) <= set(test_examples.CHECKS)


def test_demo_with_a_token_only_reads() -> None:
    fake = FakeAPI(token="real-looking-token")
    keys_before = [dict(k) for k in fake.keys]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLUIDSTACK_")}
    with serve(fake) as server:
        out = subprocess.run(
            [sys.executable, str(QUICKSTART)],
            env=clean
            | {"FLUIDSTACK_TOKEN": "real-looking-token", "FLUIDSTACK_BASE_URL": server.base_url},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    assert out.startswith("fluidstack-client demo against the real API\n")
    # What the account holds is shown...
    assert re.search(r"^  us-east-1 +http://127\.0\.0\.1:\d+/regional/us-east-1/", out, re.M)
    assert re.search(r"^ +gpu-train-0 +running +us-east-1 +ip=10\.0\.0\.1$", out, re.M)
    assert re.search(r"^3\. SSH keys \(read-only against the real API\)$", out, re.M)
    assert re.search(r"^  ci-runner +ssh-ed25519 AAAA", out, re.M)
    # ... and nothing in it is changed: no key registered, no invitation, no fault.
    assert "demo-laptop" not in out
    assert "survived" not in out
    assert fake.keys == keys_before
    assert len(fake.invitations) == 1
    assert fake.requests
    assert {r.method for r in fake.requests} == {"GET"}
    assert "real-looking-token" not in out
