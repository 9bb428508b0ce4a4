"""The webhook audit trail as it is written: every request leaves one row, every event applies once.

Rows, by status:
- accepted: the event, unique per (user, provider, event id), stored with its
  redacted payload and what it created; written in the same unit of work as
  the records it produced, so one cannot exist without the other.
- duplicate: a redelivery of an accepted event; nothing else changes. It keeps
  no payload and no event id of its own (the unique constraint belongs to the
  original); its reason names the original's id.
- rejected: refused before parsing or applying; size and SHA-256 only.
- failed: a verified event whose records could not be written; it keeps the
  redacted payload and its event id, so a redelivery or a Replay applies it again.

Rejected and duplicate requests change nothing, and anyone holding a leaked
URL (or a captured Twilio request, whose signature never expires) can send
them as fast as the server answers. Once a provider has NOISE_ROWS_PER_WINDOW
of them in NOISE_WINDOW, a request repeating one of those rows (same status,
same reason) is counted on the newest such row instead of adding its own:
every request is still accounted for, and the trail keeps its other rows in view.

The insert of the accepted row comes first and uses ON CONFLICT DO NOTHING:
of two deliveries racing with one id, exactly one inserts and applies.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from crm_app.core.db import is_database_unavailable
from crm_app.core.prebuilt import run_prebuilt
from crm_app.models import AutomationLog, CallLog, Contact, Lead, WebhookEvent
from crm_app.models.base import utcnow
from crm_app.models.webhook import NOISE_STATUSES
from crm_app.services.errors import InvalidInput, RecordClash
from crm_app.services.vault import get_api_keys
from crm_app.services.webhook_make import apply_make_event
from crm_app.services.webhook_payloads import dump_payload
from crm_app.services.webhook_records import insert_ignoring_conflict
from crm_app.services.webhook_twilio import apply_twilio_event
from crm_app.services.webhook_types import (
    ACCEPTED,
    DUPLICATE,
    FAILED,
    PROVIDERS,
    REJECTED,
    IncomingEvent,
    IngestOutcome,
    WebhookCredentials,
    WebhookRejected,
)
from crm_app.services.webhook_vapi import apply_vapi_event

logger = logging.getLogger(__name__)
MAX_REASON = 500  # webhook_events.reason
# A tool-calls answer (at most 20 results of 1,000 characters, JSON-escaped) fits whole: a
# redelivery is answered from it. Anything longer is cut, as a safety net.
MAX_RESULT = 64 * 1024
# Rows of rejected or duplicate requests a provider may add in a window before repeats are
# counted: enough to read a misconfiguration from, too few to bury anything.
NOISE_ROWS_PER_WINDOW = 20
NOISE_WINDOW = timedelta(minutes=10)
# How a failed event's reason begins: it says, to the sender and on the audit trail, whether
# the event's own data was refused, and so whether replaying it can help (replay_can_help).
NOT_APPLIED = "could not apply: "
CLASHED = "clashes with a record: "
INTERNAL_ERROR = "internal error"
REPLAY_FAILED = "replay failed: "
# A delivery that failed while another delivery of the same event was applied.
APPLIED_BY_ANOTHER = "duplicate of an event another delivery applied: "
NOT_REPLAYED_TWICE = "another delivery of this event was applied: a replay would apply it twice"
# How a clash read before these prefixes (RecordClash's messages): stored as "could not
# apply: ..." or, after a replay, with no prefix at all. Rows kept from then keep Replay.
_OLD_CLASH = " already has this "
_TABLE = WebhookEvent.__table__  # type: ignore[attr-defined]
_UNIQUE = ["user_id", "provider", "event_id"]
# The columns to set come with the parameters (status, result, reason, processed_at).
_FINISH = sa.update(_TABLE).where(
    _TABLE.c.user_id == sa.bindparam("row_user_id", type_=sa.Uuid),
    _TABLE.c.id == sa.bindparam("row_id", type_=sa.Uuid),
)
APPLIERS: dict[str, Callable[..., dict[str, Any]]] = {
    "vapi": apply_vapi_event,
    "twilio": apply_twilio_event,
    "make": apply_make_event,
}
# The vault services holding each provider's secrets: (primary, HMAC).
CREDENTIAL_SERVICES = {
    "vapi": ("vapi", "vapi_hmac"),
    "twilio": ("twilio", None),
    "make": ("make", None),
}


@dataclass(frozen=True)
class ReplayOutcome:
    """What a replay did: applied (the row is now accepted) or not, and why."""

    applied: bool
    reason: str
    result: dict[str, Any]


def load_webhook_credentials(
    *, session: Session, user_id: uuid.UUID, provider: str
) -> WebhookCredentials:
    """The user's stored secrets for a provider's webhooks (None where none is stored, or
    where one cannot be opened: named in `unreadable`)."""
    primary, second = CREDENTIAL_SERVICES[provider]
    services = [primary, second] if second else [primary]
    unreadable: list[str] = []
    found = get_api_keys(session=session, user_id=user_id, services=services, unreadable=unreadable)
    return WebhookCredentials(
        primary=found[primary],
        hmac=found[second] if second else None,
        unreadable=tuple(unreadable),
    )


def _reason(text: str) -> str:
    return text[:MAX_REASON]


def _result_text(result: dict[str, Any]) -> str:
    """The result as stored: JSON of at most MAX_RESULT characters (longer: cut, marked so)."""
    encoded = json.dumps(result, ensure_ascii=False, separators=(",", ":"), default=str)
    if len(encoded) <= MAX_RESULT:
        return encoded
    short = {key: value for key, value in result.items() if key != "results"}
    return json.dumps({**short, "truncated": True}, default=str)[:MAX_RESULT]


def _row(user_id: uuid.UUID, **values: Any) -> dict[str, Any]:
    """Every column of a new webhook_events row (a Core insert applies no model defaults)."""
    row = {
        "id": uuid.uuid4(),
        "user_id": user_id,
        "event_id": None,
        "event_type": "",
        "reason": "",
        "payload": None,
        "payload_size": 0,
        "payload_sha256": "",
        "result": "",
        "received_at": utcnow(),
        "processed_at": None,
        "repeats": 0,
        "last_repeated_at": None,
    }
    row.update(values)
    return row


def _counted_as_repeat(session: Session, values: dict[str, Any]) -> uuid.UUID | None:
    """Count a rejected or duplicate request on the row it repeats, if its provider is flooded.

    The id of the row that counted it, or None: then the request needs a row
    of its own. One statement, a write: on SQLite a transaction that begins by
    reading cannot wait for another writer.
    """
    table = _TABLE.c
    since = values["received_at"] - NOISE_WINDOW
    recent_noise = sa.and_(
        table.user_id == values["user_id"],
        table.provider == values["provider"],
        table.status.in_(NOISE_STATUSES),
        table.received_at >= since,
    )
    flooded = (
        sa.select(sa.func.count())
        .select_from(
            sa.select(sa.literal(1)).where(recent_noise).limit(NOISE_ROWS_PER_WINDOW).subquery()
        )
        .scalar_subquery()
    ) >= NOISE_ROWS_PER_WINDOW
    repeated = (
        sa.select(table.id)
        .where(recent_noise, table.status == values["status"], table.reason == values["reason"])
        .order_by(table.received_at.desc(), table.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        sa.update(_TABLE)
        .where(table.user_id == values["user_id"], table.id == repeated, flooded)
        .values(repeats=table.repeats + 1, last_repeated_at=values["received_at"])
        .returning(table.id)
    )
    return session.exec(statement).scalar()  # type: ignore[call-overload]


def _record_noise(session: Session, values: dict[str, Any]) -> uuid.UUID:
    """Store a rejected or duplicate request: a row, or a repeat counted on a recent one."""
    counted_on = _counted_as_repeat(session, values)
    if counted_on is not None:
        return counted_on
    session.exec(_TABLE.insert().values(**values))  # type: ignore[call-overload]
    return values["id"]


def record_rejected_webhook(
    *,
    session: Session,
    user_id: uuid.UUID,
    provider: str,
    reason: str,
    size: int,
    sha256: str,
    received_at: datetime,
) -> uuid.UUID:
    """Audit a refused request: why, how big, its hash; never its payload.

    The id of its row, or of the recent row with the same reason it was
    counted on (see the module's docstring).
    """
    values = _row(
        user_id,
        provider=provider,
        status=REJECTED,
        reason=_reason(reason),
        payload_size=size,
        payload_sha256=sha256,
        received_at=received_at,
        processed_at=utcnow(),
    )
    return _record_noise(session, values)


def _event_values(user_id: uuid.UUID, event: IncomingEvent, received_at: datetime) -> dict:
    return _row(
        user_id,
        provider=event.provider,
        event_id=event.event_id,
        event_type=event.event_type[:100],
        payload=dump_payload(event.payload),
        payload_size=event.size,
        payload_sha256=event.sha256,
        received_at=received_at,
    )


def _find(session: Session, user_id: uuid.UUID, provider: str, event_id: str) -> WebhookEvent:
    statement = (
        select(WebhookEvent)
        .where(
            WebhookEvent.user_id == user_id,
            WebhookEvent.provider == provider,
            WebhookEvent.event_id == event_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).one()


def _apply(session: Session, user_id: uuid.UUID, event: IncomingEvent) -> dict[str, Any]:
    return APPLIERS[event.provider](session=session, user_id=user_id, event=event)


def ingest_webhook_event(
    *, session: Session, user_id: uuid.UUID, event: IncomingEvent, received_at: datetime
) -> IngestOutcome:
    """Audit a verified event and apply it, in the caller's unit of work; a redelivery is a no-op.

    Errors from applying (InvalidInput and anything else) propagate: the caller
    rolls the unit of work back and records the failure with record_failed_webhook.
    """
    values = _event_values(user_id, event, received_at)
    values["status"] = ACCEPTED
    if insert_ignoring_conflict(session, _TABLE, values, _UNIQUE):
        result = _apply(session, user_id, event)
        _finish(session, user_id, values["id"], result, reason=_ignored_because(result))
        return IngestOutcome(ACCEPTED, values["id"], event.event_id, event.event_type, result)
    original = _find(session, user_id, event.provider, event.event_id)
    if original.status == FAILED:  # the provider retried an event that failed: try again
        result = _apply(session, user_id, event)
        # The retry's body may differ from the one that failed (a sender that fixed its
        # data kept the message id): the row keeps what was applied.
        applied = {
            name: values[name]
            for name in ("event_type", "payload", "payload_size", "payload_sha256")
        }
        _finish(session, user_id, original.id, result, reason="applied on redelivery", **applied)
        return IngestOutcome(ACCEPTED, original.id, event.event_id, event.event_type, result)
    if event.id_names_one_body and event.sha256 != original.payload_sha256:
        # Not a redelivery: another event under an id already used (answering "duplicate"
        # would drop it without a word).
        raise WebhookRejected(409, _reason(reused_id_reason(event.event_id)))
    duplicate = _row(
        user_id,
        provider=event.provider,
        event_type=event.event_type[:100],
        status=DUPLICATE,
        reason=_reason(f"duplicate of {event.event_id}"),
        payload_size=event.size,
        payload_sha256=event.sha256,
        received_at=received_at,
        processed_at=utcnow(),
    )
    row_id = _record_noise(session, duplicate)
    previous = _stored_result(original.result)
    return IngestOutcome(DUPLICATE, row_id, event.event_id, event.event_type, previous)


def reused_id_reason(event_id: str) -> str:
    """Why a second body under one sender-chosen id is refused, and what to change."""
    return (
        f"webhook-id {event_id} was already used by a different event; nothing was applied. "
        "Give each event its own id (in Make, for example {{executionId}} and the module's name)"
    )


def _stored_result(text: str) -> dict[str, Any]:
    try:
        result = json.loads(text) if text else {}
    except ValueError:
        return {}
    return result if isinstance(result, dict) else {}


def _ignored_because(result: dict[str, Any]) -> str:
    """Why an accepted event changed nothing, for the audit trail's list ("" if it did)."""
    if result.get("ignored") and result.get("reason"):
        return _reason(f"ignored: {result['reason']}")
    return ""


def _finish(
    session: Session,
    user_id: uuid.UUID,
    row_id: uuid.UUID,
    result: dict[str, Any],
    reason: str,
    **columns: Any,
) -> None:
    """The row accepted, with the result and reason (and any other columns given)."""
    values = {"status": ACCEPTED, "result": _result_text(result), "reason": reason, **columns}
    run_prebuilt(
        session,
        _FINISH,
        {**values, "processed_at": utcnow(), "row_user_id": user_id, "row_id": row_id},
    )


def record_failed_webhook(
    *,
    session: Session,
    user_id: uuid.UUID,
    event: IncomingEvent,
    reason: str,
    received_at: datetime,
) -> uuid.UUID:
    """Audit a verified event that could not be applied, with its payload, for a later replay."""
    values = _event_values(user_id, event, received_at)
    values.update(status=FAILED, reason=_reason(reason), processed_at=utcnow())
    if insert_ignoring_conflict(session, _TABLE, values, _UNIQUE):
        return values["id"]
    original = _find(session, user_id, event.provider, event.event_id)
    if original.status == FAILED:  # a redelivery failed again: the newest body and reason win
        original.reason, original.processed_at = values["reason"], values["processed_at"]
        original.event_type, original.payload = values["event_type"], values["payload"]
        original.payload_size, original.payload_sha256 = (
            values["payload_size"],
            values["payload_sha256"],
        )
        session.add(original)
        session.flush()
        return original.id
    # Accepted meanwhile by a concurrent delivery: this attempt is kept, as a duplicate of that
    # one (its failure named), without the id and without the payload, so that no Replay is
    # offered: it would apply the event a second time.
    values.update(id=uuid.uuid4(), event_id=None, status=DUPLICATE, payload=None)
    values["reason"] = _reason(f"{APPLIED_BY_ANOTHER}{event.event_id}; this one failed: {reason}")
    session.exec(_TABLE.insert().values(**values))  # type: ignore[call-overload]
    return values["id"]


def failure_reason(error: Exception) -> str:
    """Why a verified event could not be applied, for its audit row and its answer.

    An internal error is named by its type only: the details go to the log.
    """
    if isinstance(error, RecordClash):
        return f"{CLASHED}{error}"
    if isinstance(error, InvalidInput):
        return f"{NOT_APPLIED}{error}"
    return f"{INTERNAL_ERROR} ({type(error).__name__})"


def replay_can_help(reason: str) -> bool:
    """Whether applying a failed event again may succeed, by its reason (failure_reason).

    After a clash with a record the user can edit or delete, or after an
    internal error (a fault since fixed, a passing one): yes. When the event's
    own data was refused, it would be refused again the same way: only the
    sender, sending it again corrected, can help.
    """
    why = reason.removeprefix(REPLAY_FAILED)
    return why.startswith((CLASHED, INTERNAL_ERROR)) or _OLD_CLASH in why


def replay_webhook_event(
    *, session: Session, user_id: uuid.UUID, event_id: uuid.UUID
) -> ReplayOutcome | None:
    """Apply the stored (redacted) payload of the user's failed event again; None if not theirs.

    Applying is idempotent: the records are keyed by the provider's ids. When
    it fails again, nothing it began is kept (a savepoint) and the row keeps
    status failed with the new reason.
    """
    row = session.exec(
        select(WebhookEvent)
        .where(WebhookEvent.user_id == user_id, WebhookEvent.id == event_id)
        .with_for_update()
    ).first()
    if row is None:
        return None
    if row.status != FAILED or row.payload is None or row.provider not in PROVIDERS:
        return ReplayOutcome(False, "only failed events can be replayed", {})
    if row.event_id is None:  # kept by an older version beside the copy that was applied
        return ReplayOutcome(False, NOT_REPLAYED_TWICE, {})
    event = IncomingEvent(
        provider=row.provider,
        event_id=row.event_id or "",
        event_type=row.event_type,
        payload=json.loads(row.payload),
        size=row.payload_size,
        sha256=row.payload_sha256,
        received_at=row.received_at,
    )
    try:
        with session.begin_nested():
            result = _apply(session, user_id, event)
    except Exception as error:
        if not isinstance(error, InvalidInput):
            if is_database_unavailable(error):
                raise
            # A bug, as in the webhook pipeline: logged in full, named in the row.
            logger.exception("replaying a %s %s event failed", row.provider, row.event_type)
        why = failure_reason(error)
        row.reason, row.processed_at = _reason(f"{REPLAY_FAILED}{why}"), utcnow()
        session.add(row)
        session.flush()
        return ReplayOutcome(False, row.reason, {})
    _date_as_arrived(session, user_id, result, row.received_at)
    _finish(session, user_id, row.id, result, reason="replayed")
    return ReplayOutcome(True, "replayed", result)


# The records an event's result names as created ("created": ["call_log", "lead"]).
_CREATED_BY_KIND = {
    "call_log": CallLog,
    "lead": Lead,
    "contact": Contact,
    "automation_log": AutomationLog,
}


def _date_as_arrived(
    session: Session, user_id: uuid.UUID, result: dict[str, Any], arrived: datetime
) -> None:
    """Date what a replay created when its event arrived, as the delivery would have had it
    gone through: the dashboard and the lists' periods count calls, leads and runs by
    created_at, and a report replayed a week late was counted as today's."""
    for kind in result.get("created") or []:
        model = _CREATED_BY_KIND.get(kind)
        try:
            record_id = uuid.UUID(str(result.get(f"{kind}_id")))
        except ValueError:
            continue
        if model is not None:
            session.exec(
                sa.update(model)
                .where(model.user_id == user_id, model.id == record_id)
                .values(created_at=arrived)
            )
