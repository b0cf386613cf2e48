"""The data a fresh `FakeAPI` starts with when the test gives none."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

PROJECT_A = "5b1f6a7e-2d3c-4b5a-9e8f-0a1b2c3d4e5f"
PROJECT_B = "9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f"
DEFAULT_PROJECT_ID = PROJECT_A
"""The first of the default projects (`ml-training`): the project of a seeded item
that names none, unless `projects=` gives others (then it is the first of those), and
of the default data's first two instances."""
REGION_NAMES = ("us-east-1", "eu-west-1")
INSTANCE_TYPE = "h100-80gb-sxm"  # the type of a seeded instance or node pool naming none
IMAGE = "ubuntu-22.04-cuda-12"
CAPACITY = 4  # how many of each instance type a region can start, unless told
CAPABILITIES = ("instances", "filesystems", "kubernetes", "slurm")
DATASETS = "2c4e6a8b-1d3f-4a5b-8c7d-9e0f1a2b3c4d"  # the default filesystem's id


def organizations() -> list[dict[str, Any]]:
    return [{"id": "org-acme", "name": "acme", "display_name": "Acme Research"}]


def members() -> list[dict[str, Any]]:
    return [
        {"id": "mem-ada", "name": "Ada Lovelace", "email": "ada@acme.io", "role": "admin"},
        {"id": "mem-alan", "name": "Alan Turing", "email": "alan@acme.io", "role": "editor"},
    ]


def invitations() -> list[dict[str, Any]]:
    return [{"id": "inv-grace", "email": "grace@acme.io", "role": "viewer"}]


def clusters() -> list[dict[str, Any]]:
    return [
        {
            "id": "3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b",
            "name": "train-k8s",
            "region": "us-east-1",
            "type": "kubernetes",
            "project_id": PROJECT_A,
            "health": "healthy",
            "updated_at": "2026-11-27T10:11:12Z",
        },
        {
            "id": "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d",
            "name": "hpc-slurm",
            "region": "eu-west-1",
            "type": "slurm",
            "project_id": PROJECT_B,
            "health": "stale",
        },
    ]


def instances() -> list[dict[str, Any]]:
    def instance(n: int, name: str, project: str, region: str, state: str) -> dict[str, Any]:
        return {
            "id": f"0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d{n:02d}",
            "name": name,
            "type": "h100-80gb-sxm",
            "state": state,
            "ip": f"10.0.0.{n}" if state == "running" else None,
            "image": "ubuntu-22.04-cuda-12",
            "preemptible": n % 2 == 0,
            "ephemeral": False,
            "tags": {"team": "ml"},
            "project_id": project,
            "region": region,
            "filesystems": [DATASETS] if n == 1 else [],
            "health": "healthy" if state == "running" else "offline",
            "updated_at": "2026-11-27T10:11:12.123456789Z",
        }

    return [
        instance(1, "gpu-train-0", PROJECT_A, "us-east-1", "running"),
        instance(2, "gpu-train-1", PROJECT_A, "us-east-1", "running"),
        instance(3, "gpu-eval-0", PROJECT_B, "eu-west-1", "stopped"),
    ]


def keys() -> list[dict[str, Any]]:
    return [
        {
            "name": "ci-runner",
            "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEaSkijEWFbnjixzWRw3u2spZZaeVeWO5 ci",
        }
    ]


def projects() -> list[dict[str, Any]]:
    return [
        {"id": PROJECT_A, "name": "ml-training", "state": "active", "tags": {"team": "ml"}},
        {"id": PROJECT_B, "name": "research", "state": "active", "tags": {}},
    ]


def filesystems() -> list[dict[str, Any]]:
    return [
        {
            "id": DATASETS,
            "name": "datasets",
            "size": "1Ti",
            "region": "us-east-1",
            "project_id": PROJECT_A,
        }
    ]


def node_pools(clusters: Sequence[str]) -> list[dict[str, Any]]:
    """One GPU node pool per cluster (ids derived from the cluster's: stable)."""
    return [
        {
            "id": str(uuid.uuid5(uuid.UUID(cluster), "node-pool")),
            "name": f"gpu-pool-{n}",
            "type": INSTANCE_TYPE,
            "cluster_id": cluster,
        }
        for n, cluster in enumerate(clusters, 1)
    ]


def instance_types() -> list[dict[str, Any]]:
    return [
        {
            "name": INSTANCE_TYPE,
            "cpu": 26,
            "memory": "225Gi",
            "gpu_count": 1,
            "gpu_model": "H100-80GB-SXM5",
        },
        {
            "name": "h100-hgx-80gb.8x",
            "cpu": 208,
            "memory": "1800Gi",
            "gpu_count": 8,
            "gpu_model": "H100-80GB-SXM5",
        },
    ]


DEFAULTS: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "organizations": organizations,
    "members": members,
    "invitations": invitations,
    "clusters": clusters,
    "instances": instances,
    "keys": keys,
    "projects": projects,
    "filesystems": filesystems,
}
