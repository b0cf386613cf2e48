"""python -m fluidstack_client.testing [--host HOST] [--port PORT] [--public-url URL]
    [--token TOKEN] [--client-id ID --client-secret SECRET --token-lifetime SECONDS]
    [--seed FILE] [--seconds-per-request SECONDS] [--duration STATE=SECONDS ...]

Serves a fake Management API, and each of its regions' APIs, until interrupted
(Ctrl-C or SIGTERM). The first line printed is its base URL, so scripts can read
it: `url=$(python -m ... | head -1)`.
In a container, listen on every interface and say where clients reach it:

    python -m fluidstack_client.testing --host 0.0.0.0 --port 8080 \\
        --public-url http://127.0.0.1:8080      # the host's published port

Anything it cannot do (a port in use, a bad URL or seed file) is one line on
stderr and a non-zero exit: 2 for a bad argument, 1 when it cannot listen.
"""

from __future__ import annotations

import argparse
import errno
import json
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from fluidstack_client._config import is_loopback

from ._errors import FakeUsageError
from ._fake import (
    DEFAULT_MAX_RECORDED_BODY,
    DEFAULT_MAX_RECORDED_REQUESTS,
    FakeAPI,
    checked_origin,
)
from ._regional import DEFAULT_DURATIONS, DEFAULT_SECONDS_PER_REQUEST, TRANSIENT
from ._schema import KIND_BY_ARGUMENT
from ._server import IDLE_TIMEOUT, MAX_CONNECTIONS, FakeServer

PROG = "python -m fluidstack_client.testing"
DEFAULTS = {
    "token": "fake-token",
    "client_id": "fake-client-id",
    "client_secret": "fake-client-secret",
}
SEED_KEYS = ("regions", *KIND_BY_ARGUMENT)


