"""Isolation cases for webhooks: B's events, naming A's ids and numbers, touch only B's rows."""

from __future__ import annotations

import hashlib
import json
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from crm_app.core.db import tenant_session
from crm_app.models import AutomationLog, CallLog, Lead, WebhookEvent
from crm_app.models.base import utcnow
from crm_app.services import (
    leads,
    webhook_events,
    webhook_ingest,
    webhook_make,
    webhook_records,
    webhook_twilio,
    webhook_vapi,
    webhook_vapi_tools,
)
from crm_app.services.errors import InvalidInput
from crm_app.services.webhook_types import IncomingEvent
from tests.factories import SHARED_LEAD_PHONE
from tests.isolation import World, isolation_case


def _a_row(world: World, model: Any, row_id: uuid.UUID) -> Any:
    """One of A's rows, read as A (reading changes nothing)."""
    with tenant_session(world.a.id, world.engine) as session:
        return session.exec(
            select(model).where(model.user_id == world.a.id, model.id == row_id)
        ).one()


def _event(provider: str, event_id: str, event_type: str, payload: dict) -> IncomingEvent:
    body = json.dumps(payload).encode()
    return IncomingEvent(
        provider=provider,
        event_id=event_id,
        event_type=event_type,
        payload=payload,
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
    )


def _report_about_a(world: World, event_id: str | None = None) -> IncomingEvent:
    """A Vapi report naming A's call id and A's contact's number, under A's event id."""
    a_call = _a_row(world, CallLog, world.a_rows.call_id)
    a_event = _a_row(world, WebhookEvent, world.a_rows.webhook_event_id)
    payload = {
        "message": {
            "type": "end-of-call-report",
            "call": {"id": a_call.external_call_id},
            "customer": {"number": world.a_rows.contact_phone},
            "analysis": {"summary": "B's call"},
        }
    }
    return _event("vapi", event_id or a_event.event_id, "end-of-call-report", payload)


@isolation_case("webhook_ingest.ingest_webhook_event")
def _ingest_webhook_event(world: World) -> None:
    event = _report_about_a(world)
    with world.as_b() as session:
        outcome = webhook_ingest.ingest_webhook_event(
            session=session, user_id=world.b.id, event=event, received_at=utcnow()
        )
    # A's identical event id is not a duplicate for B, and the records are B's own.
    assert outcome.status == "accepted"
    assert outcome.result["created"] == ["call_log", "lead"]


@isolation_case("webhook_ingest.record_rejected_webhook")
def _record_rejected_webhook(world: World) -> None:
    # Both tenants' Vapi URLs are flooded with forged requests (seed_tenant): B's next one
    # is counted on B's own newest row, never on A's (the harness checks A's are unchanged).
    with world.as_b() as session:
        row_id = webhook_ingest.record_rejected_webhook(
            session=session,
            user_id=world.b.id,
            provider="vapi",
            reason="bad signature",
            size=10,
            sha256="0" * 64,
            received_at=utcnow(),
        )
        row = webhook_events.get_webhook_event(session=session, user_id=world.b.id, event_id=row_id)
    assert row is not None and row.user_id == world.b.id and row.repeats == 1


@isolation_case("webhook_ingest.record_failed_webhook")
def _record_failed_webhook(world: World) -> None:
    event = _report_about_a(world)
    with world.as_b() as session:
        row_id = webhook_ingest.record_failed_webhook(
            session=session, user_id=world.b.id, event=event, reason="x", received_at=utcnow()
        )
        row = webhook_events.get_webhook_event(session=session, user_id=world.b.id, event_id=row_id)
    # Stored under A's event id, for B: the unique key includes the user.
    assert (row.status, row.event_id) == ("failed", event.event_id)


@isolation_case("webhook_ingest.replay_webhook_event")
def _replay_webhook_event(world: World) -> None:
    with world.as_b() as session:
        outcome = webhook_ingest.replay_webhook_event(
            session=session, user_id=world.b.id, event_id=world.a_rows.webhook_event_id
        )
    assert outcome is None


@isolation_case("webhook_ingest.load_webhook_credentials")
def _load_webhook_credentials(world: World) -> None:
    with world.as_b() as session:
        credentials = webhook_ingest.load_webhook_credentials(
            session=session, user_id=world.b.id, provider="vapi"
        )
    assert (credentials.primary, credentials.hmac) == (None, None)


@isolation_case("webhook_events.webhook_event_types")
def _webhook_event_types(world: World) -> None:
    with world.as_b() as session:
        types = webhook_events.webhook_event_types(session=session, user_id=world.b.id)
    assert types == ["status-update"]


