"""An HTTP client for the API, on SQLite and on Postgres (the app role)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import crm_app.core.db as db
import crm_app.services.login_throttle as login_throttle
from crm_app.api.app import build_api
from crm_app.api.webhook_fast_path import WebhookFastPath

SITE_ORIGIN = "http://localhost:3000"


@pytest.fixture
def client(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch):
    """A client whose app talks to the parametrized database, with a fresh login throttle.

    The API as the app serves it: webhook deliveries through the fast path, the rest
    through FastAPI.
    """
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    monkeypatch.setattr(login_throttle, "_throttle", None)
    with TestClient(
        WebhookFastPath(build_api()), base_url="http://localhost:3000", follow_redirects=False
    ) as test_client:
        yield test_client
