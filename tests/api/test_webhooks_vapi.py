"""POST /api/webhooks/vapi/{token}: Vapi server messages, verified, audited, applied once."""

from __future__ import annotations

import json
import logging
import secrets
import time
import uuid
from datetime import datetime, timedelta

import pytest

from crm_app.core.crypto import Keyring
from crm_app.core.db import tenant_session
from crm_app.models import CallLog, ContactCreate, Lead, LeadCreate, LeadUpdate
from crm_app.services import vault
from crm_app.services.call_logs import list_call_logs
from crm_app.services.contacts import create_contact, delete_contact
from crm_app.services.leads import create_lead, delete_lead, update_lead
from crm_app.services.webhook_parse import MAX_TOOL_CALLS
from tests.webhook_senders import (
    LEAKED_TWILIO_API_SECRET,
    LEAKED_TWILIO_TOKEN,
    VAPI_HMAC_SECRET,
    VAPI_SECRET,
    connect,
    encode,
    iso,
    vapi_end_of_call_report,
    vapi_headers,
    vapi_hmac_headers,
    vapi_status_update,
    vapi_tool_calls,
)
from tests.webhook_state import NOTHING, audit_rows, owned, record_counts


@pytest.fixture
def vapi(engine, make_user):
    return connect(engine, make_user().id, "vapi")


def _post(client, vapi, payload, headers=None):
    body = payload if isinstance(payload, bytes) else encode(payload)
    return client.post(vapi.path, content=body, headers=headers or vapi_headers(vapi.secret))


# --- A valid report becomes a call log and a lead


def test_end_of_call_report_creates_a_call_log_linked_to_a_new_voice_lead(client, engine, vapi):
    report = vapi_end_of_call_report("call-abc", number="(415) 555-0123", seconds=95)
    response = _post(client, vapi, report)
    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "event_id": "call-abc:end-of-call-report"}
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.provider, call.external_call_id, call.status) == ("vapi", "call-abc", "ended")
    assert call.customer_number == "+14155550123"
    assert call.customer_name == "Ada Caller"
    assert call.duration_seconds == 95
    assert str(call.cost) == "0.1234"
    assert call.summary == "Wants a quote for 3 seats."
    assert call.success_evaluation == "true"
    assert call.transcript.startswith("AI: Hello!")
    assert call.recording_url == "https://storage.vapi.ai/call-abc-mono.wav"
    assert call.ended_reason == "customer-ended-call"
    [lead] = owned(engine, vapi.user_id, Lead)
    assert (lead.phone, lead.source, lead.name) == ("+14155550123", "voice", "Ada Caller")
    assert call.lead_id == lead.id
    [row] = audit_rows(engine, vapi.user_id)
    assert (row.status, row.event_type, row.event_id) == (
        "accepted",
        "end-of-call-report",
        "call-abc:end-of-call-report",
    )
    assert json.loads(row.result)["call_log_id"] == str(call.id)


@pytest.mark.parametrize(
    ("recording", "expected"),
    [
        (
            {
                "stereoUrl": "https://storage.vapi.ai/s.wav",
                "mono": {"combinedUrl": "https://storage.vapi.ai/m.wav"},
            },
            "https://storage.vapi.ai/m.wav",
        ),
        ({"stereoUrl": "https://storage.vapi.ai/s.wav"}, "https://storage.vapi.ai/s.wav"),
        ({"mono": {"combinedUrl": "javascript:alert(1)"}}, None),
    ],
)
def test_a_recording_sent_only_in_the_artifacts_recording_is_kept(
    client, engine, vapi, recording, expected
):
    report = vapi_end_of_call_report("call-rec")
    del report["message"]["artifact"]["recordingUrl"]  # deprecated by Vapi
    report["message"]["artifact"]["recording"] = recording
    assert _post(client, vapi, report).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert call.recording_url == expected


def test_a_calls_length_is_rounded_to_the_nearest_second(client, engine, vapi):
    report = vapi_end_of_call_report("call-long")
    started = datetime.fromisoformat(report["message"]["startedAt"])
    report["message"]["endedAt"] = iso(started + timedelta(seconds=94.5))
    assert _post(client, vapi, report).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert call.duration_seconds == 95  # halves up, not to even


