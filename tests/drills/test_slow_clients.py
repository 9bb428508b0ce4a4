"""Slow or huge clients: oversized bodies, bodies sent a byte at a time, 200 connections at once.

While each abuse goes on, a well-behaved client keeps asking GET /api/health
(and sends a signed webhook): every answer must be a 200 within a bound. The
server (production mode, SQLite) must also refuse an oversized body without
reading it whole: its memory does not grow with what the client sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.appserver import AppProcess
from tests.drills.served_app import signed_report, start_app, vapi_endpoint
from tests.loadgen import HOST, run_to_completion, send_all

# A healthy client's worst answer while others misbehave, on a busy 2-core machine.
BOUND_SECONDS = 3.0
PROBE_INTERVAL_SECONDS = 0.2
MIN_PROBE_SECONDS = 2.0
HUGE_BYTES = 50 * 1024 * 1024
HUGE_CLIENTS = 8
RESET = b"connection reset after the server refused the body"
# Sending a huge body must not grow the server by more than this (it is not buffered).
MAX_GROWTH_KIB = 64 * 1024
TRICKLING_CLIENTS = 100
STALLED_HEADER_CLIENTS = 50
TRICKLE_SECONDS = 6.0
CONNECTIONS = 200
REQUESTS_OVER_200_CONNECTIONS = 1000


@pytest.fixture(scope="module")
def app(bun, tmp_path_factory) -> Iterator[AppProcess]:  # type: ignore[no-untyped-def]
    app = start_app(tmp_path_factory.mktemp("drill-slow-clients"))
    yield app
    app.stop()


@dataclass
class HealthProbe:
    """A well-behaved client asking GET /api/health again and again, in a thread."""

    base_url: str
    answers: list[tuple[int | None, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=BOUND_SECONDS * 3) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    status: int | None = client.get("/api/health").status_code
                except httpx.HTTPError:
                    status = None
                self.answers.append((status, time.perf_counter() - started))
                self._stop.wait(PROBE_INTERVAL_SECONDS)

    @contextlib.contextmanager
    def running(self) -> Iterator[HealthProbe]:
        """Probe while the block runs, and at least a few times however short it is."""
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        started = time.monotonic()
        try:
            yield self
        finally:
            time.sleep(max(0.0, MIN_PROBE_SECONDS - (time.monotonic() - started)))
            self._stop.set()
            thread.join()

    def assert_answered_within_bound(self) -> None:
        statuses = [status for status, _ in self.answers]
        slowest = max(seconds for _, seconds in self.answers)
        assert len(self.answers) >= 5, "the probe barely ran"
        assert set(statuses) == {200}, f"health answered {statuses}"
        assert slowest < BOUND_SECONDS, (
            f"health took up to {slowest:.2f} s "
            f"(median {statistics.median(s for _, s in self.answers):.3f} s)"
        )


async def _huge_post(port: int, path: str, declared: bool) -> bytes:
    """Post a huge body (declared or chunked) until the server answers; its status line."""
    reader, writer = await asyncio.open_connection(HOST, port)
    head = f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
    head += (
        f"Content-Length: {HUGE_BYTES}\r\n\r\n"
        if declared
        else "Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * 65536
    frame = chunk if declared else b"%x\r\n%s\r\n" % (len(chunk), chunk)
    answer = asyncio.ensure_future(reader.readline())
    try:
        writer.write(head.encode())
        for _ in range(HUGE_BYTES // len(chunk)):
            if answer.done():
                break
            writer.write(frame)
            await writer.drain()
        return await asyncio.wait_for(answer, BOUND_SECONDS * 3)
    except (ConnectionError, OSError):
        # The server may close as soon as it has answered; the answer is usually still there.
        try:
            return await asyncio.wait_for(answer, BOUND_SECONDS * 3)
        except ConnectionError:
            # Closing with the client's bytes unread makes the kernel send a reset,
            # which can discard the 413 before it is read (the reader then sees a reset
            # or, if our next write met it first, a broken pipe): refused all the same.
            return RESET
    finally:
        writer.close()


async def _trickle(port: int, path: str, seconds: float) -> None:
    """Declare a body, then send it a byte at a time, never finishing within `seconds`."""
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n".encode()
    )
    deadline = time.monotonic() + seconds
    with contextlib.suppress(ConnectionError, OSError):
        while time.monotonic() < deadline:
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.5)
    writer.close()


async def _stalled_headers(port: int, seconds: float) -> None:
    """Send a request's headers a byte at a time, never reaching their end."""
    reader, writer = await asyncio.open_connection(HOST, port)
    line = f"GET /api/health HTTP/1.1\r\nHost: {HOST}:{port}\r\nX-Slow: ".encode()
    deadline = time.monotonic() + seconds
    with contextlib.suppress(ConnectionError, OSError):
        writer.write(line)
        while time.monotonic() < deadline:
            writer.write(b"a")
            await writer.drain()
            await asyncio.sleep(0.5)
    writer.close()


def test_huge_bodies_are_refused_at_the_limit_without_being_read_and_others_are_answered(
    app, server_engine
):
    endpoint = vapi_endpoint(app.server(), server_engine)
    paths = [endpoint.path, "/api/auth/login"]
    before = app.resident_kib()

    async def abuse() -> list[bytes]:
        posts = [
            _huge_post(app.port, paths[n % 2], declared=n % 4 < 2) for n in range(HUGE_CLIENTS)
        ]
        return await asyncio.gather(*posts)

    with HealthProbe(app.base_url).running() as probe:
        status_lines = run_to_completion(abuse())
    grown = app.resident_kib() - before

    assert all(b" 413 " in line or line == RESET for line in status_lines), status_lines
    assert any(b" 413 " in line for line in status_lines), status_lines
    assert grown < MAX_GROWTH_KIB, f"the server grew by {grown // 1024} MiB"
    probe.assert_answered_within_bound()


def test_clients_sending_a_byte_at_a_time_do_not_hold_up_others(app, server_engine):
    endpoint = vapi_endpoint(app.server(), server_engine)

    async def abuse() -> None:
        await asyncio.gather(
            *(_trickle(app.port, endpoint.path, TRICKLE_SECONDS) for _ in range(TRICKLING_CLIENTS)),
            *(_stalled_headers(app.port, TRICKLE_SECONDS) for _ in range(STALLED_HEADER_CLIENTS)),
        )

    abusers = threading.Thread(target=lambda: asyncio.run(abuse()))
    with HealthProbe(app.base_url).running() as probe:
        abusers.start()
        time.sleep(1)  # all of them connected and trickling
        started = time.perf_counter()
        answer = send_all(app.port, [signed_report(app.port, endpoint, "slow-clients-1", 1)])
        webhook_seconds = time.perf_counter() - started
        abusers.join()

    assert answer.statuses == [200]
    assert webhook_seconds < BOUND_SECONDS
    probe.assert_answered_within_bound()


def test_two_hundred_connections_at_once_are_all_answered_and_so_are_others(app, server_engine):
    endpoint = vapi_endpoint(app.server(), server_engine)
    requests = [
        signed_report(app.port, endpoint, f"crowd-{number}", number % 50)
        for number in range(REQUESTS_OVER_200_CONNECTIONS)
    ]
    with HealthProbe(app.base_url).running() as probe:
        result = send_all(app.port, requests, senders=CONNECTIONS, time_limit=90)

    assert result.statuses == [200] * len(requests)
    probe.assert_answered_within_bound()
