"""File uploads (Reflex's POST /_upload) only with a live session, checked on the request itself.

An ASGI middleware in front of the whole app: a request without a session
cookie is refused before Reflex reads it; otherwise the user its cookie names
is recorded for the upload's event (core/upload_identity), so that the event
runs only in a tab of that same user.

Its size is checked first: Reflex reads a whole upload to disk before any
handler can look at it, and the CSV import's 5 MB is otherwise enforced only
by the browser. A browser always declares an upload's size (Content-Length);
one that does not, or declares more than a CSV file and its form's framing
can take, is refused unread.
"""

from __future__ import annotations

from functools import partial

import anyio
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from crm_app.core.db import DATABASE_DOWN_ERRORS
from crm_app.core.upload_identity import upload_in_flight
from crm_app.services import sessions
from crm_app.services.csv_io import MAX_FILE_BYTES

UPLOAD_PATH = "/_upload"
# The largest file the import takes, plus room for the multipart form around it.
MAX_UPLOAD_BYTES = MAX_FILE_BYTES + 64 * 1024
TOO_LARGE = f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: split it into parts."


class UploadSessionCheck:
    """Refuse uploads without a session; tell the upload's event whose cookie sent it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != UPLOAD_PATH:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if not declared.isdigit():
            await _refuse(411, "An upload must declare its size (Content-Length).")(
                scope, receive, send
            )
            return
        if int(declared) > MAX_UPLOAD_BYTES:
            await _refuse(413, TOO_LARGE)(scope, receive, send)
            return
        try:
            user_id = await anyio.to_thread.run_sync(
                partial(sessions.get_current_user_id, cookie_header=headers.get("cookie", ""))
            )
        except DATABASE_DOWN_ERRORS:
            await _refuse(503, "database unavailable, retry later")(scope, receive, send)
            return
        if user_id is None:
            await _refuse(401, "Not logged in.")(scope, receive, send)
            return
        token = headers.get("reflex-client-token", "")
        handler = headers.get("reflex-event-handler", "")
        with upload_in_flight(token, handler, str(user_id)):
            await self.app(scope, receive, send)


def _refuse(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)
