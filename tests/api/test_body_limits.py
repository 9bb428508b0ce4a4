"""Bodies over a route's limit are refused (413), whether declared or streamed (chunked).

That the server stops reading at the limit is checked on the real server, by
tests/drills/test_slow_clients.py (the test client buffers a streamed body).
"""

from __future__ import annotations

import pytest

from crm_app.api.auth import MAX_BODY_BYTES as AUTH_LIMIT
from crm_app.services.webhook_types import MAX_BODY_BYTES as WEBHOOK_LIMIT

CHUNK = b"x" * 4096


def _stream(total: int):
    """A chunked body (no Content-Length) of `total` bytes."""
    for _ in range(total // len(CHUNK)):
        yield CHUNK


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/signup"])
def test_a_streamed_auth_body_over_the_limit_is_refused(client, path):
    response = client.post(
        path,
        content=_stream(100 * AUTH_LIMIT),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


def test_a_declared_auth_body_over_the_limit_is_refused(client):
    response = client.post(
        "/api/auth/login",
        content=b"{" + b" " * AUTH_LIMIT + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


def test_a_form_under_the_limit_is_still_read_as_a_form(client):
    # The limited request still parses forms (the login page posts one).
    response = client.post(
        "/api/auth/login",
        data={"email": "nobody@example.com", "password": "wrong password"},
        headers={"origin": "http://localhost:3000"},
    )
    assert response.status_code == 303
    assert "/login" in response.headers["location"]


def test_a_streamed_webhook_body_over_the_limit_is_refused(client):
    response = client.post(
        "/api/webhooks/vapi/" + "t" * 43,
        content=_stream(8 * WEBHOOK_LIMIT),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