def test_end_of_call_report_links_to_an_existing_contact_with_that_number(client, engine, vapi):
    with tenant_session(vapi.user_id, engine) as session:
        contact = create_contact(
            session=session,
            user_id=vapi.user_id,
            contact_in=ContactCreate(name="Known", phone="+14155550123"),
        )
    assert _post(client, vapi, vapi_end_of_call_report()).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.contact_id, call.lead_id) == (contact.id, None)
    assert owned(engine, vapi.user_id, Lead) == []


def test_bearer_and_hmac_credentials_are_accepted_too(client, engine, vapi):
    first = encode(vapi_end_of_call_report())
    second = encode(vapi_end_of_call_report())
    assert _post(client, vapi, first, vapi_headers(vapi.secret, scheme="bearer")).status_code == 200
    assert _post(client, vapi, second, vapi_hmac_headers(second, millis=True)).status_code == 200
    assert len(owned(engine, vapi.user_id, CallLog)) == 2


def test_redelivery_answers_2xx_and_changes_nothing(client, engine, vapi):
    report = vapi_end_of_call_report()
    assert _post(client, vapi, report).json()["status"] == "accepted"
    before = record_counts(engine, vapi.user_id)
    again = _post(client, vapi, report)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert record_counts(engine, vapi.user_id) == before
    statuses = sorted(row.status for row in audit_rows(engine, vapi.user_id))
    assert statuses == ["accepted", "duplicate"]


def test_a_report_carrying_twilio_credentials_is_stored_without_them(client, engine, vapi):
    assert _post(client, vapi, vapi_end_of_call_report()).status_code == 200
    [row] = audit_rows(engine, vapi.user_id)
    stored = json.loads(row.payload)
    phone_number = stored["message"]["phoneNumber"]
    assert phone_number["twilioAuthToken"] == "[redacted]"
    assert phone_number["twilioApiSecret"] == "[redacted]"
    assert phone_number["twilioApiKey"] == "[redacted]"
    assert phone_number["twilioAccountSid"].startswith("AC")  # an id, not a secret
    assert stored["message"]["costBreakdown"]["llmPromptTokens"] == 812  # a count, kept
    for secret in (LEAKED_TWILIO_TOKEN, LEAKED_TWILIO_API_SECRET, VAPI_SECRET):
        assert secret not in row.payload


def test_a_payload_echoing_the_users_own_secret_is_stored_without_it(client, engine, vapi):
    report = vapi_end_of_call_report()
    report["message"]["analysis"]["summary"] = f"caller read out {VAPI_SECRET} by mistake"
    assert _post(client, vapi, report).status_code == 200
    [row] = audit_rows(engine, vapi.user_id)
    assert VAPI_SECRET not in row.payload
    [call] = owned(engine, vapi.user_id, CallLog)
    assert VAPI_SECRET not in call.summary


def test_a_payload_naming_the_webhook_url_is_stored_without_its_token(client, engine, vapi):
    # Vapi's tool calls and its assistant objects carry their server's URL: this one.
    report = vapi_end_of_call_report()
    server = {"url": f"https://crm.example.com{vapi.path}", "timeoutSeconds": 20}
    report["message"]["call"]["assistant"] = {"server": server}
    assert _post(client, vapi, report).status_code == 200
    [row] = audit_rows(engine, vapi.user_id)
    assert vapi.token not in row.payload
    stored = json.loads(row.payload)["message"]["call"]["assistant"]["server"]
    assert stored["url"] == "https://crm.example.com/api/webhooks/vapi/[redacted]"


# --- Status updates


def test_status_updates_move_a_call_forward_and_never_back(client, engine, vapi):
    for status in ("ringing", "in-progress"):
        assert _post(client, vapi, vapi_status_update("call-s", status)).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert call.status == "in-progress"
    assert _post(client, vapi, vapi_end_of_call_report("call-s")).status_code == 200
    assert _post(client, vapi, vapi_status_update("call-s", "queued")).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert call.status == "ended"
    assert call.duration_seconds == 95


