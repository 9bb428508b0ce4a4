"""Which calls keep their page reloading: in progress, and not so long that a webhook was lost."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest

from crm_app.models import CallLog
from crm_app.models.base import utcnow
from crm_app.services.call_outcomes import LIVE_CALL_MAX_AGE
from crm_app.services.timeline import TimelineEntry
from crm_app.state.calls import call_row
from crm_app.state.timeline_rows import timeline_row


def _call(status: str, started_ago: timedelta | None, logged_ago: timedelta) -> CallLog:
    now = utcnow()
    started = None if started_ago is None else now - started_ago
    return CallLog(
        provider="vapi",
        external_call_id="c",
        status=status,
        started_at=started,
        created_at=now - logged_ago,
    )


@pytest.mark.parametrize(
    ("status", "started_ago", "logged_ago", "live"),
    [
        ("in-progress", timedelta(minutes=2), timedelta(minutes=2), True),
        ("ringing", None, timedelta(seconds=5), True),
        ("queued", None, timedelta(seconds=5), True),
        ("ended", timedelta(minutes=2), timedelta(minutes=2), False),
        ("completed", None, timedelta(seconds=5), False),
        ("no-answer", None, timedelta(seconds=5), False),
        # Its end never arrived: the page stops waiting.
        ("in-progress", LIVE_CALL_MAX_AGE + timedelta(minutes=1), timedelta(minutes=1), False),
        ("ringing", None, LIVE_CALL_MAX_AGE + timedelta(minutes=1), False),
    ],
)
def test_a_call_is_live_while_in_progress_and_not_forgotten(
    status, started_ago, logged_ago, live
) -> None:
    assert call_row(_call(status, started_ago, logged_ago)).live is live


def test_a_call_whose_end_never_came_says_so_rather_than_in_progress() -> None:
    lost = _call("in-progress", LIVE_CALL_MAX_AGE + timedelta(minutes=1), timedelta(minutes=1))
    assert call_row(lost).status == "no end reported"
    assert call_row(_call("in-progress", timedelta(minutes=2), timedelta(minutes=2))).status == (
        "in-progress"
    )


def test_a_leads_timeline_says_the_same_of_a_call_whose_end_never_came() -> None:
    long_ago = utcnow() - LIVE_CALL_MAX_AGE - timedelta(minutes=1)
    entry = TimelineEntry(
        kind="call",
        id=uuid.uuid4(),
        occurred_at=long_ago,
        label="vapi",
        status="in-progress",
        body="",
        number=None,
        direction="inbound",
    )
    assert timeline_row(entry).title == "Incoming call · not answered (no end reported) · –"
    recent = dataclasses.replace(entry, occurred_at=utcnow())
    assert timeline_row(recent).title == "Incoming call · in progress · –"
