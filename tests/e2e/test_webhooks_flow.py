"""Webhooks through the real app: a signed Vapi report becomes a call its owner sees, and only they.

The requests go over HTTP to the served app; the tests play the providers and
set up vault keys and URL tokens directly in the server's database (sealed
with the server's own master key).
"""

from __future__ import annotations

import re

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import select

from crm_app.core.crypto import Keyring
from crm_app.core.db import create_db_engine, global_session, tenant_session
from crm_app.models import ContactCreate, User
from crm_app.services.contacts import create_contact, delete_contact
from tests.e2e.helpers import check_dialog_keyboard, sign_up, unique_email
from tests.e2e.rows import insert_rows
from tests.webhook_senders import (
    LEAKED_TWILIO_TOKEN,
    connect,
    encode,
    make_event,
    make_headers,
    vapi_end_of_call_report,
    vapi_headers,
)

SCRIPT_NAME = "Ada <script>window.__pwned = 1</script>"


@pytest.fixture(scope="module")
def server_db(app_server):
    engine = create_db_engine(app_server.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def server_keyring(app_server) -> Keyring:
    return Keyring(bytes.fromhex(app_server.env["ENCRYPTION_KEY"]))


def _user_id(engine: sa.Engine, email: str):
    with global_session(engine) as session:
        return session.exec(select(User.id).where(User.email == email)).one()


def _signed_up(new_context, app_server, label: str):
    page = new_context().new_page()
    email = unique_email(label)
    sign_up(page, app_server.base_url, email=email, name=label.title())
    return page, email


def test_a_signed_vapi_report_shows_on_calls_and_webhooks_for_its_owner_only(
    new_context, app_server, server_db, server_keyring
):
    owner_page, owner_email = _signed_up(new_context, app_server, "owner")
    other_page, _ = _signed_up(new_context, app_server, "other")
    vapi = connect(server_db, _user_id(server_db, owner_email), "vapi", keyring=server_keyring)

    report = vapi_end_of_call_report("call-e2e-1", name=SCRIPT_NAME)
    response = httpx.post(
        app_server.base_url + vapi.path, content=encode(report), headers=vapi_headers(vapi.secret)
    )
    assert response.status_code == 200, response.text
    forged = httpx.post(
        app_server.base_url + vapi.path, content=encode(report), headers=vapi_headers("x" * 20)
    )
    assert forged.status_code == 403

    owner_page.goto(f"{app_server.base_url}/calls")
    row = owner_page.get_by_test_id("call-row").filter(has_text="Ada")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(SCRIPT_NAME)  # shown as text, not run
    assert owner_page.evaluate("window.__pwned") is None

    owner_page.goto(f"{app_server.base_url}/webhooks")
    event_row = owner_page.get_by_test_id("webhook-row").filter(has_text="end-of-call-report")
    expect(event_row).to_have_count(1)
    expect(event_row).to_contain_text("accepted")
    # To the second (many events share a minute), with the moment in UTC on hover.
    expect(event_row).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"))
    expect(event_row.locator("span[title]").first).to_have_attribute(
        "title", re.compile(r"^2\d{3}-.*\+00:00$")
    )
    # Told apart at a glance: accepted in green, refused in red.
    accepted = event_row.get_by_text("accepted", exact=True)
    expect(accepted).to_have_attribute("data-accent-color", "green")
    rejected = owner_page.get_by_test_id("webhook-row").filter(has_text="rejected")
    expect(rejected.get_by_text("rejected", exact=True)).to_have_attribute(
        "data-accent-color", "red"
    )
    # Its details say what to change, and where.
    rejected.get_by_role("button", name=re.compile("Details")).click()
    advice = owner_page.get_by_test_id("webhook-detail").get_by_test_id("detail-advice")
    expect(advice).to_contain_text("Copy the server secret")
    owner_page.get_by_role("button", name="Close").click()
    event_row.get_by_role("button", name=re.compile("Details")).click()
    detail = owner_page.get_by_test_id("webhook-detail")
    expect(detail.get_by_test_id("detail-payload")).to_contain_text("[redacted]")
    # New records say so; others it only changed or linked (an update is not a creation).
    expect(detail.get_by_role("heading", name="What it created or changed")).to_be_visible()
    expect(detail.get_by_role("link", name="Call (new)")).to_be_visible()
    assert LEAKED_TWILIO_TOKEN not in owner_page.content()
    assert owner_page.evaluate("window.__pwned") is None

    log = app_server.log_text()
    for secret in (vapi.token, vapi.secret, LEAKED_TWILIO_TOKEN, *app_server.secrets):
        assert secret not in log

    for path, empty in (("/calls", "calls-empty"), ("/webhooks", "webhooks-empty")):
        other_page.goto(f"{app_server.base_url}{path}")
        expect(other_page.get_by_test_id(empty)).to_be_visible()
        expect(other_page.get_by_text("call-e2e-1")).to_have_count(0)
        expect(other_page.get_by_text("Ada")).to_have_count(0)


def test_a_failed_event_can_be_replayed_from_the_page(
    new_context, app_server, server_db, server_keyring
):
    page, email = _signed_up(new_context, app_server, "replayer")
    owner = _user_id(server_db, email)
    make = connect(server_db, owner, "make", keyring=server_keyring)
    with tenant_session(owner, server_db) as session:
        create_contact(
            session=session,
            user_id=owner,
            contact_in=ContactCreate(phone="+14155550199", email="a@example.com"),
        )
        blocker = create_contact(
            session=session, user_id=owner, contact_in=ContactCreate(email="b@example.com")
        )
    body = encode(make_event("contact.upsert", {"phone": "+14155550199", "email": "b@example.com"}))
    response = httpx.post(
        app_server.base_url + make.path, content=body, headers=make_headers(make.secret, body)
    )
    assert response.status_code == 422

    page.goto(f"{app_server.base_url}/webhooks")
    failed = page.get_by_test_id("webhook-row").filter(has_text="failed")
    expect(failed).to_have_count(1)
    failed.get_by_role("button", name="Details of the make contact.upsert event, failed").click()
    detail = page.get_by_test_id("webhook-detail")
    clash = "clashes with a record: email: another contact already has this email"
    expect(detail.get_by_test_id("detail-reason")).to_contain_text(clash)
    expect(detail.get_by_test_id("detail-no-replay")).to_have_count(0)
    # Replayed before the clash is fixed: it fails again, and says why once.
    detail.get_by_role("button", name="Replay").click()
    expect(page.get_by_text("Not replayed")).to_be_visible()
    expect(detail.get_by_test_id("detail-reason")).to_contain_text("replay failed")
    expect(detail.get_by_text("already has this email")).to_have_count(1)
    with tenant_session(owner, server_db) as session:  # the user fixes the clash
        assert delete_contact(session=session, user_id=owner, contact_id=blocker.id)
    detail.get_by_role("button", name="Replay").click()
    expect(page.get_by_text("Event replayed")).to_be_visible()
    expect(detail.get_by_role("button", name="Replay")).to_have_count(0)
    expect(detail.get_by_role("link", name="Contact")).to_be_visible()
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_test_id("webhook-row").filter(has_text="accepted")).to_have_count(1)
    expect(page.get_by_test_id("webhook-row").filter(has_text="failed")).to_have_count(0)