def _ended_update(call_id: str, started: str, ended: str) -> dict:
    update = vapi_status_update(call_id, "ended")
    update["message"]["endedReason"] = "customer-ended-call"
    update["message"]["call"].update(startedAt=started, endedAt=ended)
    return update


def test_an_ended_update_times_the_call_so_a_lost_report_leaves_it_answered(client, engine, vapi):
    # Vapi sends its report once: lost (a 503 while the database was away), the call that
    # ran a minute stayed untimed, "not answered" on the dashboard, and among calls to return.
    update = _ended_update("call-lost", "2026-03-02T14:00:05Z", "2026-03-02T14:01:06Z")
    assert _post(client, vapi, vapi_status_update("call-lost", "in-progress")).status_code == 200
    assert _post(client, vapi, update).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.status, call.ended_reason, call.duration_seconds) == (
        "ended",
        "customer-ended-call",
        61,
    )
    assert call.ended_at.replace(tzinfo=None) == datetime(2026, 3, 2, 14, 1, 6)
    with tenant_session(vapi.user_id, engine) as session:
        answered = list_call_logs(session=session, user_id=vapi.user_id, outcome="answered")
        assert answered.total == 1
    # The report, when it comes, times the call as Vapi counts it.
    assert _post(client, vapi, vapi_end_of_call_report("call-lost")).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert call.duration_seconds == 95


def test_an_ended_update_after_the_report_changes_none_of_its_times(client, engine, vapi):
    assert _post(client, vapi, vapi_end_of_call_report("call-late")).status_code == 200
    [before] = owned(engine, vapi.user_id, CallLog)
    update = _ended_update("call-late", "2026-03-02T14:00:00Z", "2026-03-02T14:00:10Z")
    assert _post(client, vapi, update).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.started_at, call.ended_at, call.duration_seconds) == (
        before.started_at,
        before.ended_at,
        95,
    )


def test_a_live_call_from_a_known_number_is_linked_and_timed_before_its_report(
    client, engine, vapi
):
    with tenant_session(vapi.user_id, engine) as session:
        contact = create_contact(
            session=session,
            user_id=vapi.user_id,
            contact_in=ContactCreate(name="Known Caller", phone="+14155550123"),
        )
    assert _post(client, vapi, vapi_status_update("call-live", "ringing")).status_code == 200
    assert _post(client, vapi, vapi_status_update("call-live", "in-progress")).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.status, call.contact_id) == ("in-progress", contact.id)
    assert call.started_at is not None  # the page can say how long it has run
    assert owned(engine, vapi.user_id, Lead) == []  # linking creates no one


def test_a_live_call_from_a_new_number_makes_its_lead_which_the_report_then_finds(
    client, engine, vapi
):
    assert _post(client, vapi, vapi_status_update("call-new", "ringing")).status_code == 200
    [lead] = owned(engine, vapi.user_id, Lead)
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.lead_id, lead.phone, lead.source) == (lead.id, "+14155550123", "voice")
    [row] = audit_rows(engine, vapi.user_id)
    assert json.loads(row.result)["created"] == ["call_log", "lead"]
    assert _post(client, vapi, vapi_end_of_call_report("call-new")).status_code == 200
    # One lead for the number, named now that the report names the caller.
    assert [(row.id, row.name) for row in owned(engine, vapi.user_id, Lead)] == [
        (lead.id, "Ada Caller")
    ]
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.lead_id, call.status) == (lead.id, "ended")


def test_the_report_names_the_lead_its_status_update_made_before_anyone_said_a_name(
    client, engine, vapi
):
    assert _post(client, vapi, vapi_status_update("call-name", "in-progress")).status_code == 200
    [lead] = owned(engine, vapi.user_id, Lead)
    assert lead.name == "+14155550123"
    report = vapi_end_of_call_report("call-name", name="Dolores Fernández")
    assert _post(client, vapi, report).status_code == 200
    [lead] = owned(engine, vapi.user_id, Lead)
    assert lead.name == "Dolores Fernández"
    row = [
        row for row in audit_rows(engine, vapi.user_id) if row.event_type == "end-of-call-report"
    ]
    assert json.loads(row[0].result)["renamed"] == ["lead"]


