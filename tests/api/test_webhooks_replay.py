"""Failed events: kept with their payload, applied again by a Replay or by the provider's retry."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from crm_app.core.db import tenant_session
from crm_app.models import (
    Activity,
    AutomationLog,
    CallLog,
    Contact,
    ContactCreate,
    Lead,
    WebhookEvent,
)
from crm_app.models.base import utcnow
from crm_app.services.contacts import create_contact, delete_contact
from crm_app.services.dashboard import dashboard_stats
from crm_app.services.webhook_ingest import (
    NOT_REPLAYED_TWICE,
    record_failed_webhook,
    replay_can_help,
    replay_webhook_event,
)
from crm_app.state.webhooks import webhook_detail
from tests.factories import add_webhook_event
from tests.isolation.webhooks import _event
from tests.webhook_senders import (
    connect,
    encode,
    make_event,
    make_headers,
    vapi_end_of_call_report,
)
from tests.webhook_state import audit_rows, owned, record_counts

CLASH_PHONE = "+14155550199"


@pytest.fixture
def failed(client, engine, make_user):
    """A Make contact.upsert that failed: the contact with the phone would take b's email."""
    make = connect(engine, make_user().id, "make")
    with tenant_session(make.user_id, engine) as session:
        keep = create_contact(
            session=session,
            user_id=make.user_id,
            contact_in=ContactCreate(phone=CLASH_PHONE, email="a@example.com"),
        )
        blocker = create_contact(
            session=session, user_id=make.user_id, contact_in=ContactCreate(email="b@example.com")
        )
    body = encode(make_event("contact.upsert", {"phone": CLASH_PHONE, "email": "b@example.com"}))
    headers = make_headers(make.secret, body, message_id="msg_clash")
    assert client.post(make.path, content=body, headers=headers).status_code == 422
    [row] = audit_rows(engine, make.user_id)
    assert row.status == "failed"
    return make, row, keep, blocker, body


def _replay(engine, user_id, row_id):
    with tenant_session(user_id, engine) as session:
        return replay_webhook_event(session=session, user_id=user_id, event_id=row_id)


def _remove(engine, user_id, contact_id):
    with tenant_session(user_id, engine) as session:
        assert delete_contact(session=session, user_id=user_id, contact_id=contact_id)


def test_a_clash_with_a_record_says_so_and_offers_a_replay(engine, failed):
    make, row, *_ = failed
    assert row.reason == "clashes with a record: email: another contact already has this email"
    assert webhook_detail(row).can_replay
    again = _replay(engine, make.user_id, row.id)  # before the clash is fixed: still offered
    assert again.reason == f"replay failed: {row.reason}"
    [after] = audit_rows(engine, make.user_id)
    assert webhook_detail(after).can_replay


def test_an_event_whose_own_data_was_refused_offers_no_replay(client, engine, make_user):
    make = connect(engine, make_user().id, "make")
    body = encode(make_event("lead.upsert", {"email": "not an email"}))
    assert (
        client.post(make.path, content=body, headers=make_headers(make.secret, body)).status_code
        == 422
    )
    [row] = audit_rows(engine, make.user_id)
    assert row.status == "failed" and row.reason.startswith("could not apply: email")
    # Replaying the same data would be refused the same way: only the sender can fix it.
    assert not webhook_detail(row).can_replay


@pytest.mark.parametrize(
    ("reason", "can_help"),
    [
        ("clashes with a record: phone: the lead Ada already has this phone number", True),
        ("internal error (KeyError)", True),
        ("replay failed: internal error (TypeError)", True),
        (
            "replay failed: clashes with a record: email: another contact already has this email",
            True,
        ),
        ("could not apply: data.id: no lead has this id (deleted?)", False),
        ("replay failed: could not apply: message.call.id: missing", False),
        # A field's text cannot pass for a clash: only the reason's start counts.
        ("could not apply: data: it had: clashes with a record: ", False),
        # Clashes failed before their reasons said so, kept from then.
        ("could not apply: email: another contact already has this email", True),
        ("replay failed: phone: the lead Ada already has this phone number", True),
    ],
)
def test_a_replay_is_offered_only_where_it_can_help(reason: str, can_help: bool) -> None:
    assert replay_can_help(reason) is can_help


