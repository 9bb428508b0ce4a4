"""POST /api/webhooks/twilio/{token}: signed callbacks become call logs and SMS on timelines."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from crm_app.core.config import get_settings
from crm_app.core.db import tenant_session
from crm_app.models import Activity, CallLog, ContactCreate, Lead, LeadCreate
from crm_app.services.call_logs import list_call_logs
from crm_app.services.call_outcomes import OUTCOMES
from crm_app.services.contacts import create_contact
from crm_app.services.leads import create_lead, delete_lead
from crm_app.services.webhook_parse import FORM_TYPE
from crm_app.services.webhook_verify import TWILIO_SHARED_KEY
from tests.webhook_senders import (
    connect,
    twilio_request,
    twilio_sid,
    twilio_signature,
    twilio_sms,
    twilio_status,
)
from tests.webhook_state import NOTHING, audit_rows, owned, record_counts

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@pytest.fixture
def twilio(engine, make_user):
    return connect(engine, make_user().id, "twilio")


def _public(path: str) -> str:
    return get_settings().public_base_url.rstrip("/") + path


def _post(client, twilio, fields, *, query: str = "", signed_url: str | None = None, headers=None):
    path = twilio.path + (f"?{query}" if query else "")
    body, signed = twilio_request(twilio.secret, signed_url or _public(path), fields)
    return client.post(path, content=body, headers=headers if headers is not None else signed)


# --- Valid callbacks


def test_a_status_callback_creates_a_call_log_and_gets_empty_twiml(client, engine, twilio):
    with tenant_session(twilio.user_id, engine) as session:
        lead = create_lead(
            session=session, user_id=twilio.user_id, lead_in=LeadCreate(phone="+14155550142")
        )
    response = _post(client, twilio, twilio_status("CA1", "completed", 3, duration=42))
    assert response.status_code == 200
    assert response.text == EMPTY_TWIML
    assert response.headers["content-type"].startswith("text/xml")
    [call] = owned(engine, twilio.user_id, CallLog)
    assert (call.provider, call.external_call_id, call.status) == (
        "twilio",
        twilio_sid("CA1"),
        "completed",
    )
    assert (call.from_number, call.to_number, call.direction) == (
        "+14155550142",
        "+14155559999",
        "inbound",
    )
    assert (call.duration_seconds, call.last_sequence_number, call.lead_id) == (42, 3, lead.id)
    assert call.recording_url == f"https://api.twilio.com/r/{twilio_sid('CA1')}"
    assert owned(engine, twilio.user_id, Lead) == [lead]  # linked to it, no second lead


def test_a_call_from_an_unknown_number_makes_a_lead_once_as_a_vapi_call_does(
    client, engine, twilio
):
    for sequence, status in enumerate(("ringing", "in-progress", "completed")):
        fields = [
            ("CallerName", "Rosa Diaz") if name == "CallerName" else (name, value)
            for name, value in twilio_status("CA9", status, sequence)
        ]
        assert _post(client, twilio, fields).status_code == 200
    [lead] = owned(engine, twilio.user_id, Lead)
    assert (lead.name, lead.phone, lead.source) == ("Rosa Diaz", "+14155550142", "voice")
    [call] = owned(engine, twilio.user_id, CallLog)
    assert (call.lead_id, call.status) == (lead.id, "completed")
    # The audit trail links the call and the lead each callback touched.
    for row in audit_rows(engine, twilio.user_id):
        assert json.loads(row.result)["lead_id"] == str(lead.id)
    [first] = [row for row in audit_rows(engine, twilio.user_id) if "ringing" in row.payload]
    assert json.loads(first.result)["created"] == ["call_log", "lead"]


def test_a_number_configured_with_a_trailing_slash_is_verified_against_that_url(
    client, engine, twilio
):
    path = twilio.path + "/"
    body, headers = twilio_request(
        twilio.secret, _public(path), twilio_status("CA11", "ringing", 0)
    )
    assert client.post(path, content=body, headers=headers).status_code == 200
    [call] = owned(engine, twilio.user_id, CallLog)
    assert call.external_call_id == twilio_sid("CA11")


def test_a_lead_deleted_during_its_call_does_not_come_back_with_the_next_callback(
    client, engine, twilio
):
    assert _post(client, twilio, twilio_status("CA8", "ringing", 0)).status_code == 200
    [lead] = owned(engine, twilio.user_id, Lead)
    with tenant_session(twilio.user_id, engine) as session:
        assert delete_lead(session=session, user_id=twilio.user_id, lead_id=lead.id)
    assert (
        _post(client, twilio, twilio_status("CA8", "completed", 1, duration=30)).status_code == 200
    )
    assert owned(engine, twilio.user_id, Lead) == []
    [call] = owned(engine, twilio.user_id, CallLog)
    assert (call.status, call.lead_id) == ("completed", None)
    assert call.unlinked_at is not None
    # A new call from the number is a new caller again.
    assert _post(client, twilio, twilio_status("CA10", "ringing", 0)).status_code == 200
    assert len(owned(engine, twilio.user_id, Lead)) == 1


@pytest.mark.parametrize(
    "placeholder",
    [
        "WIRELESS CALLER",
        "Unavailable",
        " anonymous ",
        # Where a mobile is from, as carriers fill in the 15 characters for want of a name.
        "AUSTIN       TX",
        "SAN ANTONIO  TX",
        "TORONTO      ON",
    ],
)
def test_caller_ids_stand_in_for_no_name_names_no_one(client, engine, twilio, placeholder):
    fields = [
        ("CallerName", placeholder) if name == "CallerName" else (name, value)
        for name, value in twilio_status("CA7", "ringing", 0)
    ]
    assert _post(client, twilio, fields).status_code == 200
    [lead] = owned(engine, twilio.user_id, Lead)
    assert lead.name == "+14155550142"  # the number says more than a stand-in
    [call] = owned(engine, twilio.user_id, CallLog)
    assert call.customer_name == ""


@pytest.mark.parametrize(
    ("caller_id", "name"),
    [
        ("GARCIA   MARIA", "GARCIA MARIA"),
        ("KIM AL", "KIM AL"),
        ("LEE   AL", "LEE AL"),  # padded, but not CNAM's 15 characters of a city
        ("NGUYEN, ME", "NGUYEN, ME"),
        ("Rosa  Diaz ", "Rosa Diaz"),
    ],
)
def test_a_caller_ids_name_is_kept_with_its_padding_closed_up(
    client, engine, twilio, caller_id, name
):
    fields = [
        ("CallerName", caller_id) if field == "CallerName" else (field, value)
        for field, value in twilio_status("CA7", "ringing", 0)
    ]
    assert _post(client, twilio, fields).status_code == 200
    [lead] = owned(engine, twilio.user_id, Lead)
    assert lead.name == name


@pytest.mark.parametrize("sender", ["PLUMBCO", "72345"])
def test_an_sms_from_a_name_or_short_code_is_accepted_and_makes_no_one(
    client, engine, twilio, sender
):
    response = _post(client, twilio, twilio_sms("SM" + "7" * 32, sender=sender))
    assert response.status_code == 200
    assert record_counts(engine, twilio.user_id) == NOTHING
    [row] = audit_rows(engine, twilio.user_id)
    assert row.status == "accepted"  # not failed: no Replay could make it apply
    assert json.loads(row.result) == {
        "ignored": True,
        "reason": "the sender is not a phone number",
        "created": [],
    }
    assert row.reason == "ignored: the sender is not a phone number"  # in the trail's list


def _forwarded_leg(call_sid: str, parent_sid: str, status: str, sequence: int) -> list:
    """A callback of the leg a <Dial> makes to put the caller through to the owner's mobile."""
    leg = {"Direction": "outbound-dial", "To": "+14155550199", "From": "+14155550142"}
    fields = [
        (name, leg.get(name, value)) for name, value in twilio_status(call_sid, status, sequence)
    ]
    return [*fields, ("ParentCallSid", twilio_sid(parent_sid))]


