"""Timeline entries as lead and contact pages show them."""

from __future__ import annotations

import dataclasses

from crm_app.services.timeline import TimelineEntry
from crm_app.state import display
from crm_app.state.live_reload import shown_call_status

_TITLES = {
    "sms_in": ("message-square", "SMS received"),
    "sms_out": ("message-square", "SMS sent"),
    "status_change": ("arrow-right-left", "Status changed"),
    "note": ("notebook-pen", "Note"),
    "converted": ("user-check", "Converted to a contact"),
}


@dataclasses.dataclass
class TimelineRow:
    """One entry: an icon, a title line, the text, when, and where to read more."""

    kind: str = ""
    icon: str = ""
    title: str = ""
    body: str = ""
    occurred_at: str = ""
    href: str = ""


def timeline_row(entry: TimelineEntry, contact_id: str = "") -> TimelineRow:
    """The row for one entry; contact_id links a "converted" entry to its contact."""
    if entry.kind == "call":
        status = shown_call_status(entry.status, entry.occurred_at)
        parts = [f"Call ({entry.label})", status, display.duration(entry.number)]
        return TimelineRow(
            kind="call",
            icon="phone",
            title=" · ".join(part for part in parts if part),
            body=entry.body,
            occurred_at=display.iso(entry.occurred_at),
            href=f"/calls/{entry.id}",
        )
    if entry.kind == "automation":
        seconds = f"{entry.number / 1000:.1f} s" if entry.number is not None else ""
        parts = [f"Automation: {entry.label or 'scenario'}", entry.status, seconds]
        return TimelineRow(
            kind="automation",
            icon="workflow",
            title=" · ".join(part for part in parts if part),
            body=entry.body,
            occurred_at=display.iso(entry.occurred_at),
            href="/automations",
        )
    icon, title = _TITLES.get(entry.kind, ("circle", entry.kind.replace("_", " ").capitalize()))
    return TimelineRow(
        kind=entry.kind,
        icon=icon,
        title=title,
        body=entry.body,
        occurred_at=display.iso(entry.occurred_at),
        href=f"/contacts/{contact_id}" if entry.kind == "converted" and contact_id else "",
    )