def test_a_later_call_names_the_lead_an_unnamed_call_made(client, engine, vapi):
    unnamed = vapi_end_of_call_report("call-first", name="")
    assert _post(client, vapi, unnamed).status_code == 200
    [lead] = owned(engine, vapi.user_id, Lead)
    assert lead.name == "+14155550123"
    named = vapi_end_of_call_report("call-second", name="Late Name")
    assert _post(client, vapi, named).status_code == 200
    [lead] = owned(engine, vapi.user_id, Lead)
    assert lead.name == "Late Name"
    calls = owned(engine, vapi.user_id, CallLog)
    assert {call.lead_id for call in calls} == {lead.id}


def test_a_lead_someone_renamed_keeps_their_name_when_the_report_comes(client, engine, vapi):
    assert _post(client, vapi, vapi_status_update("call-kept", "in-progress")).status_code == 200
    [lead] = owned(engine, vapi.user_id, Lead)
    with tenant_session(vapi.user_id, engine) as session:
        update_lead(
            session=session, user_id=vapi.user_id, lead_id=lead.id, lead_in=LeadUpdate(name="Mrs D")
        )
    report = vapi_end_of_call_report("call-kept", name="Dolores Fernández")
    assert _post(client, vapi, report).status_code == 200
    [lead] = owned(engine, vapi.user_id, Lead)
    assert lead.name == "Mrs D"


@pytest.mark.parametrize("person", ["lead", "contact"])
def test_a_person_deleted_during_their_call_does_not_come_back_with_its_report(
    client, engine, vapi, person
):
    if person == "contact":
        with tenant_session(vapi.user_id, engine) as session:
            create_contact(
                session=session,
                user_id=vapi.user_id,
                contact_in=ContactCreate(name="Known", phone="+14155550123"),
            )
    assert _post(client, vapi, vapi_status_update("call-gone", "in-progress")).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    with tenant_session(vapi.user_id, engine) as session:
        if person == "lead":
            [lead] = owned(engine, vapi.user_id, Lead)
            assert delete_lead(session=session, user_id=vapi.user_id, lead_id=lead.id)
        else:
            assert delete_contact(session=session, user_id=vapi.user_id, contact_id=call.contact_id)
    before = record_counts(engine, vapi.user_id)
    assert _post(client, vapi, vapi_end_of_call_report("call-gone")).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.status, call.lead_id, call.contact_id) == ("ended", None, None)
    assert record_counts(engine, vapi.user_id) == before  # no one new
    # A later call from the number makes its lead, as any new caller's does.
    assert _post(client, vapi, vapi_end_of_call_report("call-next")).status_code == 200
    assert len(owned(engine, vapi.user_id, Lead)) == 1


def test_a_sparse_report_completes_a_call_without_erasing_what_its_updates_said(
    client, engine, vapi
):
    live = vapi_status_update("call-sparse", "in-progress", number="+14155550144")
    live["message"]["call"]["type"] = "outboundPhoneCall"
    assert _post(client, vapi, live).status_code == 200
    [before] = owned(engine, vapi.user_id, CallLog)
    # A report that leaves out the call's type, the customer and the times.
    report = vapi_end_of_call_report("call-sparse")
    message = report["message"]
    for name in ("customer", "startedAt", "endedAt", "phoneNumber"):
        del message[name]
    message["call"] = {"id": "call-sparse"}
    assert _post(client, vapi, report).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.status, call.summary) == ("ended", "Wants a quote for 3 seats.")
    # What the report did not say is kept, not blanked or guessed ("inbound").
    assert (call.direction, call.customer_number, call.to_number) == (
        "outbound",
        "+14155550144",
        "+14155550144",
    )
    assert call.started_at == before.started_at is not None
    assert call.lead_id == before.lead_id is not None


