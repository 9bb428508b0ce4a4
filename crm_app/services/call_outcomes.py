"""What became of a call: answered, not answered, or not over yet.

One definition for the dashboard's figures and the calls list's filter, so that
"50 answered" on the dashboard is 50 rows on /calls?outcome=answered.

A call is in progress only while it may still be: one whose last status is a
live one LIVE_CALL_MAX_AGE after it began lost its final webhook (Vapi does
not retry a report; a Twilio callback may never be sent). Nothing says it was
answered, so it counts as not answered, where before it was "in progress"
on the dashboard for ever.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

# A call counts as answered when it ended normally after some talking...
ANSWERED_STATUSES = ("ended", "completed")
# ...and not for one of the reasons Vapi gives for a call no one took, which still
# has a start and an end (the ringing, the voicemail greeting).
UNANSWERED_REASONS = (
    "customer-did-not-answer",
    "customer-busy",
    "voicemail",
    "customer-did-not-give-microphone-permission",
    "twilio-failed-to-connect-call",
    "vonage-failed-to-connect-call",
    "vonage-rejected",
)
# A call not over yet (the last status a provider sent, Vapi's or Twilio's): neither
# answered nor not answered. Twilio's "in-progress" means answered and still talking.
IN_PROGRESS_STATUSES = ("scheduled", "queued", "initiated", "ringing", "in-progress", "forwarding")
ANSWERED, NOT_ANSWERED, IN_PROGRESS = "answered", "not-answered", "in-progress"
OUTCOMES = (ANSWERED, NOT_ANSWERED, IN_PROGRESS)
# Longer than any call a small business makes; a call "live" for longer lost its end.
LIVE_CALL_MAX_AGE = timedelta(hours=3)
# The status such a call shows, and is filtered by, in place of the live one it last had.
NO_END_REPORTED = "no end reported"


def live_since(now: datetime) -> datetime:
    """The earliest start of a call that may still be in progress at `now`."""
    return now - LIVE_CALL_MAX_AGE


def is_live(status: str, began: datetime, now: datetime) -> bool:
    """in_progress for one call in Python: its status, and when it began (or was logged)."""
    return status in IN_PROGRESS_STATUSES and began >= live_since(now)


def answered(calls: Any) -> sa.ColumnElement[bool]:
    """Calls (a table or a model) that were answered."""
    # Spelled out rather than IN (...), which SQLAlchemy expands per call.
    return sa.and_(
        sa.or_(*(calls.status == status for status in ANSWERED_STATUSES)),
        calls.duration_seconds > 0,
        sa.or_(
            calls.ended_reason.is_(None),
            sa.and_(*(calls.ended_reason != reason for reason in UNANSWERED_REASONS)),
        ),
    )


def in_progress(calls: Any, since: Any) -> sa.ColumnElement[bool]:
    """Calls not over yet: a live status, begun (or, with no start, logged) at `since` or later.

    `since` is live_since(now), as a value or a bound parameter.
    """
    return sa.and_(
        sa.or_(*(calls.status == status for status in IN_PROGRESS_STATUSES)),
        sa.func.coalesce(calls.started_at, calls.created_at) >= since,
    )


def shown_status(calls: Any, now: datetime) -> sa.ColumnElement[str]:
    """The status a call shows at `now`: its last one, or NO_END_REPORTED for a live
    status that outlived LIVE_CALL_MAX_AGE (the end never came)."""
    lost_end = sa.and_(
        sa.or_(*(calls.status == live for live in IN_PROGRESS_STATUSES)),
        sa.func.coalesce(calls.started_at, calls.created_at) < live_since(now),
    )
    return sa.case((lost_end, NO_END_REPORTED), else_=calls.status)


def status_is(status: str, calls: Any, now: datetime) -> sa.ColumnElement[bool]:
    """Calls showing this status at `now` (shown_status), as the list's rows show them."""
    return shown_status(calls, now) == status


def outcome_is(outcome: str, calls: Any, now: datetime) -> sa.ColumnElement[bool]:
    """Calls with this outcome (one of OUTCOMES) at `now`; ValueError for another."""
    if outcome == ANSWERED:
        return answered(calls)
    if outcome == IN_PROGRESS:
        return in_progress(calls, live_since(now))
    if outcome == NOT_ANSWERED:
        # NOT over a NULL duration is NULL: coalesce so a call without one counts.
        return sa.and_(
            sa.not_(sa.func.coalesce(answered(calls), False)),
            sa.not_(in_progress(calls, live_since(now))),
        )
    raise ValueError(f"not a call outcome: {outcome!r}")
