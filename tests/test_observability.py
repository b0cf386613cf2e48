"""What the client lets an operator see: its log lines, `FLUIDSTACK_LOG`, and
OpenTelemetry spans through opentelemetry-instrumentation-httpx (one per attempt)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from fluidstack_client import AsyncFluidstack, ClientCredentials, Fluidstack, RetryPolicy, _logs
from fluidstack_client.errors import ConfigurationError
from fluidstack_client.testing import FakeAPI, FakeServer

FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.01)


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    with FakeServer(FakeAPI()) as server:
        yield server


def _records(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "fluidstack_client"]


def test_a_retry_a_refresh_and_a_region_fetch_each_log_one_info_line(
    fake_server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake = fake_server.fake
    creds = ClientCredentials(fake.client_id, fake.client_secret, token_url=fake.token_url)
    with (
        caplog.at_level(logging.INFO, logger="fluidstack_client"),
        Fluidstack(creds, base_url=fake_server.base_url, retry_policy=FAST) as fs,
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
        f"fetched 2 regions from {fake_server.base_url}/regions: us-east-1, eu-west-1"
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
    fake_server: FakeServer,
) -> None:
    info = _run_with_log_env("info", fake_server.base_url)
    assert info.returncode == 0, info.stderr
    assert " INFO fluidstack_client: fetched 2 regions from " in info.stderr
    assert " INFO httpx: HTTP Request: GET " in info.stderr
    assert "httpcore" not in info.stderr
    assert "fake-token" not in info.stderr
    debug = _run_with_log_env("DEBUG", fake_server.base_url)
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


# -- OpenTelemetry ----------------------------------------------------------------------


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def _statuses(finished: tuple[ReadableSpan, ...]) -> list[object]:
    return [span.attributes.get("http.status_code") for span in finished if span.attributes]


def test_an_instrumented_http_client_gives_one_span_per_attempt(
    fake_server: FakeServer, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    http = httpx.Client()
    HTTPXClientInstrumentor.instrument_client(http, tracer_provider=provider)
    fake_server.fake.fail_next(2, status=503, route="ListClusters")
    with Fluidstack(
        "fake-token", base_url=fake_server.base_url, http_client=http, retry_policy=FAST
    ) as fs:
        clusters = fs.clusters.list()
    http.close()
    assert [c.name for c in clusters] == ["train-k8s", "hpc-slurm"]
    finished = exporter.get_finished_spans()
    assert [span.name for span in finished] == ["GET"] * 3
    assert _statuses(finished) == [503, 503, 200]
    for span in finished:
        assert "fake-token" not in str(span.to_json())


async def test_global_instrumentation_covers_the_clients_own_pools(
    fake_server: FakeServer, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        fake_server.fake.fail_next(1, status=500, route="ListKeys")
        async with AsyncFluidstack(
            "fake-token", base_url=fake_server.base_url, retry_policy=FAST
        ) as fs:
            await fs.keys.list()
            await fs.keys.register(name="laptop", key="ssh-ed25519 AAAA laptop")
    finally:
        instrumentor.uninstrument()
    finished = exporter.get_finished_spans()
    assert [span.name for span in finished] == ["GET", "GET", "POST"]
    assert _statuses(finished) == [500, 200, 200]
