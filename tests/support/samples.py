"""Realistic API bodies shared by the tests."""

from __future__ import annotations

from fluidstack_client.testing import FakeAPI

PROJECT_ID = "5b1f6a7e-2d3c-4b5a-9e8f-0a1b2c3d4e5f"
INSTANCE_ID = "0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c"
CLUSTER_ID = "11111111-2222-4333-8444-555555555555"

REGION = {"name": "us-east-1", "url": "https://us-east-1.atlas.fluidstack.io"}
CLUSTER = {
    "id": CLUSTER_ID,
    "name": "train",
    "region": "us-east-1",
    "type": "kubernetes",
    "project_id": PROJECT_ID,
    "health": "healthy",
    "updated_at": "2026-11-27T10:11:12Z",
}
ORGANIZATION = {"id": "org-1", "name": "acme", "display_name": "Acme Corp"}
MEMBER = {"id": "m-1", "name": "Ada", "email": "ada@acme.io", "role": "admin"}
INVITATION = {"id": "inv-1", "email": "bob@acme.io", "role": "viewer"}
SSH_KEY = {"name": "laptop", "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEaSkijEWFbn"}
INSTANCE = {
    "id": INSTANCE_ID,
    "name": "gpu-0",
    "type": "h100-80gb-sxm",
    "state": "running",
    "ip": None,
    "image": "ubuntu-22.04",
    "preemptible": False,
    "ephemeral": True,
    "tags": {"team": "ml", "env": "dev"},
    "project_id": PROJECT_ID,
    "region": "us-east-1",
    "updated_at": "2026-11-27T10:11:12.123456789Z",
}
# A minimal instance: every optional field absent.
INSTANCE_MINIMAL = {k: v for k, v in INSTANCE.items() if k not in ("health", "updated_at")}
ERROR = {"message": "something went wrong"}


def fake_seeded_for(operation: str) -> FakeAPI:
    """A fake holding the sample data, so each row of the operation table in
    test_client_operations.py succeeds against it exactly as scripted."""
    return FakeAPI(
        token="t0k",
        regions=["us-east-1"] if operation == "ListRegions" else [],
        organizations=[ORGANIZATION],
        # DeleteMember deletes the member with CLUSTER_ID as its id
        members=[MEMBER] + ([{**MEMBER, "id": CLUSTER_ID}] if operation == "DeleteMember" else []),
        invitations=[INVITATION],
        clusters=[CLUSTER],
        instances=[INSTANCE, INSTANCE_MINIMAL],
        keys=[] if operation == "RegisterKey" else [SSH_KEY],
    )