def test_a_replay_after_the_cause_is_fixed_applies_the_stored_payload(engine, failed):
    make, row, keep, blocker, _ = failed
    _remove(engine, make.user_id, blocker.id)
    outcome = _replay(engine, make.user_id, row.id)
    assert outcome.applied is True
    [contact] = owned(engine, make.user_id, Contact)
    assert (contact.id, contact.email) == (keep.id, "b@example.com")
    [row] = audit_rows(engine, make.user_id)
    assert (row.status, row.reason) == ("accepted", "replayed")
    assert str(keep.id) in row.result


def test_a_replay_that_fails_again_changes_nothing_but_the_reason(engine, failed):
    make, row, *_ = failed
    before = record_counts(engine, make.user_id)
    outcome = _replay(engine, make.user_id, row.id)
    assert outcome.applied is False and outcome.reason.startswith("replay failed:")
    assert record_counts(engine, make.user_id) == before
    [after] = audit_rows(engine, make.user_id)
    assert after.status == "failed" and after.reason == outcome.reason


def test_a_replay_that_breaks_the_applier_says_so_in_the_row_not_as_a_crash(engine, failed):
    # A stored payload the applier cannot read (from an older version, say): not a 500.
    make, row, *_ = failed
    with tenant_session(make.user_id, engine) as session:
        stored = session.get(WebhookEvent, (make.user_id, row.id))
        stored.payload = '["not", "an", "event"]'
        session.add(stored)
    before = record_counts(engine, make.user_id)
    outcome = _replay(engine, make.user_id, row.id)
    assert outcome.applied is False
    assert outcome.reason.startswith("replay failed: internal error (")
    assert record_counts(engine, make.user_id) == before
    [after] = audit_rows(engine, make.user_id)
    assert (after.status, after.reason) == ("failed", outcome.reason)


def test_only_failed_events_can_be_replayed(engine, failed):
    make, row, _, blocker, _ = failed
    _remove(engine, make.user_id, blocker.id)
    assert _replay(engine, make.user_id, row.id).applied is True
    before = record_counts(engine, make.user_id)
    again = _replay(engine, make.user_id, row.id)
    assert (again.applied, again.reason) == (False, "only failed events can be replayed")
    assert record_counts(engine, make.user_id) == before


