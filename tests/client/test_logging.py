"""What the client lets an operator see: the log lines it writes (a new token, a region
fetch, a retry, a refresh after a 401), `FLUIDSTACK_LOG` (which loggers get a stderr
handler, at which level, what a bad value says), the token scrubbed from httpx's own
lines, and OpenTelemetry traces (one span per attempt; `extras`)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from support.clients import FAST, TOKEN
from support.scripted_server import Reply, ScriptedServer

from fluidstack_client import (
    AsyncFluidstack,
    ClientCredentials,
    ConfigurationError,
    Fluidstack,
    RetryPolicy,
    TokenProvider,
    _logs,
)
from fluidstack_client._redact import LOGGERS, REDACTED, Secret
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


async def test_a_retry_a_refresh_and_a_region_fetch_each_log_one_info_line(
    served_fake: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake = served_fake.fake
    creds = ClientCredentials(fake.client_id, fake.client_secret, token_url=fake.token_url)
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        async with AsyncFluidstack(creds, base_url=served_fake.base_url, retry_policy=EVEN) as fs:
            east = await fs.region("us-east-1")
            fake.fail_next(1, status=503, route="ListProjects")
            await east.projects.list()
            fake.revoke_tokens()
            await fs.keys.list()
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


async def test_a_new_token_is_logged(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = Reply(json=[])
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        async with AsyncFluidstack(Fresh(), base_url=server.url, retry_policy=FAST) as fs:
            await fs.keys.list()
    (record,) = [r for r in caplog.records if r.name == "fluidstack_client"]
    assert record.getMessage() == "new token from Fresh()"
    assert record.levelno == logging.INFO


async def test_a_region_fetch_logs_what_it_found(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    names = [f"region-{i:02}-{'x' * 10}" for i in range(12)]
    server.default = Reply(json=[{"name": n, "url": server.url} for n in names])
    base = f"{server.url}/api/v1alpha1"
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        async with AsyncFluidstack(TOKEN, base_url=base, retry_policy=FAST) as fs:
            await fs.region("region-00-xxxxxxxxxx")
    (record,) = [r for r in caplog.records if r.name == "fluidstack_client"]
    listed = ", ".join(names)
    shown = listed[:200] + f"... [{len(listed) - 200} more characters]"
    assert record.getMessage() == f"fetched 12 regions from {base}/regions: {shown}"


async def test_a_retry_after_a_dropped_connection_is_logged_with_what_happened(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue(Reply(drop=True), Reply(json=[]))
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
            assert await fs.keys.list() == []
    lines = _lines(caplog)
    assert len(lines) == 1
    assert lines[0].startswith("retrying GET /user/keys after RemoteProtocolError in ")
    assert lines[0].endswith("s (retry 1 of 2)")


async def test_a_refresh_after_a_401_is_logged(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue(
        _token("first"), Reply(401, {"message": "expired"}), _token("second"), Reply(json=[])
    )
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        async with AsyncFluidstack(
            _credentials(server), base_url=server.url, retry_policy=FAST
        ) as fs:
            assert await fs.keys.list() == []
    assert "401 for GET /user/keys: sending it again with a new token" in _lines(caplog)


# -- the token kept out of the log lines ---------------------------------------------------


async def test_the_token_is_scrubbed_from_httpx_log_lines(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    # httpx logs each request's URL and reason phrase: here the path carries the token.
    server.default = Reply(204)
    with caplog.at_level(logging.INFO, logger="httpx"):
        async with AsyncFluidstack(TOKEN, base_url=server.url, retry_policy=FAST) as fs:
            await fs.keys.deregister(f"k-{TOKEN}")
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(lines) == 1
    assert f"/user/keys/k-{REDACTED}" in lines[0]
    assert TOKEN not in lines[0]
    record = next(r for r in caplog.records if r.name == "httpx")
    assert record.args is None  # the message was replaced, not left to format again


async def test_a_token_in_the_base_urls_path_is_scrubbed_from_the_region_log_line(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    # (A gateway may take the token in its path; the log line still must not show it.)
    server.default = Reply(json=[{"name": "r1", "url": f"{server.url}/r1"}])
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        async with AsyncFluidstack(
            TOKEN, base_url=f"{server.url}/gw/{TOKEN}", retry_policy=FAST
        ) as fs:
            await fs.region("r1")
    assert _lines(caplog) == [f"fetched 1 regions from {server.url}/gw/{REDACTED}/regions: r1"]


def test_each_logger_gets_one_scrubbing_filter_however_many_tokens() -> None:
    # A service that builds a client (so a token) per request must not pile filters onto
    # httpx's loggers: one filter serves every live token.
    def scrubbers() -> list[int]:
        loggers = [logging.getLogger(name) for name in LOGGERS]
        return [sum(type(f).__name__ == "_Scrub" for f in lg.filters) for lg in loggers]

    clients = [Fluidstack(f"sk-test-token-number-{i:04d}") for i in range(3)]
    assert scrubbers() == [1] * len(LOGGERS)
    clients += [Fluidstack(f"sk-test-token-number-{i:04d}") for i in range(3, 6)]
    assert scrubbers() == [1] * len(LOGGERS)
    for client in clients:
        client.close()


def test_the_first_client_of_a_process_installs_the_scrubbing_filters() -> None:
    """In a fresh interpreter (a subprocess): no earlier client has installed them."""
    program = textwrap.dedent(
        """
        import io, logging
        from fluidstack_client import Fluidstack
        from fluidstack_client._redact import LOGGERS
        out = io.StringIO()
        httpx_log = logging.getLogger("httpx")
        httpx_log.addHandler(logging.StreamHandler(out))
        httpx_log.setLevel(logging.INFO)
        clients = [Fluidstack(f"sk-fresh-process-{i:04d}") for i in range(3)]
        for name in LOGGERS:
            kinds = [type(f).__name__ for f in logging.getLogger(name).filters]
            assert kinds == ["_Scrub"], (name, kinds)
        httpx_log.info("GET /keys/%s", "sk-fresh-process-0001")
        assert "sk-fresh-process-0001" not in out.getvalue(), out.getvalue()
        assert "/keys/" in out.getvalue()
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUIDSTACK_")}
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


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


