"""`FLUIDSTACK_LOG` as a user sets it, in process (the subprocess run is in
tests/test_observability.py): which loggers get a stderr handler, at which level and
format, what a bad value says; and the token scrubbed from httpx's own log lines."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pytest
from clients import MODES, TOKEN, run
from scripted_server import Reply, ScriptedServer

from fluidstack_client import ConfigurationError, Fluidstack, _logs
from fluidstack_client._redact import REDACTED

NAMES = ("fluidstack_client", "httpx", "httpcore")


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


@pytest.mark.usefixtures("fresh_logging")
@pytest.mark.parametrize(
    ("value", "shown"),
    [("verbose", "'verbose'"), ("x" * 50, repr("x" * 20)), (" Trace ", "'trace'")],
)
def test_a_bad_fluidstack_log_says_what_it_got(
    monkeypatch: pytest.MonkeyPatch, value: str, shown: str
) -> None:
    monkeypatch.setenv("FLUIDSTACK_LOG", value)
    with pytest.raises(ConfigurationError) as info:
        Fluidstack("t", base_url="http://127.0.0.1:9")
    assert str(info.value) == f"FLUIDSTACK_LOG must be 'info' or 'debug', got {shown}"


@pytest.mark.parametrize("mode", MODES)
def test_the_token_is_scrubbed_from_httpx_log_lines(
    mode: str, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    # httpx logs each request's URL and reason phrase: here the path carries the token.
    server.default = Reply(204)
    with caplog.at_level(logging.INFO, logger="httpx"):
        run(mode, server.url, lambda fs: fs.keys.deregister(f"k-{TOKEN}"))
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(lines) == 1
    assert f"/user/keys/k-{REDACTED}" in lines[0]
    assert TOKEN not in lines[0]
    record = next(r for r in caplog.records if r.name == "httpx")
    assert record.args is None  # the message was replaced, not left to format again


def test_each_logger_gets_one_scrubbing_filter_however_many_tokens() -> None:
    # A service that builds a client (so a token) per request must not pile filters onto
    # httpx's loggers: one filter serves every live token.
    from fluidstack_client._redact import LOGGERS

    def scrubbers() -> list[int]:
        loggers = [logging.getLogger(name) for name in LOGGERS]
        return [sum(type(f).__name__ == "_Scrub" for f in lg.filters) for lg in loggers]

    clients = [Fluidstack(f"sk-test-token-number-{i:04d}") for i in range(3)]
    assert scrubbers() == [1] * len(LOGGERS)
    clients += [Fluidstack(f"sk-test-token-number-{i:04d}") for i in range(3, 6)]
    assert scrubbers() == [1] * len(LOGGERS)


@pytest.mark.parametrize("mode", MODES)
def test_a_token_in_the_base_urls_path_is_scrubbed_from_the_region_log_line(
    mode: str, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    # (A gateway may take the token in its path; the log line still must not show it.)
    server.default = Reply(json=[{"name": "r1", "url": f"{server.url}/r1"}])
    with caplog.at_level(logging.INFO, logger="fluidstack_client"):
        run(mode, f"{server.url}/gw/{TOKEN}", lambda fs: fs.region("r1"))
    lines = [r.getMessage() for r in caplog.records if r.name == "fluidstack_client"]
    assert lines == [f"fetched 1 regions from {server.url}/gw/{REDACTED}/regions: r1"]
