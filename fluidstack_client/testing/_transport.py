"""Plug a `FakeAPI` into httpx in-process: no socket, no port."""

from __future__ import annotations

import asyncio
import time

import httpx

from ._fake import FakeAPI, FakeResponse


def request_path(raw_path: bytes) -> str:
    """The still-percent-encoded path of a request target, without its query."""
    return raw_path.split(b"?", 1)[0].decode("ascii", "replace")


class FakeTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport (sync and async) answered by a `FakeAPI`.

    Injected latency honours the request's read timeout (raising
    `httpx.ReadTimeout` as a real server would make httpx do), and a dropped
    connection raises `httpx.RemoteProtocolError`, as httpx does for a real one.

    Args:
        fake: The fake that answers.

    Attributes:
        fake: The fake that answers.
    """

    def __init__(self, fake: FakeAPI) -> None:
        self.fake = fake

    def _answer(self, request: httpx.Request) -> tuple[FakeResponse, float, bool]:
        answer = self.fake.handle(
            request.method, request_path(request.url.raw_path), request.headers, request.content
        )
        read_timeout = request.extensions.get("timeout", {}).get("read")
        if read_timeout is not None and answer.delay > read_timeout:
            return answer, read_timeout, True
        return answer, answer.delay, False

    @staticmethod
    def _response(answer: FakeResponse, request: httpx.Request, timed_out: bool) -> httpx.Response:
        if timed_out:
            raise httpx.ReadTimeout("timed out waiting for the fake", request=request)
        if answer.drop:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return httpx.Response(
            answer.status, headers=answer.headers, content=answer.body, request=request
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer a request of an `httpx.Client`.

        Args:
            request: The request.

        Returns:
            The fake's answer.
        """
        request.read()
        answer, wait, timed_out = self._answer(request)
        if wait:
            time.sleep(wait)
        return self._response(answer, request, timed_out)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer a request of an `httpx.AsyncClient`.

        Args:
            request: The request.

        Returns:
            The fake's answer.
        """
        await request.aread()
        answer, wait, timed_out = self._answer(request)
        if wait:
            await asyncio.sleep(wait)
        return self._response(answer, request, timed_out)