@pytest.mark.usefixtures("fresh_logging")
@pytest.mark.parametrize(
    ("value", "level", "names"),
    [
        ("info", logging.INFO, ["fluidstack_client", "httpx"]),
        (" INFO ", logging.INFO, ["fluidstack_client", "httpx"]),
        ("debug", logging.DEBUG, ["fluidstack_client", "httpx", "httpcore"]),
        ("Debug", logging.DEBUG, ["fluidstack_client", "httpx", "httpcore"]),
    ],
)
def test_fluidstack_log_adds_one_stderr_handler_per_logger(
    monkeypatch: pytest.MonkeyPatch, value: str, level: int, names: list[str]
) -> None:
    for name in NAMES:
        logging.getLogger(name).handlers[:] = []
    monkeypatch.setenv("FLUIDSTACK_LOG", value)
    Fluidstack("t", base_url="http://127.0.0.1:9").close()
    Fluidstack("t", base_url="http://127.0.0.1:9").close()  # once per process
    for name in NAMES:
        logger = logging.getLogger(name)
        if name not in names:
            assert logger.handlers == []
            continue
        (handler,) = logger.handlers
        assert isinstance(handler, logging.StreamHandler)
        assert handler.stream is sys.stderr
        assert handler.formatter is not None
        assert handler.formatter._fmt == "%(asctime)s %(levelname)s %(name)s: %(message)s"
        assert logger.level == level


