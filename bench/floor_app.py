"""The floor for webhook ingestion: the least a correct endpoint must do, and nothing else.

Starlette and psycopg (async, a small pool of connections), no ORM, no
framework around it: check the Vapi HMAC signature and its timestamp, read the
call id from the JSON, and insert the audit row with ON CONFLICT DO NOTHING as
the tenant under row-level security (the app role, `set_config` in the same
transaction), then answer 200. It stores the event and nothing the event
implies (no call log, no lead): that is the app's job, and its cost.

Served like the app, by granian with one worker:

    FLOOR_DATABASE_URL=postgresql://crm_test_app@127.0.0.1/db FLOOR_USER_ID=<uuid> \\
    FLOOR_HMAC_SECRET=... granian --interface asgi --workers 1 bench.floor_app:app
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import time
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import psycopg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# As many connections as the app's SQLAlchemy pool keeps (5), plus a few.
POOL_SIZE = 8
TOLERANCE_SECONDS = 300
INSERT = """
INSERT INTO webhook_events (user_id, id, provider, event_id, event_type, status, reason,
    payload, payload_size, payload_sha256, result, received_at, processed_at)
VALUES (%s, %s, 'vapi', %s, %s, 'accepted', '', %s, %s, %s, '', %s, %s)
ON CONFLICT (user_id, provider, event_id) DO NOTHING
"""


class Pool:
    """Connections opened on first use in the worker's event loop, handed out one at a time."""

    def __init__(self, dsn: str, size: int) -> None:
        self.dsn, self.size = dsn, size
        self.idle: asyncio.Queue[psycopg.AsyncConnection] | None = None

    async def _fill(self) -> asyncio.Queue[psycopg.AsyncConnection]:
        idle: asyncio.Queue[psycopg.AsyncConnection] = asyncio.Queue()
        for _ in range(self.size):
            idle.put_nowait(await psycopg.AsyncConnection.connect(self.dsn))
        return idle

    @asynccontextmanager
    async def connection(self):  # type: ignore[no-untyped-def]
        if self.idle is None:
            self.idle = await self._fill()
        connection = await self.idle.get()
        try:
            yield connection
        finally:
            self.idle.put_nowait(connection)


POOL = Pool(os.environ.get("FLOOR_DATABASE_URL", ""), POOL_SIZE)
USER_ID = os.environ.get("FLOOR_USER_ID", "")
SECRET = os.environ.get("FLOOR_HMAC_SECRET", "").encode()


def _refuse(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"detail": reason}, status_code=status)


async def vapi(request: Request) -> JSONResponse:
    """Verify, then insert the event once."""
    body = await request.body()
    stamp = request.headers.get("x-timestamp", "")
    signature = request.headers.get("x-signature", "")
    expected = hmac.new(SECRET, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return _refuse(403, "bad signature")
    try:
        if abs(time.time() - float(stamp)) > TOLERANCE_SECONDS:
            return _refuse(401, "stale timestamp")
        message = json.loads(body)["message"]
        event_type = message["type"]
        event_id = f"{message['call']['id']}:{event_type}"
    except (ValueError, KeyError, TypeError):
        return _refuse(422, "not a Vapi message")
    now = datetime.now(UTC)
    values = (
        USER_ID,
        uuid.uuid4(),
        event_id,
        event_type,
        body.decode(),
        len(body),
        hashlib.sha256(body).hexdigest(),
        now,
        now,
    )
    async with POOL.connection() as connection, connection.transaction():
        await connection.execute("SELECT set_config('app.current_user_id', %s, true)", (USER_ID,))
        await connection.execute(INSERT, values)
    return JSONResponse({"status": "accepted", "event_id": event_id})


async def health(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/api/webhooks/vapi/{token}", vapi, methods=["POST"]),
        Route("/api/health", health),
    ]
)
