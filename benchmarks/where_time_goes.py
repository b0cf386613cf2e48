"""Where the time goes: the wrapper's call, list parsing and the import, by layer.

    .venv/bin/python benchmarks/where_time_goes.py [--calls 20000] [--parse 10000]

`make bench` says how far each measure is from raw httpx; this says why. Each part
runs the same code as bench.py's row of the same name (its in-process transport,
its list body), under cProfile for calls and parsing (which slows small functions
more than big ones: read the shares, not the microseconds) and `-X importtime` in
fresh interpreters for the import. Time is charged to the layer whose code ran it
(tottime): httpx and httpcore, the generated models, the rest of the generated
code, the hand-written wrapper, attrs, json, the rest of the standard library.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench

from fluidstack_client._generated.management.api.instances import get_instance
from fluidstack_client._generated.management.models import Instance

LAYERS = [
    ("httpx/httpcore", ("/httpx/", "/httpcore/", "/h11/")),
    ("generated models", ("/_generated/models/",)),
    ("generated other", ("/_generated/",)),
    ("wrapper", ("/fluidstack_client/",)),
    ("attrs", ("/attr/", "/attrs/", "<attrs generated")),
    ("json", ("/json/", "{method 'decode'", "raw_decode")),
    ("benchmark", ("/benchmarks/",)),
]


def layer(where: str) -> str:
    for name, marks in LAYERS:
        if any(mark in where for mark in marks):
            return name
    return "stdlib/builtins"


def profile(fn: Callable[[], object], times: int) -> tuple[Counter[str], float]:
    for _ in range(min(times, 500)):  # warm
        fn()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(times):
        fn()
    profiler.disable()
    stats = pstats.Stats(profiler)
    shares: Counter[str] = Counter()
    for (file, line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        shares[layer(f"{file}:{line}({name})")] += row[2]  # tottime
    return shares, sum(shares.values())


def table(title: str, rows: dict[str, tuple[Counter[str], float]], per: int, unit: str) -> None:
    names = [name for name, _ in LAYERS] + ["stdlib/builtins"]
    used = [n for n in names if any(shares[n] for shares, _ in rows.values())]
    print(f"\n### {title} ({unit}, profiled; shares are what to read)\n")
    print("| layer | " + " | ".join(rows) + " |")
    print("| --- |" + " --- |" * len(rows))
    for name in used:
        cells = [
            f"{shares[name] / per * 1e6:,.1f} ({shares[name] / total:.0%})"
            for shares, total in rows.values()
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    totals = [f"{total / per * 1e6:,.1f}" for _, total in rows.values()]
    print("| **total** | " + " | ".join(totals) + " |")


def calls(count: int) -> None:
    url = f"http://{bench.HOST}"
    raw_http = bench.sync_http(url, auth=True, transport=bench.FixedTransport())
    gen = bench.generated(bench.sync_http(url, auth=True, transport=bench.FixedTransport()))
    fs_http = bench.sync_http(url, auth=False, transport=bench.FixedTransport())
    fs = bench.sync_wrapper(url, fs_http)
    absolute = url + bench.PATH_ONE
    rows = {
        "raw httpx": profile(lambda: raw_http.get(absolute).json(), count),
        "generated": profile(
            lambda: get_instance.sync_detailed(bench.INSTANCE_ID, client=gen).parsed, count
        ),
        "wrapper": profile(lambda: fs.instances.get(bench.INSTANCE_ID), count),
    }
    table("client CPU per sync `instances.get`, in-process transport", rows, count, "µs/call")


def parse(count: int) -> None:
    body = bench.list_body(count)
    fs = bench.sync_wrapper(
        f"http://{bench.HOST}",
        bench.sync_http(f"http://{bench.HOST}", auth=False, transport=bench.FixedTransport(body)),
    )
    repeat = max(1, 20_000 // count)

    def gen() -> object:
        return [Instance.from_dict(item) for item in json.loads(body)]

    rows = {
        "json.loads": profile(lambda: json.loads(body), repeat),
        "generated (GC on)": profile(gen, repeat),
        "wrapper list()": profile(fs.instances.list, repeat),
    }
    table(f"parse N={count:,} instances, GC on", rows, repeat * count, "µs/instance")
    gc.collect()


def imports() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    statements = {
        "import httpx": "import httpx",
        "AsyncFluidstack": "from fluidstack_client import AsyncFluidstack",
    }
    subprocess.run([sys.executable, "-c", "; ".join(statements.values())], env=env, check=True)
    best: dict[str, Counter[str]] = {}
    for name, statement in statements.items():
        for _ in range(5):
            out = subprocess.run(
                [sys.executable, "-X", "importtime", "-c", statement],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stderr
            for line in out.splitlines()[1:]:
                self_us, _, module = (part.strip() for part in line.split(":", 1)[1].split("|"))
                seen = best.setdefault(name, Counter())
                key = f"{_import_group(module)}\0{module}"
                seen[key] = min(seen.get(key, 10**12), int(self_us))
    print("\n### `from fluidstack_client import AsyncFluidstack` vs `import httpx`")
    print("(ms of module execution, each module's best of 5 fresh processes)\n")
    baseline = {k.split("\0")[1] for k in best["import httpx"]}
    extra: Counter[str] = Counter()
    shared = 0
    for key, value in best["AsyncFluidstack"].items():
        group, module = key.split("\0")
        if module in baseline:
            shared += value
        else:
            extra[group] += value
    print(
        f"| modules | ms |\n| --- | --- |\n| what `import httpx` loads too | {shared / 1e3:.1f} |"
    )
    for group, value in extra.most_common():
        print(f"| {group} | {value / 1e3:.1f} |")


def _import_group(module: str) -> str:
    for prefix, name in [
        ("fluidstack_client._generated.management.models", "generated models"),
        ("fluidstack_client._generated.management.api", "generated endpoint modules"),
        ("fluidstack_client._generated", "generated client and types"),
        ("fluidstack_client", "the wrapper"),
        ("attr", "attrs"),
        ("asyncio", "asyncio (an async program has it already)"),
        ("concurrent", "asyncio (an async program has it already)"),
    ]:
        if module.startswith(prefix):
            return name
    return "other standard library"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--parse", type=int, default=10_000)
    args = parser.parse_args()
    calls(args.calls)
    parse(args.parse)
    imports()


if __name__ == "__main__":
    main()
