"""`python -m fluidstack_client.testing`, run as a user runs it: a subprocess serving
on 127.0.0.1. What it prints (its URL first, then credentials that work), what it
advertises (`--public-url`), its seed file, and every way it can fail: one line on
stderr and a non-zero exit, never a traceback. Each test starts a subprocess: `slow`."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fluidstack_client import ClientCredentials, Fluidstack
from fluidstack_client.testing import DEFAULT_PROJECT_ID
from fluidstack_client.testing._seed import PROJECT_B

pytestmark = pytest.mark.slow

PROG = "python -m fluidstack_client.testing"
COMMAND = [sys.executable, "-m", "fluidstack_client.testing"]


def free_port() -> int:
    """A port that is free now, for the fake to take."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Running:
    proc: subprocess.Popen[str]
    base_url: str
    said: list[str]  # the stderr lines printed at start

    def env_words(self) -> dict[str, str]:
        return dict(w.split("=", 1) for line in self.said for w in line.split() if "=" in w)


@contextmanager
def running(*args: str, info_lines: int = 2) -> Iterator[Running]:
    """The fake serving in a subprocess, its base URL read from its first line of
    stdout and its first `info_lines` lines of stderr; stopped afterwards."""
    proc = subprocess.Popen(
        [*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stderr is not None
        base_url = proc.stdout.readline().strip()
        said = [proc.stderr.readline().strip() for _ in range(info_lines)]
        assert base_url, f"no base URL; stderr: {said}"
        yield Running(proc, base_url, said)
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def fails(*args: str) -> tuple[int, str, str]:
    """Its exit status, stdout and stderr, given arguments it must refuse."""
    done = subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    return done.returncode, done.stdout, done.stderr


# -- what it prints ---------------------------------------------------------------------------


def test_command_line_server_prints_its_url_first() -> None:
    with running("--port", "0", "--token", "cli") as fake:
        assert fake.base_url.startswith("http://127.0.0.1:")
        assert fake.base_url.endswith("/api/v1alpha1")
        with Fluidstack("cli", base_url=fake.base_url) as fs:
            assert [r.name for r in fs.regions.list()] == ["us-east-1", "eu-west-1"]
            assert len(fs.region("eu-west-1", project_id=PROJECT_B).instances.list()) == 1


def test_command_line_server_prints_client_credentials_that_work() -> None:
    with running("--port", "0", "--token-lifetime", "60") as fake:
        said = fake.env_words()
        creds = ClientCredentials(
            said["FLUIDSTACK_CLIENT_ID"],
            said["FLUIDSTACK_CLIENT_SECRET"],
            token_url=said["FLUIDSTACK_TOKEN_URL"],
        )
        with Fluidstack(creds, base_url=fake.base_url) as fs:
            assert [r.name for r in fs.regions.list()] == ["us-east-1", "eu-west-1"]


# -- where it listens ----------------------------------------------------------------------


def test_a_port_in_use_is_one_line_and_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, out, err = fails("--port", str(port))
    assert status == 1
    assert out == ""
    assert err == (
        f"{PROG}: error: cannot listen on 127.0.0.1:{port}: the port is already in use "
        "(pick another --port, or --port 0 for a free one)\n"
    )


def test_an_unknown_host_is_one_line_and_exit_1() -> None:
    status, _, err = fails("--host", "no-such-host.invalid")
    assert status == 1
    assert err == (
        f"{PROG}: error: cannot listen on no-such-host.invalid:0: 'no-such-host.invalid' is "
        "not an address or a host name that resolves\n"
    )


# -- what it advertises ---------------------------------------------------------------------


def test_public_url_is_advertised_everywhere_and_works() -> None:
    port = free_port()
    public = f"http://localhost:{port}"  # not the address it listens on (127.0.0.1)
    with running(
        "--port", str(port), "--public-url", public, "--token-lifetime", "60", info_lines=3
    ) as fake:
        assert fake.base_url == f"{public}/api/v1alpha1"
        assert fake.said[2] == f"listening on http://127.0.0.1:{port}; advertising {public}"
        said = fake.env_words()
        assert said["FLUIDSTACK_TOKEN_URL"] == f"{public}/oauth/token"
        creds = ClientCredentials(
            said["FLUIDSTACK_CLIENT_ID"],
            said["FLUIDSTACK_CLIENT_SECRET"],
            token_url=said["FLUIDSTACK_TOKEN_URL"],
        )
        with Fluidstack(creds, base_url=fake.base_url) as fs:
            regions = fs.regions.list()
            assert [r.url for r in regions] == [
                f"{public}/regional/{name}/api/v1alpha1" for name in ("us-east-1", "eu-west-1")
            ]
            west = fs.region("eu-west-1", project_id=PROJECT_B)
            assert [i.name for i in west.instances.list()] == ["gpu-eval-0"]


def test_public_url_may_carry_the_api_path() -> None:
    port = free_port()
    with running(
        "--port", str(port), "--public-url", f"http://127.0.0.1:{port}/api/v1alpha1/"
    ) as fake:
        assert fake.base_url == f"http://127.0.0.1:{port}/api/v1alpha1"
        with Fluidstack("fake-token", base_url=fake.base_url) as fs:
            assert len(fs.instances.list()) == 3


def test_a_plain_http_public_url_elsewhere_gets_a_note() -> None:
    with running("--public-url", "http://fake.internal:8080", info_lines=4) as fake:
        assert fake.base_url == "http://fake.internal:8080/api/v1alpha1"
        assert fake.said[3].startswith(
            "note: fluidstack_client sends a token over plain http to loopback hosts only"
        )


@pytest.mark.parametrize(
    ("public_url", "reason"),
    [
        ("http://0.0.0.0:8080", "0.0.0.0 means 'every interface' to a server"),
        ("ftp://fake:21", "must be an absolute http(s) URL like 'http://127.0.0.1:8080'"),
        ("fake:8080", "must be an absolute http(s) URL"),
        ("http://user:pw@fake", "must not contain credentials (user:password@)"),
        ("http://fake/?x=1", "must have no query or fragment"),
    ],
)
def test_a_bad_public_url_is_refused_before_listening(public_url: str, reason: str) -> None:
    status, out, err = fails("--host", "127.0.0.1", "--public-url", public_url)
    assert status == 2
    assert out == ""
    last = err.splitlines()[-1]
    assert last.startswith(f"{PROG}: error: argument --public-url: ")
    assert reason in last


# -- its arguments and seed file ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--port", "70000"], "argument --port: '70000' is not a port (0 to 65535"),
        (["--port", "http"], "argument --port: 'http' is not a port"),
        (["--token-lifetime", "0"], "argument --token-lifetime: '0' is not a number of seconds"),
        (["--token", "with space"], "FakeAPI(token=...) must be a non-empty string"),
        (["--max-recorded-requests", "0"], "max_recorded_requests must be a whole number >= 1"),
        (["--max-recorded-body", "-1"], "max_recorded_body must be a whole number >= 0"),
        (["--idle-timeout", "0"], "idle_timeout must be"),
        (["--max-connections", "0"], "max_connections must be a whole number >= 1"),
    ],
)
def test_bad_arguments_exit_2(args: list[str], reason: str) -> None:
    status, _, err = fails(*args)
    assert status == 2
    assert reason in err.splitlines()[-1]
    assert "with space" not in err


