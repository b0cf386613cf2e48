# Derived from tests/client/test_logging.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""What the client lets an operator see: the log lines it writes (a new token, a region
fetch, a retry, a refresh after a 401), `FLUIDSTACK_LOG` (which loggers get a stderr
handler, at which level, what a bad value says), the token scrubbed from httpx's own
lines, and OpenTelemetry traces (one span per attempt; `extras`)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from support.clients import FAST, TOKEN
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    ClientCredentials,
    Fluidstack,
    RetryPolicy,
    TokenProvider,
    _logs,
)
from fluidstack_client._redact import REDACTED, Secret
from fluidstack_client.testing import FakeServer

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

# Every wait exactly 0.01 s (no jitter to speak of): the retry line shows it.
EVEN = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.01)
NAMES = ("fluidstack_client", "httpx", "httpcore")
SECRET = "client-secret-0123"


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "fluidstack_client"]


def _token(name: str) -> Reply:
    return Reply(json={"access_token": f"at-{name}-0123456789", "expires_in": 3600})


def _credentials(server: ScriptedServer) -> ClientCredentials:
    return ClientCredentials("svc-id", SECRET, token_url=f"{server.url}/oauth/token")


class Fresh(TokenProvider):
    """A provider of a user's own with no cached token: each call gets a new one."""

    def current(self) -> None:
        return None

    def refresh(self) -> Generator[httpx.Request, httpx.Response, Secret]:
        return Secret("tok-fresh-0123")
        yield

    def __repr__(self) -> str:
        return "Fresh()"


# -- the client's log lines ----------------------------------------------------------------


def test_a_retry_a_refresh_and_a_region_fetch_each_log_one_info_line(
    served_fake: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake = served_fake.fake
    creds = ClientCredentials(fake.client_id, fake.client_secret, token_url=fake.token_url)
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        with Fluidstack(creds, base_url=served_fake.base_url, retry_policy=EVEN) as fs:
            east = fs.region("us-east-1")
            fake.fail_next(1, status=503, route="ListProjects")
            east.projects.list()
            fake.revoke_tokens()
            fs.keys.list()
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "fluidstack_client"]
    assert [level for level, _ in lines] == ["INFO"] * 5
    token, regions, retry, token_again, refresh = (message for _, message in lines)
    assert token.startswith("new token from ClientCredentials(")
    assert regions == (
        f"fetched 2 regions from {served_fake.base_url}/regions: us-east-1, eu-west-1"
    )
    assert retry.startswith("retrying GET /regional/us-east-1/api/v1alpha1/projects after ")
    assert retry.endswith("status 503 in 0.01s (retry 1 of 2)")
    assert refresh == "401 for GET /api/v1alpha1/user/keys: sending it again with a new token"
    assert token_again.startswith("new token from ClientCredentials(")
    assert fake.client_secret not in caplog.text


def test_a_new_token_is_logged(server: ScriptedServer, caplog: pytest.LogCaptureFixture) -> None:
    server.default = Reply(json=[])
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        with Fluidstack(Fresh(), base_url=server.url, retry_policy=FAST) as fs:
            fs.keys.list()
    (record,) = [r for r in caplog.records if r.name == "fluidstack_client"]
    assert record.getMessage() == "new token from Fresh()"
    assert record.levelno == logging.INFO


