"""A database that cannot be reached: webhooks answer 503 (the provider retries), no stack trace."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

import crm_app.core.db as db
from crm_app.api.app import build_api
from crm_app.api.webhook_fast_path import WebhookFastPath
from crm_app.core.db import create_db_engine
from tests.webhook_senders import encode, make_event, vapi_end_of_call_report, vapi_headers

UNREACHABLE = {
    "postgres": "postgresql+psycopg://crm@127.0.0.1:1/crm",  # nothing listens on port 1
    "sqlite": "sqlite:////nonexistent-directory/crm.db",
}
TOKEN = "t" * 43


@pytest.mark.parametrize("backend", sorted(UNREACHABLE))
@pytest.mark.parametrize("provider", ["vapi", "twilio", "make"])
def test_webhooks_answer_503_with_retry_after_when_the_database_is_down(
    backend, provider, monkeypatch, caplog
):
    engine = create_db_engine(UNREACHABLE[backend])
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    body = encode(
        vapi_end_of_call_report() if provider == "vapi" else make_event("lead.upsert", {})
    )
    with (
        caplog.at_level(logging.WARNING),
        TestClient(WebhookFastPath(build_api()), raise_server_exceptions=False) as client,
    ):
        response = client.post(
            f"/api/webhooks/{provider}/{TOKEN}", content=body, headers=vapi_headers("s" * 20)
        )
    engine.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert "Traceback" not in response.text and "psycopg" not in response.text
    assert "database unavailable" in response.json()["detail"]
    assert TOKEN not in caplog.text
    assert "Traceback" not in caplog.text
