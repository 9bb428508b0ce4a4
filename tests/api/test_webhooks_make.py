"""POST /api/webhooks/make/{token}: Make.com events (Standard Webhooks or x-make-apikey)."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from crm_app.core.crypto import Keyring
from crm_app.core.db import tenant_session
from crm_app.models import AutomationLog, Contact, ContactCreate, Lead, LeadCreate
from crm_app.services import vault
from crm_app.services.contacts import create_contact
from crm_app.services.leads import create_lead
from tests.webhook_senders import connect, encode, make_event, make_headers
from tests.webhook_state import NOTHING, audit_rows, owned, record_counts


@pytest.fixture
def make(engine, make_user):
    return connect(engine, make_user().id, "make")


def _post(client, make, payload, headers=None, **signing):
    body = payload if isinstance(payload, bytes) else encode(payload)
    return client.post(
        make.path, content=body, headers=headers or make_headers(make.secret, body, **signing)
    )


# --- Valid events


def test_a_returning_customers_form_adds_to_their_lead_and_takes_nothing_from_it(
    client, engine, make
):
    with tenant_session(make.user_id, engine) as session:
        create_lead(
            session=session,
            user_id=make.user_id,
            lead_in=LeadCreate(
                name="John Carter",
                phone="+15125550143",
                status="won",
                source="voice",
                notes="Water heater replaced 12/2. Gas, 50 gal.",
            ),
        )
    form = {
        "name": "John Carter",
        "phone": "(512) 555-0143",
        "email": "john@example.com",
        "status": "new",  # what a website form's scenario sends for everyone
        "source": "website",
        "notes": "Web form: wants an annual maintenance plan",
    }
    for _ in range(2):  # sent twice (two runs): the notes are added once
        assert _post(client, make, make_event("lead.upsert", form)).status_code == 200
    [lead] = owned(engine, make.user_id, Lead)
    assert (lead.status, lead.source, lead.email) == ("won", "voice", "john@example.com")
    assert lead.notes == (
        "Water heater replaced 12/2. Gas, 50 gal.\n\nWeb form: wants an annual maintenance plan"
    )
    # A status other than the forms' default is a step the scenario means.
    lost = make_event("lead.upsert", {"phone": "+15125550143", "status": "lost"})
    assert _post(client, make, lost).status_code == 200
    [lead] = owned(engine, make.user_id, Lead)
    assert lead.status == "lost"


def test_notes_that_would_not_fit_are_not_added_and_the_rest_applies(client, engine, make):
    own = "x" * 9_000  # the owner's, never cut to make room
    with tenant_session(make.user_id, engine) as session:
        create_lead(
            session=session,
            user_id=make.user_id,
            lead_in=LeadCreate(name="Full", phone="+15125550143", notes=own),
        )
    event = {"phone": "+15125550143", "status": "qualified", "notes": "y" * 1_500}
    response = _post(client, make, make_event("lead.upsert", event))
    assert response.status_code == 200
    [lead] = owned(engine, make.user_id, Lead)
    assert (lead.status, lead.notes) == ("qualified", own)
    [row] = audit_rows(engine, make.user_id)
    assert json.loads(row.result)["notes"] == "not added: the notes are full"


def test_a_note_met_inside_older_notes_is_still_added(client, engine, make):
    with tenant_session(make.user_id, engine) as session:
        create_lead(
            session=session,
            user_id=make.user_id,
            lead_in=LeadCreate(name="Q", phone="+15125550143", notes="Said no to the quote"),
        )
    event = make_event("lead.upsert", {"phone": "+15125550143", "notes": "quote"})
    assert _post(client, make, event).status_code == 200
    [lead] = owned(engine, make.user_id, Lead)
    assert lead.notes == "Said no to the quote\n\nquote"


def test_a_contact_upsert_adds_its_notes_to_the_contacts_own(client, engine, make):
    with tenant_session(make.user_id, engine) as session:
        create_contact(
            session=session,
            user_id=make.user_id,
            contact_in=ContactCreate(name="Ada", phone="+14155550101", notes="Gate code 4410"),
        )
    event = make_event("contact.upsert", {"phone": "+14155550101", "notes": "Asked for a quote"})
    assert _post(client, make, event).status_code == 200
    [contact] = owned(engine, make.user_id, Contact)
    assert contact.notes == "Gate code 4410\n\nAsked for a quote"


def test_lead_upsert_creates_a_lead_then_updates_the_one_with_that_phone(client, engine, make):
    created = make_event(
        "lead.upsert", {"name": "Lin", "phone": "(415) 555-0101", "email": "LIN@example.com"}
    )
    assert _post(client, make, created).status_code == 200
    [lead] = owned(engine, make.user_id, Lead)
    assert (lead.name, lead.phone, lead.email, lead.source) == (
        "Lin",
        "+14155550101",
        "lin@example.com",
        "make",
    )
    updated = make_event("lead.upsert", {"phone": "+1 415 555 0101", "status": "qualified"})
    assert _post(client, make, updated).status_code == 200
    [lead] = owned(engine, make.user_id, Lead)
    assert (lead.name, lead.status) == ("Lin", "qualified")


@pytest.mark.parametrize(
    ("given_id", "reason"),
    [
        (
            "5b0c8a1e-0000-4000-8000-000000000001",
            "could not apply: data.id: no lead has this id (deleted?); leave it out to match by "
            "phone or email",
        ),
        ("12345", "could not apply: data.id: not a lead id (send the id the CRM gave the lead)"),
    ],
)
def test_an_upsert_naming_no_lead_of_the_users_says_so_and_creates_nothing(
    client, engine, make, given_id, reason
):
    response = _post(client, make, make_event("lead.upsert", {"id": given_id, "status": "won"}))
    assert (response.status_code, response.json()) == (422, {"detail": reason})
    assert record_counts(engine, make.user_id) == NOTHING


@pytest.mark.parametrize("blank", ["", "  "])
def test_an_empty_id_is_no_id_and_the_lead_is_created(client, engine, make, blank):
    event = make_event("lead.upsert", {"id": blank, "name": "Ada", "phone": "+14155550199"})
    assert _post(client, make, event).status_code == 200
    [lead] = owned(engine, make.user_id, Lead)
    assert (lead.name, lead.phone) == ("Ada", "+14155550199")


def test_an_unknown_id_with_a_known_phone_updates_the_lead_with_that_phone(client, engine, make):
    assert (
        _post(client, make, make_event("lead.upsert", {"phone": "+14155550188"})).status_code == 200
    )
    data = {"id": "5b0c8a1e-0000-4000-8000-000000000001", "phone": "+14155550188", "status": "won"}
    assert _post(client, make, make_event("lead.upsert", data)).status_code == 200
    [lead] = owned(engine, make.user_id, Lead)
    assert lead.status == "won"


def test_data_sent_as_text_is_named_as_such(client, engine, make):
    event = make_event("lead.upsert", {})
    event["data"] = '{"name": "Lin"}'  # a scenario that mapped the JSON as a string
    response = _post(client, make, event)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("invalid field: data must be an object, not text")


def test_data_with_none_of_the_fields_an_upsert_reads_lists_what_it_had(client, engine, make):
    response = _post(client, make, make_event("contact.upsert", {"nme": "Lin", "mail": "x"}))
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "could not apply: data: no field this event reads has a value (id, name, phone, email, "
        "company, notes); it had: nme, mail"
    )
    assert record_counts(engine, make.user_id) == NOTHING


@pytest.mark.parametrize("empty", ["", " ", [], {}, False, "\u0007"])
def test_fields_a_scenario_left_empty_leave_the_lead_as_it_was(client, engine, make, empty):
    first = {"name": "Grace Hopper", "phone": "+14155550501", "email": "grace@example.com"}
    assert (
        _post(client, make, make_event("lead.upsert", {**first, "notes": "VIP"})).status_code == 200
    )
    # The body template of a run whose lookups came back empty.
    later = {"name": empty, "phone": "+14155550501", "email": empty, "notes": empty}
    later["status"] = "contacted"
    assert _post(client, make, make_event("lead.upsert", later)).status_code == 200
    [lead] = owned(engine, make.user_id, Lead)
    assert (lead.name, lead.email, lead.notes) == ("Grace Hopper", "grace@example.com", "VIP")
    assert lead.status == "contacted"


def test_data_whose_fields_are_all_empty_is_refused_and_creates_nothing(client, engine, make):
    response = _post(client, make, make_event("lead.upsert", {"name": "", "phone": "", "id": ""}))
    assert response.status_code == 422
    assert "no field this event reads has a value" in response.json()["detail"]
    assert record_counts(engine, make.user_id) == NOTHING


def test_contact_upsert_creates_then_updates_by_email(client, engine, make):
    first = make_event("contact.upsert", {"name": "Mo", "email": "mo@example.com", "company": "A"})
    second = make_event("contact.upsert", {"email": "MO@example.com", "company": "B"})
    assert _post(client, make, first).status_code == 200
    assert _post(client, make, second).status_code == 200
    [contact] = owned(engine, make.user_id, Contact)
    assert (contact.name, contact.company) == ("Mo", "B")


def test_automation_run_records_a_log_linked_to_the_contact_it_names(client, engine, make):
    with tenant_session(make.user_id, engine) as session:
        contact = create_contact(
            session=session,
            user_id=make.user_id,
            contact_in=ContactCreate(name="Run target", phone="+14155550111"),
        )
    run = make_event(
        "automation.run",
        {
            "scenario_name": "Follow-up SMS",
            "status": "error",
            "error": "Twilio module: 21211 invalid 'To'",
            "duration_ms": 1834,
            "contact_id": str(contact.id),
        },
        execution_id="exec-77",
    )
    response = _post(client, make, run)
    assert response.status_code == 200
    [log] = owned(engine, make.user_id, AutomationLog)
    assert (log.execution_id, log.scenario_id, log.scenario_name) == (
        "exec-77",
        "4242",
        "Follow-up SMS",
    )
    assert (log.status, log.duration_ms, log.contact_id) == ("error", 1834, contact.id)
    assert log.error.startswith("Twilio module")
    assert log.finished_at == datetime(2026, 3, 2, 14, 0, 5, tzinfo=UTC)


def test_a_second_delivery_of_a_run_without_a_duration_keeps_the_one_it_had(client, engine, make):
    first = make_event(
        "automation.run",
        {"scenario_name": "Sync", "status": "error", "duration_ms": 1834},
        execution_id="exec-dur",
    )
    again = make_event("automation.run", {"status": "success"}, execution_id="exec-dur")
    assert _post(client, make, first).status_code == 200
    assert _post(client, make, again).status_code == 200
    [log] = owned(engine, make.user_id, AutomationLog)
    assert (log.status, log.scenario_name, log.duration_ms) == ("success", "Sync", 1834)


def test_a_run_time_this_does_not_read_is_left_out_and_the_audit_row_says_so(client, engine, make):
    # QA as a UK practice: a day-first time was accepted and quietly dropped.
    run = make_event(
        "automation.run",
        {"status": "success", "started_at": "06/12/2026 09:00", "finished_at": 1765011600},
        execution_id="exec-when",
    )
    assert _post(client, make, run).status_code == 200
    [log] = owned(engine, make.user_id, AutomationLog)
    assert (log.started_at, log.finished_at) == (None, datetime(2025, 12, 6, 9, 0, tzinfo=UTC))
    [row] = audit_rows(engine, make.user_id)
    result = json.loads(row.result)
    assert result["started_at"].startswith("not read: send a time from 1970 on, in ISO 8601")
    assert "finished_at" not in result


def test_automation_run_links_to_a_lead_by_phone(client, engine, make):
    assert (
        _post(client, make, make_event("lead.upsert", {"phone": "+14155550122"})).status_code == 200
    )
    [lead] = owned(engine, make.user_id, Lead)
    run = make_event("automation.run", {"status": "success", "phone": "415-555-0122"})
    assert _post(client, make, run).status_code == 200
    [log] = owned(engine, make.user_id, AutomationLog)
    assert (log.lead_id, log.contact_id, log.status) == (lead.id, None, "success")


def test_makes_own_api_key_header_is_accepted(client, engine, make):
    body = encode(make_event("lead.upsert", {"name": "Key"}))
    headers = {"content-type": "application/json", "x-make-apikey": make.secret}
    assert _post(client, make, body, headers).status_code == 200
    assert len(owned(engine, make.user_id, Lead)) == 1


def test_several_signatures_in_one_header_pass_if_any_matches(client, engine, make):
    body = encode(make_event("lead.upsert", {"name": "Rotated"}))
    headers = make_headers(make.secret, body)
    wrong = make_headers("another-secret-" + "q" * 30, body, message_id=headers["webhook-id"])
    headers["webhook-signature"] = f"{wrong['webhook-signature']} {headers['webhook-signature']}"
    assert _post(client, make, body, headers).status_code == 200


def test_redelivery_with_the_same_webhook_id_answers_2xx_and_changes_nothing(client, engine, make):
    body = encode(make_event("lead.upsert", {"name": "Once"}))
    headers = make_headers(make.secret, body, message_id="msg_fixed")
    assert _post(client, make, body, headers).json() == {
        "status": "accepted",
        "event_id": "msg_fixed",
    }
    before = record_counts(engine, make.user_id)
    again = _post(client, make, body, make_headers(make.secret, body, message_id="msg_fixed"))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert record_counts(engine, make.user_id) == before


def test_another_event_under_a_used_webhook_id_is_refused_not_dropped(client, engine, make):
    # A scenario that maps {{executionId}} into webhook-id for two of its modules.
    lead = encode(make_event("lead.upsert", {"phone": "+14155550133"}, execution_id="exec-1"))
    run = encode(make_event("automation.run", {"scenario_name": "Sync"}, execution_id="exec-1"))
    first = _post(client, make, lead, make_headers(make.secret, lead, message_id="exec-multi"))
    assert first.json()["status"] == "accepted"
    before = record_counts(engine, make.user_id)
    second = _post(client, make, run, make_headers(make.secret, run, message_id="exec-multi"))
    assert second.status_code == 409
    assert "already used by a different event" in second.json()["detail"]
    assert record_counts(engine, make.user_id) == before  # no run recorded as if it were a retry
    rows = audit_rows(engine, make.user_id)
    assert [(row.status, row.event_id) for row in rows] == [
        ("accepted", "exec-multi"),
        ("rejected", None),
    ]
    assert "Give each event its own id" in rows[1].reason
    # The first event's true redelivery is still a duplicate.
    again = _post(client, make, lead, make_headers(make.secret, lead, message_id="exec-multi"))
    assert again.json()["status"] == "duplicate"


def test_without_a_webhook_id_the_same_execution_and_data_is_a_duplicate(client, engine, make):
    body = encode(make_event("lead.upsert", {"name": "Api key twice"}, execution_id="e-1"))
    headers = {"content-type": "application/json", "x-make-apikey": make.secret}
    assert _post(client, make, body, headers).json()["status"] == "accepted"
    assert _post(client, make, body, headers).json()["status"] == "duplicate"
    assert len(owned(engine, make.user_id, Lead)) == 1


def test_without_an_execution_id_or_a_webhook_id_each_delivery_is_applied(client, engine, make):
    # Nothing tells a retry from a new run that sends the same data: the lead is set back.
    headers = {"content-type": "application/json", "x-make-apikey": make.secret}
    answers = []
    for status in ("contacted", "qualified", "contacted"):
        event = {"event": "lead.upsert", "data": {"phone": "+14155550160", "status": status}}
        answers.append(_post(client, make, encode(event), headers).json())
    assert [answer["status"] for answer in answers] == ["accepted"] * 3
    assert len({answer["event_id"] for answer in answers}) == 3
    [lead] = owned(engine, make.user_id, Lead)
    assert lead.status == "contacted"


def test_a_failed_event_retried_with_a_fixed_body_is_audited_with_the_body_applied(
    client, engine, make
):
    for email in ("not-an-email", "still@bad"):
        bad = encode(make_event("lead.upsert", {"name": "Bad Email", "email": email}))
        headers = make_headers(make.secret, bad, message_id="msg_bademail")
        assert _post(client, make, bad, headers).status_code == 422
        # Failed again: the row keeps the newest body, which a Replay would apply.
        [row] = audit_rows(engine, make.user_id)
        assert (row.status, json.loads(row.payload)["data"]["email"]) == ("failed", email)
    fixed = encode(make_event("lead.upsert", {"name": "Bad Email", "email": "bad@example.com"}))
    headers = make_headers(make.secret, fixed, message_id="msg_bademail")
    assert _post(client, make, fixed, headers).json()["status"] == "accepted"
    [lead] = owned(engine, make.user_id, Lead)
    assert lead.email == "bad@example.com"
    [row] = audit_rows(engine, make.user_id)
    assert (row.status, row.event_id) == ("accepted", "msg_bademail")
    # The audit row holds what was applied, not the body that failed.
    assert json.loads(row.payload)["data"]["email"] == "bad@example.com"
    assert row.payload_size == len(fixed)
    assert row.payload_sha256 == hashlib.sha256(fixed).hexdigest()


# --- A verified event whose records cannot be written: failed, kept for a replay


def test_an_event_the_crm_cannot_apply_is_audited_as_failed_with_its_payload(client, engine, make):
    with tenant_session(make.user_id, engine) as session:
        for phone, email in (("+14155550199", "a@example.com"), (None, "b@example.com")):
            create_contact(
                session=session,
                user_id=make.user_id,
                contact_in=ContactCreate(phone=phone, email=email),
            )
    before = record_counts(engine, make.user_id)
    # The contact with this phone would take an email another contact has.
    clash = make_event("contact.upsert", {"phone": "+14155550199", "email": "b@example.com"})
    response = _post(client, make, clash)
    assert response.status_code == 422
    assert "another contact already has this email" in response.json()["detail"]
    assert record_counts(engine, make.user_id) == before
    [row] = audit_rows(engine, make.user_id)
    assert row.status == "failed" and "already has this email" in row.reason
    assert json.loads(row.payload)["data"]["email"] == "b@example.com"


# --- Refused requests


def _assert_refused(engine, make, response, status_code, reason):
    assert response.status_code == status_code, response.text
    assert record_counts(engine, make.user_id) == NOTHING
    [row] = audit_rows(engine, make.user_id)
    assert (row.status, row.reason, row.payload, row.event_id) == ("rejected", reason, None, None)


def test_a_signature_with_another_secret_is_refused(client, engine, make):
    body = encode(make_event("lead.upsert", {"name": "Forged"}))
    headers = make_headers("another-secret-" + "q" * 30, body)
    _assert_refused(engine, make, _post(client, make, body, headers), 403, "bad signature")


def test_a_wrong_api_key_header_is_refused(client, engine, make):
    headers = {"content-type": "application/json", "x-make-apikey": make.secret + "x"}
    response = _post(client, make, make_event("lead.upsert", {}), headers)
    _assert_refused(engine, make, response, 403, "wrong API key (x-make-apikey)")


def test_one_flipped_byte_in_the_body_is_refused(client, engine, make):
    body = encode(make_event("lead.upsert", {"name": "Flip"}))
    headers = make_headers(make.secret, body)
    flipped = body.replace(b"Flip", b"Flop")
    _assert_refused(engine, make, _post(client, make, flipped, headers), 403, "bad signature")


def test_missing_signature_headers_are_refused_with_401(client, engine, make):
    body = encode(make_event("lead.upsert", {}))
    headers = make_headers(make.secret, body)
    del headers["webhook-id"]
    response = _post(client, make, body, headers)
    _assert_refused(engine, make, response, 401, "missing webhook-id or webhook-timestamp")


def test_no_credentials_at_all_are_refused_with_401(client, engine, make):
    response = _post(
        client, make, make_event("lead.upsert", {}), {"content-type": "application/json"}
    )
    _assert_refused(engine, make, response, 401, "missing signature")


def test_a_stale_timestamp_is_refused_with_401(client, engine, make):
    body = encode(make_event("lead.upsert", {"name": "Late"}))
    headers = make_headers(make.secret, body, at=datetime.now(UTC) - timedelta(minutes=16))
    reason = "stale timestamp: signed over 5 min before it arrived"
    _assert_refused(engine, make, _post(client, make, body, headers), 401, reason)


def test_a_timestamp_from_the_future_is_refused_with_401(client, engine, make):
    body = encode(make_event("lead.upsert", {"name": "Early"}))
    headers = make_headers(make.secret, body, at=datetime.now(UTC) + timedelta(minutes=16))
    reason = "stale timestamp: dated ahead of this server's clock"
    _assert_refused(engine, make, _post(client, make, body, headers), 401, reason)


def test_an_unknown_token_gets_404(client, engine, make):
    body = encode(make_event("lead.upsert", {}))
    response = client.post(
        "/api/webhooks/make/unknown", content=body, headers=make_headers(make.secret, body)
    )
    assert response.status_code == 404
    assert audit_rows(engine, make.user_id) == []


def test_an_oversized_body_gets_413_even_without_content_length(client, engine, make):
    def chunks():
        for _ in range(300):
            yield b"x" * 1024

    response = client.post(
        make.path, content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    [row] = audit_rows(engine, make.user_id)
    assert (row.status, row.reason, row.payload) == ("rejected", "body too large", None)


def test_an_unknown_event_type_is_refused_with_422(client, engine, make):
    response = _post(client, make, make_event("lead.delete", {"id": "x"}))
    reason = (
        "unknown event type (expected one of lead.upsert, contact.upsert, automation.run); "
        "the body's fields: event, scenario_id, execution_id, occurred_at, data"
    )
    _assert_refused(engine, make, response, 422, reason)


def test_an_automation_run_without_execution_id_is_refused_with_422(client, engine, make):
    event = make_event("automation.run", {"status": "success"})
    del event["execution_id"]
    reason = "missing field: execution_id; the body's fields: event, scenario_id, occurred_at, data"
    _assert_refused(engine, make, _post(client, make, event), 422, reason)


def test_a_signed_event_in_the_wrong_shape_names_the_fields_it_sent_not_their_values(
    client, engine, make
):
    # A scenario that mapped its fields at the top level instead of inside "data".
    event = {"event": "lead.upsert", "name": "Lin Secret", "phone": "+14155550101"}
    event.update({f"extra_{n}": "v" for n in range(12)})
    event["a" * 60] = "x"
    response = _post(client, make, event)
    reason = (
        "missing field: data (an object); the body's fields: event, name, phone, "
        + ", ".join(f"extra_{n}" for n in range(9))
        + " and 4 more"
    )
    _assert_refused(engine, make, response, 422, reason)
    assert response.json() == {"detail": reason}
    assert "Lin Secret" not in reason


def test_a_make_secret_the_server_cannot_open_is_named_in_the_refusal(client, engine, make):
    with tenant_session(make.user_id, engine) as session:
        vault.save_api_key(
            session=session,
            user_id=make.user_id,
            service="make",
            raw_key=make.secret,
            keyring=Keyring(secrets.token_bytes(32)),  # a master key the server lost
        )
    body = encode(make_event("automation.run", {"status": "success"}))
    refused = client.post(make.path, content=body, headers=make_headers(make.secret, body))
    assert refused.status_code == 503
    reason = "the stored secret could not be decrypted (Make.com endpoint secret)"
    assert refused.json()["detail"] == reason
    [row] = audit_rows(engine, make.user_id)
    assert (row.status, row.reason) == ("rejected", reason)
    assert record_counts(engine, make.user_id) == NOTHING
