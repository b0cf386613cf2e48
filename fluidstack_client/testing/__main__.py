"""python -m fluidstack_client.testing --host 127.0.0.1 --port 8080 --token TOKEN
    [--client-id ID --client-secret SECRET --token-lifetime SECONDS]

Serves a fake Management API until interrupted. The first line printed is its
base URL, so scripts can read it: `url=$(python -m ... | head -1)`.
"""

from __future__ import annotations

import argparse
import sys

from ._fake import FakeAPI
from ._server import FakeServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fluidstack_client.testing")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--token", default="fake-token", help="bearer token it accepts")
    parser.add_argument("--client-id", default="fake-client-id", help="OAuth client id")
    parser.add_argument("--client-secret", default="fake-client-secret", help="OAuth secret")
    parser.add_argument(
        "--token-lifetime", type=float, default=3600.0, help="seconds an issued token lives"
    )
    args = parser.parse_args(argv)
    fake = FakeAPI(
        token=args.token,
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_lifetime=args.token_lifetime,
    )
    server = FakeServer(fake, host=args.host, port=args.port)
    print(server.base_url, flush=True)
    print(
        f"fake Fluidstack API; token {args.token!r}; Ctrl-C to stop\n"
        f"OAuth client credentials: FLUIDSTACK_CLIENT_ID={args.client_id} "
        f"FLUIDSTACK_CLIENT_SECRET={args.client_secret} "
        f"FLUIDSTACK_TOKEN_URL={fake.token_url} "
        f"(tokens live {args.token_lifetime:g}s)",
        file=sys.stderr,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
