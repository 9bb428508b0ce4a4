"""A load generator for webhooks: N senders on keep-alive connections, every answer recorded.

Plain HTTP/1.1 over asyncio streams, each request prepared as bytes beforehand
(signed then, so prepare them shortly before sending): a general client such
as httpx spends ~0.3 ms of CPU per request, which on a 2-core machine would be
taken from the server being measured.

    requests = [http_post(port, path, body, headers) for ...]
    result = send_all(port, requests, senders=16, time_limit=60)
    result.statuses[i]   # the status requests[i] got; None if it got no answer
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

HOST = "127.0.0.1"
READ_TIMEOUT_SECONDS = 30
# After a refused or dropped connection, before the next attempt.
RECONNECT_PAUSE_SECONDS = 0.05

T = TypeVar("T")


def http_post(port: int, path: str, body: bytes, headers: Mapping[str, str]) -> bytes:
    """One keep-alive POST, as the bytes that go on the wire."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {HOST}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class LoadResult:
    """What every request got: its status (None: no answer) and latency, and the wall time."""

    statuses: list[int | None]
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    # The bodies of answers other than 2xx, by request index.
    refusals: dict[int, bytes] = field(default_factory=dict)

    @property
    def answered(self) -> int:
        return sum(1 for status in self.statuses if status is not None)

    @property
    def per_second(self) -> float:
        """Answered requests per second of the run."""
        return self.answered / self.elapsed_seconds if self.elapsed_seconds else 0.0

    def count(self, accept: Callable[[int | None], bool]) -> int:
        return sum(1 for status in self.statuses if accept(status))


class _Dropped(Exception):
    """The connection closed or failed before a whole answer came."""


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """The status and body of one response, and whether the connection stays open."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError) as error:
        raise _Dropped from error
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    try:
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            chunks = []
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append((await reader.readexactly(size + 2))[:-2])
            await reader.readuntil(b"\r\n")
            body = b"".join(chunks)
        else:  # the body runs until the connection closes
            return status, await reader.read(), False
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError) as error:
        raise _Dropped from error
    return status, body, headers.get("connection") != "close"


async def _sender(
    port: int,
    requests: list[bytes],
    order: Iterator[int],
    result: LoadResult,
    deadline: float,
) -> None:
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    for index in order:
        if time.monotonic() > deadline:
            return
        started = time.perf_counter()
        try:
            if connection is None:
                connection = await asyncio.open_connection(HOST, port)
            reader, writer = connection
            writer.write(requests[index])
            await writer.drain()
            status, body, keep = await asyncio.wait_for(_read_answer(reader), READ_TIMEOUT_SECONDS)
        except (OSError, _Dropped, TimeoutError):
            # No answer: it counts as not acknowledged (the caller may resend it).
            if connection is not None:
                connection[1].close()
            connection = None
            await asyncio.sleep(RECONNECT_PAUSE_SECONDS)
            continue
        result.statuses[index] = status
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        if not 200 <= status < 300:
            result.refusals[index] = body
        if not keep:
            writer.close()
            connection = None
    if connection is not None:
        connection[1].close()
        with contextlib.suppress(OSError):
            await connection[1].wait_closed()


async def _send_all(
    port: int, requests: list[bytes], senders: int, time_limit: float
) -> LoadResult:
    result = LoadResult(statuses=[None] * len(requests))
    order = iter(range(len(requests)))  # shared: each sender takes the next request
    deadline = time.monotonic() + time_limit
    started = time.perf_counter()
    await asyncio.gather(
        *(_sender(port, requests, order, result, deadline) for _ in range(senders))
    )
    result.elapsed_seconds = time.perf_counter() - started
    return result


def send_all(
    port: int, requests: list[bytes], *, senders: int = 16, time_limit: float = 60.0
) -> LoadResult:
    """Send every request (each once) from `senders` concurrent connections, within a time limit."""
    return run_to_completion(_send_all(port, requests, senders, time_limit))


def run_to_completion(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, also from a thread that already runs a loop (Playwright's sync API's)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
