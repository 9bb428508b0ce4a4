"""GET /api/health: 200 when the database answers, 503 when it does not, and nothing else said."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from anyio.from_thread import start_blocking_portal
from fastapi import FastAPI

from crm_app.api import health
from crm_app.api.app import build_api
from crm_app.core.db import create_db_engine

UNREACHABLE_URL = "postgresql+psycopg://nobody:pw-never-shown@127.0.0.1:1/x"


def _get_health(api: FastAPI) -> httpx.Response:
    async def _get() -> httpx.Response:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get("/api/health")

    # A portal runs the app on its own event loop thread, so this works even
    # where another test (a sync Playwright browser) left a loop running here.
    with start_blocking_portal() as portal:
        return portal.call(_get)


def _health_with(engine: sa.Engine) -> httpx.Response:
    api = build_api()
    api.dependency_overrides[health.app_engine] = lambda: engine
    return _get_health(api)


@pytest.fixture
def unreachable_engine() -> Iterator[sa.Engine]:
    engine = create_db_engine(UNREACHABLE_URL)
    yield engine
    engine.dispose()


def test_health_is_ok_when_the_database_answers(sqlite_engine: sa.Engine) -> None:
    response = _health_with(sqlite_engine)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.postgres
def test_health_is_ok_on_postgres_as_the_app_role(pg_app_engine: sa.Engine) -> None:
    response = _health_with(pg_app_engine)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_is_ok_with_the_configured_engine_by_default() -> None:
    response = _get_health(build_api())
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_is_503_when_the_database_is_unreachable(unreachable_engine: sa.Engine) -> None:
    response = _health_with(unreachable_engine)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_unavailable_health_reveals_no_configuration(unreachable_engine: sa.Engine) -> None:
    response = _health_with(unreachable_engine)
    shown = response.text + " ".join(f"{name}: {value}" for name, value in response.headers.items())
    for detail in (
        "nobody",
        "pw-never-shown",
        "127.0.0.1",
        "postgresql",
        "psycopg",
        "OperationalError",
    ):
        assert detail not in shown
