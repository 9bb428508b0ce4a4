"""Vapi server messages applied to the CRM: call reports, status updates and tool calls.

- `end-of-call-report` fills the call log (duration = endedAt - startedAt:
  the message carries no duration) and links it to the contact or lead with
  the customer's number, creating a lead with source "voice" if there is none.
- `status-update` creates or moves the call log's status forward (never back:
  a late "in-progress" does not reopen an ended call).
- `tool-calls` answers the two built-in tools, `lookup_contact` and
  `create_lead` (definitions to paste into Vapi: docs/vapi-tools.md).
- Any other type is audited and ignored. Two of them wait for an answer that
  crm_app does not give (an assistant, a transfer's destination): their audit
  row says where in Vapi to set what they asked for.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from crm_app.core.prebuilt import run_prebuilt
from crm_app.models import CallLog
from crm_app.models.base import utcnow
from crm_app.services.errors import InvalidInput
from crm_app.services.record_locks import lock_contact_details
from crm_app.services.webhook_fields import (
    MAX_CALL_SECONDS,
    get_path,
    http_url,
    identifier,
    money,
    optional_text,
    phone_number,
    text,
    timestamp,
)
from crm_app.services.webhook_parse import (
    VAPI_END_OF_CALL,
    VAPI_STATUS_UPDATE,
    VAPI_TOOL_CALLS,
    vapi_customer,
)
from crm_app.services.webhook_records import (
    claim_call_log,
    insert_ignoring_conflict,
    join_carrier_call,
    link_call_to_person,
    name_lead_known_by_number,
)
from crm_app.services.webhook_twilio import FINISHED as TWILIO_FINISHED
from crm_app.services.webhook_types import IncomingEvent
from crm_app.services.webhook_vapi_tools import LEAD_SOURCE, answer_tool_calls

PROVIDER = "vapi"
# The carrier whose callbacks may log a Vapi phone call too.
TWILIO = "twilio"
# Vapi's call statuses in the order a call goes through them.
CALL_STATUSES = ("scheduled", "queued", "ringing", "in-progress", "forwarding", "ended")
_RANK = {status: rank for rank, status in enumerate(CALL_STATUSES)}
# A row Twilio's callbacks began carries Twilio's statuses until Vapi's report: its
# "initiated" is Vapi's "queued", and its final ones (completed, busy, no-answer...) end the
# call as "ended" does, so that a late "in-progress" never makes a finished call live again.
_RANK |= {"initiated": _RANK["queued"]} | dict.fromkeys(TWILIO_FINISHED, _RANK["ended"])
MAX_TRANSCRIPT = 200_000
MAX_SUMMARY = 20_000
_CALLS = CallLog.__table__  # type: ignore[attr-defined]
_CALL_KEY = ["user_id", "provider", "external_call_id"]
# The model's defaults for every other column, taken once from the model itself
# (not the generated ones, search_text: the database fills those).
_PER_CALL = ("id", "user_id", "provider", "external_call_id", "created_at", "updated_at")
_TEMPLATE = CallLog(provider=PROVIDER, external_call_id="")
_CALL_DEFAULTS = {
    column.key: getattr(_TEMPLATE, column.key)
    for column in _CALLS.columns
    if column.key not in _PER_CALL and column.computed is None
}
_LOCKED_CALL = (
    sa.select(_CALLS.c.id, _CALLS.c.lead_id, _CALLS.c.contact_id, _CALLS.c.unlinked_at)
    .where(
        _CALLS.c.user_id == sa.bindparam("user_id", type_=sa.Uuid),
        _CALLS.c.provider == PROVIDER,
        _CALLS.c.external_call_id == sa.bindparam("call_id"),
    )
    .with_for_update()
)
# What an end-of-call report says about a call: what it says overwrites, what it leaves out
# (None or "") is kept from the status updates.
_REPORT_COLUMNS = (
    "direction",
    "from_number",
    "to_number",
    "customer_number",
    "customer_name",
    "status",
    "started_at",
    "ended_at",
    "duration_seconds",
    "cost",
    "ended_reason",
    "summary",
    "success_evaluation",
    "transcript",
    "recording_url",
    "carrier_call_id",
)


# Vapi goes on with the call on its own settings when these get no answer.
UNANSWERED_REQUESTS = {
    "assistant-request": (
        "Vapi asked which assistant should take the call; crm_app chooses none, so give the "
        "phone number an assistant in Vapi"
    ),
    "transfer-destination-request": (
        "Vapi asked where to transfer the call; crm_app chooses none, so give the transfer "
        "tool its destinations in Vapi"
    ),
}


def apply_vapi_event(
    *, session: Session, user_id: uuid.UUID, event: IncomingEvent
) -> dict[str, Any]:
    """Apply one Vapi message for the user; returns what it created (and tool results)."""
    message = event.payload.get("message") or {}
    if event.event_type == VAPI_END_OF_CALL:
        return _end_of_call(session, user_id, message)
    if event.event_type == VAPI_STATUS_UPDATE:
        return _status_update(session, user_id, message, event.received_at or utcnow())
    if event.event_type == VAPI_TOOL_CALLS:
        return {"results": answer_tool_calls(session=session, user_id=user_id, message=message)}
    if event.event_type in UNANSWERED_REQUESTS:
        return {"ignored": True, "reason": UNANSWERED_REQUESTS[event.event_type]}
    return {"ignored": True}


def _call(session: Session, user_id: uuid.UUID, message: dict[str, Any]) -> tuple[CallLog, bool]:
    call_id = _call_id(message)
    carrier_call_id = _carrier_call_id(message)
    if carrier_call_id is not None:  # Twilio's callbacks may have logged this call too
        _join_carrier_call(session, user_id, call_id, carrier_call_id)
    # The number before the call's row, in the report's order (_end_of_call links the call
    # to its person, then writes the row): the other way round, a status update and the
    # report arriving together each held what the other waited for.
    number = phone_number(vapi_customer(message).get("number"))
    lock_contact_details(session=session, user_id=user_id, values=[number])
    log, created = claim_call_log(
        session=session, user_id=user_id, provider=PROVIDER, external_call_id=call_id
    )
    if created:
        _fill_parties(log, message)
    log.carrier_call_id = log.carrier_call_id or carrier_call_id
    return log, created


def _carrier_call_id(message: dict[str, Any]) -> str | None:
    """The id of the call at the carrier (Twilio's CallSid) for a call over a phone number."""
    return identifier(get_path(message, "call", "phoneCallProviderId"), 100)


def _join_carrier_call(
    session: Session, user_id: uuid.UUID, call_id: str, carrier_call_id: str
) -> None:
    """One row for this call, whichever of Vapi's messages and Twilio's callbacks came first."""
    join_carrier_call(
        session=session,
        user_id=user_id,
        carrier=TWILIO,
        carrier_call_id=carrier_call_id,
        provider=PROVIDER,
        external_call_id=call_id,
    )


def _fill_parties(log: Any, message: dict[str, Any]) -> None:
    """Direction and numbers from the call: the customer on one side, our number on the other."""
    call_type = text(get_path(message, "call", "type"), 50)
    log.direction = {"outboundPhoneCall": "outbound", "webCall": "web"}.get(call_type, "inbound")
    customer = phone_number(vapi_customer(message).get("number"))
    ours = get_path(message, "phoneNumber", "number")
    ours = phone_number(ours or get_path(message, "call", "phoneNumber", "number"))
    log.customer_number = customer
    log.customer_name = text(vapi_customer(message).get("name"), 200)
    if log.direction == "outbound":
        log.from_number, log.to_number = ours, customer
    else:
        log.from_number, log.to_number = customer, ours


def _success_evaluation(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return optional_text(value, 200)


def _end_of_call(session: Session, user_id: uuid.UUID, message: dict[str, Any]) -> dict[str, Any]:
    """The call log as the report says (it is the authority on the call), linked to a person.

    Written with Core statements, not the ORM: this is the webhook hot path
    (a new call costs a lock, a lookup and one INSERT; docs/performance.md).
    """
    call_id = _call_id(message)
    report = _new_call(user_id, call_id)
    _fill_parties(report, message)
    _fill_report(report, message)
    report.carrier_call_id = _carrier_call_id(message)
    if report.carrier_call_id:  # Twilio's callbacks may have logged this call too
        _join_carrier_call(session, user_id, call_id, report.carrier_call_id)
    existing = _locked_call(session, user_id, call_id)
    made = []
    # A call its status updates already linked keeps its person (or, deleted, no one).
    already_linked = bool(existing and (existing.lead_id or existing.contact_id))
    if not (already_linked or (existing and existing.unlinked_at)):
        new_lead = link_call_to_person(
            session=session, user_id=user_id, call=report, source=LEAD_SOURCE
        )
        made += ["lead"] if new_lead else []
    if existing is None:
        if insert_ignoring_conflict(session, _CALLS, vars(report), _CALL_KEY):
            return _made(report, ["call_log", *made])
        # A status update for this call was written meanwhile (it holds the key the
        # insert conflicted on): the report completes it.
        existing = _locked_call(session, user_id, call_id)
    knows_direction = bool(get_path(message, "call", "type"))
    updated = _update_call(session, user_id, existing, report, knows_direction)
    result = _made(updated, made)
    # The lead its first status update made before the caller was named (linking names
    # the lead it finds itself).
    if (
        already_linked
        and updated.lead_id
        and name_lead_known_by_number(
            session=session, user_id=user_id, lead_id=updated.lead_id, name=report.customer_name
        )
    ):
        result["renamed"] = ["lead"]
    return result


def _new_call(user_id: uuid.UUID, call_id: str) -> SimpleNamespace:
    """Every column of a new call log, as attributes (a model instance costs ~0.3 ms to fill)."""
    now = utcnow()
    return SimpleNamespace(
        **_CALL_DEFAULTS,
        id=uuid.uuid4(),
        user_id=user_id,
        provider=PROVIDER,
        external_call_id=call_id,
        created_at=now,
        updated_at=now,
    )


def _call_id(message: dict[str, Any]) -> str:
    call_id = text(get_path(message, "call", "id"), 100)
    if not call_id:  # the parser requires it; a replayed payload edited by hand might not
        raise InvalidInput({"message.call.id": "missing"})
    return call_id


def _fill_report(log: Any, message: dict[str, Any]) -> None:
    """Times, cost, outcome, summary, transcript and recording from an end-of-call report."""
    artifact = message.get("artifact") if isinstance(message.get("artifact"), dict) else {}
    analysis = message.get("analysis") if isinstance(message.get("analysis"), dict) else {}
    started = timestamp(message.get("startedAt") or get_path(message, "call", "startedAt"))
    ended = timestamp(message.get("endedAt") or get_path(message, "call", "endedAt"))
    log.status = "ended"
    log.started_at, log.ended_at = started, ended
    seconds = _seconds_between(started, ended)
    if seconds is not None:
        log.duration_seconds = seconds
    cost = message.get("cost") if "cost" in message else get_path(message, "call", "cost")
    log.cost = money(cost)
    log.ended_reason = optional_text(
        message.get("endedReason") or get_path(message, "call", "endedReason"), 100
    )
    log.summary = text(analysis.get("summary") or message.get("summary"), MAX_SUMMARY)
    log.success_evaluation = _success_evaluation(analysis.get("successEvaluation"))
    log.transcript = text(artifact.get("transcript") or message.get("transcript"), MAX_TRANSCRIPT)
    # recordingUrl is deprecated in Vapi's schema for artifact.recording; reports carry both.
    log.recording_url = http_url(
        artifact.get("recordingUrl")
        or get_path(artifact, "recording", "mono", "combinedUrl")
        or get_path(artifact, "recording", "stereoUrl")
        or message.get("recordingUrl")
    )


def _seconds_between(started: datetime | None, ended: datetime | None) -> int | None:
    """A call's length, to the nearest second, halves up (95.5 s is 96), as Vapi's own
    figure reads; None when either end is unknown or the span is not a call's."""
    if started is None or ended is None:
        return None
    seconds = math.floor((ended - started).total_seconds() + 0.5)
    return seconds if 0 <= seconds <= MAX_CALL_SECONDS else None


def _locked_call(session: Session, user_id: uuid.UUID, call_id: str) -> Any:
    """The user's Vapi call log with this id (id and links only), locked; None if there is none."""
    return run_prebuilt(session, _LOCKED_CALL, {"user_id": user_id, "call_id": call_id}).first()


def _update_call(
    session: Session, user_id: uuid.UUID, existing: Any, report: Any, knows_direction: bool
) -> Any:
    """Complete an existing call log with the report; its link is kept if it had one.

    What the report leaves out keeps the value a status update gave it. A
    report without the call's type has its direction guessed ("inbound"), and
    with it which number is the caller's: those are kept too.
    """
    values = {name: getattr(report, name) for name in _REPORT_COLUMNS}
    values = {name: value for name, value in values.items() if value is not None and value != ""}
    if not knows_direction:
        for name in ("direction", "from_number", "to_number"):
            values.pop(name, None)
    if not (existing.lead_id or existing.contact_id):
        values.update(lead_id=report.lead_id, contact_id=report.contact_id)
    statement = (
        sa.update(_CALLS)
        .where(_CALLS.c.user_id == user_id, _CALLS.c.id == existing.id)
        .values(**values, updated_at=utcnow())
        .returning(_CALLS.c.id, _CALLS.c.lead_id, _CALLS.c.contact_id)
    )
    return session.exec(statement).one()  # type: ignore[call-overload]


def _made(log: Any, made: list[str]) -> dict[str, Any]:
    """What a call message produced; `log` is a CallLog or a row with its id and links."""
    result: dict[str, Any] = {"call_log_id": str(log.id), "created": made}
    if log.lead_id:
        result["lead_id"] = str(log.lead_id)
    if log.contact_id:
        result["contact_id"] = str(log.contact_id)
    return result


def _status_update(
    session: Session, user_id: uuid.UUID, message: dict[str, Any], received_at: datetime
) -> dict[str, Any]:
    status = text(message.get("status"), 30)
    log, created = _call(session, user_id, message)
    if created or _RANK.get(status, -1) > _RANK.get(log.status, -1):
        log.status = status
    if status == "ended" and not log.ended_reason:
        log.ended_reason = optional_text(message.get("endedReason"), 100)
    if status == "in-progress" and log.started_at is None:  # how long it has run, while live
        log.started_at = timestamp(get_path(message, "call", "startedAt")) or received_at
    if status == "ended" and log.ended_at is None:
        # Timed from the update until its report comes (which times it again, as Vapi
        # counts): a report lost (Vapi sends it once) left a call that ran a minute
        # untimed, counted as not answered and listed among the calls to return.
        # Vapi's own start before the arrival time an in-progress update without one gave.
        log.started_at = timestamp(get_path(message, "call", "startedAt")) or log.started_at
        log.ended_at = timestamp(get_path(message, "call", "endedAt"))
        if log.duration_seconds is None:  # a carrier's callback may have timed it already
            log.duration_seconds = _seconds_between(log.started_at, log.ended_at)
    # A live call shows who it is before its report, as Twilio's do: the contact or
    # lead with its number, or a new lead (which the report then finds).
    new_lead = link_call_to_person(session=session, user_id=user_id, call=log, source=LEAD_SOURCE)
    log.updated_at = utcnow()
    session.add(log)
    session.flush()
    made = (["call_log"] if created else []) + (["lead"] if new_lead else [])
    return {**_made(log, made), "status": log.status}


# --- Tool calls, answered while the call is live