def _outcome(engine, user_id) -> str:
    """The one call's outcome, as the calls list's filter and the dashboard give it."""
    with tenant_session(user_id, engine) as session:
        [outcome] = [
            outcome
            for outcome in OUTCOMES
            if list_call_logs(session=session, user_id=user_id, outcome=outcome).total
        ]
    return outcome


def test_a_call_put_through_to_another_phone_is_logged_once_with_its_caller(client, engine, twilio):
    parent, leg = "CA" + "1" * 32, "CA" + "2" * 32
    deliveries = [
        twilio_status(parent, "ringing", 0),
        twilio_status(parent, "in-progress", 1),
        _forwarded_leg(leg, parent, "ringing", 0),
        _forwarded_leg(leg, parent, "in-progress", 1),
        _forwarded_leg(leg, parent, "completed", 2),
        twilio_status(parent, "completed", 2, duration=52),
    ]
    for fields in deliveries:
        assert _post(client, twilio, fields).status_code == 200
    [call] = owned(engine, twilio.user_id, CallLog)
    assert (call.external_call_id, call.direction, call.customer_number) == (
        parent,
        "inbound",
        "+14155550142",
    )
    assert (call.status, call.duration_seconds) == ("completed", 52)
    # Someone picked up: answered, and the call says it was put through.
    assert (call.ended_reason, _outcome(engine, twilio.user_id)) == ("forward-answered", "answered")
    [lead] = owned(engine, twilio.user_id, Lead)
    assert lead.phone == "+14155550142"  # the owner's mobile is no lead
    legs = [row for row in audit_rows(engine, twilio.user_id) if leg in row.payload]
    assert len(legs) == 3
    assert {row.status for row in legs} == {"accepted"}
    assert [row.reason for row in legs if "ringing" in row.payload] == [
        f"ignored: a leg dialled from call {parent}, which is logged as the call"
    ]


