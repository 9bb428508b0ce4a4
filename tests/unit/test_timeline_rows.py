"""How a call reads on a lead's or contact's timeline: its direction, outcome and length."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from crm_app.models.base import utcnow
from crm_app.services.call_outcomes import LIVE_CALL_MAX_AGE
from crm_app.services.timeline import TimelineEntry
from crm_app.state.timeline_rows import timeline_row


def _call(
    status: str,
    seconds: int | None,
    direction: str = "inbound",
    ended_reason: str = "",
    ago: timedelta = timedelta(minutes=5),
) -> TimelineEntry:
    return TimelineEntry(
        kind="call",
        id=uuid.uuid4(),
        occurred_at=utcnow() - ago,
        label="vapi",
        body="",
        status=status,
        number=seconds,
        direction=direction,
        ended_reason=ended_reason,
    )


@pytest.mark.parametrize(
    ("call", "title"),
    [
        # Nobody picked up, though Vapi's call "ended" after 30 s of ringing.
        (
            _call("ended", 30, "outbound", "customer-did-not-answer"),
            "Outgoing call · not answered (no answer) · 0:30",
        ),
        (
            _call("ended", 121, ended_reason="customer-ended-call"),
            "Incoming call · answered · 2:01",
        ),
        # Twilio's words for the same: "completed" is answered, "no-answer" is not.
        (_call("completed", 45), "Incoming call · answered · 0:45"),
        (_call("no-answer", None, "outbound"), "Outgoing call · not answered (no answer) · –"),
        (_call("busy", 0, "outbound"), "Outgoing call · not answered (busy) · 0:00"),
        (_call("ended", 0), "Incoming call · not answered · 0:00"),
        (
            _call("ended", 48, ended_reason="call.in-progress.error-vapifault-openai-llm-failed"),
            "Incoming call · not answered (AI error: call back) · 0:48",
        ),
        (
            _call("ended", 25, "web", "voicemail"),
            "Web call · not answered (went to voicemail) · 0:25",
        ),
        # Twilio put it through to the owner's mobile, which rang out.
        (
            _call("completed", 28, ended_reason="forward-no-answer"),
            "Incoming call · not answered (forwarded: no answer) · 0:28",
        ),
        (
            _call("completed", 75, ended_reason="forward-answered"),
            "Incoming call · answered · 1:15",
        ),
        (_call("ringing", None, "outbound"), "Outgoing call · in progress (ringing) · –"),
        (_call("in-progress", None), "Incoming call · in progress · –"),
        # Its end never came: no longer in progress, and not answered.
        (
            _call("in-progress", None, ago=LIVE_CALL_MAX_AGE + timedelta(minutes=1)),
            "Incoming call · not answered (no end reported) · –",
        ),
    ],
)
def test_a_call_says_which_way_it_went_and_whether_it_was_answered(call, title) -> None:
    row = timeline_row(call)
    assert (row.kind, row.title, row.href) == ("call", title, f"/calls/{call.id}")
