"""`UNSET`, the value of an optional field the server left out, as a user meets it."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
from pathlib import Path

import fluidstack_client
from fluidstack_client import UNSET, Cluster, Unset
from fluidstack_client.testing import FakeAPI


def test_unset_is_exported_and_reads_as_unset() -> None:
    assert {"UNSET", "Unset"} <= set(fluidstack_client.__all__)
    assert [repr(UNSET), str(UNSET), f"{UNSET}"] == ["UNSET"] * 3
    assert not UNSET
    assert isinstance(UNSET, Unset)


def test_unset_survives_pickle_and_copy_as_the_same_object() -> None:
    assert pickle.loads(pickle.dumps(UNSET)) is UNSET
    assert copy.copy(UNSET) is UNSET
    assert copy.deepcopy(UNSET) is UNSET
    cluster = Cluster.from_dict(
        {
            "id": "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d",
            "name": "c",
            "region": "r",
            "type": "slurm",
            "project_id": "p",
            "health": "stale",
        }
    )
    assert pickle.loads(pickle.dumps(cluster)).updated_at is UNSET


def test_a_model_with_a_field_left_out_prints_unset() -> None:
    with FakeAPI().client() as fs:
        cluster = next(c for c in fs.clusters.list() if c.name == "hpc-slurm")
    assert cluster.updated_at is UNSET
    assert "updated_at=UNSET" in repr(cluster)
    assert "object at 0x" not in repr(cluster)


def test_is_unset_narrows_the_type_for_mypy(tmp_path: Path) -> None:
    program = tmp_path / "narrow.py"
    program.write_text(
        "import datetime\n"
        "from fluidstack_client import UNSET, Cluster\n"
        "def when(c: Cluster) -> datetime.datetime | None:\n"
        "    if c.updated_at is UNSET:\n"
        "        return None\n"
        "    return c.updated_at\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(program)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