PARENT, LEG, OTHER_LEG = "CA" + "3" * 32, "CA" + "4" * 32, "CA" + "6" * 32
# A call forwarded to the owner's mobile: Twilio answers the call to run the <Dial>, so it
# "completes" after 28 s of ringing whether or not anyone picked up; only its leg says.
UNANSWERED_FORWARD = {
    "call ringing": twilio_status(PARENT, "ringing", 0),
    "call in progress": twilio_status(PARENT, "in-progress", 1),
    "leg ringing": _forwarded_leg(LEG, PARENT, "ringing", 0),
    "leg's end": None,  # the leg's final status, one of Twilio's unanswered ones
    "call completed": twilio_status(PARENT, "completed", 2, duration=28),
}


@pytest.mark.parametrize("leg_status", ["no-answer", "busy", "failed", "canceled"])
@pytest.mark.parametrize(
    "order",
    [
        ["call ringing", "call in progress", "leg ringing", "leg's end", "call completed"],
        ["call ringing", "call in progress", "call completed", "leg ringing", "leg's end"],
        # The leg's callbacks before any of the call's own.
        ["leg's end", "leg ringing", "call completed", "call ringing", "call in progress"],
    ],
)
def test_a_call_put_through_to_a_phone_no_one_picked_up_is_not_answered(
    client, engine, twilio, leg_status, order
):
    deliveries = {**UNANSWERED_FORWARD, "leg's end": _forwarded_leg(LEG, PARENT, leg_status, 1)}
    for name in order:
        assert _post(client, twilio, deliveries[name]).status_code == 200
    # Delivered again: a duplicate, which changes nothing.
    assert _post(client, twilio, deliveries["leg's end"]).status_code == 200
    [call] = owned(engine, twilio.user_id, CallLog)
    assert (call.external_call_id, call.direction, call.customer_number) == (
        PARENT,
        "inbound",
        "+14155550142",
    )
    assert (call.status, call.duration_seconds, call.last_sequence_number) == ("completed", 28, 2)
    assert call.ended_reason == f"forward-{leg_status}"
    assert _outcome(engine, twilio.user_id) == "not-answered"
    [lead] = owned(engine, twilio.user_id, Lead)
    assert (lead.phone, call.lead_id) == ("+14155550142", lead.id)


@pytest.mark.parametrize("answered_first", [True, False])
def test_a_forward_answered_on_one_phone_is_answered_though_another_phone_rang_out(
    client, engine, twilio, answered_first
):
    # Two phones rung together: the one that picks up is connected, the other canceled.
    legs = [
        _forwarded_leg(LEG, PARENT, "completed", 2),
        _forwarded_leg(OTHER_LEG, PARENT, "canceled", 1),
    ]
    for fields in [
        twilio_status(PARENT, "in-progress", 1),
        *(legs if answered_first else legs[::-1]),
        twilio_status(PARENT, "completed", 2, duration=75),
    ]:
        assert _post(client, twilio, fields).status_code == 200
    [call] = owned(engine, twilio.user_id, CallLog)
    assert (call.status, call.ended_reason) == ("completed", "forward-answered")
    assert _outcome(engine, twilio.user_id) == "answered"


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        ("inbound", "inbound"),
        ("trunking-originating", "inbound"),  # from the PSTN into the user's trunk
        ("outbound-api", "outbound"),
        ("trunking-terminating", "outbound"),  # from the user's trunk out to the PSTN
    ],
)
def test_a_calls_direction_is_read_from_twilios_names(client, engine, twilio, direction, expected):
    fields = [
        (name, direction if name == "Direction" else value)
        for name, value in twilio_status("CA5", "completed", 3)
    ]
    assert _post(client, twilio, fields).status_code == 200
    [call] = owned(engine, twilio.user_id, CallLog)
    customer = "+14155550142" if expected == "inbound" else "+14155559999"
    assert (call.direction, call.customer_number) == (expected, customer)


