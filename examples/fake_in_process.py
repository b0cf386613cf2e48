"""Test your own code against the fake, in-process (no port opened)."""

import contextlib

from fluidstack_client import ConflictError, Fluidstack
from fluidstack_client.testing import FakeAPI


def add_deploy_key(fs: Fluidstack) -> None:  # "your code"
    with contextlib.suppress(ConflictError):  # already there is fine
        fs.keys.register(name="deploy", key="ssh-ed25519 AAAA deploy")


fake = FakeAPI(token="t")
fake.fail_next(1, status=503, route="ListKeys")  # make the API flaky for one call
with fake.client() as fs:  # a Fluidstack wired to the fake, one line
    add_deploy_key(fs)
    add_deploy_key(fs)  # idempotent: the second call meets 409 Conflict
    print([k.name for k in fs.keys.list()])  # ['ci-runner', 'deploy'], after one retry

assert [r.operation for r in fake.requests] == [
    "RegisterKey",
    "RegisterKey",
    "ListKeys",
    "ListKeys",
]
