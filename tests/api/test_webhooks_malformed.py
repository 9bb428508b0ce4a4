"""Odd values inside well-formed, signed events: stored safely or refused with a clear 4xx."""

from __future__ import annotations

import json

import pytest

from crm_app.core.config import get_settings
from crm_app.models import AutomationLog, CallLog, Lead
from tests.webhook_senders import (
    connect,
    encode,
    make_event,
    make_headers,
    twilio_request,
    twilio_status,
    vapi_end_of_call_report,
    vapi_headers,
)
from tests.webhook_state import NOTHING, audit_rows, owned, record_counts


@pytest.fixture
def vapi(engine, make_user):
    return connect(engine, make_user().id, "vapi")


@pytest.fixture
def make(engine, make_user):
    return connect(engine, make_user().id, "make")


@pytest.fixture
def twilio(engine, make_user):
    return connect(engine, make_user().id, "twilio")


def _post_twilio(client, twilio, fields):
    url = get_settings().public_base_url.rstrip("/") + twilio.path
    body, headers = twilio_request(twilio.secret, url, fields)
    return client.post(twilio.path, content=body, headers=headers)


def _post_vapi(client, vapi, body: bytes, content_type="application/json"):
    headers = vapi_headers(vapi.secret) | {"content-type": content_type}
    return client.post(vapi.path, content=body, headers=headers)


def test_unusable_fields_of_a_report_are_left_empty_and_the_rest_is_kept(client, engine, vapi):
    report = vapi_end_of_call_report("call-odd")
    message = report["message"]
    message.update(cost=1e308, startedAt="yesterday", endedReason={"nested": True})
    message["customer"] = {"number": "12", "name": "<script>alert(1)</script>\x00\x07Bob"}
    message["artifact"]["recordingUrl"] = "javascript:alert(document.cookie)"
    message["analysis"]["successEvaluation"] = False
    response = _post_vapi(client, vapi, encode(report))
    assert response.status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.cost, call.started_at, call.duration_seconds, call.ended_reason) == (
        None,
        None,
        None,
        None,
    )
    assert call.recording_url is None
    assert call.customer_name == "<script>alert(1)</script>Bob"  # text, escaped when shown
    assert (call.customer_number, call.lead_id, call.success_evaluation) == (None, None, "false")
    assert owned(engine, vapi.user_id, Lead) == []  # no number, no lead


@pytest.mark.parametrize(
    ("body", "status_code", "reason"),
    [
        (
            b'{"message": {"type": "end-of-call-report", "cost": NaN}}',
            400,
            "body is not valid JSON",
        ),
        (b'{"message": {"cost": ' + b"9" * 5000 + b"}}", 400, "body is not valid JSON"),
        (
            b'{"message": "end-of-call-report"}',
            422,
            "missing field: message; the body's fields: message",
        ),
        (
            b'{"message": {"type": ["x"]}}',
            422,
            "missing field: message.type; the body's fields: message",
        ),
        (b"[1, 2]", 422, "expected a JSON object"),
        (
            b'{"a":' * 50 + b"1" + b"}" * 50,
            422,
            "payload is nested too deeply; the body's fields: a",
        ),
        ('{"message": {"type": "x"}}'.encode("utf-16"), 400, "body is not UTF-8"),
    ],
)
def test_malformed_bodies_get_a_clear_4xx_and_a_rejected_row(
    client, engine, vapi, body, status_code, reason
):
    response = _post_vapi(client, vapi, body)
    assert (response.status_code, response.json()) == (status_code, {"detail": reason})
    [row] = audit_rows(engine, vapi.user_id)
    assert (row.status, row.reason, row.payload) == ("rejected", reason, None)
    assert record_counts(engine, vapi.user_id) == NOTHING


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_wrong_content_type_gets_415(client, engine, vapi, content_type):
    response = _post_vapi(client, vapi, encode(vapi_end_of_call_report()), content_type)
    assert response.status_code == 415
    assert owned(engine, vapi.user_id, CallLog) == []


def test_a_call_id_too_long_for_the_column_is_refused_not_cut(client, engine, vapi):
    response = _post_vapi(client, vapi, encode(vapi_end_of_call_report("c" * 101)))
    assert response.status_code == 422
    assert owned(engine, vapi.user_id, CallLog) == []


# Past what Python's datetime holds once moved to UTC (year 10000, or year 0).
BEYOND_DATETIME = ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00")


@pytest.mark.parametrize("moment", BEYOND_DATETIME)
def test_a_vapi_time_beyond_any_date_is_left_empty(client, engine, vapi, moment):
    report = vapi_end_of_call_report("call-far")
    report["message"].update(startedAt=moment, endedAt=moment)
    assert _post_vapi(client, vapi, encode(report)).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert (call.started_at, call.ended_at, call.duration_seconds) == (None, None, None)


@pytest.mark.parametrize("moment", BEYOND_DATETIME)
def test_a_make_time_beyond_any_date_is_left_empty(client, engine, make, moment):
    body = encode(make_event("automation.run", {"status": "success", "started_at": moment}))
    response = client.post(make.path, content=body, headers=make_headers(make.secret, body))
    assert response.status_code == 200
    [run] = owned(engine, make.user_id, AutomationLog)
    assert run.started_at is None


