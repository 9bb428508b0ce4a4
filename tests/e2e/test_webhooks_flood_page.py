"""A flood of forged webhooks on the audit page: a few rows, the rest counted, and what to do."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect
from sqlmodel import select

from crm_app.core.crypto import Keyring
from crm_app.core.db import create_db_engine, global_session
from crm_app.models import User
from crm_app.services.webhook_ingest import NOISE_ROWS_PER_WINDOW
from tests.e2e.helpers import sign_up, unique_email
from tests.webhook_senders import connect, encode, vapi_end_of_call_report, vapi_headers

MORE = 7


def test_forged_requests_past_the_limit_show_as_one_counted_row(new_context, app_server):
    page = new_context().new_page()
    email = unique_email("flooded")
    sign_up(page, app_server.base_url, email=email, name="Flooded")
    engine = create_db_engine(app_server.database_url)
    try:
        with global_session(engine) as session:
            owner = session.exec(select(User.id).where(User.email == email)).one()
        keyring = Keyring(bytes.fromhex(app_server.env["ENCRYPTION_KEY"]))
        vapi = connect(engine, owner, "vapi", keyring=keyring)
    finally:
        engine.dispose()
    with httpx.Client(base_url=app_server.base_url) as client:
        for number in range(NOISE_ROWS_PER_WINDOW + MORE):
            body = encode(vapi_end_of_call_report(f"call-forged-{number}"))
            sent = client.post(vapi.path, content=body, headers=vapi_headers("not-the-secret"))
            assert sent.status_code == 403

    page.goto(f"{app_server.base_url}/webhooks")
    counted = page.get_by_test_id("webhook-row").filter(has=page.get_by_test_id("webhook-repeats"))
    expect(counted).to_have_count(1)
    expect(counted).to_contain_text("bad signature")
    expect(counted.get_by_test_id("webhook-repeats")).to_contain_text(
        re.compile(rf"\+{MORE} more like it, the last \d{{4}}-\d\d-\d\d \d\d:\d\d")
    )
    counted.get_by_role("button", name=re.compile("Details")).click()
    detail = page.get_by_test_id("webhook-detail")
    expect(detail.get_by_test_id("webhook-repeats")).to_contain_text(f"+{MORE} more like it")
    expect(detail.get_by_text("someone else has this URL: make a new one there")).to_be_visible()
