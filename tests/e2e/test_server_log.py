"""What the running server writes to its log: never a session cookie or an event's payload."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import aiohttp
import httpx
from playwright.sync_api import expect
from reflex import constants

from crm_app.services.sessions import COOKIE_NAME
from crm_app.state.integrations import IntegrationsState
from crm_app.state.live_reload import LIVE_RELOAD_SECONDS
from tests.e2e.helpers import sign_up, unique_email
from tests.e2e.rows import insert_rows, user_id_of
from tests.e2e.sockets import listen_with_token
from tests.loadgen import run_to_completion

MARKER = "RAW-KEY-" + uuid.uuid4().hex


def _session_cookie(base_url: str) -> str:
    signup = httpx.post(
        f"{base_url}/api/auth/signup",
        json={"email": f"log-{uuid.uuid4().hex[:8]}@example.com", "password": "x" * 12},
        headers={"origin": base_url},
    )
    assert signup.status_code == 201
    return signup.cookies[COOKIE_NAME]


async def _send_an_event_no_handler_takes(base_url: str, cookie: str, name: str) -> None:
    """As a tab of a page one deploy behind the backend would: its handler is gone."""
    socket_url = base_url.replace("http", "ws", 1) + "/_event/?EIO=4&transport=websocket"
    headers = {"Origin": base_url, "Cookie": f"{COOKIE_NAME}={cookie}"}
    router = {"pathname": "/integrations/", "asPath": "/integrations/"}
    event = {"name": name, "payload": {"form_data": {"api_key": MARKER}}, "router_data": router}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            f"{socket_url}&token={uuid.uuid4()}",
            headers=headers,
            protocols=(constants.Reflex.VERSION,),
        ) as socket,
    ):
        await socket.receive(timeout=10)  # the engine's greeting
        await socket.send_str("40/_event,")
        await socket.receive(timeout=10)  # connected to the namespace
        await socket.send_str("42/_event," + json.dumps(["event", event]))
        await asyncio.sleep(1)


def test_an_event_the_server_cannot_route_is_logged_without_cookie_or_payload(app_server):
    cookie = _session_cookie(app_server.base_url)
    name = f"{IntegrationsState.get_full_name()}.save_api_key_of_an_older_page"
    run_to_completion(_send_an_event_no_handler_takes(app_server.base_url, cookie, name))
    # The log shortens the name (to "save_a..." with its length), so wait for the verdict.
    dropped = "no handler by that name, dropped"
    deadline = time.monotonic() + 15
    while dropped not in (log := app_server.log_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # and for anything logged after it, such as a traceback
    log = app_server.log_text()
    # It was logged, by its name only (the console wraps long lines), in one
    # line and without Reflex's traceback quoting the name again.
    assert "Error processing event queue entry" in log
    assert "[router data and payload not logged]" in log
    assert dropped in log
    assert "No registered handler found" not in log
    assert MARKER not in log
    assert cookie not in log and cookie.split(".")[2] not in log


def _saved_state(app_server) -> bytes:
    """Everything Reflex has saved of tabs' states: its files, or its Redis database."""
    if redis_url := app_server.env.get("REDIS_URL"):
        import redis

        client = redis.Redis.from_url(redis_url)
        try:
            return b"".join(
                value for key in client.scan_iter() if (value := client.get(key)) is not None
            )
        finally:
            client.close()
    states = Path(app_server.env["REFLEX_STATES_WORKDIR"])
    return b"".join(path.read_bytes() for path in states.rglob("*") if path.is_file())


def test_the_state_reflex_saves_holds_no_session_token(page, app_server):
    from tests.e2e.helpers import sign_up, unique_email

    email = unique_email("saved")
    sign_up(page, app_server.base_url, email=email, name="Saved State")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE_NAME)
    for path in ("/leads", "/calls", "/dashboard"):
        page.goto(f"{app_server.base_url}{path}")
        page.get_by_role("main").wait_for()
    deadline = time.monotonic() + 30  # Reflex writes a changed state to disk ~2 s later
    saved = b""
    while time.monotonic() < deadline:  # saved after the events, not necessarily at once
        saved = _saved_state(app_server)
        if email.encode() in saved:
            break
        time.sleep(0.5)
    assert email.encode() in saved, "no saved state of this tab was found to look into"
    assert token.encode() not in saved
    assert COOKIE_NAME.encode() + b"=" not in saved


def test_a_closed_tabs_token_gets_none_of_its_live_pages_reloads(new_context, app_server):
    """A live page's reloads are chained on the server with the socket's old cookie: once
    the tab has gone, whoever connects with its token must not receive them."""
    owner = new_context().new_page()
    email = unique_email("livetoken")
    sign_up(owner, app_server.base_url, email=email, name="Live Owner")
    caller = "Secret Caller " + uuid.uuid4().hex[:6]
    live = {"customer_name": caller, "status": "in-progress", "duration_seconds": None}
    insert_rows(app_server, user_id_of(app_server, email), call_logs=[live])
    owner.goto(f"{app_server.base_url}/calls")
    expect(owner.get_by_test_id("calls-live")).to_be_visible()  # the reloads have begun
    token = owner.evaluate("window.sessionStorage.getItem('token')")
    owner.close()
    received = run_to_completion(
        listen_with_token(app_server.base_url, token, 3 * LIVE_RELOAD_SECONDS)
    )
    assert received  # the socket was answered: the test listened to a live connection
    assert caller not in received