def test_other_message_types_are_audited_as_accepted_and_ignored(client, engine, vapi):
    payload = {"message": {"type": "speech-update", "status": "started", "call": {"id": "c1"}}}
    response = _post(client, vapi, payload)
    assert response.status_code == 200
    [row] = audit_rows(engine, vapi.user_id)
    assert (row.status, row.event_type) == ("accepted", "speech-update")
    assert json.loads(row.result) == {"ignored": True}
    assert owned(engine, vapi.user_id, CallLog) == []


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("assistant-request", "give the phone number an assistant in Vapi"),
        ("transfer-destination-request", "give the transfer tool its destinations in Vapi"),
    ],
)
def test_a_request_crm_app_does_not_answer_says_where_to_set_it(client, engine, vapi, kind, words):
    payload = {"message": {"type": kind, "call": {"id": "c2"}}}
    assert _post(client, vapi, payload).status_code == 200
    [row] = audit_rows(engine, vapi.user_id)
    assert row.status == "accepted"
    assert row.reason.startswith("ignored: Vapi asked") and row.reason.endswith(words)
    assert record_counts(engine, vapi.user_id) == NOTHING


# --- Tool calls


def test_create_lead_then_lookup_contact_for_the_same_number_returns_the_lead(client, engine, vapi):
    create = vapi_tool_calls(
        "call-t",
        (
            "tc-1",
            "create_lead",
            {"name": "Grace", "phone": "415 555 0188", "email": "Grace@Example.com"},
        ),
    )
    started = time.monotonic()
    created = _post(client, vapi, create)
    assert time.monotonic() - started < 1.0
    assert created.status_code == 200
    [result] = created.json()["results"]
    assert (result["toolCallId"], result["name"]) == ("tc-1", "create_lead")
    answer = json.loads(result["result"])
    assert answer["created"] is True
    lookup = vapi_tool_calls("call-t", ("tc-2", "lookup_contact", '{"phone": "+14155550188"}'))
    [found] = _post(client, vapi, lookup).json()["results"]
    assert found["toolCallId"] == "tc-2"
    assert json.loads(found["result"]) == {
        "found": True,
        "type": "lead",
        "id": answer["id"],
        "name": "Grace",
        "status": "new",
        "last_call_summary": "",
    }
    [lead] = owned(engine, vapi.user_id, Lead)
    assert (lead.email, lead.source) == ("grace@example.com", "voice")


def _tool_answer(client, vapi, call_id, tool_id, name, arguments):
    [result] = _post(client, vapi, vapi_tool_calls(call_id, (tool_id, name, arguments))).json()[
        "results"
    ]
    return json.loads(result["result"])


def test_create_lead_gives_a_new_caller_the_details_on_the_lead_their_call_began_with(
    client, engine, vapi
):
    caller = "+14155550177"  # vapi_tool_calls' caller
    # Vapi's status update makes the caller's lead as the call starts, named by the number.
    assert _post(client, vapi, vapi_status_update("call-w", "in-progress", caller)).status_code
    [placeholder] = owned(engine, vapi.user_id, Lead)
    # To the agent, someone known by nothing but their number is a new caller.
    assert _tool_answer(client, vapi, "call-w", "tc-1", "lookup_contact", {}) == {
        "found": False,
        "phone": caller,
    }
    details = {"name": "Walter Reyes", "email": "Walt@Example.com", "notes": "Burst pipe"}
    created = _tool_answer(client, vapi, "call-w", "tc-2", "create_lead", details)
    assert created == {
        "created": True,
        "type": "lead",
        "id": str(placeholder.id),
        "name": "Walter Reyes",
    }
    report = vapi_end_of_call_report("call-w", number=caller, name="")
    assert _post(client, vapi, report).status_code == 200
    [lead] = owned(engine, vapi.user_id, Lead)
    assert (lead.id, lead.name, lead.phone) == (placeholder.id, "Walter Reyes", caller)
    assert (lead.email, lead.notes, lead.source) == ("walt@example.com", "Burst pipe", "voice")
    [call] = owned(engine, vapi.user_id, CallLog)
    assert call.lead_id == lead.id
    found = _tool_answer(client, vapi, "call-w", "tc-3", "lookup_contact", {})
    assert (found["found"], found["name"]) == (True, "Walter Reyes")


