"""The README's first command (`make demo` runs examples/quickstart.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fluidstack_client.testing import FakeAPI, serve

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart.py"


def _run(env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLUIDSTACK_")}
    result = subprocess.run(
        [sys.executable, str(QUICKSTART)],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_demo_runs_against_the_bundled_fake_with_no_configuration() -> None:
    out = _run({})
    assert "against the bundled fake" in out
    assert "→ client for us-east-1" in out
    assert "gpu-train-0" in out
    assert "demo-laptop" in out
    assert out.count("↻ retrying GET") == 2
    assert "✓ survived" in out
    assert "invitation requests sent   1" in out


def test_demo_with_a_token_only_reads() -> None:
    fake = FakeAPI(token="real-looking-token")
    with serve(fake) as server:
        out = _run(
            {"FLUIDSTACK_TOKEN": "real-looking-token", "FLUIDSTACK_BASE_URL": server.base_url}
        )
    assert "against the real API" in out
    assert "read-only" in out
    assert fake.requests
    assert {r.method for r in fake.requests} == {"GET"}
    assert "real-looking-token" not in out


def test_service_demo_renews_tokens_and_no_call_fails() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLUIDSTACK_")}
    out = subprocess.run(
        [sys.executable, str(QUICKSTART.parent / "service_credentials.py")],
        env=clean | {"DEMO_SECONDS": "4.5"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    # 2-second tokens over 4.5 s: the first fetch and two renewals, whatever the
    # number of tasks calling, and no call refused or failed.
    assert out.count("new token (one request for all 20 tasks)") == 3
    assert "token requests: 3" in out
    assert "calls refused with 401 and re-sent: 0" in out
    assert "all succeeded" in out
    assert "fake-client-secret" not in out


def test_readme_fake_examples_run() -> None:
    for name in ("fake_in_process.py", "fake_on_loopback.py"):
        result = subprocess.run(
            [sys.executable, str(QUICKSTART.parent / name)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert result.stdout.strip()
    assert (
        "['ci-runner', 'deploy']"
        in subprocess.run(
            [sys.executable, str(QUICKSTART.parent / "fake_in_process.py")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
