"""What the client lets an operator see in its logs: the lines it writes, and
`FLUIDSTACK_LOG`. (Traces: tests/test_tracing.py.)"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from fluidstack_client import ClientCredentials, Fluidstack, RetryPolicy, _logs
from fluidstack_client.errors import ConfigurationError
from fluidstack_client.testing import FakeServer

FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.01)


def _records(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "fluidstack_client"]


def test_a_retry_a_refresh_and_a_region_fetch_each_log_one_info_line(
    served_fake: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake = served_fake.fake
    creds = ClientCredentials(fake.client_id, fake.client_secret, token_url=fake.token_url)
    with (
        caplog.at_level(logging.INFO, logger="fluidstack_client"),
        Fluidstack(creds, base_url=served_fake.base_url, retry_policy=FAST) as fs,
    ):
        east = fs.region("us-east-1")
        fake.fail_next(1, status=503, route="ListInstances")
        east.instances.list()
        fake.revoke_tokens()
        fs.keys.list()
    lines = _records(caplog)
    assert [level for level, _ in lines] == ["INFO"] * 5
    token, regions, retry, token_again, refresh = (message for _, message in lines)
    assert token.startswith("new token from ClientCredentials(")
    assert regions == (
        f"fetched 2 regions from {served_fake.base_url}/regions: us-east-1, eu-west-1"
    )
    assert retry.startswith("retrying GET /regional/us-east-1/api/v1alpha1/instances after ")
    assert retry.endswith("status 503 in 0.01s (retry 1 of 2)")
    assert refresh == "401 for GET /api/v1alpha1/user/keys: sending it again with a new token"
    assert token_again.startswith("new token from ClientCredentials(")
    assert fake.client_secret not in caplog.text


def _run_with_log_env(value: str, base_url: str) -> subprocess.CompletedProcess[str]:
    program = (
        "from fluidstack_client import Fluidstack\n"
        f"with Fluidstack('fake-token', base_url={base_url!r}) as fs:\n"
        "    fs.region('eu-west-1')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUIDSTACK_")}
    return subprocess.run(
        [sys.executable, "-c", program],
        env=env | {"FLUIDSTACK_LOG": value},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_fluidstack_log_prints_the_client_and_httpx_lines_to_stderr(
    served_fake: FakeServer,
) -> None:
    info = _run_with_log_env("info", served_fake.base_url)
    assert info.returncode == 0, info.stderr
    assert " INFO fluidstack_client: fetched 2 regions from " in info.stderr
    assert " INFO httpx: HTTP Request: GET " in info.stderr
    assert "httpcore" not in info.stderr
    assert "fake-token" not in info.stderr
    debug = _run_with_log_env("DEBUG", served_fake.base_url)
    assert debug.returncode == 0, debug.stderr
    assert " DEBUG httpcore.connection: connect_tcp" in debug.stderr
    assert "fake-token" not in debug.stderr


def test_a_fluidstack_log_value_that_means_nothing_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_logs, "_done", False)
    monkeypatch.setenv("FLUIDSTACK_LOG", "verbose")
    with pytest.raises(ConfigurationError, match="FLUIDSTACK_LOG must be 'info' or 'debug'"):
        Fluidstack("t", base_url="http://127.0.0.1:9")


def test_without_fluidstack_log_no_handler_is_added(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_logs, "_done", False)
    monkeypatch.delenv("FLUIDSTACK_LOG", raising=False)
    before = {
        name: list(logging.getLogger(name).handlers) for name in ("fluidstack_client", "httpx")
    }
    Fluidstack("t", base_url="http://127.0.0.1:9").close()
    assert before == {n: list(logging.getLogger(n).handlers) for n in before}
