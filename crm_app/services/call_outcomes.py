"""What became of a call: answered, not answered, or not over yet.

One definition for the dashboard's figures and the calls list's filter, so that
"50 answered" on the dashboard is 50 rows on /calls?outcome=answered.

A call is in progress only while it may still be: one whose last status is a
live one LIVE_CALL_MAX_AGE after it began lost its final webhook (Vapi does
not retry a report; a Twilio callback may never be sent). Nothing says it was
answered, so it counts as not answered, where before it was "in progress"
on the dashboard for ever.

A call on which Vapi's AI failed (an LLM, voice or transcriber error, a call
that could not start) has a length, often a long one, but the caller got no
conversation: it is not answered, on the owner's list of calls to return.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

# A call counts as answered when it ended normally after some talking...
ANSWERED_STATUSES = ("ended", "completed")
# Twilio: a call put through with <Dial> to another phone that no one picked up, by the
# dialled leg's final status (services/webhook_twilio.py records it as the call's reason).
FORWARD_NOT_ANSWERED = ("forward-no-answer", "forward-busy", "forward-failed", "forward-canceled")
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
    *FORWARD_NOT_ANSWERED,
)
# ...nor for one of Vapi's error endings: hundreds of codes, in a few families
# (docs.vapi.ai/calls/call-ended-reason), as LIKE patterns. A few patterns rather than
# the list: one LIKE per row costs the dashboard's scan next to nothing, and a code Vapi
# adds to a family is caught. Vapi's codes are lower case (SQLite's LIKE ignores case,
# Postgres's does not); no pattern has LIKE's other wildcard, "_".
VAPI_ERROR_PATTERNS = (
    # call.start.error-*, call.in-progress.error-* (vapifault, providerfault, ...),
    # call.ringing.error-*, pipeline-error-*, assistant-error, assistant-request-returned-error
    "%error%",
    "%-failed",  # assistant-request-failed: the owner's server gave no assistant
    "assistant-not-%",  # assistant-not-found, assistant-not-valid: no assistant to take it
    "pipeline-no-available-%",  # pipeline-no-available-llm-model: no AI to run it
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


def _like(pattern: str) -> re.Pattern[str]:
    """A LIKE pattern (only "%" as its wildcard) as the regular expression it is."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("%")), re.DOTALL)


_VAPI_ERRORS = tuple(_like(pattern) for pattern in VAPI_ERROR_PATTERNS)


def is_vapi_error(ended_reason: str | None) -> bool:
    """Whether a call's ended reason is one of Vapi's error endings (VAPI_ERROR_PATTERNS)."""
    return ended_reason is not None and any(error.fullmatch(ended_reason) for error in _VAPI_ERRORS)


def is_answered(status: str, duration_seconds: int | None, ended_reason: str | None) -> bool:
    """answered for one call in Python: its last status, length and ended reason."""
    return (
        status in ANSWERED_STATUSES
        and duration_seconds is not None
        and duration_seconds > 0
        and ended_reason not in UNANSWERED_REASONS
        and not is_vapi_error(ended_reason)
    )


def outcome_of(
    *,
    status: str,
    duration_seconds: int | None,
    ended_reason: str | None,
    began: datetime,
    now: datetime,
) -> str:
    """The outcome (one of OUTCOMES) of one call at `now`, as outcome_is would list it;
    `began` is when it started, or was logged when no start is known."""
    if is_answered(status, duration_seconds, ended_reason):
        return ANSWERED
    return IN_PROGRESS if is_live(status, began, now) else NOT_ANSWERED


def answered(calls: Any) -> sa.ColumnElement[bool]:
    """Calls (a table or a model) that were answered; is_answered says it of one call."""
    # Spelled out rather than IN (...), which SQLAlchemy expands per call.
    return sa.and_(
        sa.or_(*(calls.status == status for status in ANSWERED_STATUSES)),
        calls.duration_seconds > 0,
        sa.or_(
            calls.ended_reason.is_(None),
            sa.and_(
                *(calls.ended_reason != reason for reason in UNANSWERED_REASONS),
                *(sa.not_(calls.ended_reason.like(error)) for error in VAPI_ERROR_PATTERNS),
            ),
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
