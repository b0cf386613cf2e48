from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...types import UNSET, Response, Unset, http_status, loads


def _get_kwargs(
    id: UUID,
    *,
    x_project_id: UUID,
    x_org_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["X-PROJECT-ID"] = str(x_project_id)

    if not isinstance(x_org_id, Unset):
        headers["X-ORG-ID"] = x_org_id

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/instances/{id}/actions/stop".format(
            id=str(id) if type(id) is UUID else quote(str(id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | None:
    if response.status_code == 202:
        response_202 = None

        return response_202

    if response.status_code == 400:
        response_400 = Error.from_dict(loads(response.content))

        return response_400

    if response.status_code == 404:
        response_404 = Error.from_dict(loads(response.content))

        return response_404

    if response.status_code == 409:
        response_409 = Error.from_dict(loads(response.content))

        return response_409

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
) -> Response[Error | None]:
    return Response(
        status_code=http_status(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    x_project_id: UUID,
    x_org_id: str | Unset = UNSET,
) -> Response[Error | None]:
    """Stop a machine instance

     Stopping is asynchronous: poll GET /instances/{id} until the state is `stopped`.

    Args:
        id (UUID):
        x_project_id (UUID):
        x_org_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | None]
    """

    kwargs = _get_kwargs(
        id=id,
        x_project_id=x_project_id,
        x_org_id=x_org_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    x_project_id: UUID,
    x_org_id: str | Unset = UNSET,
) -> Error | None:
    """Stop a machine instance

     Stopping is asynchronous: poll GET /instances/{id} until the state is `stopped`.

    Args:
        id (UUID):
        x_project_id (UUID):
        x_org_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | None
    """

    return sync_detailed(
        id=id,
        client=client,
        x_project_id=x_project_id,
        x_org_id=x_org_id,
    ).parsed


async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    x_project_id: UUID,
    x_org_id: str | Unset = UNSET,
) -> Response[Error | None]:
    """Stop a machine instance

     Stopping is asynchronous: poll GET /instances/{id} until the state is `stopped`.

    Args:
        id (UUID):
        x_project_id (UUID):
        x_org_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | None]
    """

    kwargs = _get_kwargs(
        id=id,
        x_project_id=x_project_id,
        x_org_id=x_org_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    x_project_id: UUID,
    x_org_id: str | Unset = UNSET,
) -> Error | None:
    """Stop a machine instance

     Stopping is asynchronous: poll GET /instances/{id} until the state is `stopped`.

    Args:
        id (UUID):
        x_project_id (UUID):
        x_org_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | None
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            x_project_id=x_project_id,
            x_org_id=x_org_id,
        )
    ).parsed