def test_an_event_whose_own_data_was_refused_says_replaying_cannot_help(
    new_context, app_server, server_db, server_keyring
):
    page, email = _signed_up(new_context, app_server, "unfixable")
    make = connect(server_db, _user_id(server_db, email), "make", keyring=server_keyring)
    body = encode(make_event("lead.upsert", {"email": "not an email"}))
    response = httpx.post(
        app_server.base_url + make.path, content=body, headers=make_headers(make.secret, body)
    )
    assert response.status_code == 422
    page.goto(f"{app_server.base_url}/webhooks")
    page.get_by_role("button", name="Details of the make lead.upsert event, failed").click()
    detail = page.get_by_test_id("webhook-detail")
    expect(detail.get_by_test_id("detail-reason")).to_contain_text("could not apply: email")
    expect(detail.get_by_test_id("detail-no-replay")).to_contain_text("Replaying cannot help")
    expect(detail.get_by_role("button", name="Replay")).to_have_count(0)


def test_events_and_calls_that_arrive_while_a_list_is_open_show_on_refresh(
    new_context, app_server, server_db, server_keyring
):
    webhooks, email = _signed_up(new_context, app_server, "refresher")
    vapi = connect(server_db, _user_id(server_db, email), "vapi", keyring=server_keyring)
    calls = webhooks.context.new_page()  # a second tab
    lists = (
        (webhooks, "/webhooks", "webhooks-empty", "webhook-row"),
        (calls, "/calls", "calls-empty", "call-row"),
    )
    for page, path, empty, _row in lists:
        page.goto(f"{app_server.base_url}{path}")
        expect(page.get_by_test_id(empty)).to_be_visible()
    response = httpx.post(
        app_server.base_url + vapi.path,
        content=encode(vapi_end_of_call_report("call-refresh")),
        headers=vapi_headers(vapi.secret),
    )
    assert response.status_code == 200, response.text
    for page, _path, _empty, row in lists:
        page.get_by_role("button", name="Refresh").click()
        expect(page.get_by_test_id(row)).to_have_count(1)


def test_the_details_dialog_gives_focus_back_to_its_button(new_context, app_server, server_db):
    page, email = _signed_up(new_context, app_server, "detailkeys")
    insert_rows(app_server, _user_id(server_db, email), webhook_events=[{}, {}])
    page.goto(f"{app_server.base_url}/webhooks")
    details = page.get_by_role("button", name=re.compile("Details"))
    expect(details).to_have_count(2)
    detail = page.get_by_test_id("webhook-detail")
    check_dialog_keyboard(details.last, detail)
    check_dialog_keyboard(details.first, detail)


def test_a_webhook_url_opened_in_a_browser_says_what_it_is_for(
    page, app_server, server_db, server_keyring
):
    email = unique_email("opener")
    sign_up(page, app_server.base_url, email=email, name="Opener")
    vapi = connect(server_db, _user_id(server_db, email), "vapi", keyring=server_keyring)
    # Pasted into the address bar: not the pages' "not found", which says the URL is wrong.
    response = page.goto(app_server.base_url + vapi.path)
    assert response.status == 405
    assert response.headers["allow"] == "POST"
    expect(page.get_by_text("This is a webhook URL")).to_contain_text("Paste it into Vapi")
    # The same for a token that does not exist: the answer tells nothing about tokens.
    response = page.goto(f"{app_server.base_url}/api/webhooks/vapi/whk_vapi_unknown")
    assert response.status == 405
    assert page.goto(f"{app_server.base_url}/api/webhooks/stripe/x").status == 404
