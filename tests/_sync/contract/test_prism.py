# Derived from tests/contract/test_prism.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""Contract tests with Stoplight Prism, an independent judge of the spec
(`Fluidstack` here, `Fluidstack` in the derived sync twin).

- `prism mock --errors`: every operation through the client. Prism validates each
  request (security, path/header formats, bodies, enums) and answers a violation
  with a 4xx/422 and its reasons; any violation fails here with Prism's own message.
- `Prefer: code=NNN` (sent through a user-supplied http_client): each documented
  error status of each operation raises the documented typed error.
- `prism proxy --errors` in front of our fake: every response the fake gives in
  that run is validated against the spec too.

Prism runs once per session (tests/contract/conftest.py, tests/support/contract_prism.py).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import yaml
from support import samples
from support.client_operations import OPERATIONS, SPEC_PATH
from support.contract_prism import Prism, Verdicts

from fluidstack_client import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    Cluster,
    ConflictError,
    Fluidstack,
    Instance,
    InternalServerError,
    Invitation,
    NotFoundError,
    Organization,
    OrganizationMember,
    Region,
    RetryPolicy,
    SSHKey,
)
from fluidstack_client.testing import FakeServer

pytestmark = pytest.mark.contract

TOKEN = "prism-token"
NO_RETRY = RetryPolicy(max_retries=0)
ERROR_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    500: InternalServerError,
}


def through_prism(
    base_url: str,
    call: Callable[[Fluidstack], Any],
    *,
    headers: dict[str, str] | None = None,
    token: str = TOKEN,
    bodies: list[bytes] | None = None,
) -> Any:
    """Make the call on a client whose own http_client records Prism's verdicts (and
    each response body, into `bodies`); fail on any violation. Short timeouts: Prism
    hangs on a malformed JSON body instead of answering."""
    verdicts = Verdicts()

    def inspect(response: httpx.Response) -> None:
        verdicts.judge(response, response.read())

    try:
        with (
            httpx.Client(headers=headers, event_hooks={"response": [inspect]}) as http,
            Fluidstack(
                token, base_url=base_url, http_client=http, retry_policy=NO_RETRY, timeout=10
            ) as fs,
        ):
            return call(fs)
    finally:
        if bodies is not None:
            bodies.extend(verdicts.bodies)
        verdicts.check()


# -- mock: requests judged ---------------------------------------------------------------


MODELS: dict[str, type[Any]] = {
    "ListRegions": Region,
    "ListClusters": Cluster,
    "ListOrganizations": Organization,
    "ListMembers": OrganizationMember,
    "ListInvitations": Invitation,
    "ListInstances": Instance,
    "GetInstance": Instance,
    "ListKeys": SSHKey,
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_passes_prism_request_validation(operation: str, prism_mock: Prism) -> None:
    bodies: list[bytes] = []
    result = through_prism(prism_mock.url, OPERATIONS[operation].invoke, bodies=bodies)
    (body,) = bodies
    if OPERATIONS[operation].reply.json is None:
        assert result is None
        return
    # Prism's example body, exactly as it came, is what the call returns (as models).
    sent = json.loads(body)
    model = MODELS[operation]
    if isinstance(sent, list):
        assert sent, "Prism's example list is empty: nothing would be compared"
        assert isinstance(result, list)
        assert [type(r) for r in result] == [model] * len(sent)
        assert result == [model.from_dict(item) for item in sent]
    else:
        assert type(result) is model
        assert result == model.from_dict(sent)


def test_prism_catches_a_request_the_spec_forbids(prism_mock: Prism) -> None:
    """The judge is awake: a role outside the spec's enum, sent past our own checks
    on the same http_client, is a violation Prism reports."""
    with pytest.raises(AssertionError, match="must be equal to one of the allowed values"):
        through_prism(
            prism_mock.url,
            lambda fs: fs._shared.http.patch(
                f"{prism_mock.url}/members/m-1",
                json={"role": "owner"},
                headers={"Authorization": f"Bearer {TOKEN}"},
            ),
        )


# -- mock: every documented error status -> its typed error -----------------------------


def _documented_errors(spec: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        (op["operationId"], int(code))
        for item in spec["paths"].values()
        for op in item.values()
        for code in op["responses"]
        if int(code) >= 400
    ]


@pytest.mark.parametrize(
    ("operation", "status"), _documented_errors(yaml.safe_load(SPEC_PATH.read_text()))
)
def test_documented_error_statuses_raise_typed_errors(
    operation: str, status: int, prism_mock: Prism
) -> None:
    with pytest.raises(APIStatusError) as info:
        through_prism(
            prism_mock.url, OPERATIONS[operation].invoke, headers={"Prefer": f"code={status}"}
        )
    assert type(info.value) is ERROR_CLASSES[status]
    assert info.value.status_code == status
    assert info.value.message == "string"  # Prism's example of the spec's Error.message


# -- proxy: the fake's responses judged ---------------------------------------------------


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_fake_responses_pass_prism_validation(
    operation: str, fake_upstream: FakeServer, prism_proxy: Prism
) -> None:
    fake = samples.fake_seeded_for(operation)
    fake.token = TOKEN
    fake_upstream.use(fake)
    op = OPERATIONS[operation]
    result = through_prism(prism_proxy.url, op.invoke)
    assert [r.operation for r in fake.requests] == [operation]
    if operation == "ListRegions":  # the fake's regional URLs are its own
        assert [r.name for r in result] == ["us-east-1"]
        assert result[0].url.startswith(fake_upstream.base_url.rsplit("/api/", 1)[0])
    elif op.reply.json is None:
        assert result is None
    else:
        assert op.expected is not None
        assert result == op.expected


def test_fake_errors_pass_prism_validation(fake_upstream: FakeServer, prism_proxy: Prism) -> None:
    fake = samples.fake_seeded_for("none")
    fake.token = TOKEN
    fake_upstream.use(fake)
    seeded = copy.deepcopy(fake.instances)  # as the fake completed them (regional fields)
    failing: list[tuple[Callable[[Fluidstack], object], type[Exception]]] = [
        (lambda fs: fs.keys.register(name="laptop", key="ssh-ed25519 A"), ConflictError),
        (lambda fs: fs.keys.deregister("nope"), NotFoundError),
        (lambda fs: fs.instances.get(samples.CLUSTER_ID), NotFoundError),
        (lambda fs: fs.members.delete("nobody"), NotFoundError),
    ]
    for call, error in failing:
        with pytest.raises(error):
            through_prism(prism_proxy.url, call)
    with pytest.raises(AuthenticationError):
        through_prism(prism_proxy.url, lambda fs: fs.clusters.list(), token="wrong")
    # State unchanged by the failed calls: the 409 registered nothing, the 404s deleted
    # nothing, the 401 did nothing.
    assert fake.keys == [samples.SSH_KEY]
    assert fake.members == [samples.MEMBER]
    assert fake.instances == seeded
    assert [i["id"] for i in seeded] == [samples.INSTANCE["id"], samples.INSTANCE_MINIMAL["id"]]


def test_prism_proxy_catches_a_response_the_spec_forbids(
    fake_upstream: FakeServer, prism_proxy: Prism
) -> None:
    """The proxy judge is awake: an instance without its required `image` is reported."""
    broken = {k: v for k, v in samples.INSTANCE.items() if k != "image"}
    fake = samples.fake_seeded_for("none")
    fake.token = TOKEN
    fake.instances = [broken]
    fake_upstream.use(fake)
    with pytest.raises(AssertionError, match="image"):
        through_prism(prism_proxy.url, lambda fs: fs.instances.list())
