"""Answers for failures no route should have to handle itself."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)


async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
    """503 with Retry-After when the database cannot be reached: clients and providers retry.

    Only the error's class is logged: the driver's message can name hosts and roles.
    """
    cause = error.orig if isinstance(error, sa.exc.DBAPIError) else error
    logger.warning("database unavailable for %s: %s", request.url.path, type(cause).__name__)
    return JSONResponse(
        {"detail": "The service is briefly unavailable. Try again shortly."},
        status_code=503,
        headers={"Retry-After": "5"},
    )
