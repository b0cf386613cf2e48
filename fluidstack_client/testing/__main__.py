"""python -m fluidstack_client.testing --host 127.0.0.1 --port 8080 --token TOKEN

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
    args = parser.parse_args(argv)
    server = FakeServer(FakeAPI(token=args.token), host=args.host, port=args.port)
    print(server.base_url, flush=True)
    print(f"fake Fluidstack API; token {args.token!r}; Ctrl-C to stop", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
