"""GET /api/health: 200 when the database answers, 503 when it does not; nothing more."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from crm_app.core.db import database_is_reachable

router = APIRouter()


@router.get("/api/health", include_in_schema=False)
async def health() -> JSONResponse:
    """Whether this worker can reach its database."""
    if await run_in_threadpool(database_is_reachable):
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable"}, status_code=503)
