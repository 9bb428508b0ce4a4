"""The HTTP API mounted in front of the Reflex app (health, auth, webhooks)."""

from __future__ import annotations

from fastapi import FastAPI

from crm_app.api import auth, health, webhooks
from crm_app.api.errors import database_unavailable
from crm_app.core.db import DATABASE_DOWN_ERRORS


def build_api() -> FastAPI:
    """A FastAPI app with every router; Reflex mounts its own app behind it."""
    api = FastAPI(
        title="crm_app",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    for error in DATABASE_DOWN_ERRORS:
        api.add_exception_handler(error, database_unavailable)
    api.include_router(health.router)
    api.include_router(auth.router)
    api.include_router(webhooks.router)
    return api