def test_the_providers_retry_of_a_failed_event_applies_it_once_fixed(client, engine, failed):
    make, row, keep, blocker, body = failed
    _remove(engine, make.user_id, blocker.id)
    headers = make_headers(make.secret, body, message_id="msg_clash")
    response = client.post(make.path, content=body, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    [row] = audit_rows(engine, make.user_id)
    assert (row.status, row.reason) == ("accepted", "applied on redelivery")
    [contact] = owned(engine, make.user_id, Contact)
    assert contact.email == "b@example.com"


def test_a_retry_that_fails_again_keeps_one_failed_row(client, engine, failed):
    make, row, _, _, body = failed
    headers = make_headers(make.secret, body, message_id="msg_clash")
    assert client.post(make.path, content=body, headers=headers).status_code == 422
    [again] = audit_rows(engine, make.user_id)
    assert (again.id, again.status) == (row.id, "failed")


def test_a_delivery_that_failed_while_another_applied_the_event_offers_no_replay(engine, make_user):
    # Two deliveries of one event at once: one applied it, the other failed and found the
    # event accepted when it went to record its failure. Replaying that failure applied
    # the event a second time (a second SMS on the timeline, a second name-only lead).
    user = make_user()
    payload = {"data": {"name": "Ana"}}
    event = _event("make", "msg_twice", "lead.upsert", payload)
    with tenant_session(user.id, engine) as session:
        add_webhook_event(session, user_id=user.id, provider="make", event_id="msg_twice")
        row_id = record_failed_webhook(
            session=session,
            user_id=user.id,
            event=event,
            reason="internal error (OperationalError)",
            received_at=utcnow(),
        )
    with tenant_session(user.id, engine) as session:
        row = session.get(WebhookEvent, (user.id, row_id))
    assert (row.status, row.event_id, row.payload) == ("duplicate", None, None)
    assert row.reason == (
        "duplicate of an event another delivery applied: msg_twice; "
        "this one failed: internal error (OperationalError)"
    )
    assert not webhook_detail(row).can_replay
    before = record_counts(engine, user.id)
    assert _replay(engine, user.id, row_id).applied is False
    assert record_counts(engine, user.id) == before


def test_a_failed_copy_an_older_version_kept_beside_the_applied_event_is_not_replayed(
    engine, make_user
):
    user = make_user()
    with tenant_session(user.id, engine) as session:
        add_webhook_event(session, user_id=user.id, provider="make", event_id="msg_twice")
        orphan = add_webhook_event(
            session,
            user_id=user.id,
            provider="make",
            event_id=None,
            event_type="lead.upsert",
            status="failed",
            reason="internal error (OperationalError) (event msg_twice)",
            payload='{"data": {"name": "Ana"}}',
        )
    assert not webhook_detail(orphan).can_replay
    before = record_counts(engine, user.id)
    outcome = _replay(engine, user.id, orphan.id)
    assert (outcome.applied, outcome.reason) == (False, NOT_REPLAYED_TWICE)
    assert record_counts(engine, user.id) == before


def test_a_replayed_sms_is_dated_when_it_arrived_not_when_it_was_replayed(engine, make_user):
    # Twilio sends no time with an SMS: replayed the next day, it landed a day late, out of
    # order on the timeline.
    user_id = make_user().id
    fields = {"MessageSid": "SM" + "5" * 32, "From": "+14155550166", "Body": "Call me"}
    arrived = utcnow() - timedelta(days=1)
    with tenant_session(user_id, engine) as session:
        row_id = record_failed_webhook(
            session=session,
            user_id=user_id,
            event=_event("twilio", fields["MessageSid"], "sms.received", fields),
            reason="internal error",
            received_at=arrived,
        )
    outcome = _replay(engine, user_id, row_id)
    assert outcome is not None and outcome.applied, outcome
    [activity] = owned(engine, user_id, Activity)
    assert activity.occurred_at.replace(tzinfo=UTC) == arrived


@pytest.mark.parametrize(
    ("provider", "event_type", "payload", "made"),
    [
        (
            "vapi",
            "end-of-call-report",
            vapi_end_of_call_report("call-late", number="+14155550177"),
            (CallLog, Lead),
        ),
        (
            "make",
            "automation.run",
            make_event("automation.run", {"status": "success"}, execution_id="exec-late"),
            (AutomationLog,),
        ),
        (
            "make",
            "contact.upsert",
            make_event("contact.upsert", {"name": "Late Lou", "email": "lou@example.com"}),
            (Contact,),
        ),
    ],
)
def test_what_a_replay_creates_is_dated_when_the_event_arrived(
    engine, make_user, provider, event_type, payload, made
):
    # The dashboard counts calls, new leads and runs by when they were logged: a report
    # replayed ten days after it failed was counted among today's calls and new leads.
    user_id = make_user().id
    arrived = utcnow() - timedelta(days=10)
    with tenant_session(user_id, engine) as session:
        row_id = record_failed_webhook(
            session=session,
            user_id=user_id,
            event=_event(provider, f"evt-{provider}-{event_type}", event_type, payload),
            reason="internal error",
            received_at=arrived,
        )
    outcome = _replay(engine, user_id, row_id)
    assert outcome is not None and outcome.applied, outcome
    for model in made:
        [record] = owned(engine, user_id, model)
        assert record.created_at.replace(tzinfo=UTC) == arrived, model.__name__
    with tenant_session(user_id, engine) as session:
        this_week = dashboard_stats(session=session, user_id=user_id, period_days=7)
    assert (this_week.calls, this_week.new_leads) == (0, 0)
