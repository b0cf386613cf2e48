"""The data a fresh `FakeAPI` starts with when the test gives none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PROJECT_A = "5b1f6a7e-2d3c-4b5a-9e8f-0a1b2c3d4e5f"
PROJECT_B = "9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f"
DEFAULT_PROJECT_ID = PROJECT_A
"""The project of a seeded instance that names none (and of the default data's
first two instances)."""
REGION_NAMES = ("us-east-1", "eu-west-1")


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


DEFAULTS: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "organizations": organizations,
    "members": members,
    "invitations": invitations,
    "clusters": clusters,
    "instances": instances,
    "keys": keys,
}
