"""The benchmarks cannot rot: `benchmarks/bench.py --smoke` prints every row of its table
with figures, and `benchmarks/where_time_goes.py` charges each layer.

It checks that every measure is printed with figures, not that any target is met
(a smoke run is too small, and CI machines too noisy, for the figures to mean much).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.tooling, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent.parent
BENCH = ROOT / "benchmarks" / "bench.py"

# Every row of the table, by the start of its label (the smoke run parses N=100).
ROWS = [
    "client CPU per sync `instances.get`, in-process transport",
    "the same, the wrapper with the speed extra (msgspec decoder)",
    "client CPU per sync regional `instances.get` (RegionClient), in-process transport",
    "sync `instances.get` over loopback, wall per call",
    "sync `instances.get` over loopback, client CPU per call",
    "sync over loopback, wall per call: wrapper on its own pool",
    "async sequential over loopback, wall per call (",
    "async sequential over loopback, wall per call: wrapper on its own pool",
    "async sequential over loopback, fresh process, `import sniffio` fails",
    "async sequential over loopback, fresh process, `import sniffio` succeeds",
    "20 concurrent calls on one client, cold pool",
    "20 concurrent calls on one client, warm pool",
    "parse N=100 instances",
    "parse N=100, the wrapper with the speed extra",
    "parse N=100, the wrapper without its GC pause",
    "peak memory holding N=100 parsed vs raw httpx",
    "peak memory holding N=100 parsed, with the speed extra",
    "`import fluidstack_client` vs `import httpx`",
    "`from fluidstack_client import AsyncFluidstack` vs `import httpx`",
    "`from fluidstack_client import Fluidstack` vs `import httpx`",
]
# Rows with no generated figure (the wrapper on its own pool against raw httpx).
NO_GENERATED = {ROWS[5], ROWS[7]}
NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"
FIGURE = re.compile(rf"^{NUMBER}(?: \({NUMBER}-{NUMBER}\))?(?: x{NUMBER})?$")
RATIO = re.compile(rf"^{NUMBER}(?: \({NUMBER}-{NUMBER}\))?$")
STATUS = re.compile(r"^(—|[≤≥] [0-9.]+x (met|NOT met))$")


@pytest.mark.timeout(240)  # ~11 s on a 2-core machine; generous for a loaded CI runner
def test_smoke_run_prints_every_row_with_figures(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--smoke", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=220,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]

    lines = done.stdout.splitlines()
    header = lines.index("| measure | raw httpx | generated | wrapper | wrapper/raw | target |")
    assert "CPUs" in lines[0]
    assert "httpx" in lines[0]
    assert "httpcore" in lines[0]
    assert "attrs" in lines[0]
    assert lines[header + 1] == "| --- | --- | --- | --- | --- | --- |"
    rows = []
    for line in lines[header + 2 :]:
        if not line.startswith("| "):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    assert len(rows) == len(ROWS), "\n".join(" | ".join(r) for r in rows)

    for prefix, cells in zip(ROWS, rows, strict=True):
        measure, raw, gen, wrapper, ratio, status = cells
        assert measure.startswith(prefix), (prefix, measure)
        assert FIGURE.match(raw), cells
        assert FIGURE.match(wrapper), cells
        assert RATIO.match(ratio), cells
        assert STATUS.match(status), cells
        if prefix in NO_GENERATED:
            assert gen == "—", cells
        else:
            assert FIGURE.match(gen), cells
            assert " x" in gen, cells

    figures = json.loads(out.read_text())
    assert [f"{row['measure']} ({row['unit']})" for row in figures["rows"]] == [r[0] for r in rows]
    for row in figures["rows"]:
        for series in ("raw", "wrapper", "wrapper_over_raw"):
            assert row[series], row
            assert all(isinstance(v, float) and v > 0 for v in row[series]), row
    assert figures["limits"]["max_connections"] == figures["limits"]["max_keepalive_connections"]


def test_the_profile_by_layer_runs_and_charges_each_layer() -> None:
    """`benchmarks/where_time_goes.py` (the closing notes' profiles) cannot rot either."""
    script = ROOT / "benchmarks" / "where_time_goes.py"
    out = subprocess.run(
        [sys.executable, str(script), "--calls", "50", "--parse", "200"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert "| layer | raw httpx | generated | wrapper |" in out
    wrapper_row = next(line for line in out.splitlines() if line.startswith("| wrapper |"))
    raw_share, _, wrapper_share = (cell.strip() for cell in wrapper_row.split("|")[2:5])
    assert raw_share.startswith("0.0 ")  # raw httpx runs no wrapper code
    assert not wrapper_share.startswith("0.0 ")
    assert "### parse N=200 instances, GC on" in out
    assert re.search(r"\| the wrapper \| [0-9.]+ \|", out)
