"""What an event's details say it created, from the result stored with it."""

from __future__ import annotations

import json
import uuid

import pytest

from crm_app.state.webhooks import REPEATS_NOTE, CreatedRecord, created_records, repeats_note


def test_a_tool_call_that_created_a_lead_names_it_and_one_that_found_a_contact_too() -> None:
    lead_id, contact_id = uuid.uuid4(), uuid.uuid4()
    made = {"created": True, "type": "lead", "id": str(lead_id), "name": "Grace Tool"}
    found = {"found": True, "type": "contact", "id": str(contact_id), "name": "Kai"}
    results = [
        {"toolCallId": "t1", "name": "create_lead", "result": json.dumps(made)},
        {"toolCallId": "t2", "name": "lookup_contact", "result": json.dumps(found)},
        {"toolCallId": "t3", "name": "create_lead", "result": '{"created": false, "error": "x"}'},
        {"toolCallId": "t4", "name": "odd", "result": "not json"},
        {"toolCallId": "t5", "name": "odd", "result": '{"type": "lead", "id": "../../etc"}'},
    ]
    assert created_records(json.dumps({"results": results})) == [
        CreatedRecord(label="Lead (new)", href=f"/leads/{lead_id}"),
        CreatedRecord(label="Contact", href=f"/contacts/{contact_id}"),
    ]


def test_an_ordinary_event_still_names_its_records() -> None:
    call_id = uuid.uuid4()
    result = {"call_log_id": str(call_id), "created": ["call_log"]}
    assert created_records(json.dumps(result)) == [
        CreatedRecord(label="Call (new)", href=f"/calls/{call_id}")
    ]
    assert created_records("") == [] and created_records("[1, 2]") == []


def test_a_run_links_to_the_runs_found_by_its_execution_id() -> None:
    result = json.dumps({"automation_log_id": str(uuid.uuid4()), "created": ["automation_log"]})
    payload = json.dumps({"event": "automation.run", "execution_id": "exec 7/a&b"})
    assert created_records(result, payload) == [
        CreatedRecord(label="Automation run (new)", href="/automations?search=exec%207/a%26b")
    ]
    # A payload without one (or none kept): the runs, unfiltered.
    numbered = json.dumps({"execution_id": 7})
    assert created_records(result, numbered)[0].href == "/automations?search=7"
    for no_id in ("", None, "[]", json.dumps({"execution_id": True})):
        assert created_records(result, no_id)[0].href == "/automations"


@pytest.mark.parametrize(
    ("status", "reason", "unproven"),
    [
        ("rejected", "bad signature", True),
        ("rejected", "missing signature (send x-vapi-secret)", True),
        ("rejected", "wrong API key", True),
        # These passed the signature check: they hold the secret, and a new URL would only
        # break a setup that works.
        ("rejected", "message.call.id: missing", False),
        ("duplicate", "duplicate of call-1:end-of-call-report", False),
    ],
)
def test_the_repeats_note_suspects_the_url_only_for_requests_that_proved_nothing(
    status: str, reason: str, unproven: bool
) -> None:
    note = repeats_note(status, reason)
    assert note.startswith(REPEATS_NOTE)
    assert ("someone else has this URL" in note) is unproven