def test_an_unnamed_caller_who_called_before_is_known_by_their_last_call_not_by_a_number(
    client, engine, vapi
):
    caller = "+14155550177"
    report = vapi_end_of_call_report("call-1", number=caller, name="")
    assert _post(client, vapi, report).status_code == 200
    [lead] = owned(engine, vapi.user_id, Lead)
    assert lead.name == caller
    found = _tool_answer(client, vapi, "call-2", "tc-1", "lookup_contact", {})
    # Known by what they said last time; the agent is never handed a number for a name.
    assert (found["found"], found["id"], found["name"]) == (True, str(lead.id), "")
    assert found["last_call_summary"]
    with tenant_session(vapi.user_id, engine) as session:  # the owner had written a note
        update_lead(
            session=session,
            user_id=vapi.user_id,
            lead_id=lead.id,
            lead_in=LeadUpdate(notes="Gate code 4410", email="kept@example.com"),
        )
    details = {"name": "Rita Ross", "email": "other@example.com", "notes": "Leaking tap"}
    assert _tool_answer(client, vapi, "call-2", "tc-2", "create_lead", details)["created"]
    [lead] = owned(engine, vapi.user_id, Lead)
    # The owner's notes are added to, and the email they had is kept.
    assert (lead.name, lead.email) == ("Rita Ross", "kept@example.com")
    assert lead.notes == "Gate code 4410\n\nLeaking tap"


def test_a_number_the_caller_only_names_is_not_theirs_to_fill_in(client, engine, vapi):
    with tenant_session(vapi.user_id, engine) as session:  # someone else's, never named
        create_lead(
            session=session,
            user_id=vapi.user_id,
            lead_in=LeadCreate(name="+15125550166", phone="+15125550166", status="won"),
        )
    details = {"name": "Mallory", "phone": "(512) 555-0166", "notes": "call me"}
    answer = _tool_answer(client, vapi, "call-m", "tc-1", "create_lead", details)
    assert (answer["created"], answer["found"], answer["name"]) == (False, True, "")
    [lead] = owned(engine, vapi.user_id, Lead)
    assert (lead.name, lead.notes) == ("+15125550166", "")
    # A lead the owner has worked on is known, named or not.
    lookup = {"phone": "+15125550166"}
    assert _tool_answer(client, vapi, "call-m", "tc-2", "lookup_contact", lookup)["found"]


def test_create_lead_for_a_named_caller_changes_nothing(client, engine, vapi):
    with tenant_session(vapi.user_id, engine) as session:
        create_lead(
            session=session,
            user_id=vapi.user_id,
            lead_in=LeadCreate(name="Grace Hopper", phone="+14155550177"),
        )
    details = {"name": "Someone Else", "notes": "should not land"}
    answer = _tool_answer(client, vapi, "call-n", "tc-1", "create_lead", details)
    assert (answer["created"], answer["found"], answer["name"]) == (False, True, "Grace Hopper")
    [lead] = owned(engine, vapi.user_id, Lead)
    assert (lead.name, lead.notes) == ("Grace Hopper", "")


def test_a_redelivered_tool_call_gets_the_same_answer_and_creates_nothing(client, engine, vapi):
    create = vapi_tool_calls("call-r", ("tc-9", "create_lead", {"name": "No Phone"}))
    first = _post(client, vapi, create).json()
    second = _post(client, vapi, create).json()
    assert first == second
    assert len(owned(engine, vapi.user_id, Lead)) == 1


def test_a_tool_call_for_someone_elses_email_creates_nothing_and_names_no_one(client, engine, vapi):
    with tenant_session(vapi.user_id, engine) as session:
        create_lead(
            session=session,
            user_id=vapi.user_id,
            lead_in=LeadCreate(name="Private Person", email="taken@example.com"),
        )
    create = vapi_tool_calls(
        "call-e", ("tc-e", "create_lead", {"name": "Caller", "email": "taken@example.com"})
    )
    [result] = _post(client, vapi, create).json()["results"]
    # The agent may read its answer out to the caller: the other lead's name stays here.
    assert json.loads(result["result"]) == {
        "created": False,
        "error": "email: already on file for someone else",
    }
    assert [lead.name for lead in owned(engine, vapi.user_id, Lead)] == ["Private Person"]