@isolation_case("webhook_vapi.apply_vapi_event")
def _apply_vapi_event(world: World) -> None:
    a_call = _a_row(world, CallLog, world.a_rows.call_id)
    payload = {
        "message": {
            "type": "status-update",
            "status": "ringing",
            "call": {"id": a_call.external_call_id},
        }
    }
    with world.as_b() as session:
        result = webhook_vapi.apply_vapi_event(
            session=session, user_id=world.b.id, event=_event("vapi", "x", "status-update", payload)
        )
    assert result["created"] == ["call_log"] and result["call_log_id"] != str(a_call.id)


@isolation_case("webhook_vapi_tools.answer_tool_calls")
def _answer_tool_calls(world: World) -> None:
    # B's agent, called from A's contact's number: A's contact is no one B knows, and the
    # lead create_lead makes for that number is B's (the harness checks A's rows).
    message = {
        "call": {"id": "call-b", "customer": {"number": world.a_rows.contact_phone}},
        "toolCallList": [
            {"id": "t1", "function": {"name": "lookup_contact", "arguments": {}}},
            {"id": "t2", "function": {"name": "create_lead", "arguments": {"name": "B's"}}},
        ],
    }
    with world.as_b() as session:
        found, created = (
            json.loads(answer["result"])
            for answer in webhook_vapi_tools.answer_tool_calls(
                session=session, user_id=world.b.id, message=message
            )
        )
    assert found == {"found": False, "phone": world.a_rows.contact_phone}
    assert created["created"] is True and created["id"] != str(world.a_rows.lead_id)


@isolation_case("webhook_twilio.apply_twilio_event")
def _apply_twilio_event(world: World) -> None:
    payload = {"MessageSid": "SM-b", "From": world.a_rows.contact_phone, "Body": "hi"}
    with world.as_b() as session:
        result = webhook_twilio.apply_twilio_event(
            session=session,
            user_id=world.b.id,
            event=_event("twilio", "SM-b", "sms.received", payload),
        )
    # A's contact has this number; for B it is a stranger.
    assert result["created"] == ["activity", "lead"]
    assert result["lead_id"] != str(world.a_rows.lead_id)
    # A leg dialled from a call with the CallSid of A's call: to B, a call of B's own.
    a_call = _a_row(world, CallLog, world.a_rows.call_id)
    leg = {
        "CallSid": "CA-leg-b",
        "CallStatus": "no-answer",
        "ParentCallSid": a_call.carrier_call_id,
    }
    with world.as_b() as session:
        result = webhook_twilio.apply_twilio_event(
            session=session,
            user_id=world.b.id,
            event=_event("twilio", "CA-leg-b:1", "call.status", leg),
        )
    assert result["created"] == ["call_log"]
    assert result["call_log_id"] != str(a_call.id)


@isolation_case("webhook_make.apply_make_event")
def _apply_make_event(world: World) -> None:
    a_run = _a_row(world, AutomationLog, world.a_rows.automation_log_id)
    run = {"status": "error", "lead_id": str(world.a_rows.lead_id)}

    def upsert(lead_id: uuid.UUID) -> str:
        lead = {"id": str(lead_id), "name": "taken over", "email": "b@example.com"}
        with pytest.raises(InvalidInput) as refused, world.as_b() as session:
            webhook_make.apply_make_event(
                session=session,
                user_id=world.b.id,
                event=_event("make", "m1", "lead.upsert", {"event": "lead.upsert", "data": lead}),
            )
        return str(refused.value)

    # A's lead id is, to B, a lead that does not exist: the same answer as a made-up id.
    assert upsert(world.a_rows.lead_id) == upsert(uuid.uuid4())
    assert "no lead has this id" in upsert(world.a_rows.lead_id)
    with world.as_b() as session:
        recorded = webhook_make.apply_make_event(
            session=session,
            user_id=world.b.id,
            event=_event(
                "make",
                "m2",
                "automation.run",
                {"event": "automation.run", "execution_id": a_run.execution_id, "data": run},
            ),
        )
    assert recorded["created"] == ["automation_log"] and "lead_id" not in recorded


@isolation_case("webhook_records.claim_call_log")
def _claim_call_log(world: World) -> None:
    a_call = _a_row(world, CallLog, world.a_rows.call_id)
    with world.as_b() as session:
        log, created = webhook_records.claim_call_log(
            session=session,
            user_id=world.b.id,
            provider=a_call.provider,
            external_call_id=a_call.external_call_id,
        )
        log.status = "taken over"
    assert created and log.id != a_call.id


