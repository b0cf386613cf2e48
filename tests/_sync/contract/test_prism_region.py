# Derived from tests/contract/test_prism_region.py
# by scripts/unasync.py (make generate). Do not edit: change the source and regenerate.
"""Contract tests with Stoplight Prism for the regional API
(spec/atlas-region-v1alpha1.yaml), through `RegionClient` here and `RegionClient`
in the derived sync twin; tests/contract/test_prism.py does the same for the
Management API.

- `prism mock --errors`: every regional operation through the client, with
  realistic arguments (tags, filesystems, user data). Prism validates each request
  (security, the `X-PROJECT-ID` uuid header, path formats, bodies, `format: byte`)
  and answers a violation with a 4xx/422 and its reasons; any violation fails here
  with Prism's own message. The bodiless successes the spec only infers (202/204,
  `x-inferred`) are what Prism's mock answers: each must be a success.
- `Prefer: code=NNN` (sent through a user-supplied http_client): each documented
  error status of each operation raises the documented typed error.
- `prism proxy --errors` in front of the fake's regional API: every response the
  fake gives in that run is validated against the regional spec too.

A region's API lives under `/api/v1alpha1`; Prism serves the spec's paths from its
root, so the client's own http_client takes that base path off each request
(`Verdicts.serve_at_root`). Prism runs once per session (tests/contract/conftest.py).
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from support.client_region import FILESYSTEM_ID, INSTANCE_ID
from support.contract_prism import Prism, Verdicts
from support.region_operations import (
    API,
    ERROR_CLASSES,
    PROJECT,
    REGION,
    REGION_OPERATIONS,
    RESPONSE_MODELS,
    documented_errors,
    fake_expected,
    fake_seeded_for,
)

from fluidstack_client import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    RegionClient,
    RetryPolicy,
)
from fluidstack_client.region import InstanceState
from fluidstack_client.testing import FakeServer

pytestmark = pytest.mark.contract

TOKEN = "prism-token"
NO_RETRY = RetryPolicy(max_retries=0)


def through_prism(
    base_url: str,
    call: Callable[[RegionClient], Any],
    *,
    headers: dict[str, str] | None = None,
    token: str = TOKEN,
    bodies: list[bytes] | None = None,
    verdicts: Verdicts | None = None,
) -> Any:
    """Make the call on a region client (bare `base_url`: it adds `/api/v1alpha1`,
    in project `PROJECT`) whose own http_client records Prism's verdicts (and each
    response body, into `bodies`); fail on any violation, unless the caller gives
    `verdicts` to judge itself. Short timeouts: Prism hangs on a malformed JSON body
    instead of answering."""
    judged_here = verdicts is None
    verdicts = Verdicts() if verdicts is None else verdicts

    def at_root(request: httpx.Request) -> None:
        verdicts.serve_at_root(request)

    def inspect(response: httpx.Response) -> None:
        verdicts.judge(response, response.read())

    hooks: dict[str, list[Callable[..., Any]]] = {"request": [at_root], "response": [inspect]}
    try:
        with (
            httpx.Client(headers=headers, event_hooks=hooks) as http,
            RegionClient(
                base_url,
                token=token,
                project_id=PROJECT,
                http_client=http,
                retry_policy=NO_RETRY,
                timeout=10,
            ) as region,
        ):
            return call(region)
    finally:
        if bodies is not None:
            bodies.extend(verdicts.bodies)
        if judged_here:
            verdicts.check()


# -- mock: requests judged ---------------------------------------------------------------


@pytest.mark.parametrize("operation", sorted(REGION_OPERATIONS))
def test_every_regional_operation_passes_prism_request_validation(
    operation: str, region_prism_mock: Prism
) -> None:
    bodies: list[bytes] = []
    result = through_prism(
        region_prism_mock.url, REGION_OPERATIONS[operation].invoke, bodies=bodies
    )
    (body,) = bodies
    model = RESPONSE_MODELS[operation]
    if model is None:
        # A bodiless success the spec infers (x-inferred 202/204), as Prism answers it.
        assert body == b""
        assert result is None
        return
    # Prism's example body, exactly as it came, is what the call returns (as models).
    sent = json.loads(body)
    if isinstance(sent, list):
        assert sent, "Prism's example list is empty: nothing would be compared"
        assert isinstance(result, list)
        assert [type(r) for r in result] == [model] * len(sent)
        assert result == (sent if model is str else [model.from_dict(item) for item in sent])
    else:
        assert type(result) is model
        assert result == model.from_dict(sent)


@pytest.mark.parametrize(
    "user_data", [b"\x00\xff binary \xfe", "#cloud-config\nruncmd: [echo héllo]\n"]
)
def test_user_data_and_a_call_s_own_project_pass_prism(
    user_data: bytes | str, region_prism_mock: Prism
) -> None:
    """`user_data` as bytes or text goes out as the base64 Prism expects of `format:
    byte`, with a project given to the call instead of the client."""
    other = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    created = through_prism(
        region_prism_mock.url,
        lambda region: region.instances.create(
            name="gpu-1", type="h100-hgx-80gb.8x", user_data=user_data, project_id=other
        ),
    )
    assert created.user_data == base64.b64decode("I2Nsb3VkLWNvbmZpZwpwYWNrYWdlczoKICAtIG5naW54")


FORBIDDEN = {
    "userData not base64": (
        {"name": "gpu-1", "type": "h100-hgx-80gb.8x", "userData": "not base64!"},
        PROJECT,
        'must match format \\\\"byte\\\\"',
    ),
    "no type": ({"name": "gpu-1"}, PROJECT, "must have required property 'type'"),
    "X-PROJECT-ID not a uuid": (
        {"name": "gpu-1", "type": "h100-hgx-80gb.8x"},
        "project-1",
        'x-project-id must match format \\\\"uuid\\\\"',
    ),
}


@pytest.mark.parametrize("case", sorted(FORBIDDEN))
def test_prism_catches_a_regional_request_the_spec_forbids(
    case: str, region_prism_mock: Prism
) -> None:
    """The judge is awake: a create the regional spec forbids, sent past our own
    checks on the same http_client, is a violation Prism reports."""
    body, project, complaint = FORBIDDEN[case]
    with pytest.raises(AssertionError, match=complaint):
        through_prism(
            region_prism_mock.url,
            lambda region: region._shared.http.post(
                f"{region_prism_mock.url}{API}/instances",
                json=body,
                headers={"Authorization": f"Bearer {TOKEN}", "X-PROJECT-ID": str(project)},
            ),
        )


# -- mock: every documented error status -> its typed error -----------------------------


@pytest.mark.parametrize(("operation", "status"), documented_errors())
def test_documented_regional_error_statuses_raise_typed_errors(
    operation: str, status: int, region_prism_mock: Prism
) -> None:
    with pytest.raises(APIStatusError) as info:
        through_prism(
            region_prism_mock.url,
            REGION_OPERATIONS[operation].invoke,
            headers={"Prefer": f"code={status}"},
        )
    assert type(info.value) is ERROR_CLASSES[status]
    assert info.value.status_code == status
    assert info.value.message == "string"  # Prism's example of the spec's Error.message


# -- proxy: the fake's regional responses judged ------------------------------------------


@pytest.mark.parametrize("operation", sorted(REGION_OPERATIONS))
def test_fake_regional_responses_pass_prism_validation(
    operation: str, fake_upstream: FakeServer, region_prism_proxy: Prism
) -> None:
    fake = fake_seeded_for(operation, TOKEN)
    fake_upstream.use(fake)
    result = through_prism(region_prism_proxy.url, REGION_OPERATIONS[operation].invoke)
    assert [(r.operation, r.region) for r in fake.requests] == [(operation, REGION)]
    new_id = getattr(result, "id", None) if operation.startswith("Create") else None
    assert result == fake_expected(operation, new_id)


def test_the_fake_s_instance_lifecycle_passes_prism_validation(
    fake_upstream: FakeServer, region_prism_proxy: Prism
) -> None:
    """Every answer of the provisioning workflow, in every state the fake's clock moves
    an instance through (create, wait until running, stop, start, delete, wait for
    the 404; and a create past capacity ending out-of-stock), is valid for Prism."""
    fake = fake_seeded_for("none", TOKEN, durations={})  # the fake's default durations
    fake_upstream.use(fake)
    seen: list[InstanceState] = []

    def until(region: RegionClient, instance: uuid.UUID, state: str) -> None:
        for _ in range(20):  # each request moves the fake's clock on
            seen.append((region.instances.get(instance)).state)
            if seen[-1] == state:
                return
        raise AssertionError(f"never {state}: {seen}")

    def provision(region: RegionClient) -> None:
        created = region.instances.create(
            name="train-0",
            type="h100-hgx-80gb.8x",
            tags={"team": "ml"},
            filesystems=[FILESYSTEM_ID],
            user_data="#cloud-config\n",
        )
        seen.append(created.state)
        until(region, created.id, "running")
        region.instances.stop(created.id)
        until(region, created.id, "stopped")
        region.instances.start(created.id)
        until(region, created.id, "running")
        region.instances.delete(created.id)
        with pytest.raises(NotFoundError):
            until(region, created.id, "gone")
        scarce = region.instances.create(name="cpu-0", type="cpu.4x")
        until(region, scarce.id, "out-of-stock")

    through_prism(region_prism_proxy.url, provision)
    assert {"creating", "starting", "running", "stopping", "stopped", "deleting"} <= set(seen)


def test_fake_regional_errors_pass_prism_validation(
    fake_upstream: FakeServer, region_prism_proxy: Prism
) -> None:
    """The fake's documented refusals (400, 404, 409) are `Error` bodies Prism accepts,
    raised as their typed errors, and change nothing."""
    fake = fake_seeded_for("none", TOKEN)
    fake_upstream.use(fake)
    unknown = "33333333-4444-4555-8666-777777777777"
    before = copy.deepcopy(
        (fake.instances, fake.projects, fake.filesystems, fake.region(REGION).capacity)
    )
    failing: list[tuple[Callable[[RegionClient], object], type[Exception]]] = [
        (lambda region: region.instances.start(INSTANCE_ID), ConflictError),  # running
        (lambda region: region.instances.get(unknown), NotFoundError),
        (lambda region: region.instances.stop(unknown), NotFoundError),
        (lambda region: region.instances.delete(unknown), NotFoundError),
        (lambda region: region.instances.create(name="gpu-1", type="tpu-v9"), BadRequestError),
        (lambda region: region.instances.create(name=" ", type="cpu.4x"), BadRequestError),
        (lambda region: region.filesystems.get(unknown), NotFoundError),
        (lambda region: region.filesystems.delete(unknown), NotFoundError),
        (lambda region: region.filesystems.create(name="fs-2", size="lots"), BadRequestError),
        (lambda region: region.projects.get(unknown), NotFoundError),
        (lambda region: region.projects.delete(unknown), NotFoundError),
        (lambda region: region.projects.create(name=""), BadRequestError),
    ]
    for call, error in failing:
        with pytest.raises(error):
            through_prism(region_prism_proxy.url, call)
    assert len(fake.requests) == len(failing)
    after = (fake.instances, fake.projects, fake.filesystems, fake.region(REGION).capacity)
    assert after == before


def test_prism_proxy_catches_a_regional_response_the_spec_forbids(
    fake_upstream: FakeServer, region_prism_proxy: Prism
) -> None:
    """The proxy judge is awake: an instance whose `userData` is not base64 (as a
    broken region might send) is reported."""
    fake = fake_seeded_for("GetInstance", TOKEN)
    fake.instances[0]["userData"] = "not base64!"
    fake_upstream.use(fake)
    with pytest.raises(AssertionError, match="userData"):
        through_prism(region_prism_proxy.url, REGION_OPERATIONS["GetInstance"].invoke)


def test_fake_regional_refusals_the_spec_does_not_document(
    fake_upstream: FakeServer, region_prism_proxy: Prism
) -> None:
    """Two refusals issue 20 asks of a region that the regional spec does not list:
    401 for a wrong token (the spec declares bearer auth, and no 401 anywhere) and 409
    for deleting a project that still has instances (DeleteProject documents 204,
    404, 500 and 501). Prism's one complaint about each is that status, a warning;
    the body is an `Error` it accepts, and the client raises the typed error. A gap
    in the spec (kept from the Go client it was rebuilt from), not in the fake."""
    fake = fake_seeded_for("none", TOKEN)  # the project holds the two sample instances
    fake_upstream.use(fake)
    refusals: list[tuple[Callable[[RegionClient], object], str, type[Exception]]]
    refusals = [
        (lambda region: region.projects.delete(PROJECT), TOKEN, ConflictError),
        (lambda region: region.projects.list(), "wrong-token", AuthenticationError),
    ]
    for call, token, error in refusals:
        verdicts = Verdicts()
        with pytest.raises(error):
            through_prism(region_prism_proxy.url, call, token=token, verdicts=verdicts)
        (found,) = verdicts.found
        (complaint,) = json.loads(found)
        assert complaint["location"] == ["response"]
        assert complaint["severity"] == "Warning"
        assert complaint["message"].startswith(
            "Unable to match the returned status code with those defined in the document"
        )
    assert len(fake.projects) == 1
