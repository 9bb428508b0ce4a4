"""A flood of forged or replayed webhooks is counted on a few audit rows, not stored row by row."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm_app.core.config import get_settings
from crm_app.core.db import tenant_session
from crm_app.models.base import utcnow
from crm_app.services.webhook_events import list_webhook_events
from crm_app.services.webhook_ingest import (
    NOISE_ROWS_PER_WINDOW,
    NOISE_WINDOW,
    record_rejected_webhook,
)
from tests.webhook_senders import (
    connect,
    encode,
    make_event,
    twilio_request,
    twilio_sms,
    vapi_end_of_call_report,
    vapi_headers,
)
from tests.webhook_state import NOTHING, audit_rows, record_counts

MORE = 30  # requests past the rows a provider may add in a window


@pytest.fixture
def vapi(engine, make_user):
    return connect(engine, make_user().id, "vapi")


def _forge(client, vapi, count: int, headers=None) -> list[int]:
    """Post `count` fresh reports signed with a wrong secret; their status codes."""
    codes = []
    for number in range(count):
        body = encode(vapi_end_of_call_report(f"call-forged-{number}"))
        sent = client.post(vapi.path, content=body, headers=headers or vapi_headers("wrong-1234"))
        codes.append(sent.status_code)
    return codes


def _requests_accounted(rows) -> int:
    return sum(1 + row.repeats for row in rows)


def test_forged_requests_past_the_limit_are_counted_on_the_newest_row(client, engine, vapi):
    total = NOISE_ROWS_PER_WINDOW + MORE
    assert _forge(client, vapi, total) == [403] * total
    rows = audit_rows(engine, vapi.user_id)
    assert len(rows) == NOISE_ROWS_PER_WINDOW
    assert {(row.status, row.reason) for row in rows} == {("rejected", "bad signature")}
    # Every request is accounted for, and the newest row says when the last one came.
    assert _requests_accounted(rows) == total
    newest = max(rows, key=lambda row: row.received_at)
    assert newest.repeats == MORE
    assert newest.last_repeated_at >= newest.received_at
    assert record_counts(engine, vapi.user_id) == NOTHING


def test_refusals_whose_headers_the_sender_varies_still_count_on_a_few_rows(
    client, engine, make_user
):
    # Reasons never quote what the sender chose (a timestamp's age, a header's name):
    # each request would be a reason, and a row, of its own.
    make = connect(engine, make_user().id, "make")
    vapi = connect(engine, make_user().id, "vapi")
    body = encode(make_event("lead.upsert", {"name": "x"}))
    for number in range(NOISE_ROWS_PER_WINDOW + MORE):
        stamp = str(10**9 + number * 86_400)
        forged = {"webhook-id": f"msg_{number}", "webhook-timestamp": stamp}
        forged |= {"webhook-signature": "v1,AAAA", "content-type": "application/json"}
        assert client.post(make.path, content=body, headers=forged).status_code == 401
        named = {f"x-signature-{number}": "ab", "content-type": "application/json"}
        assert client.post(vapi.path, content=body, headers=named).status_code == 401
    for user_id in (make.user_id, vapi.user_id):
        assert len(audit_rows(engine, user_id)) <= NOISE_ROWS_PER_WINDOW


@pytest.mark.parametrize("stamp", ["inf", "-inf", "1e400", "Infinity", "nan"])
def test_a_timestamp_that_is_no_number_of_seconds_is_refused_and_audited(
    client, engine, make_user, stamp
):
    make = connect(engine, make_user().id, "make")
    body = encode(make_event("lead.upsert", {"name": "x"}))
    headers = {"webhook-id": "msg_1", "webhook-timestamp": stamp, "webhook-signature": "v1,AA"}
    response = client.post(make.path, content=body, headers=headers)
    assert (response.status_code, response.json()) == (401, {"detail": "malformed timestamp"})
    [row] = audit_rows(engine, make.user_id)
    assert (row.status, row.reason) == ("rejected", "malformed timestamp")


def test_during_a_flood_a_new_reason_and_real_events_still_get_rows(client, engine, vapi):
    _forge(client, vapi, NOISE_ROWS_PER_WINDOW + 5)
    unsigned = {"content-type": "application/json"}
    assert _forge(client, vapi, 1, headers=unsigned) == [401]
    report = vapi_end_of_call_report("call-real")
    real = client.post(vapi.path, content=encode(report), headers=vapi_headers(vapi.secret))
    assert real.json()["status"] == "accepted"
    reasons = [(row.status, row.reason) for row in audit_rows(engine, vapi.user_id)]
    assert reasons.count(("rejected", "missing signature")) == 1
    assert reasons.count(("accepted", "")) == 1
    assert record_counts(engine, vapi.user_id)["call_logs"] == 1


def test_a_replayed_twilio_request_is_one_event_and_a_counted_run_of_duplicates(
    client, engine, make_user
):
    # A Twilio signature has no timestamp: a captured request stays valid for ever.
    twilio = connect(engine, make_user().id, "twilio")
    public_url = get_settings().public_base_url.rstrip("/") + twilio.path
    body, headers = twilio_request(twilio.secret, public_url, twilio_sms("SM" + "1" * 32))
    total = 1 + NOISE_ROWS_PER_WINDOW + MORE
    codes = [client.post(twilio.path, content=body, headers=headers).status_code]
    after_first = record_counts(engine, twilio.user_id)
    codes += [
        client.post(twilio.path, content=body, headers=headers).status_code
        for _ in range(total - 1)
    ]
    assert codes == [200] * total
    rows = audit_rows(engine, twilio.user_id)
    assert [row.status for row in rows].count("accepted") == 1
    assert len(rows) == 1 + NOISE_ROWS_PER_WINDOW
    assert _requests_accounted(rows) == total
    assert record_counts(engine, twilio.user_id) == after_first


def test_a_flood_at_one_provider_leaves_another_providers_rows_alone(client, engine, vapi):
    _forge(client, vapi, NOISE_ROWS_PER_WINDOW + 5)
    make = connect(engine, vapi.user_id, "make")
    for _ in range(3):
        assert client.post(make.path, content=b"{}").status_code in (401, 403)
    make_rows = [row for row in audit_rows(engine, vapi.user_id) if row.provider == "make"]
    assert len(make_rows) == 3 and all(row.repeats == 0 for row in make_rows)


def test_rows_older_than_the_window_no_longer_count(engine, make_user):
    user = make_user()
    now = utcnow()
    long_ago = now - NOISE_WINDOW - timedelta(seconds=1)

    def reject(at):
        with tenant_session(user.id, engine) as session:
            return record_rejected_webhook(
                session=session,
                user_id=user.id,
                provider="vapi",
                reason="bad signature",
                size=10,
                sha256="0" * 64,
                received_at=at,
            )

    old_rows = {reject(long_ago) for _ in range(NOISE_ROWS_PER_WINDOW)}
    assert len(old_rows) == NOISE_ROWS_PER_WINDOW
    assert reject(now) not in old_rows
    rows = audit_rows(engine, user.id)
    assert len(rows) == NOISE_ROWS_PER_WINDOW + 1 and all(row.repeats == 0 for row in rows)
    # The list a person reads shows the new row first.
    with tenant_session(user.id, engine) as session:
        page = list_webhook_events(session=session, user_id=user.id, limit=1)
    assert page.items[0].received_at == now
