"""A Vapi assistant on a Twilio number: one phone call, however many of both providers' webhooks."""

from __future__ import annotations

import json

import pytest

from crm_app.core.config import get_settings
from crm_app.models import CallLog, Lead
from tests.webhook_senders import (
    connect,
    encode,
    twilio_request,
    twilio_status,
    vapi_end_of_call_report,
    vapi_headers,
    vapi_status_update,
)
from tests.webhook_state import audit_rows, owned

CALL_SID = "CA" + "5" * 32
# twilio_status's caller, so both providers describe the same person.
CALLER = "+14155550142"


@pytest.fixture
def both(engine, make_user):
    user_id = make_user().id
    return connect(engine, user_id, "vapi"), connect(engine, user_id, "twilio")


def _over_twilio(message: dict) -> dict:
    message["message"]["call"]["phoneCallProviderId"] = CALL_SID
    return message


def _vapi(client, vapi, payload) -> None:
    sent = client.post(vapi.path, content=encode(payload), headers=vapi_headers(vapi.secret))
    assert sent.status_code == 200, sent.text


def _twilio(client, engine, twilio, status: str, sequence: int, **options) -> dict:
    """Post a status callback for CALL_SID; what its audit row says it did."""
    public = get_settings().public_base_url.rstrip("/") + twilio.path
    fields = twilio_status(CALL_SID, status, sequence, **options)
    body, headers = twilio_request(twilio.secret, public, fields)
    assert client.post(twilio.path, content=body, headers=headers).status_code == 200
    newest = max(audit_rows(engine, twilio.user_id), key=lambda row: row.received_at)
    return json.loads(newest.result)


def test_twilio_callbacks_for_a_call_vapi_reported_log_nothing_more(client, engine, both):
    vapi, twilio = both
    _vapi(client, vapi, _over_twilio(vapi_end_of_call_report("call-v1", number=CALLER)))
    [call] = owned(engine, vapi.user_id, CallLog)
    result = _twilio(client, engine, twilio, "completed", 3, duration=95)
    assert result == {"call_log_id": str(call.id), "created": [], "logged_by": "vapi"}
    [still] = owned(engine, vapi.user_id, CallLog)
    assert (still.id, still.provider, still.carrier_call_id) == (call.id, "vapi", CALL_SID)
    assert len(owned(engine, vapi.user_id, Lead)) == 1


@pytest.mark.parametrize("first_vapi_message", ["status-update", "end-of-call-report"])
def test_vapi_takes_over_the_call_twilios_callbacks_logged_first(
    client, engine, both, first_vapi_message
):
    vapi, twilio = both
    _twilio(client, engine, twilio, "ringing", 0)
    [logged] = owned(engine, vapi.user_id, CallLog)
    [lead] = owned(engine, vapi.user_id, Lead)
    assert (logged.provider, logged.lead_id) == ("twilio", lead.id)
    if first_vapi_message == "status-update":
        _vapi(client, vapi, _over_twilio(vapi_status_update("call-v2", "in-progress", CALLER)))
    report = _over_twilio(vapi_end_of_call_report("call-v2", number=CALLER))
    _vapi(client, vapi, report)
    _twilio(client, engine, twilio, "completed", 3, duration=95)
    # One call: Twilio's row, now Vapi's, with the report's details and the same lead.
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.id, call.provider, call.external_call_id) == (logged.id, "vapi", "call-v2")
    assert (call.carrier_call_id, call.status, call.lead_id) == (CALL_SID, "ended", lead.id)
    assert call.summary == "Wants a quote for 3 seats."
    assert [row.id for row in owned(engine, vapi.user_id, Lead)] == [lead.id]


def test_a_leg_vapi_put_through_changes_nothing_of_the_call_vapi_reported(client, engine, both):
    vapi, twilio = both
    _vapi(client, vapi, _over_twilio(vapi_end_of_call_report("call-v3", number=CALLER)))
    [call] = owned(engine, vapi.user_id, CallLog)
    public = get_settings().public_base_url.rstrip("/") + twilio.path
    leg = [*twilio_status("CA" + "7" * 32, "no-answer", 1), ("ParentCallSid", CALL_SID)]
    body, headers = twilio_request(twilio.secret, public, leg)
    assert client.post(twilio.path, content=body, headers=headers).status_code == 200
    # Vapi's report says how its call ended, a transfer included.
    [still] = owned(engine, vapi.user_id, CallLog)
    assert (still.id, still.provider, still.ended_reason) == (call.id, "vapi", call.ended_reason)


def test_a_vapi_web_call_has_no_carrier_and_twilio_calls_stay_their_own(client, engine, both):
    vapi, twilio = both
    _vapi(client, vapi, vapi_end_of_call_report("call-web"))
    _twilio(client, engine, twilio, "completed", 3, duration=20)
    providers = sorted(call.provider for call in owned(engine, vapi.user_id, CallLog))
    assert providers == ["twilio", "vapi"]


def test_a_twilio_row_begun_after_vapi_logged_the_call_goes_when_the_report_names_it(
    client, engine, both
):
    vapi, twilio = both
    # Vapi's first message does not name the CallSid; Twilio's callback comes next.
    _vapi(client, vapi, vapi_status_update("call-v3", "in-progress", CALLER))
    _twilio(client, engine, twilio, "in-progress", 1)
    assert len(owned(engine, vapi.user_id, CallLog)) == 2
    _vapi(client, vapi, _over_twilio(vapi_end_of_call_report("call-v3", number=CALLER)))
    _twilio(client, engine, twilio, "completed", 3, duration=95)
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.provider, call.external_call_id, call.carrier_call_id) == (
        "vapi",
        "call-v3",
        CALL_SID,
    )
    assert call.status == "ended"
    assert len(owned(engine, vapi.user_id, Lead)) == 1


def test_a_late_live_status_from_vapi_does_not_reopen_a_call_twilio_reported_finished(
    client, engine, both
):
    # An inbound call: Twilio calls back only when it is over. Vapi's "in-progress" arriving
    # after that (a short call, a slow delivery, a replay) made the finished call live again.
    vapi, twilio = both
    _twilio(client, engine, twilio, "completed", 3, duration=120)
    _vapi(client, vapi, _over_twilio(vapi_status_update("call-late", "in-progress", CALLER)))
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.provider, call.status, call.duration_seconds) == ("vapi", "completed", 120)
    _vapi(client, vapi, _over_twilio(vapi_end_of_call_report("call-late", number=CALLER)))
    [call] = owned(engine, vapi.user_id, CallLog)
    assert call.status == "ended"