def test_an_unknown_tool_and_bad_arguments_get_an_answer_not_an_error(client, engine, vapi):
    calls = vapi_tool_calls(
        "call-u",
        ("tc-a", "delete_everything", {}),
        ("tc-b", "create_lead", {"phone": "not a number"}),
        ("tc-c", "lookup_contact", "{not json"),
    )
    response = _post(client, vapi, calls)
    assert response.status_code == 200
    results = {
        item["toolCallId"]: json.loads(item["result"]) for item in response.json()["results"]
    }
    assert "unknown tool" in results["tc-a"]["error"]
    assert results["tc-b"]["created"] is False
    assert results["tc-c"] == {"found": False, "phone": "+14155550177"}  # the caller's number
    assert owned(engine, vapi.user_id, Lead) == []


# --- Refused requests: status code, an audit row without payload, nothing else


def _assert_refused(engine, vapi, response, status_code, reason):
    assert response.status_code == status_code, response.text
    assert record_counts(engine, vapi.user_id) == NOTHING
    [row] = audit_rows(engine, vapi.user_id)
    assert (row.status, row.reason) == ("rejected", reason)
    assert row.payload is None and row.event_id is None
    assert row.payload_size > 0 and len(row.payload_sha256) == 64


def test_a_wrong_secret_is_refused_with_403(client, engine, vapi):
    response = _post(client, vapi, vapi_end_of_call_report(), vapi_headers("wrong-secret-123"))
    _assert_refused(engine, vapi, response, 403, "bad signature")


def test_a_missing_secret_is_refused_with_401(client, engine, vapi):
    response = _post(client, vapi, vapi_end_of_call_report(), {"content-type": "application/json"})
    _assert_refused(engine, vapi, response, 401, "missing signature")


def test_one_flipped_byte_in_an_hmac_signed_body_is_refused(client, engine, vapi):
    body = encode(vapi_end_of_call_report())
    headers = vapi_hmac_headers(body)
    flipped = body.replace(b"Ada", b"Adb", 1)
    _assert_refused(engine, vapi, _post(client, vapi, flipped, headers), 403, "bad signature")


def test_a_stale_hmac_timestamp_is_refused_with_401(client, engine, vapi):
    body = encode(vapi_end_of_call_report())
    headers = vapi_hmac_headers(body, at=time.time() - 960)
    reason = "stale timestamp: signed over 5 min before it arrived"
    _assert_refused(engine, vapi, _post(client, vapi, body, headers), 401, reason)


def test_an_hmac_signature_made_with_another_secret_is_refused(client, engine, vapi):
    body = encode(vapi_end_of_call_report())
    headers = vapi_hmac_headers(body, secret=VAPI_HMAC_SECRET + "x")
    _assert_refused(engine, vapi, _post(client, vapi, body, headers), 403, "bad signature")


def test_an_unknown_token_gets_404_and_leaves_no_row_anywhere(client, engine, vapi, caplog):
    caplog.set_level(logging.INFO)
    token = f"{uuid.uuid4().hex}{uuid.uuid4().hex}"
    path = f"/api/webhooks/vapi/{token}"
    response = client.post(
        path, content=encode(vapi_end_of_call_report()), headers=vapi_headers(vapi.secret)
    )
    assert response.status_code == 404
    assert audit_rows(engine, vapi.user_id) == []
    # The app's own log lines (the test client logs the URL it calls itself).
    app_lines = [r.getMessage() for r in caplog.records if r.name.startswith("crm_app")]
    assert any("unknown token" in line for line in app_lines)
    assert not any(token in line for line in app_lines)


def test_a_token_for_another_provider_is_unknown_here(client, engine, vapi, make_user):
    make = connect(engine, vapi.user_id, "make")
    path = f"/api/webhooks/vapi/{make.token}"
    assert client.post(path, content=b"{}", headers=vapi_headers(vapi.secret)).status_code == 404


def test_an_oversized_body_gets_413_before_anything_is_parsed(client, engine, vapi):
    body = b'{"message": {"type": "end-of-call-report", "x": "' + b"a" * (256 * 1024) + b'"}}'
    response = _post(client, vapi, body)
    assert response.status_code == 413
    [row] = audit_rows(engine, vapi.user_id)
    assert (row.status, row.reason, row.payload, row.payload_sha256) == (
        "rejected",
        "body too large",
        None,
        "",
    )
    assert row.payload_size == len(body)