def test_an_sms_from_an_unknown_number_lands_on_a_new_leads_timeline(client, engine, twilio):
    response = _post(client, twilio, twilio_sms("SM1", body="Can you call me back?"))
    assert response.status_code == 200 and response.text == EMPTY_TWIML
    [lead] = owned(engine, twilio.user_id, Lead)
    assert (lead.phone, lead.source) == ("+14155550166", "sms")
    [activity] = owned(engine, twilio.user_id, Activity)
    assert (activity.kind, activity.body, activity.external_id) == (
        "sms_in",
        "Can you call me back?",
        twilio_sid("SM1"),
    )
    assert (activity.lead_id, activity.contact_id) == (lead.id, None)


def test_an_sms_from_a_contact_lands_on_the_contacts_timeline(client, engine, twilio):
    with tenant_session(twilio.user_id, engine) as session:
        contact = create_contact(
            session=session,
            user_id=twilio.user_id,
            contact_in=ContactCreate(name="Known", phone="+14155550166"),
        )
    assert _post(client, twilio, twilio_sms("SM2")).status_code == 200
    [activity] = owned(engine, twilio.user_id, Activity)
    assert (activity.contact_id, activity.lead_id) == (contact.id, None)
    assert owned(engine, twilio.user_id, Lead) == []


def test_out_of_order_status_callbacks_end_with_the_highest_sequence_number(client, engine, twilio):
    callbacks = {
        0: twilio_status("CA9", "initiated", 0),
        1: twilio_status("CA9", "ringing", 1),
        2: twilio_status("CA9", "in-progress", 2),
        3: twilio_status("CA9", "completed", 3, duration=61),
    }
    for sequence in (3, 1, 0, 2):
        assert _post(client, twilio, callbacks[sequence]).status_code == 200
    [call] = owned(engine, twilio.user_id, CallLog)
    assert (call.status, call.last_sequence_number, call.duration_seconds) == ("completed", 3, 61)
    assert len(audit_rows(engine, twilio.user_id)) == 4


def test_callbacks_without_sequence_numbers_never_take_a_call_back(client, engine, twilio):
    def unnumbered(status: str, **details: int) -> list[tuple[str, str]]:
        fields = twilio_status("CA8", status, 0, **details)
        return [(name, value) for name, value in fields if name != "SequenceNumber"]

    for callback in (unnumbered("ringing"), unnumbered("completed", duration=10)):
        assert _post(client, twilio, callback).status_code == 200
    # Late, out of order: an earlier stage arrives after the call ended.
    assert _post(client, twilio, unnumbered("in-progress")).status_code == 200
    [call] = owned(engine, twilio.user_id, CallLog)
    assert (call.status, call.duration_seconds) == ("completed", 10)


def test_redelivery_answers_2xx_and_changes_nothing(client, engine, twilio):
    fields = twilio_sms("SM3")
    assert _post(client, twilio, fields).status_code == 200
    before = record_counts(engine, twilio.user_id)
    again = _post(client, twilio, fields)
    assert again.status_code == 200 and again.text == EMPTY_TWIML
    assert record_counts(engine, twilio.user_id) == before
    assert sorted(row.status for row in audit_rows(engine, twilio.user_id)) == [
        "accepted",
        "duplicate",
    ]


def test_twilio_has_no_signed_timestamp_so_an_old_callback_replayed_is_only_a_duplicate(
    client, engine, twilio
):
    # Twilio's scheme signs no delivery time (the Timestamp field is when the call
    # event happened): an old, validly signed callback is refused by its id instead.
    fields = twilio_status("CA-old", "completed", 5, duration=3)
    fields[-3] = ("Timestamp", "Mon, 02 Mar 2020 14:00:05 +0000")
    assert _post(client, twilio, fields).status_code == 200
    before = record_counts(engine, twilio.user_id)
    assert _post(client, twilio, fields).status_code == 200
    assert record_counts(engine, twilio.user_id) == before
    assert [row.status for row in audit_rows(engine, twilio.user_id)].count("duplicate") == 1


