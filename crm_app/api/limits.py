"""Request bodies read up to a limit: a client cannot make the server hold more than it accepts.

Starlette's `request.body()` buffers whatever arrives, however large, before a
route can look at its size; a few clients posting gigabytes would exhaust the
server's memory. These stop reading as soon as the limit is passed, whether
the client declared the size (Content-Length) or streams it (chunked).
"""

from __future__ import annotations

from fastapi import Request
from starlette.types import Message


class BodyTooLarge(Exception):
    """The body is known to exceed the limit (`size`: declared, or read so far)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"request body over the limit ({size} bytes or more)")
        self.size = size


def _declared_size(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(int(declared))


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The raw body; BodyTooLarge as soon as it is known to exceed `limit` bytes."""
    _declared_size(request, limit)
    chunks, size = [], 0
    # Counted while streaming too: a chunked body has no Content-Length, and one can lie.
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(size)
        chunks.append(chunk)
    return b"".join(chunks)


def limited_request(request: Request, limit: int) -> Request:
    """The same request, whose body() and form() raise BodyTooLarge past `limit` bytes."""
    _declared_size(request, limit)
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(received)
        return message

    return Request(request.scope, receive)
