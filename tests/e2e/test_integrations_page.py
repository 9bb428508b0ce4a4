"""/integrations in a real browser: keys go in once and never come back out.

SECURITY.md item 12: the raw key is searched for in every websocket frame the
browser received, the DOM, local and session storage, cookies and the server's
log. The one place it may appear is the single submit event the browser sent.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import httpx
import redis
from playwright.sync_api import expect

from crm_app.core.crypto import Keyring
from crm_app.core.db import create_db_engine, tenant_session
from crm_app.services import vault
from tests.e2e.helpers import sign_up, unique_email
from tests.e2e.rows import user_id_of
from tests.webhook_senders import encode, make_event, make_headers

SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
STATE_SAVED_AFTER_MS = 3000


class Frames:
    """Every websocket frame of a page, in both directions, as text."""

    def __init__(self, page: Any) -> None:
        self.received: list[str] = []
        self.sent: list[str] = []
        page.on("websocket", self._watch)

    def _watch(self, websocket: Any) -> None:
        websocket.on("framereceived", lambda payload: self.received.append(str(payload)))
        websocket.on("framesent", lambda payload: self.sent.append(str(payload)))


def _open_integrations(page: Any, base_url: str, label: str) -> None:
    sign_up(page, base_url, email=unique_email(label), name=f"{label.title()} User")
    page.goto(f"{base_url}/integrations")
    expect(page.get_by_role("heading", name="Integrations", exact=True)).to_be_visible()
    expect(page.get_by_test_id("vapi-webhook-url")).to_contain_text("/api/webhooks/vapi/")


def _confirm(page: Any, button: str) -> None:
    page.get_by_role("alertdialog").get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)


def _assert_nowhere_in_the_browser(page: Any, frames: Frames, raw: str) -> None:
    assert frames.received, "the page should have talked to the server"
    assert not [frame for frame in frames.received if raw in frame]
    assert raw not in page.content()
    storage = page.evaluate(
        "JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})"
    )
    assert raw not in storage
    assert raw not in page.evaluate("document.cookie")
    assert not [cookie for cookie in page.context.cookies() if raw in str(cookie)]


def test_a_saved_vapi_key_shows_connected_and_never_reaches_the_browser_or_the_log(
    page, app_server
):
    frames = Frames(page)
    _open_integrations(page, app_server.base_url, "vault")
    expect(page.get_by_test_id("vapi-status")).to_have_text("Not connected")
    raw = "vapi-e2e-" + secrets.token_hex(16)

    field = page.get_by_label("Vapi server secret", exact=True)
    expect(field).to_have_attribute("type", "password")
    field.fill(raw)
    page.get_by_test_id("vapi-save").click()

    expect(page.get_by_test_id("vapi-status")).to_have_text("Connected")
    expect(page.get_by_text("Vapi server secret saved.")).to_be_visible()
    fingerprint = page.get_by_test_id("vapi-fingerprint")
    expect(fingerprint).to_have_text(re.compile(r"^[0-9a-f]{16}$"))
    expect(page.get_by_text("\u2026" + raw[-4:])).to_be_visible()
    expect(page.get_by_label("New Vapi server secret")).to_have_value("")  # the form was reset
    shown_fingerprint = fingerprint.inner_text()

    # Sent once, in the submit event; received never, stored nowhere, logged nowhere.
    assert len([frame for frame in frames.sent if raw in frame]) == 1
    _assert_nowhere_in_the_browser(page, frames, raw)
    assert raw not in app_server.log_text()

    page.reload()
    expect(page.get_by_test_id("vapi-status")).to_have_text("Connected")
    expect(page.get_by_test_id("vapi-fingerprint")).to_have_text(shown_fingerprint)
    _assert_nowhere_in_the_browser(page, frames, raw)

    page.get_by_test_id("vapi-disconnect").click()
    _confirm(page, "Remove")
    expect(page.get_by_test_id("vapi-status")).to_have_text("Not connected")
    expect(page.get_by_test_id("vapi-fingerprint")).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("vapi-status")).to_have_text("Not connected")
    assert len([frame for frame in frames.sent if raw in frame]) == 1
    assert raw not in app_server.log_text()


def test_vapi_is_connected_with_its_hmac_secret_alone(page, app_server):
    _open_integrations(page, app_server.base_url, "hmaconly")
    expect(page.get_by_test_id("vapi-status")).to_have_text("Not connected")
    page.get_by_label("Vapi HMAC secret", exact=True).fill("hmac-e2e-" + secrets.token_hex(16))
    page.get_by_test_id("vapi_hmac-save").click()
    expect(page.get_by_text("Vapi HMAC secret saved.")).to_be_visible()
    expect(page.get_by_test_id("vapi-status")).to_have_text("Connected")
    # When it was saved, in the viewer's own time, as every time in the app.
    expect(page.get_by_text(re.compile(r"^Saved \d{4}-\d\d-\d\d \d\d:\d\d$"))).to_be_visible()


def test_removing_a_key_another_tab_removed_says_so(page, app_server):
    _open_integrations(page, app_server.base_url, "twotabs")
    page.get_by_label("Vapi server secret", exact=True).fill("vapi-e2e-" + secrets.token_hex(16))
    page.get_by_test_id("vapi-save").click()
    expect(page.get_by_test_id("vapi-status")).to_have_text("Connected")
    other = page.context.new_page()
    other.goto(f"{app_server.base_url}/integrations")
    other.get_by_test_id("vapi-disconnect").click()
    _confirm(other, "Remove")
    expect(other.get_by_text("Vapi server secret removed.")).to_be_visible()
    page.get_by_test_id("vapi-disconnect").click()  # this tab still shows it
    _confirm(page, "Remove")
    expect(page.get_by_text("Vapi server secret was already removed.")).to_be_visible()
    expect(page.get_by_test_id("vapi-status")).to_have_text("Not connected")


def test_bad_keys_get_a_clear_message_and_change_nothing(page, app_server):
    frames = Frames(page)
    _open_integrations(page, app_server.base_url, "badkey")

    page.get_by_test_id("vapi-save").click()
    vapi_refused = page.get_by_test_id("vapi-key-error")
    expect(vapi_refused).to_have_text("The Vapi server secret is required.")

    page.get_by_label("Twilio Account SID").fill("AC" + "0" * 32)
    token = page.get_by_label("Twilio auth token", exact=True)
    token.fill("not-a-twilio-token-not-hex-00000")
    page.get_by_test_id("twilio-save").click()
    # Said beside the form, and by the field to a screen reader, after the toast has gone.
    refused = re.compile("Twilio auth token is not plausible")
    expect(page.get_by_test_id("twilio-key-error")).to_contain_text(refused)
    expect(token).to_have_accessible_description(refused)
    expect(page.get_by_test_id("twilio-status")).to_have_text("Not connected")
    # What was typed stays, to be corrected rather than typed again.
    expect(page.get_by_label("Twilio Account SID")).to_have_value("AC" + "0" * 32)
    _assert_nowhere_in_the_browser(page, frames, "not-a-twilio-token-not-hex-00000")
    token.fill("0123456789abcdef0123456789abcdef")
    page.get_by_test_id("twilio-save").click()
    expect(page.get_by_test_id("twilio-status")).to_have_text("Connected")
    expect(page.get_by_test_id("twilio-key-error")).to_have_count(0)
    expect(vapi_refused).to_be_visible()  # not the form that saved


def test_twilio_connects_with_its_account_sid_and_disconnects(page, app_server):
    frames = Frames(page)
    _open_integrations(page, app_server.base_url, "twilio")
    sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)

    page.get_by_label("Twilio Account SID").fill(sid)
    page.get_by_label("Twilio auth token", exact=True).fill(token)
    page.get_by_test_id("twilio-save").click()

    expect(page.get_by_test_id("twilio-status")).to_have_text("Connected")
    expect(page.get_by_text(sid)).to_be_visible()  # the SID is not secret
    expect(page.get_by_label("New Twilio auth token")).to_have_value("")  # the form was emptied
    expect(page.get_by_label("Twilio Account SID")).to_have_value("")
    _assert_nowhere_in_the_browser(page, frames, token)
    # A new token alone keeps the Account SID the card shows.
    fingerprint = page.get_by_test_id("twilio-fingerprint").inner_text()
    page.get_by_label("New Twilio auth token").fill(secrets.token_hex(16))
    page.get_by_test_id("twilio-save").click()
    expect(page.get_by_test_id("twilio-fingerprint")).not_to_have_text(fingerprint)
    expect(page.get_by_text(sid)).to_be_visible()
    page.get_by_test_id("twilio-disconnect").click()
    _confirm(page, "Remove")
    expect(page.get_by_test_id("twilio-status")).to_have_text("Not connected")
    # The Remove button went with the key: focus is on the field for a new one.
    expect(page.get_by_label("Twilio auth token")).to_be_focused()


def _saved_states(app_server: Any) -> bytes:
    """Every tab's state as the server saved it: its state files, or its Redis keys."""
    saved = [
        path.read_bytes()
        for path in Path(app_server.env["REFLEX_STATES_WORKDIR"]).rglob("*")
        if path.is_file()
    ]
    if redis_url := app_server.env.get("REDIS_URL"):
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter():
            kind = client.type(key)
            if kind == b"string":
                saved.append(client.get(key) or b"")
            elif kind == b"hash":
                saved += [name + value for name, value in client.hgetall(key).items()]
    return b"".join(saved)


