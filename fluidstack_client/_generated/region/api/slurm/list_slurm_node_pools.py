from typing import Any
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.slurm_node_pool import SlurmNodePool
from ...types import UNSET, Response, Unset, gc_paused, http_status, loads


def _get_kwargs(
    *,
    x_org_id: str | Unset = UNSET,
    x_project_id: UUID,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_org_id, Unset):
        headers["X-ORG-ID"] = x_org_id

    headers["X-PROJECT-ID"] = str(x_project_id)

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/slurm/node-pools",
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | list[SlurmNodePool] | None:
    if response.status_code == 200:
        with gc_paused(len(response.content)):
            _response_200 = loads(response.content)
            if not isinstance(_response_200, list):
                raise TypeError(
                    f"expected a JSON array, got {type(_response_200).__name__}"
                )
            response_200 = []
            for _index, response_200_item_data in enumerate(_response_200):
                _response_200[_index] = None
                response_200_item = SlurmNodePool.from_dict(response_200_item_data)

                response_200.append(response_200_item)
        return response_200

    if response.status_code == 404:
        response_404 = Error.from_dict(loads(response.content))

        return response_404

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
) -> Response[Error | list[SlurmNodePool]]:
    return Response(
        status_code=http_status(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    x_org_id: str | Unset = UNSET,
    x_project_id: UUID,
) -> Response[Error | list[SlurmNodePool]]:
    """List Slurm node pools

    Args:
        x_org_id (str | Unset):
        x_project_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[SlurmNodePool]]
    """

    kwargs = _get_kwargs(
        x_org_id=x_org_id,
        x_project_id=x_project_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    x_org_id: str | Unset = UNSET,
    x_project_id: UUID,
) -> Error | list[SlurmNodePool] | None:
    """List Slurm node pools

    Args:
        x_org_id (str | Unset):
        x_project_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[SlurmNodePool]
    """

    return sync_detailed(
        client=client,
        x_org_id=x_org_id,
        x_project_id=x_project_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    x_org_id: str | Unset = UNSET,
    x_project_id: UUID,
) -> Response[Error | list[SlurmNodePool]]:
    """List Slurm node pools

    Args:
        x_org_id (str | Unset):
        x_project_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[SlurmNodePool]]
    """

    kwargs = _get_kwargs(
        x_org_id=x_org_id,
        x_project_id=x_project_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    x_org_id: str | Unset = UNSET,
    x_project_id: UUID,
) -> Error | list[SlurmNodePool] | None:
    """List Slurm node pools

    Args:
        x_org_id (str | Unset):
        x_project_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[SlurmNodePool]
    """

    return (
        await asyncio_detailed(
            client=client,
            x_org_id=x_org_id,
            x_project_id=x_project_id,
        )
    ).parsed