def _swallowing(fields: list, name: str, swallowed: str) -> list:
    """The fields with `swallowed` glued onto the end of `name`'s value and dropped: the
    same string under Twilio's signature, which joins names and values without separators."""
    taken = dict(fields)[swallowed]
    return [
        (field, value + swallowed + taken if field == name else value)
        for field, value in fields
        if field != swallowed
    ]


def test_twilio_ids_in_capital_hex_are_twilios_too(client, engine, twilio):
    # Twilio's own pattern for a CallSid is CA[0-9a-fA-F]{32}.
    capital = "CA" + "ABCDEF12" * 4
    assert _post(client, twilio, twilio_status(capital, "ringing", 0)).status_code == 200
    [call] = owned(engine, twilio.user_id, CallLog)
    assert call.external_call_id == capital


@pytest.mark.parametrize(
    "original, name, swallowed",
    [
        (twilio_sms("SM-glued"), "MessageSid", "NumMedia"),
        (twilio_status("CA-glued", "completed", 5, duration=3), "SequenceNumber", "Timestamp"),
        (_forwarded_leg("CA-leg", "CA-parent", "no-answer", 2), "ParentCallSid", "SequenceNumber"),
    ],
    ids=["sms-id", "sequence-number", "parent-call"],
)
def test_a_captured_callback_with_a_field_glued_onto_another_is_refused_not_a_new_event(
    client, engine, twilio, original, name, swallowed
):
    # Still signed (the reference computes the same signature), but its event id came from
    # the longer value: a second SMS, or a phantom call for a made-up parent.
    forged = _swallowing(original, name, swallowed)
    url = _public(twilio.path)
    assert twilio_signature(twilio.secret, url, forged) == twilio_signature(
        twilio.secret, url, original
    )
    assert _post(client, twilio, original).status_code == 200
    before = record_counts(engine, twilio.user_id)
    body, headers = twilio_request(twilio.secret, url, original)
    forged_body = urlencode(forged).encode()
    response = client.post(twilio.path, content=forged_body, headers=headers)
    assert response.status_code == 422
    assert record_counts(engine, twilio.user_id) == before
    refused = [row for row in audit_rows(engine, twilio.user_id) if row.status == "rejected"]
    expected = f"{name} is not a Twilio id" if name.endswith("Sid") else f"{name} is not a number"
    assert [row.reason.split(";")[0] for row in refused] == [expected]


# --- The URL Twilio signed: public base URL, path and query


def test_a_signature_over_a_url_with_query_string_and_repeated_parameters_verifies(
    client, engine, twilio
):
    fields = [*twilio_sms("SM4"), ("MediaTag", "b"), ("MediaTag", "a"), ("MediaTag", "")]
    query = urlencode([("src", "voice"), ("src", "sms"), ("x", "1 2")])
    path = f"{twilio.path}?{query}"
    # The reference: the twilio package's own compute_signature.
    signature = twilio_signature(twilio.secret, _public(path), fields)
    headers = {"content-type": FORM_TYPE, "x-twilio-signature": signature}
    response = client.post(path, content=urlencode(fields).encode(), headers=headers)
    assert response.status_code == 200, response.text
    [row] = audit_rows(engine, twilio.user_id)
    assert json.loads(row.payload)["MediaTag"] == ["b", "a", ""]


def test_a_signature_over_the_internal_url_does_not_verify(client, engine, twilio, monkeypatch):
    monkeypatch.setattr(get_settings(), "public_base_url", "https://crm.example.com")
    fields = twilio_status("CA5", "ringing", 1)
    internal = f"http://localhost:3000{twilio.path}"  # where the proxy forwarded it
    response = _post(client, twilio, fields, signed_url=internal)
    assert response.status_code == 403
    public = _post(client, twilio, fields, signed_url=f"https://crm.example.com{twilio.path}")
    assert public.status_code == 200


# --- Refused requests


def _assert_refused(engine, twilio, response, status_code, reason):
    assert response.status_code == status_code, response.text
    assert record_counts(engine, twilio.user_id) == NOTHING
    [row] = audit_rows(engine, twilio.user_id)
    assert (row.status, row.reason, row.payload) == ("rejected", reason, None)


def test_a_signature_made_with_another_auth_token_is_refused(client, engine, twilio):
    body, headers = twilio_request("f" * 32, _public(twilio.path), twilio_sms("SM5"))
    response = client.post(twilio.path, content=body, headers=headers)
    _assert_refused(engine, twilio, response, 403, "bad signature")