class _Failed(Exception):
    """One line for stderr, and the exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535; 0: a free one)")
    return port


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return seconds


def _clock_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds >= 0")
    return seconds


def _duration(text: str) -> tuple[str, float]:
    state, _, seconds = text.partition("=")
    if state not in TRANSIENT:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not STATE=SECONDS with STATE one of {', '.join(TRANSIENT)}"
        )
    return state, _clock_seconds(seconds)


def _public_url(text: str) -> str:
    try:
        return checked_origin(text, "--public-url")
    except FakeUsageError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--public-url ")) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Serve a fake Fluidstack Management API, and its regions' APIs, "
        "until interrupted.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface, "
        "as in a container)",
    )
    parser.add_argument(
        "--port", type=_port, default=0, help="port to listen on (default 0: a free one)"
    )
    parser.add_argument(
        "--public-url",
        type=_public_url,
        metavar="URL",
        help="the URL clients reach the fake at, when it is not the address it listens "
        "on (a published container port, a proxy): advertised as the base URL, in "
        "the region URLs and as the token URL (default: the listening address; "
        "127.0.0.1 when listening on 0.0.0.0)",
    )
    parser.add_argument("--token", default=DEFAULTS["token"], help="bearer token it accepts")
    parser.add_argument("--client-id", default=DEFAULTS["client_id"], help="OAuth client id")
    parser.add_argument(
        "--client-secret", default=DEFAULTS["client_secret"], help="OAuth client secret"
    )
    parser.add_argument(
        "--token-lifetime",
        type=_seconds,
        default=3600.0,
        metavar="SECONDS",
        help="seconds an issued token lives (default 3600)",
    )
    parser.add_argument(
        "--seed",
        type=Path,
        metavar="FILE",
        help="a JSON object of seed data: any of " + ", ".join(SEED_KEYS) + ", as "
        "FakeAPI(...) takes them (a list left out gets the default data)",
    )
    parser.add_argument(
        "--seconds-per-request",
        type=_clock_seconds,
        default=DEFAULT_SECONDS_PER_REQUEST,
        metavar="SECONDS",
        help="seconds of the fake's clock each request takes (default "
        f"{DEFAULT_SECONDS_PER_REQUEST:g}; 0 stops the clock: instances stay in their "
        "states)",
    )
    parser.add_argument(
        "--max-recorded-requests",
        type=int,
        default=DEFAULT_MAX_RECORDED_REQUESTS,
        metavar="N",
        help=f"requests kept in its log, the newest (default {DEFAULT_MAX_RECORDED_REQUESTS:,})",
    )
    parser.add_argument(
        "--max-recorded-body",
        type=int,
        default=DEFAULT_MAX_RECORDED_BODY,
        metavar="BYTES",
        help=f"bytes of each request's body kept (default {DEFAULT_MAX_RECORDED_BODY:,})",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=IDLE_TIMEOUT,
        metavar="SECONDS",
        help=f"a connection that sends nothing this long is closed (default {IDLE_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=MAX_CONNECTIONS,
        metavar="N",
        help=f"connections served at once; more get 503 (default {MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--duration",
        type=_duration,
        action="append",
        default=[],
        metavar="STATE=SECONDS",
        help="seconds an instance stays in STATE (any of "
        + ", ".join(TRANSIENT)
        + f"; default {DEFAULT_DURATIONS['creating']:g} each); repeat for several",
    )
    return parser


def _seed(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise _Failed(f"--seed {path}: cannot read it ({exc.strerror or exc})", 2) from None
    except ValueError as exc:
        raise _Failed(f"--seed {path}: not JSON ({exc})", 2) from None
    if not isinstance(data, dict):
        raise _Failed(f"--seed {path}: expected a JSON object, got {type(data).__name__}", 2)
    unknown = sorted(set(data) - set(SEED_KEYS))
    if unknown:
        raise _Failed(
            f"--seed {path}: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"expected any of {', '.join(SEED_KEYS)}",
            2,
        )
    return data


def _listen_error(exc: OSError, host: str, port: int) -> _Failed:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        why = f"{host!r} is not an address or a host name that resolves"
    elif exc.errno == errno.EADDRINUSE:
        why = "the port is already in use (pick another --port, or --port 0 for a free one)"
    elif exc.errno == errno.EACCES:
        why = "permission denied (ports below 1024 need privileges; pick another --port)"
    elif exc.errno == errno.EADDRNOTAVAIL:
        why = f"{host} is not an address of this machine (try 127.0.0.1, or 0.0.0.0)"
    else:
        why = exc.strerror or str(exc)
    return _Failed(f"cannot listen on {where}: {why}", 1)


def _shown(option: str, key: str, value: str) -> str:
    """A credential the fake made up is shown; one the user chose is not (it may be real)."""
    return value if value == DEFAULTS[key] else f"<as given with {option}>"


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # as Ctrl-C: a clean stop, also as a container's PID 1


def _announce(args: argparse.Namespace, server: FakeServer) -> None:
    """The base URL on stdout (first line: scripts read it); the rest on stderr."""
    token = _shown("--token", "token", args.token)
    secret = _shown("--client-secret", "client_secret", args.client_secret)
    print(server.base_url, flush=True)
    print(f"fake Fluidstack API; token {token}; Ctrl-C to stop", file=sys.stderr)
    print(
        f"OAuth client credentials: FLUIDSTACK_CLIENT_ID={args.client_id} "
        f"FLUIDSTACK_CLIENT_SECRET={secret} FLUIDSTACK_TOKEN_URL={server.fake.token_url} "
        f"(tokens live {args.token_lifetime:g}s)",
        file=sys.stderr,
    )
    if args.public_url or server.public_origin != server.listening_origin:
        print(
            f"listening on {server.listening_origin}; advertising {server.public_origin}"
            + ("" if args.public_url else " (--public-url: the URL clients reach it at)"),
            file=sys.stderr,
        )
    advertised = httpx.URL(server.public_origin)
    if advertised.scheme == "http" and not is_loopback(advertised.host):
        print(
            "note: fluidstack_client sends a token over plain http to loopback hosts only, "
            f"so it refuses {server.public_origin}; put TLS in front of the fake and give "
            "an https --public-url",
            file=sys.stderr,
        )
    sys.stderr.flush()


def _serve(args: argparse.Namespace) -> int:
    seed = _seed(args.seed)
    try:
        fake = FakeAPI(
            token=args.token,
            client_id=args.client_id,
            client_secret=args.client_secret,
            token_lifetime=args.token_lifetime,
            durations=dict(args.duration),
            seconds_per_request=args.seconds_per_request,
            max_recorded_requests=args.max_recorded_requests,
            max_recorded_body=args.max_recorded_body,
            **seed,
        )
    except FakeUsageError as exc:
        seeding = str(exc).startswith("FakeAPI seed data")
        where = f"--seed {args.seed}: " if args.seed and seeding else ""
        raise _Failed(where + str(exc), 2) from None
    try:
        server = FakeServer(
            fake,
            host=args.host,
            port=args.port,
            public_url=args.public_url,
            idle_timeout=args.idle_timeout,
            max_connections=args.max_connections,
        )
    except FakeUsageError as exc:
        raise _Failed(str(exc), 2) from None
    except OSError as exc:
        raise _listen_error(exc, args.host, args.port) from None
    # Installed before the URL is printed: whoever read it may stop us at once.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _stop) if in_main_thread else None
    try:
        _announce(args, server)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
        server.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _serve(args)
    except _Failed as failed:
        print(f"{PROG}: error: {failed}", file=sys.stderr)
        return failed.status


if __name__ == "__main__":
    sys.exit(main())