@isolation_case("webhook_records.join_carrier_call")
def _join_carrier_call(world: World) -> None:
    # B's Vapi call names A's call as the carrier's: A's row is neither taken over nor deleted
    # (the harness checks A's rows are unchanged).
    a_call = _a_row(world, CallLog, world.a_rows.call_id)
    for b_call_id in ("b-call", a_call.external_call_id):
        with world.as_b() as session:
            webhook_records.join_carrier_call(
                session=session,
                user_id=world.b.id,
                carrier=a_call.provider,
                carrier_call_id=a_call.external_call_id,
                provider="twilio",
                external_call_id=b_call_id,
            )


@isolation_case("webhook_records.call_through_carrier")
def _call_through_carrier(world: World) -> None:
    a_call = _a_row(world, CallLog, world.a_rows.call_id)
    assert a_call.carrier_call_id
    with world.as_b() as session:
        found = webhook_records.call_through_carrier(
            session=session,
            user_id=world.b.id,
            carrier="twilio",
            carrier_call_id=a_call.carrier_call_id,
        )
    assert found is None


@isolation_case("webhook_records.claim_automation_log")
def _claim_automation_log(world: World) -> None:
    a_run = _a_row(world, AutomationLog, world.a_rows.automation_log_id)
    with world.as_b() as session:
        run, created = webhook_records.claim_automation_log(
            session=session, user_id=world.b.id, execution_id=a_run.execution_id
        )
        run.status = "error"
    assert created and run.id != a_run.id


@isolation_case("webhook_records.find_person_by_phone")
def _find_person_by_phone(world: World) -> None:
    with world.as_b() as session:
        a_contact = webhook_records.find_person_by_phone(
            session=session, user_id=world.b.id, phone=world.a_rows.contact_phone
        )
        shared = webhook_records.find_person_by_phone(
            session=session, user_id=world.b.id, phone=SHARED_LEAD_PHONE
        )
    assert a_contact is None
    assert shared is not None and shared.id == world.b_rows.lead_id


@isolation_case("webhook_records.person_for_number")
def _person_for_number(world: World) -> None:
    with world.as_b() as session:
        person, created = webhook_records.person_for_number(
            session=session,
            user_id=world.b.id,
            phone=world.a_rows.contact_phone,
            name="",
            source="voice",
        )
    assert created and person.kind == "lead"


@isolation_case("webhook_records.link_call_to_person")
def _link_call_to_person(world: World) -> None:
    # B's call from A's contact's number: never linked to A's contact, but to a lead of B's.
    call = SimpleNamespace(
        customer_number=world.a_rows.contact_phone,
        customer_name="",
        lead_id=None,
        contact_id=None,
        unlinked_at=None,
    )
    with world.as_b() as session:
        created = webhook_records.link_call_to_person(
            session=session, user_id=world.b.id, call=call, source="voice"
        )
        linked = leads.get_lead(session=session, user_id=world.b.id, lead_id=call.lead_id)
    assert created and call.contact_id is None
    assert linked is not None and linked.user_id == world.b.id


@isolation_case("webhook_records.name_lead_known_by_number")
def _name_lead_known_by_number(world: World) -> None:
    # B names a lead by A's lead's id: nothing of A's changes (the harness checks).
    with world.as_b() as session:
        renamed = webhook_records.name_lead_known_by_number(
            session=session, user_id=world.b.id, lead_id=world.a_rows.lead_id, name="Taken Over"
        )
    assert not renamed


@isolation_case("webhook_records.fill_in_lead_known_by_number")
def _fill_in_lead_known_by_number(world: World) -> None:
    # A's lead goes by its number for this case, as a lead a call made does: the one kind
    # the service fills in. B, naming its id, fills in nothing of A's.
    a_lead = sa.update(Lead).where(Lead.user_id == world.a.id, Lead.id == world.a_rows.lead_id)
    with tenant_session(world.a.id, world.engine) as session:
        seeded = session.exec(
            select(Lead.name, Lead.updated_at).where(Lead.id == world.a_rows.lead_id)
        ).one()
        session.exec(a_lead.values(name=Lead.phone))
    try:
        with world.as_b() as session:
            filled = webhook_records.fill_in_lead_known_by_number(
                session=session,
                user_id=world.b.id,
                lead_id=world.a_rows.lead_id,
                details={"name": "Taken Over", "email": "b@example.com", "notes": "B's"},
            )
        assert filled is None
    finally:  # as seeded again; the harness then checks nothing else of A's changed
        with tenant_session(world.a.id, world.engine) as session:
            session.exec(a_lead.values(name=seeded.name, updated_at=seeded.updated_at))


@isolation_case("webhook_records.last_call_summary")
def _last_call_summary(world: World) -> None:
    a_lead = webhook_records.Person("lead", world.a_rows.lead_id, "", "new")
    with world.as_b() as session:
        summary = webhook_records.last_call_summary(
            session=session, user_id=world.b.id, person=a_lead
        )
    assert summary == ""