def test_a_request_signed_with_a_twilio_shared_key_is_refused_saying_so(client, engine, twilio):
    # Where a Webhook Rule of the account matches the URL, Twilio signs with the rule's
    # SharedKey: the auth token saved here is right, and "bad signature" alone misled.
    fields = twilio_sms("SM" + "7" * 32)
    url = _public(twilio.path)
    headers = {
        "content-type": FORM_TYPE,
        "x-twilio-signature": twilio_signature("a shared key", url, fields, "HMAC_SHA256"),
        "x-twilio-webhooks-signature-settings": "key=webhooks_sharedkey_01,algorithm=HMAC_SHA256",
    }
    response = client.post(twilio.path, content=urlencode(fields).encode(), headers=headers)
    _assert_refused(engine, twilio, response, 403, TWILIO_SHARED_KEY)


def test_a_request_signed_with_the_auth_token_under_sha256_settings_is_taken(
    client, engine, twilio
):
    fields = twilio_sms("SM" + "8" * 32)
    url = _public(twilio.path)
    headers = {
        "content-type": FORM_TYPE,
        "x-twilio-signature": twilio_signature(twilio.secret, url, fields, "HMAC_SHA256"),
        "x-twilio-webhooks-signature-settings": "algorithm=HMAC_SHA256",
    }
    response = client.post(twilio.path, content=urlencode(fields).encode(), headers=headers)
    assert response.status_code == 200, response.text
    [row] = audit_rows(engine, twilio.user_id)
    assert row.status == "accepted"


def test_one_flipped_byte_in_the_body_is_refused(client, engine, twilio):
    body, headers = twilio_request(twilio.secret, _public(twilio.path), twilio_sms("SM6"))
    flipped = body.replace(b"Hi+there", b"Hi+therf")
    response = client.post(twilio.path, content=flipped, headers=headers)
    _assert_refused(engine, twilio, response, 403, "bad signature")


def test_a_missing_signature_header_is_refused_with_401(client, engine, twilio):
    response = _post(client, twilio, twilio_sms("SM7"), headers={"content-type": FORM_TYPE})
    _assert_refused(engine, twilio, response, 401, "missing signature")


def test_an_unknown_token_gets_404(client, engine, twilio):
    body, headers = twilio_request(twilio.secret, _public(twilio.path), twilio_sms("SM8"))
    response = client.post("/api/webhooks/twilio/" + "A" * 43, content=body, headers=headers)
    assert response.status_code == 404
    assert audit_rows(engine, twilio.user_id) == []


def test_an_oversized_body_gets_413(client, engine, twilio):
    fields = [*twilio_sms("SM9"), ("Padding", "x" * (256 * 1024))]
    response = _post(client, twilio, fields)
    assert response.status_code == 413
    [row] = audit_rows(engine, twilio.user_id)
    assert (row.status, row.reason, row.payload) == ("rejected", "body too large", None)
    assert record_counts(engine, twilio.user_id) == NOTHING


def test_a_json_body_is_refused_with_415(client, engine, twilio):
    body = b'{"CallSid": "CA1"}'
    signature = twilio_signature(twilio.secret, _public(twilio.path), [])
    headers = {"content-type": "application/json", "x-twilio-signature": signature}
    response = client.post(twilio.path, content=body, headers=headers)
    _assert_refused(engine, twilio, response, 415, f"expected {FORM_TYPE}")


def test_a_callback_that_is_neither_a_call_nor_a_message_is_refused_with_422(
    client, engine, twilio
):
    response = _post(client, twilio, [("AccountSid", "AC1"), ("Foo", "bar")])
    reason = "missing field: CallSid or MessageSid; the body's fields: AccountSid, Foo"
    _assert_refused(engine, twilio, response, 422, reason)


def test_a_callback_twilio_sent_with_get_is_refused_and_says_what_to_change(client, engine, twilio):
    fields = twilio_status("CA7", "completed", 3)
    query = urlencode(fields)
    signature = twilio_signature(twilio.secret, _public(f"{twilio.path}?{query}"), [])
    response = client.get(f"{twilio.path}?{query}", headers={"x-twilio-signature": signature})
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    [row] = audit_rows(engine, twilio.user_id)
    assert (row.status, row.payload) == ("rejected", None)
    assert row.reason == (
        "sent with GET, not POST: in Twilio, set this webhook's method "
        "(or the status callback's) to HTTP POST"
    )
    assert record_counts(engine, twilio.user_id) == NOTHING
    # Opened in a browser (no Twilio signature): told what the URL is for, nothing audited.
    assert client.get(twilio.path).status_code == 405
    assert len(audit_rows(engine, twilio.user_id)) == 1
