"""The webhook fast path: it answers webhook POSTs itself and passes every other request on.

The rest of tests/api runs through it too (the `client` fixture), so every
webhook test checks that it answers as the FastAPI routes would.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

import crm_app.core.db as db
from crm_app.api.webhook_fast_path import WebhookFastPath
from tests.webhook_senders import connect, encode, vapi_end_of_call_report, vapi_headers

MALFORMED_TOKEN = "not-a-token"


class Behind:
    """The app behind the fast path: records what reaches it, answers 299."""

    def __init__(self) -> None:
        self.paths: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.paths.append((scope["method"], scope["path"]))
            await PlainTextResponse("behind", status_code=299)(scope, receive, send)


@pytest.fixture
def behind(engine, monkeypatch):
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    app = Behind()
    # Not entered as a context: the app behind has no lifespan to run.
    return app, TestClient(WebhookFastPath(app), base_url="http://localhost:3000")


def test_a_delivery_is_verified_and_stored_without_the_app_behind(behind, engine, make_user):
    app, client = behind
    endpoint = connect(engine, make_user().id, "vapi")
    body = encode(vapi_end_of_call_report("call-fast-path"))
    response = client.post(endpoint.path, content=body, headers=vapi_headers(endpoint.secret))
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert app.paths == []


def test_a_url_pasted_with_a_trailing_slash_is_the_same_webhook(behind, engine, make_user):
    app, client = behind
    endpoint = connect(engine, make_user().id, "vapi")
    body = encode(vapi_end_of_call_report("call-slash"))
    response = client.post(endpoint.path + "/", content=body, headers=vapi_headers(endpoint.secret))
    assert (response.status_code, response.json()["status"]) == (200, "accepted")
    assert app.paths == []


@pytest.mark.parametrize("provider", ["vapi", "twilio", "make"])
def test_an_unknown_token_is_refused_by_the_fast_path(behind, provider):
    app, client = behind
    response = client.post(f"/api/webhooks/{provider}/{MALFORMED_TOKEN}", content=b"{}")
    assert (response.status_code, response.json()) == (404, {"detail": "unknown webhook URL"})
    assert app.paths == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/webhooks/vapi/{MALFORMED_TOKEN}"),  # opened in a browser: FastAPI's 405
        ("PUT", f"/api/webhooks/make/{MALFORMED_TOKEN}"),
        ("POST", f"/api/webhooks/stripe/{MALFORMED_TOKEN}"),  # no such provider
        ("POST", f"/api/webhooks/vapi/{MALFORMED_TOKEN}/more"),
        ("POST", "/api/webhooks/vapi/"),
        ("POST", f"/api/webhooks/vapix/{MALFORMED_TOKEN}"),
        ("POST", f"/prefix/api/webhooks/vapi/{MALFORMED_TOKEN}"),
        ("POST", "/api/auth/login"),
        ("GET", "/dashboard"),
    ],
)
def test_every_other_request_goes_on_to_the_app_behind(behind, method, path):
    app, client = behind
    response = client.request(method, path)
    assert (response.status_code, response.text) == (299, "behind")
    assert app.paths == [(method, path)]


def test_through_fastapi_other_methods_still_get_its_405(client):
    response = client.get(f"/api/webhooks/vapi/{MALFORMED_TOKEN}")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
