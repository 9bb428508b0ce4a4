"""What became of a call: answered, not answered, or not over yet.

One definition for the dashboard's figures and the calls list's filter, so that
"50 answered" on the dashboard is 50 rows on /calls?outcome=answered.
"""

from __future__ import annotations

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


def in_progress(calls: Any) -> sa.ColumnElement[bool]:
    """Calls not over yet."""
    return sa.or_(*(calls.status == status for status in IN_PROGRESS_STATUSES))


def outcome_is(outcome: str, calls: Any) -> sa.ColumnElement[bool]:
    """Calls with this outcome (one of OUTCOMES); ValueError for another."""
    if outcome == ANSWERED:
        return answered(calls)
    if outcome == IN_PROGRESS:
        return in_progress(calls)
    if outcome == NOT_ANSWERED:
        # NOT over a NULL duration is NULL: coalesce so a call without one counts.
        return sa.and_(
            sa.not_(sa.func.coalesce(answered(calls), False)), sa.not_(in_progress(calls))
        )
    raise ValueError(f"not a call outcome: {outcome!r}")