def test_the_make_secret_is_shown_once_and_then_only_its_fingerprint(new_context, app_server):
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    _open_integrations(page, app_server.base_url, "make")
    page.get_by_test_id("make-generate-secret").click()

    once = page.get_by_test_id("make-secret-once")
    expect(once).to_have_value(SECRET_SHAPE)
    secret = once.input_value()
    # The secret shown is the one stored: Make's events signed with it are accepted.
    make_url = page.get_by_test_id("make-webhook-url").inner_text()
    body = encode(make_event("lead.upsert", {"name": "Signed With The Shown Secret"}))
    answer = httpx.post(make_url, content=body, headers=make_headers(secret, body))
    assert answer.status_code == 200, answer.text
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Copy", exact=True).click()
    expect(page.get_by_text("Secret copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    # Only the browser's field holds it: no state var did, so no saved state has it
    # (Reflex writes a changed state to disk about two seconds later; Redis at once).
    page.wait_for_timeout(STATE_SAVED_AFTER_MS)
    assert secret.encode() not in _saved_states(app_server)
    dialog.get_by_role("button", name="Done", exact=True).click()

    expect(page.get_by_role("dialog")).to_have_count(0)
    # Back to the card's button, now Regenerate (Generate went once the secret was stored).
    expect(page.get_by_test_id("make-regenerate-secret")).to_be_focused()
    expect(page.get_by_test_id("make-status")).to_have_text("Connected")
    expect(page.get_by_test_id("make-fingerprint")).to_have_text(re.compile(r"^[0-9a-f]{16}$"))
    assert secret not in page.content()
    page.reload()
    expect(page.get_by_test_id("make-status")).to_have_text("Connected")
    assert secret not in page.content()

    page.get_by_test_id("make-regenerate-secret").click()
    _confirm(page, "Regenerate")
    expect(once).to_have_value(SECRET_SHAPE)
    assert once.input_value() != secret
    page.wait_for_timeout(STATE_SAVED_AFTER_MS)
    assert once.input_value().encode() not in _saved_states(app_server)


def test_regenerate_changes_the_webhook_url_and_the_old_one_stops_routing(page, app_server):
    from crm_app.core.db import create_db_engine, global_session
    from crm_app.services.webhook_endpoints import find_endpoint_owner

    _open_integrations(page, app_server.base_url, "webhook")
    url = page.get_by_test_id("vapi-webhook-url")
    old = url.inner_text()
    assert old.startswith(f"{app_server.base_url}/api/webhooks/vapi/")
    page.reload()
    expect(url).to_have_text(old)  # the same URL after a reload

    page.get_by_test_id("vapi-regenerate").click()
    _confirm(page, "Regenerate")
    expect(url).not_to_have_text(old)
    new = url.inner_text()
    assert new.startswith(f"{app_server.base_url}/api/webhooks/vapi/")

    engine = create_db_engine(app_server.database_url)
    try:
        with global_session(engine) as session:
            old_owner = find_endpoint_owner(
                session=session, provider="vapi", token=old.rsplit("/", 1)[1]
            )
            new_owner = find_endpoint_owner(
                session=session, provider="vapi", token=new.rsplit("/", 1)[1]
            )
    finally:
        engine.dispose()
    assert old_owner is None
    assert new_owner is not None


# What a 375 px phone leaves for a page's content, inside the shell's 1em padding.
PHONE_CONTENT_WIDTH = 375 - 2 * 16


def test_the_page_works_at_phone_width(new_context, app_server):
    page = new_context(viewport={"width": 375, "height": 812}).new_page()
    _open_integrations(page, app_server.base_url, "phone")
    for provider in ("vapi", "twilio", "make"):
        card = page.get_by_test_id(f"{provider}-card")
        expect(card).to_be_visible()
        # Nothing inside a card sticks out of it (a long URL wraps).
        assert card.evaluate("card => card.scrollWidth <= card.clientWidth"), provider
    # The narrowest the page's content can be laid out, whatever the shell around it does.
    narrowest = page.evaluate(
        """() => {
            const heading = [...document.querySelectorAll("h1")].find(
                (h) => h.textContent === "Integrations"
            );
            const content = heading.parentElement;
            content.style.width = "min-content";
            const width = content.getBoundingClientRect().width;
            content.style.width = "";
            return width;
        }"""
    )
    assert narrowest <= PHONE_CONTENT_WIDTH
    page.get_by_label("Vapi server secret", exact=True).fill("typed-on-a-phone")


def test_a_key_the_server_cannot_read_says_so_on_its_card(page, app_server):
    email = unique_email("unreadable")
    sign_up(page, app_server.base_url, email=email, name="Unreadable")
    owner = user_id_of(app_server, email)
    engine = create_db_engine(app_server.database_url)
    try:
        server_keyring = Keyring(bytes.fromhex(app_server.env["ENCRYPTION_KEY"]))
        lost = Keyring(secrets.token_bytes(32))  # a master key the server no longer has
        with tenant_session(owner, engine) as session:
            for service, keyring in (("vapi", server_keyring), ("vapi_hmac", lost)):
                vault.save_api_key(
                    session=session,
                    user_id=owner,
                    service=service,
                    raw_key=secrets.token_urlsafe(24),
                    keyring=keyring,
                )
    finally:
        engine.dispose()
    page.goto(f"{app_server.base_url}/integrations")
    expect(page.get_by_test_id("vapi_hmac-unreadable")).to_contain_text("cannot read this key")
    expect(page.get_by_test_id("vapi-unreadable")).to_have_count(0)
