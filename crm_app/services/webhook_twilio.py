"""Twilio callbacks applied to the CRM: voice call status, and inbound SMS on a timeline.

Twilio does not promise to deliver status callbacks in order, so a call log
keeps the status of the highest `SequenceNumber` seen, whatever arrived last;
details that only some callbacks carry (duration, recording) are kept from
whichever brings them. A call is linked to the contact or lead with the
customer's number, a new lead with source "voice" if there is none, as a Vapi
call is. A leg Twilio dials from a call (a `<Dial>` forwarding it to someone's
mobile) is part of that call, not a call of its own, or the forwarding number
would be logged as a second caller; its final status is recorded as the call's
ended reason (_forwarded_leg), the only word on whether anyone picked up. An
inbound SMS becomes an "sms_in" activity on the contact or lead
with the sender's number (a new lead with source "sms" if there is none).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from crm_app.models import Activity
from crm_app.models.base import utcnow
from crm_app.services.call_outcomes import FORWARD_NOT_ANSWERED
from crm_app.services.errors import InvalidInput
from crm_app.services.webhook_fields import (
    MAX_CALL_SECONDS,
    bounded_int,
    http_url,
    phone_number,
    short_number,
    text,
    timestamp,
)
from crm_app.services.webhook_parse import TWILIO_CALL_STATUS, TWILIO_SMS_RECEIVED
from crm_app.services.webhook_records import (
    call_through_carrier,
    claim_call_log,
    link_call_to_person,
    person_for_number,
)
from crm_app.services.webhook_types import IncomingEvent

PROVIDER = "twilio"
# A call's statuses in the order it goes through them; the final ones share the last
# place. Used when callbacks carry no SequenceNumber (older or partial configurations).
_RANK = {"queued": 0, "initiated": 1, "ringing": 2, "in-progress": 3}
_FINAL_RANK = 4  # completed, busy, failed, no-answer, canceled
SMS_LEAD_SOURCE = "sms"
CALL_LEAD_SOURCE = "voice"  # as Vapi's calls name theirs
SMS_IN = "sms_in"
ANSWERED = ("in-progress", "answered")
# Twilio's Direction values for calls that came in to the user: with Elastic SIP
# Trunking, "originating" is from the PSTN into the user's own phone system and
# "terminating" from it out to the PSTN. outbound-api and outbound-dial went out.
INBOUND_DIRECTIONS = ("inbound", "trunking-originating")
FINISHED = ("completed", "busy", "failed", "no-answer", "canceled")
# A dialled leg's statuses once someone picked up (in-progress with the "answered" event,
# completed at the end); its others before it ends (initiated, ringing) say nothing yet.
LEG_ANSWERED = ("in-progress", "answered", "completed")
FORWARD_ANSWERED = "forward-answered"
MAX_SMS_BODY = 10_000
# What caller ID lookups return when they have no name: a lead called "WIRELESS
# CALLER" would head every call from the number; the number says more.
PLACEHOLDER_CALLER_NAMES = frozenset(
    {
        "ANONYMOUS",
        "BLOCKED",
        "CELL PHONE",
        "NO CALLER ID",
        "NOT AVAILABLE",
        "OUT OF AREA",
        "PRIVATE",
        "PRIVATE CALLER",
        "PRIVATE NUMBER",
        "RESTRICTED",
        "TOLL FREE CALL",
        "UNAVAILABLE",
        "UNKNOWN",
        "UNKNOWN CALLER",
        "UNKNOWN NAME",
        "WIRELESS CALLER",
    }
)


# The 50 states, DC and the territories, then Canada's provinces and territories.
_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|"
    "NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|VI|GU|"
    "AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT"
)
# Caller ID for a mobile without a subscriber's name: the city, padded to put the state
# or province at the end of CNAM's 15 characters ("AUSTIN       TX"). A name is shorter
# or has one space between its words ("LEE   AL", "KIM AL" are kept).
_CITY_AND_STATE = re.compile(rf"(?=.{{15}}$)[A-Za-z][A-Za-z .'-]*? {{2,}}(?:{_STATES})")


def apply_twilio_event(
    *, session: Session, user_id: uuid.UUID, event: IncomingEvent
) -> dict[str, Any]:
    """Apply one Twilio callback for the user; returns what it created or changed."""
    fields = event.payload

    def first(name: str) -> Any:
        value = fields.get(name)
        return value[0] if isinstance(value, list) else value

    if event.event_type == TWILIO_CALL_STATUS:
        return _call_status(session, user_id, first)
    if event.event_type == TWILIO_SMS_RECEIVED:
        return _inbound_sms(session, user_id, first, event.received_at or utcnow())
    return {"ignored": True}


def _call_status(session: Session, user_id: uuid.UUID, first: Any) -> dict[str, Any]:
    call_sid = text(first("CallSid"), 100)
    if not call_sid:
        raise InvalidInput({"CallSid": "missing"})
    parent_sid = text(first("ParentCallSid"), 100)
    status = text(first("CallStatus"), 30)
    if parent_sid:
        return _forwarded_leg(
            session=session, user_id=user_id, parent_sid=parent_sid, status=status
        )
    sequence = bounded_int(first("SequenceNumber"))
    inbound = text(first("Direction"), 30) in INBOUND_DIRECTIONS or not first("Direction")
    # A Vapi assistant answered this call on the user's number: Vapi's messages log it, and
    # logging it again from Twilio's callbacks would count one call twice.
    vapis = call_through_carrier(
        session=session, user_id=user_id, carrier=PROVIDER, carrier_call_id=call_sid
    )
    if vapis is not None:
        return {"call_log_id": str(vapis.id), "created": [], "logged_by": vapis.provider}
    log, created = claim_call_log(
        session=session, user_id=user_id, provider=PROVIDER, external_call_id=call_sid
    )
    # New, or made by its forwarded leg's callback, which came first and knew none of this.
    if created or not (log.from_number or log.to_number):
        log.direction = "inbound" if inbound else "outbound"
        log.from_number, log.to_number = short_number(first("From")), short_number(first("To"))
        log.customer_number = phone_number(first("From") if inbound else first("To"))
        log.customer_name = _caller_name(first("CallerName")) if inbound else ""
    latest = log.last_sequence_number
    if (
        created
        or (sequence is not None and (latest is None or sequence > latest))
        or (sequence is None and latest is None and _rank(status) >= _rank(log.status))
    ):
        log.status = status
        if sequence is not None:
            log.last_sequence_number = sequence
    _keep_details(log, first, status)
    new_lead = link_call_to_person(
        session=session, user_id=user_id, call=log, source=CALL_LEAD_SOURCE
    )
    log.updated_at = utcnow()
    session.add(log)
    session.flush()
    result: dict[str, Any] = {"call_log_id": str(log.id), "status": log.status}
    result["created"] = (["call_log"] if created else []) + (["lead"] if new_lead else [])
    # The person it was linked to, for the audit trail's links (as a Vapi report names them).
    if log.lead_id:
        result["lead_id"] = str(log.lead_id)
    if log.contact_id:
        result["contact_id"] = str(log.contact_id)
    return result


def _forwarded_leg(
    *, session: Session, user_id: uuid.UUID, parent_sid: str, status: str
) -> dict[str, Any]:
    """A callback of a leg dialled from the user's call: its final status, as the call's
    ended reason; the leg is no call of its own (its "To" is whoever the call was put
    through to, not the customer).

    The call itself cannot say whether anyone picked up: Twilio answered it to
    run the <Dial>, so it "completes" after the ringing, with that length. A
    leg that ended unanswered (no-answer, busy, failed, canceled) makes it not
    answered (call_outcomes.FORWARD_NOT_ANSWERED). Once any leg was answered,
    no other leg does: the numbers of a <Dial> ringing together are canceled
    when one picks up, and a first forward may ring out before a second is
    answered. The call's own status and sequence numbers are not touched, and
    a leg's repeat sets the same reason, so the callbacks of the call and its
    legs may come in any order: a leg first makes the call's row, which the
    call's own callbacks then complete.
    """
    ignored = {
        "ignored": True,
        "reason": f"a leg dialled from call {parent_sid}, which is logged as the call",
        "created": [],
    }
    if status in LEG_ANSWERED:
        reason = FORWARD_ANSWERED
    elif f"forward-{status}" in FORWARD_NOT_ANSWERED:
        reason = f"forward-{status}"
    else:
        return ignored  # not over yet
    # A Vapi assistant's call: Vapi's report says how it ended, a transfer included.
    if call_through_carrier(
        session=session, user_id=user_id, carrier=PROVIDER, carrier_call_id=parent_sid
    ):
        return ignored
    log, created = claim_call_log(
        session=session, user_id=user_id, provider=PROVIDER, external_call_id=parent_sid
    )
    if log.ended_reason != FORWARD_ANSWERED:
        log.ended_reason = reason
        log.updated_at = utcnow()
        session.add(log)
        session.flush()
    result: dict[str, Any] = {"call_log_id": str(log.id), "ended_reason": log.ended_reason}
    result["created"] = ["call_log"] if created else []
    if log.lead_id:
        result["lead_id"] = str(log.lead_id)
    if log.contact_id:
        result["contact_id"] = str(log.contact_id)
    return result


def _caller_name(value: Any) -> str:
    """Caller ID's name with its padding closed up, unless it is one of the carriers'
    stand-ins for "no name": a placeholder, or where the number is from."""
    padded = text(value, 200)
    name = " ".join(padded.split())
    if name.upper() in PLACEHOLDER_CALLER_NAMES or _CITY_AND_STATE.fullmatch(padded.strip()):
        return ""
    return name


def _rank(status: str) -> int:
    """How far along a call with this status is; a call never goes back."""
    return _RANK.get(status, _FINAL_RANK)


def _keep_details(log: Any, first: Any, status: str) -> None:
    """Duration, recording and times, from whichever callback carries them."""
    duration = bounded_int(first("CallDuration"), high=MAX_CALL_SECONDS)
    if duration is not None:
        log.duration_seconds = duration
    recording = http_url(first("RecordingUrl"))
    if recording:
        log.recording_url = recording
    moment = timestamp(first("Timestamp"))
    if moment is not None and status in ANSWERED and log.started_at is None:
        log.started_at = moment
    if moment is not None and status in FINISHED and log.ended_at is None:
        log.ended_at = moment
    if log.ended_at and log.duration_seconds and log.started_at is None:
        log.started_at = log.ended_at - timedelta(seconds=log.duration_seconds)


def _inbound_sms(
    session: Session, user_id: uuid.UUID, first: Any, received_at: datetime
) -> dict[str, Any]:
    """The message on its sender's timeline, dated when it arrived (Twilio sends no time)."""
    sender = phone_number(first("From"))
    if sender is None:
        # A short code or a name ("PLUMBCO"): a service's message, no one to be a lead. Kept
        # as an accepted event that says so (its text stays on the audit trail), not as a
        # failure no Replay could ever fix.
        return {"ignored": True, "reason": "the sender is not a phone number", "created": []}
    person, created = person_for_number(
        session=session, user_id=user_id, phone=sender, name="", source=SMS_LEAD_SOURCE
    )
    body = text(first("Body"), MAX_SMS_BODY)
    media = bounded_int(first("NumMedia"), 0, 100) or 0
    if media:
        body = f"{body}\n[{media} media attachment{'s' if media > 1 else ''}]".strip()
    activity = Activity(
        user_id=user_id,
        kind=SMS_IN,
        body=body,
        external_id=text(first("MessageSid") or first("SmsSid"), 100) or None,
        occurred_at=received_at,
        **person.links,
    )
    session.add(activity)
    session.flush()
    result: dict[str, Any] = {"activity_id": str(activity.id)}
    result.update({key: str(value) for key, value in person.links.items()})
    result["created"] = ["activity", "lead"] if created else ["activity"]
    return result
