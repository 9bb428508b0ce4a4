"""Failed events: kept with their payload, applied again by a Replay or by the provider's retry."""

from __future__ import annotations

import pytest

from crm_app.core.db import tenant_session
from crm_app.models import Contact, ContactCreate, WebhookEvent
from crm_app.services.contacts import create_contact, delete_contact
from crm_app.services.webhook_ingest import replay_webhook_event
from tests.webhook_senders import connect, encode, make_event, make_headers
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
