"""A websocket refused for its origin: the server's log line says which setting would accept it."""

from __future__ import annotations

import logging
import secrets

import engineio
import pytest

from crm_app.core import origin_hint
from crm_app.core.config import Settings, load_settings
from tests.loadgen import run_to_completion


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "encryption_key": secrets.token_hex(32),
        "jwt_secret": secrets.token_urlsafe(48),
        "environment": "local",
        "public_base_url": "http://localhost:3000",
    }
    values.update(overrides)
    return load_settings(_env_file=None, **values)


@pytest.fixture
def hinted():
    """Install the hint for given settings; engineio's logger put back afterwards."""
    logger = logging.getLogger(origin_hint.ENGINEIO_LOGGER)
    before = list(logger.filters)

    def _install(settings: Settings) -> None:
        origin_hint.install(settings)
        origin_hint.install(settings)  # twice, as a reloaded module would: still one filter

    yield _install
    logger.filters[:] = before


def _refused_for_origin(settings: Settings, origin: str) -> bool:
    """Whether engineio itself, allowed the origins Reflex is given, refuses a websocket
    handshake from `origin` for its origin (a bare ASGI request fails later otherwise)."""
    server = engineio.AsyncServer(
        async_mode="asgi", cors_allowed_origins=settings.accepted_origin_list
    )
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/_event/",
        "query_string": b"EIO=4&transport=websocket",
        "headers": [(b"origin", origin.encode()), (b"host", b"localhost:3000")],
        "scheme": "http",
        "server": ("localhost", 3000),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "http_version": "1.1",
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    # In the whole suite the browser tests' Playwright may keep a loop running here.
    run_to_completion(server.handle_request(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status == 400 and b"not an accepted origin" in body


def test_a_refused_origin_is_logged_with_the_setting_that_would_accept_it(hinted, caplog):
    settings = _settings()
    hinted(settings)
    with caplog.at_level(logging.INFO, logger=origin_hint.ENGINEIO_LOGGER):
        assert _refused_for_origin(settings, "http://192.168.1.5:3000")
    (line,) = [m for m in caplog.messages if "192.168.1.5" in m]
    assert line.startswith("http://192.168.1.5:3000 is not an accepted origin")
    assert "http://localhost:3000, http://127.0.0.1:3000" in line
    assert "PUBLIC_BASE_URL" in line and "ALLOWED_ORIGINS" in line


def test_with_allowed_origins_set_the_line_says_to_add_the_origin_there(hinted, caplog):
    settings = _settings(allowed_origins="https://crm.example.com", environment="production")
    hinted(settings)
    with caplog.at_level(logging.INFO, logger=origin_hint.ENGINEIO_LOGGER):
        assert _refused_for_origin(settings, "https://other.example.com")
    (line,) = [m for m in caplog.messages if "other.example.com" in m]
    assert "add https://other.example.com to ALLOWED_ORIGINS" in line
    assert "PUBLIC_BASE_URL" not in line


def test_the_loopback_twin_is_accepted_by_the_websocket_outside_production() -> None:
    assert not _refused_for_origin(_settings(), "http://127.0.0.1:3000")
    assert _refused_for_origin(_settings(), "http://127.0.0.1:3001")


def test_production_websocket_refuses_the_loopback_twin() -> None:
    settings = _settings(environment="production")
    assert not _refused_for_origin(settings, "http://localhost:3000")
    assert _refused_for_origin(settings, "http://127.0.0.1:3000")


def test_other_lines_of_engineio_are_left_alone(hinted, caplog):
    hinted(_settings())
    with caplog.at_level(logging.INFO, logger=origin_hint.ENGINEIO_LOGGER):
        logging.getLogger(origin_hint.ENGINEIO_LOGGER).info("Invalid transport %s", "polling")
    assert caplog.messages == ["Invalid transport polling"]
