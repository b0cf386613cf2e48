"""The wrapper's cost against raw httpx, measured in one run on loopback.

    .venv/bin/python benchmarks/bench_client.py [--calls 500] [--concurrent 1000]

Prints a table: each figure next to its baseline and the ratio, and the design
budget it is held to (DESIGN.md). The server runs in a separate process on
127.0.0.1 so that it does not compete with the client for the GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from fluidstack_client import AsyncFluidstack, Fluidstack
from fluidstack_client._generated.api.instances import list_instances
from fluidstack_client._generated.client import Client

INSTANCE: dict[str, Any] = {
    "id": "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c",
    "name": "gpu-0",
    "type": "h100-80gb-sxm",
    "state": "running",
    "ip": "10.0.0.7",
    "image": "ubuntu-22.04",
    "preemptible": False,
    "ephemeral": True,
    "tags": {"team": "ml"},
    "project_id": "5b1f6a7e-2d3c-4b5a-9e8f-0a1b2c3d4e5f",
    "region": "us-east-1",
    "health": "healthy",
    "updated_at": "2026-11-27T10:11:12.123456789Z",
}
BODY = json.dumps(INSTANCE).encode()


class _Server(ThreadingHTTPServer):
    request_queue_size = 2048
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


def _serve(port: int) -> None:
    _Server(("127.0.0.1", port), _Handler).serve_forever()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _best(fn: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_sequential(url: str, calls: int) -> tuple[float, float]:
    path = f"{url}/instances/{INSTANCE['id']}"

    def raw() -> None:
        with httpx.Client() as http:
            for _ in range(calls):
                http.get(path).json()

    def ours() -> None:
        with Fluidstack("bench-token", base_url=url) as fs:
            for _ in range(calls):
                fs.instances.get(INSTANCE["id"])

    raw()  # warm up
    ours()
    return _best(raw) / calls, _best(ours) / calls


def bench_concurrent(url: str, tasks: int) -> tuple[float, float]:
    path = f"{url}/instances/{INSTANCE['id']}"

    async def raw() -> None:
        async with httpx.AsyncClient(timeout=120) as http:
            await asyncio.gather(*(http.get(path) for _ in range(tasks)))

    async def ours() -> None:
        async with AsyncFluidstack("bench-token", base_url=url, timeout=120) as fs:
            await asyncio.gather(*(fs.instances.get(INSTANCE["id"]) for _ in range(tasks)))

    raw_s = _best(lambda: asyncio.run(raw()), repeat=1)
    ours_s = _best(lambda: asyncio.run(ours()), repeat=2)
    return tasks / raw_s, tasks / ours_s


def bench_parse(count: int) -> tuple[float, float]:
    body = json.dumps([INSTANCE] * count).encode()
    request = httpx.Request("GET", "http://127.0.0.1/instances")
    client = Client(base_url="http://127.0.0.1")

    def baseline() -> None:
        json.loads(body)

    def ours() -> None:
        response = httpx.Response(200, content=body, request=request)
        list_instances._build_response(client=client, response=response)

    return _best(baseline, 5), _best(ours, 5)


def bench_import() -> tuple[float, float, float]:
    """Seconds to import httpx, fluidstack_client, and AsyncFluidstack from it
    (each in a fresh interpreter, minus the interpreter's own start-up)."""

    def cost(statement: str) -> float:
        runs = []
        for _ in range(9):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", statement], check=True)
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)

    interpreter = cost("import sys")
    return (
        cost("import httpx") - interpreter,
        cost("import fluidstack_client") - interpreter,
        cost("from fluidstack_client import AsyncFluidstack") - interpreter,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--concurrent", type=int, default=1000)
    parser.add_argument("--instances", type=int, default=10_000)
    args = parser.parse_args()

    port = _free_port()
    server = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/ping")
            break
        except httpx.TransportError:
            time.sleep(0.05)
    try:
        rows = []
        raw, ours = bench_sequential(url, args.calls)
        rows.append(("sequential call (ms)", raw * 1e3, ours * 1e3, ours / raw, "<= 1.10"))
        raw, ours = bench_concurrent(url, args.concurrent)
        rows.append((f"{args.concurrent} concurrent (calls/s)", raw, ours, ours / raw, ">= 0.90"))
        raw, ours = bench_parse(args.instances)
        rows.append(
            (f"parse {args.instances} instances (ms)", raw * 1e3, ours * 1e3, ours / raw, "<= 2.5")
        )
        raw, ours, client = bench_import()
        rows.append(("import fluidstack_client (ms)", raw * 1e3, ours * 1e3, ours / raw, "<= 1.5"))
        rows.append(
            ("import AsyncFluidstack (ms)", raw * 1e3, client * 1e3, client / raw, "<= 1.5")
        )
    finally:
        server.terminate()

    print(f"{'measure':34} {'baseline':>10} {'ours':>10} {'ratio':>7}  budget")
    for name, base, mine, ratio, budget in rows:
        print(f"{name:34} {base:10.2f} {mine:10.2f} {ratio:7.2f}  {budget}")
    print("baselines: raw httpx (calls), json.loads alone (parse), import httpx (import)")


if __name__ == "__main__":
    main()
