"""GET /api/health: 200 when the database answers, 503 when it does not; nothing more."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from crm_app.core.db import database_is_reachable, get_engine

router = APIRouter()


def app_engine() -> sa.Engine:
    """The engine the health check probes (a dependency, so tests can point it elsewhere)."""
    return get_engine()


@router.get("/api/health", include_in_schema=False)
async def health(engine: Annotated[sa.Engine, Depends(app_engine)]) -> JSONResponse:
    """Whether this worker can reach its database."""
    if await run_in_threadpool(database_is_reachable, engine):
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable"}, status_code=503)