def test_the_connection_limits_are_options() -> None:
    """--max-connections and --idle-timeout reach the server: past the cap a
    connection gets a 503, and an idle one is closed after the timeout."""
    with running("--max-connections", "1", "--idle-timeout", "0.5") as fake:
        address = (httpx.URL(fake.base_url).host, httpx.URL(fake.base_url).port or 80)
        with socket.create_connection(address, timeout=5) as first:
            first.sendall(b"GET /api/v1alpha1/regions HTTP/1.1\r\nHost: x\r\n")  # half sent
            with socket.create_connection(address, timeout=5) as second:
                second.sendall(b"GET /api/v1alpha1/regions HTTP/1.1\r\nHost: x\r\n\r\n")
                assert second.recv(65536).startswith(b"HTTP/1.1 503")
            started = time.monotonic()
            first.recv(65536)  # closed by the server once idle (or answered 408)
            assert time.monotonic() - started < 4


def test_seed_file(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "regions": {"ap-1": {"capacity": {"h100-80gb-sxm": 0}}},
                "instances": [{"name": "x"}],
                "keys": [],
            }
        )
    )
    args = ["--seed", str(seed), "--seconds-per-request", "0", "--duration", "creating=0"]
    with running(*args) as fake:
        fs = Fluidstack("fake-token", base_url=fake.base_url)
        with fs:
            assert [r.name for r in fs.regions.list()] == ["ap-1"]
            ap = fs.region("ap-1", project_id=DEFAULT_PROJECT_ID)
            (only,) = ap.instances.list()
            assert (only.name, only.state) == ("x", "running")
            assert fs.keys.list() == []
            created = ap.instances.create(name="y", type="h100-80gb-sxm")
            assert ap.instances.get(created.id).state == "out-of-stock"  # no waiting: 0 s


def test_bad_clock_arguments_exit_2() -> None:
    for args, reason in [
        (["--duration", "booting=1"], "'booting=1' is not STATE=SECONDS with STATE one of"),
        (["--duration", "creating=-1"], "'-1' is not a number of seconds >= 0"),
        (["--seconds-per-request", "x"], "'x' is not a number of seconds >= 0"),
    ]:
        status, _, err = fails(*args)
        assert status == 2
        assert reason in err.splitlines()[-1]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"instances": [{"nmae": "x"}]}', "instances[0]: unknown field 'nmae' (did you mean"),
        ('{"instance": []}', "unknown key(s) 'instance'; expected any of regions, organizations"),
        ("[1, 2]", "expected a JSON object, got list"),
        ("{", "not JSON"),
        (None, "cannot read it"),
    ],
)
def test_a_bad_seed_file_exits_2(tmp_path: Path, content: str | None, reason: str) -> None:
    seed = tmp_path / "seed.json"
    if content is not None:
        seed.write_text(content)
    status, out, err = fails("--seed", str(seed))
    assert status == 2
    assert out == ""
    assert err.startswith(f"{PROG}: error: --seed {seed}: ")
    assert reason in err


# -- secrets and stopping --------------------------------------------------------------------


def test_credentials_the_user_chose_are_not_printed() -> None:
    with running("--token", "my-own-token", "--client-secret", "my-own-secret") as fake:
        said = "\n".join(fake.said)
        assert "my-own-token" not in said
        assert "my-own-secret" not in said
        assert "token <as given with --token>" in said
        assert "FLUIDSTACK_CLIENT_SECRET=<as given with --client-secret>" in said
        with Fluidstack("my-own-token", base_url=fake.base_url) as fs:
            assert len(fs.keys.list()) == 1


def test_sigterm_stops_it_cleanly() -> None:
    with running() as fake:
        fake.proc.send_signal(signal.SIGTERM)
        assert fake.proc.wait(timeout=10) == 0
        assert fake.proc.stderr is not None
        assert "Traceback" not in fake.proc.stderr.read()
