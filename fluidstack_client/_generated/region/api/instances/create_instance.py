from typing import Any
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.instance import Instance
from ...models.instances_post_request import InstancesPostRequest
from ...types import UNSET, Response, Unset, http_status, loads


def _get_kwargs(
    *,
    body: InstancesPostRequest,
    x_project_id: UUID,
    x_org_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["X-PROJECT-ID"] = str(x_project_id)

    if not isinstance(x_org_id, Unset):
        headers["X-ORG-ID"] = x_org_id

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/instances",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | Instance | None:
    if response.status_code == 201:
        response_201 = Instance.from_dict(loads(response.content))

        return response_201

    if response.status_code == 400:
        response_400 = Error.from_dict(loads(response.content))

        return response_400

    if response.status_code == 500:
        response_500 = Error.from_dict(loads(response.content))

        return response_500

    if response.status_code == 501:
        response_501 = Error.from_dict(loads(response.content))

        return response_501

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | Instance]:
    return Response(
        status_code=http_status(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: InstancesPostRequest,
    x_project_id: UUID,
    x_org_id: str | Unset = UNSET,
) -> Response[Error | Instance]:
    """Create a machine instance

     Creation is asynchronous: poll GET /instances/{id} until the state is `running`; `out-of-stock`
    means the instance type was out of stock.

    Args:
        x_project_id (UUID):
        x_org_id (str | Unset):
        body (InstancesPostRequest): POST request for a machine instance

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Instance]
    """

    kwargs = _get_kwargs(
        body=body,
        x_project_id=x_project_id,
        x_org_id=x_org_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: InstancesPostRequest,
    x_project_id: UUID,
    x_org_id: str | Unset = UNSET,
) -> Error | Instance | None:
    """Create a machine instance

     Creation is asynchronous: poll GET /instances/{id} until the state is `running`; `out-of-stock`
    means the instance type was out of stock.

    Args:
        x_project_id (UUID):
        x_org_id (str | Unset):
        body (InstancesPostRequest): POST request for a machine instance

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Instance
    """

    return sync_detailed(
        client=client,
        body=body,
        x_project_id=x_project_id,
        x_org_id=x_org_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: InstancesPostRequest,
    x_project_id: UUID,
    x_org_id: str | Unset = UNSET,
) -> Response[Error | Instance]:
    """Create a machine instance

     Creation is asynchronous: poll GET /instances/{id} until the state is `running`; `out-of-stock`
    means the instance type was out of stock.

    Args:
        x_project_id (UUID):
        x_org_id (str | Unset):
        body (InstancesPostRequest): POST request for a machine instance

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Instance]
    """

    kwargs = _get_kwargs(
        body=body,
        x_project_id=x_project_id,
        x_org_id=x_org_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: InstancesPostRequest,
    x_project_id: UUID,
    x_org_id: str | Unset = UNSET,
) -> Error | Instance | None:
    """Create a machine instance

     Creation is asynchronous: poll GET /instances/{id} until the state is `running`; `out-of-stock`
    means the instance type was out of stock.

    Args:
        x_project_id (UUID):
        x_org_id (str | Unset):
        body (InstancesPostRequest): POST request for a machine instance

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Instance
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_project_id=x_project_id,
            x_org_id=x_org_id,
        )
    ).parsed