def test_a_region_fetch_logs_what_it_found(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    names = [f"region-{i:02}-{'x' * 10}" for i in range(12)]
    server.default = Reply(json=[{"name": n, "url": server.url} for n in names])
    base = f"{server.url}/api/v1alpha1"
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        with Fluidstack(TOKEN, base_url=base, retry_policy=FAST) as fs:
            fs.region("region-00-xxxxxxxxxx")
    (record,) = [r for r in caplog.records if r.name == "fluidstack_client"]
    listed = ", ".join(names)
    shown = listed[:200] + f"... [{len(listed) - 200} more characters]"
    assert record.getMessage() == f"fetched 12 regions from {base}/regions: {shown}"


def test_a_retry_after_a_dropped_connection_is_logged_with_what_happened(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue(Reply(drop=True), Reply(json=[]))
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
            assert fs.keys.list() == []
    lines = _lines(caplog)
    assert len(lines) == 1
    assert lines[0].startswith("retrying GET /user/keys after RemoteProtocolError in ")
    assert lines[0].endswith("s (retry 1 of 2)")


def test_a_refresh_after_a_401_is_logged(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue(
        _token("first"), Reply(401, {"message": "expired"}), _token("second"), Reply(json=[])
    )
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        with Fluidstack(_credentials(server), base_url=server.url, retry_policy=FAST) as fs:
            assert fs.keys.list() == []
    assert "401 for GET /user/keys: sending it again with a new token" in _lines(caplog)


# -- the token kept out of the log lines ---------------------------------------------------


def test_the_token_is_scrubbed_from_httpx_log_lines(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    # httpx logs each request's URL and reason phrase: here the path carries the token.
    server.default = Reply(204)
    with caplog.at_level(logging.INFO, logger="httpx"):
        with Fluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
            fs.keys.deregister(f"k-{TOKEN}")
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(lines) == 1
    assert f"/user/keys/k-{REDACTED}" in lines[0]
    assert TOKEN not in lines[0]
    record = next(r for r in caplog.records if r.name == "httpx")
    assert record.args is None  # the message was replaced, not left to format again


def test_a_token_in_the_base_urls_path_is_scrubbed_from_the_region_log_line(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    # (A gateway may take the token in its path; the log line still must not show it.)
    server.default = Reply(json=[{"name": "r1", "url": f"{server.url}/r1"}])
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        with Fluidstack(TOKEN, base_url=f"{server.url}/gw/{TOKEN}", retry_policy=FAST) as fs:
            fs.region("r1")
    assert _lines(caplog) == [f"fetched 1 regions from {server.url}/gw/{REDACTED}/regions: r1"]


# -- FLUIDSTACK_LOG ------------------------------------------------------------------------


@pytest.fixture
def fresh_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`from_environment` not yet run in this process; the loggers put back after."""
    monkeypatch.setattr(_logs, "_done", False)
    saved = {n: (logging.getLogger(n).level, list(logging.getLogger(n).handlers)) for n in NAMES}
    yield
    for name, (level, handlers) in saved.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.handlers[:] = handlers


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


# -- OpenTelemetry traces (opentelemetry-instrumentation-httpx) ----------------------------


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def _statuses(finished: tuple[ReadableSpan, ...]) -> list[object]:
    return [span.attributes.get("http.status_code") for span in finished if span.attributes]


@pytest.mark.extras
def test_an_instrumented_http_client_gives_one_span_per_attempt(
    served_fake: FakeServer, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    provider, exporter = spans
    served_fake.fake.fail_next(2, status=503, route="ListClusters")
    with httpx.Client() as http:
        HTTPXClientInstrumentor.instrument_client(http, tracer_provider=provider)
        with Fluidstack(
            "fake-token", base_url=served_fake.base_url, http_client=http, retry_policy=EVEN
        ) as fs:
            clusters = fs.clusters.list()
    assert [c.name for c in clusters] == ["train-k8s", "hpc-slurm"]
    finished = exporter.get_finished_spans()
    assert [span.name for span in finished] == ["GET"] * 3
    assert _statuses(finished) == [503, 503, 200]
    for span in finished:
        assert "fake-token" not in str(span.to_json())


@pytest.mark.extras
def test_global_instrumentation_covers_the_clients_own_pools(
    served_fake: FakeServer, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    """Reads and writes alike (a write goes over a pool of its own)."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    provider, exporter = spans
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        served_fake.fake.fail_next(1, status=500, route="ListKeys")
        with Fluidstack("fake-token", base_url=served_fake.base_url, retry_policy=EVEN) as fs:
            fs.keys.list()
            fs.keys.register(name="laptop", key="ssh-ed25519 AAAA laptop")
    finally:
        instrumentor.uninstrument()
    finished = exporter.get_finished_spans()
    assert [span.name for span in finished] == ["GET", "GET", "POST"]
    assert _statuses(finished) == [500, 200, 200]