def test_malformed_json_is_refused_with_400_after_the_signature(client, engine, vapi):
    _assert_refused(
        engine, vapi, _post(client, vapi, b'{"message": '), 400, "body is not valid JSON"
    )


def test_a_report_without_a_call_id_is_refused_with_422(client, engine, vapi):
    report = vapi_end_of_call_report()
    del report["message"]["call"]
    response = _post(client, vapi, report)
    reason = "missing or invalid field: message.call.id; the body's fields: message"
    _assert_refused(engine, vapi, response, 422, reason)


def test_a_redelivered_long_tool_answer_is_the_same_whole_answer(client, engine, vapi):
    # As many lookups as a message may hold, of a caller whose last call has a long
    # summary: an answer far longer than the 2,000 characters the audit row once kept.
    report = vapi_end_of_call_report("call-long", number="+14155550199")
    report["message"]["analysis"]["summary"] = 'A "long" summary, ü. ' * 40
    assert _post(client, vapi, report).status_code == 200
    calls = [
        (f"tc-{n}", "lookup_contact", {"phone": "+14155550199"}) for n in range(MAX_TOOL_CALLS)
    ]
    message = vapi_tool_calls("call-long", *calls)
    first, again = _post(client, vapi, message), _post(client, vapi, message)
    assert first.status_code == again.status_code == 200
    results = first.json()["results"]
    assert len(results) == MAX_TOOL_CALLS
    assert len(json.dumps(results)) > 10_000
    assert again.json() == first.json()
    statuses = [row.status for row in audit_rows(engine, vapi.user_id)]
    assert statuses[-2:] == ["accepted", "duplicate"]


# --- A stored secret the server cannot open


def _sealed_under_a_lost_key(engine, user_id, service: str, secret: str) -> None:
    """The secret sealed under a master key the server no longer has (removed too early)."""
    with tenant_session(user_id, engine) as session:
        vault.save_api_key(
            session=session,
            user_id=user_id,
            service=service,
            raw_key=secret,
            keyring=Keyring(secrets.token_bytes(32)),
        )


def test_one_unreadable_vapi_secret_does_not_stop_requests_signed_with_the_other(
    client, engine, vapi
):
    # Both were read for every request, and one that could not be opened answered 503
    # to all of them, with an audit reason that did not say which.
    _sealed_under_a_lost_key(engine, vapi.user_id, "vapi_hmac", VAPI_HMAC_SECRET)
    assert _post(client, vapi, vapi_end_of_call_report("call-readable")).status_code == 200
    body = encode(vapi_end_of_call_report("call-hmac"))
    refused = _post(client, vapi, body, headers=vapi_hmac_headers(body))
    assert refused.status_code == 503
    reason = "the stored secret could not be decrypted (Vapi HMAC secret)"
    assert refused.json()["detail"] == reason
    rejected = [row for row in audit_rows(engine, vapi.user_id) if row.status == "rejected"]
    assert [row.reason for row in rejected] == [reason]
    assert [call.external_call_id for call in owned(engine, vapi.user_id, CallLog)] == [
        "call-readable"
    ]
    assert VAPI_HMAC_SECRET not in refused.text and VAPI_SECRET not in refused.text


def test_a_wrong_secret_is_refused_as_such_beside_an_unreadable_one_it_did_not_use(
    client, engine, vapi
):
    _sealed_under_a_lost_key(engine, vapi.user_id, "vapi_hmac", VAPI_HMAC_SECRET)
    # Sent as a header, checked against the readable server secret: the HMAC secret could
    # not have let it in, so it is what it is, a wrong secret.
    forged = _post(client, vapi, vapi_end_of_call_report("call-x"), headers=vapi_headers("nope"))
    assert (forged.status_code, forged.json()["detail"]) == (403, "bad signature")
    _sealed_under_a_lost_key(engine, vapi.user_id, "vapi", VAPI_SECRET)
    refused = _post(client, vapi, vapi_end_of_call_report("call-y"))
    assert refused.json()["detail"] == (
        "the stored secret could not be decrypted (Vapi server secret)"
    )
