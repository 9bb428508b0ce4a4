"""Timeline entries as lead and contact pages show them."""

from __future__ import annotations

import dataclasses

from crm_app.models.base import utcnow
from crm_app.services.call_outcomes import ANSWERED, IN_PROGRESS, outcome_of
from crm_app.services.timeline import CONVERTED, EDITED, NOTE, TimelineEntry, note_version
from crm_app.state import display
from crm_app.state.live_reload import shown_call_status

_TITLES = {
    "sms_in": ("message-square", "SMS received"),
    "sms_out": ("message-square", "SMS sent"),
    "status_change": ("arrow-right-left", "Status changed"),
    "note": ("notebook-pen", "Note"),
    "converted": ("user-check", "Converted to a contact"),
}
# A call by its direction (Vapi's web calls are neither in nor out).
_CALL_TITLES = {"inbound": "Incoming call", "outbound": "Outgoing call", "web": "Web call"}
# Last statuses that say nothing of why a call was not answered: it simply ended.
_ENDED_STATUSES = ("ended", "completed")


@dataclasses.dataclass
class TimelineRow:
    """One entry: an icon, a title line, the text, when, and where to read more."""

    kind: str = ""
    id: str = ""
    icon: str = ""
    title: str = ""
    body: str = ""
    occurred_at: str = ""
    href: str = ""
    # A note's: the version of its text shown, which an edit of it replaces.
    version: str = ""


def timeline_row(entry: TimelineEntry, shown_on: str = "lead") -> TimelineRow:
    """The row for one entry on a "lead" or a "contact" page (a conversion links to its
    other side: the contact from the lead's page, the lead from the contact's)."""
    if entry.kind == "call":
        parts = [
            _CALL_TITLES.get(entry.direction, "Call"),
            call_outcome(entry),
            display.duration(entry.number),
        ]
        return TimelineRow(
            kind="call",
            id=str(entry.id),
            icon="phone",
            title=" · ".join(parts),
            body=entry.body,
            occurred_at=display.iso(entry.occurred_at),
            href=f"/calls/{entry.id}",
        )
    if entry.kind == "automation":
        seconds = display.run_duration(entry.number) if entry.number is not None else ""
        parts = [f"Automation: {entry.label or 'scenario'}", entry.status, seconds]
        return TimelineRow(
            kind="automation",
            id=str(entry.id),
            icon="workflow",
            title=" · ".join(part for part in parts if part),
            body=entry.body,
            occurred_at=display.iso(entry.occurred_at),
            href=display.run_href(entry.execution_id),
        )
    icon, title = _TITLES.get(entry.kind, ("circle", entry.kind.replace("_", " ").capitalize()))
    return TimelineRow(
        kind=entry.kind,
        id=str(entry.id),
        icon=icon,
        title=f"{title} · edited" if entry.status == EDITED else title,
        body=entry.body,
        occurred_at=display.iso(entry.occurred_at),
        href=_other_side(entry, shown_on) if entry.kind == CONVERTED else "",
        version=note_version(entry.body) if entry.kind == NOTE else "",
    )


def _other_side(conversion: TimelineEntry, shown_on: str) -> str:
    """The page of the conversion's contact, or of its lead; "" once that one is deleted."""
    if shown_on == "lead":
        return f"/contacts/{conversion.contact_id}" if conversion.contact_id else ""
    return f"/leads/{conversion.lead_id}" if conversion.lead_id else ""


def call_outcome(entry: TimelineEntry) -> str:
    """ "answered", "not answered (no answer)", "in progress (ringing)": the outcome the calls
    list and the dashboard give the call, and why, when the outcome alone does not say."""
    outcome = outcome_of(
        status=entry.status,
        duration_seconds=entry.number,
        ended_reason=entry.ended_reason,
        began=entry.occurred_at,
        now=utcnow(),
    )
    if outcome == ANSWERED:
        return "answered"
    status = shown_call_status(entry.status, entry.occurred_at)
    if outcome == IN_PROGRESS:
        why = "" if status == "in-progress" else status
    elif entry.ended_reason:
        why = display.ended_reason(entry.ended_reason)
    else:  # Twilio's no-answer, busy, failed; "no end reported"
        why = "" if status in _ENDED_STATUSES else status.replace("-", " ")
    said = outcome.replace("-", " ")
    return f"{said} ({_in_a_sentence(why)})" if why else said


def _in_a_sentence(words: str) -> str:
    """Words as they read after others: "No answer" as "no answer", "AI error" as it is."""
    return words[:1].lower() + words[1:] if words[1:2].islower() else words