@pytest.mark.usefixtures("fresh_logging")
def test_a_logger_with_a_handler_of_its_own_gets_no_second_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mine = logging.NullHandler()
    logging.getLogger("httpx").handlers[:] = [mine]
    logging.getLogger("fluidstack_client").handlers[:] = []
    monkeypatch.setenv("FLUIDSTACK_LOG", "info")
    Fluidstack("t", base_url="http://127.0.0.1:9").close()
    assert logging.getLogger("httpx").handlers == [mine]
    assert logging.getLogger("httpx").level == logging.INFO
    assert len(logging.getLogger("fluidstack_client").handlers) == 1


@pytest.mark.usefixtures("fresh_logging")
def test_only_the_first_client_reads_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NAMES:
        logging.getLogger(name).handlers[:] = []
    monkeypatch.delenv("FLUIDSTACK_LOG", raising=False)
    Fluidstack("t", base_url="http://127.0.0.1:9").close()
    monkeypatch.setenv("FLUIDSTACK_LOG", "debug")
    Fluidstack("t", base_url="http://127.0.0.1:9").close()
    assert all(logging.getLogger(name).handlers == [] for name in NAMES)


def test_without_fluidstack_log_no_handler_is_added(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_logs, "_done", False)
    monkeypatch.delenv("FLUIDSTACK_LOG", raising=False)
    before = {
        name: list(logging.getLogger(name).handlers) for name in ("fluidstack_client", "httpx")
    }
    Fluidstack("t", base_url="http://127.0.0.1:9").close()
    assert before == {n: list(logging.getLogger(n).handlers) for n in before}


@pytest.mark.usefixtures("fresh_logging")
@pytest.mark.parametrize(
    ("value", "shown"),
    [("verbose", "'verbose'"), ("x" * 50, repr("x" * 20)), (" Trace ", "'trace'")],
)
def test_a_bad_fluidstack_log_says_what_it_got(
    monkeypatch: pytest.MonkeyPatch, value: str, shown: str
) -> None:
    """A value that means nothing ("verbose", a level the client does not offer) is
    refused, and the message says what it got (shortened, lowered, stripped)."""
    monkeypatch.setenv("FLUIDSTACK_LOG", value)
    with pytest.raises(ConfigurationError) as info:
        Fluidstack("t", base_url="http://127.0.0.1:9")
    assert str(info.value) == f"FLUIDSTACK_LOG must be 'info' or 'debug', got {shown}"


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


@pytest.mark.slow
def test_fluidstack_log_prints_the_client_and_httpx_lines_to_stderr(
    served_fake: FakeServer,
) -> None:
    """In a fresh interpreter (a subprocess), as a user runs a program."""
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
async def test_an_instrumented_http_client_gives_one_span_per_attempt(
    served_fake: FakeServer, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    provider, exporter = spans
    served_fake.fake.fail_next(2, status=503, route="ListClusters")
    async with httpx.AsyncClient() as http:
        HTTPXClientInstrumentor.instrument_client(http, tracer_provider=provider)
        async with AsyncFluidstack(
            "fake-token", base_url=served_fake.base_url, http_client=http, retry_policy=EVEN
        ) as fs:
            clusters = await fs.clusters.list()
    assert [c.name for c in clusters] == ["train-k8s", "hpc-slurm"]
    finished = exporter.get_finished_spans()
    assert [span.name for span in finished] == ["GET"] * 3
    assert _statuses(finished) == [503, 503, 200]
    for span in finished:
        assert "fake-token" not in str(span.to_json())


@pytest.mark.extras
async def test_global_instrumentation_covers_the_clients_own_pools(
    served_fake: FakeServer, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    """Reads and writes alike (a write goes over a pool of its own)."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    provider, exporter = spans
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        served_fake.fake.fail_next(1, status=500, route="ListKeys")
        async with AsyncFluidstack(
            "fake-token", base_url=served_fake.base_url, retry_policy=EVEN
        ) as fs:
            await fs.keys.list()
            await fs.keys.register(name="laptop", key="ssh-ed25519 AAAA laptop")
    finally:
        instrumentor.uninstrument()
    finished = exporter.get_finished_spans()
    assert [span.name for span in finished] == ["GET", "GET", "POST"]
    assert _statuses(finished) == [500, 200, 200]