def test_a_twilio_time_beyond_any_date_is_left_empty(client, engine, twilio):
    fields = [
        (name, "Fri, 31 Dec 9999 23:59:59 -1200" if name == "Timestamp" else value)
        for name, value in twilio_status("CA" + "f" * 32, "completed", 1, duration=60)
    ]
    assert _post_twilio(client, twilio, fields).status_code == 200
    [call] = owned(engine, twilio.user_id, CallLog)
    assert call.duration_seconds == 60


def test_a_call_longer_than_a_day_keeps_the_call_without_its_duration(client, engine, vapi, twilio):
    report = vapi_end_of_call_report("call-1970")
    report["message"]["startedAt"] = 12345  # epoch seconds: 1970, some 56 years long
    assert _post_vapi(client, vapi, encode(report)).status_code == 200
    fields = twilio_status("CA" + "e" * 32, "completed", 1, duration=2_000_000_000)
    assert _post_twilio(client, twilio, fields).status_code == 200
    [vapi_call] = owned(engine, vapi.user_id, CallLog)
    [twilio_call] = owned(engine, twilio.user_id, CallLog)
    assert (vapi_call.duration_seconds, twilio_call.duration_seconds) == (None, None)
    assert vapi_call.ended_at is not None  # the rest of the report is kept


def test_a_time_no_clock_can_hold_is_dropped_and_the_rest_kept(client, engine, vapi, make):
    # JSON's integers have no bound: 10**400 seconds is past what a float holds.
    huge = 10**400
    report = vapi_end_of_call_report("call-huge-start")
    report["message"]["startedAt"] = huge
    assert _post_vapi(client, vapi, encode(report)).status_code == 200
    [call] = owned(engine, vapi.user_id, CallLog)
    assert call.started_at is None and call.ended_at is not None
    body = encode(make_event("automation.run", {"status": "success", "started_at": huge}))
    response = client.post(make.path, content=body, headers=make_headers(make.secret, body))
    assert response.status_code == 200
    [run] = owned(engine, make.user_id, AutomationLog)
    assert run.status == "success"


def test_a_run_with_a_huge_duration_keeps_the_run_without_it(client, engine, make):
    event = make_event("automation.run", {"status": "success", "duration_ms": 10**30})
    body = encode(event)
    assert (
        client.post(make.path, content=body, headers=make_headers(make.secret, body)).status_code
        == 200
    )
    [run] = owned(engine, make.user_id, AutomationLog)
    assert run.duration_ms is None


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        ({"status": "exploded"}, "data.status: one of success, error, warning"),
        ({"email": "not-an-email"}, "email: not a valid email address"),
        ({"phone": "+1 415 555 01"}, "phone: not a valid phone number"),
        # A local number without its area code is told so, not told to add a country code.
        ({"phone": "555-1234"}, "phone: not a valid phone number (no area code: a US number"),
    ],
)
def test_values_the_crm_refuses_fail_the_event_with_the_services_message(
    client, engine, make, data, detail
):
    event = "automation.run" if "status" in data else "lead.upsert"
    body = encode(make_event(event, data))
    response = client.post(make.path, content=body, headers=make_headers(make.secret, body))
    assert response.status_code == 422
    assert detail in response.json()["detail"]
    [row] = audit_rows(engine, make.user_id)
    assert row.status == "failed" and detail in row.reason
    assert json.loads(row.payload)["data"] == data
    assert record_counts(engine, make.user_id) == NOTHING


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "PATCH", "DELETE"])
def test_another_method_than_post_gets_405_naming_post_and_changes_nothing(
    client, engine, vapi, method
):
    response = client.request(method, vapi.path)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    if method != "HEAD":
        assert "POST" in response.json()["detail"]
    assert audit_rows(engine, vapi.user_id) == []
    assert record_counts(engine, vapi.user_id) == NOTHING


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_provider_there_is_no_route_for_is_404_whatever_the_method(client, method):
    response = client.request(method, "/api/webhooks/zapier/whk_zapier_x", content=b"{}")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


def test_a_twilio_request_sent_to_the_vapi_url_says_whose_url_it_needs(client, engine, vapi):
    twilio = connect(engine, vapi.user_id, "twilio")
    public = get_settings().public_base_url.rstrip("/") + vapi.path
    body, headers = twilio_request(twilio.secret, public, twilio_status("CA1", "ringing", 0))
    response = client.post(vapi.path, content=body, headers=headers)
    reason = (
        "missing signature (it carries a Twilio signature header: if you gave Twilio this URL, "
        "give it the Twilio URL from the Integrations page instead)"
    )
    assert (response.status_code, response.json()) == (401, {"detail": reason})
    [row] = audit_rows(engine, vapi.user_id)
    assert (row.provider, row.reason) == ("vapi", reason)


def test_a_vapi_request_sent_to_the_make_url_says_whose_url_it_needs(client, engine, make):
    body = encode(vapi_end_of_call_report())
    response = client.post(make.path, content=body, headers=vapi_headers("some-vapi-secret"))
    assert response.status_code == 401
    assert "carries a Vapi signature header: if you gave Vapi this URL" in response.json()["detail"]
