"""One call's outcome in Python (a timeline's row) and in SQL (the dashboard, the calls list)
agree, on both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from crm_app.core.db import tenant_session
from crm_app.models import CallLog
from crm_app.models.base import utcnow
from crm_app.services.call_outcomes import LIVE_CALL_MAX_AGE, OUTCOMES, outcome_is, outcome_of
from crm_app.services.timeline import list_timeline
from tests.factories import add_call_log, add_lead

LOST_END = LIVE_CALL_MAX_AGE + timedelta(minutes=1)

# (provider, status, seconds, ended reason, started this long ago, logged this long ago)
CALLS = [
    ("vapi", "ended", 60, None, None, None),
    ("vapi", "ended", 60, "", None, None),
    ("vapi", "ended", 60, "customer-ended-call", None, None),
    ("vapi", "ended", 25, "voicemail", None, None),
    ("vapi", "ended", 30, "customer-did-not-answer", None, None),
    ("vapi", "ended", 0, "customer-ended-call", None, None),
    ("vapi", "ended", None, None, None, None),
    ("vapi", "ended", 45, "call.in-progress.error-vapifault-openai-llm-failed", None, None),
    ("vapi", "ended", 30, "pipeline-error-openai-llm-failed", None, None),
    ("vapi", "ended", 20, "assistant-error", None, None),
    ("vapi", "ended", 5, "call.start.error-subscription-frozen", None, None),
    ("vapi", "ended", 40, "assistant-forwarded-call", None, None),
    ("twilio", "completed", 30, None, None, None),
    ("twilio", "completed", 0, None, None, None),
    # Put through with <Dial> to a phone: its leg's final status (services/webhook_twilio.py).
    ("twilio", "completed", 28, "forward-no-answer", None, None),
    ("twilio", "completed", 75, "forward-answered", None, None),
    ("twilio", "no-answer", None, None, None, None),
    ("twilio", "busy", 0, None, None, None),
    ("twilio", "failed", None, None, None, None),
    ("twilio", "canceled", None, None, None, None),
    ("vapi", "ringing", None, None, None, None),
    ("twilio", "in-progress", 12, None, timedelta(minutes=2), timedelta(minutes=1)),
    ("twilio", "queued", None, None, None, None),
    # A live status that outlived any call: its end never came.
    ("vapi", "in-progress", None, None, LOST_END, timedelta(minutes=1)),
    ("twilio", "ringing", None, None, None, LOST_END),
]


def test_a_timelines_call_has_the_outcome_the_calls_list_filters_it_by(engine, make_user) -> None:
    owner = make_user()
    now = utcnow()
    with tenant_session(owner.id, engine) as session:
        lead = add_lead(session, user_id=owner.id)
        for provider, status, seconds, reason, started_ago, logged_ago in CALLS:
            add_call_log(
                session,
                user_id=owner.id,
                lead_id=lead.id,
                provider=provider,
                status=status,
                duration_seconds=seconds,
                ended_reason=reason,
                started_at=now - started_ago if started_ago else None,
                created_at=now - (logged_ago or timedelta(minutes=10)),
            )
    with tenant_session(owner.id, engine) as session:
        in_sql = {
            call_id: outcome
            for outcome in OUTCOMES
            for call_id in session.exec(
                select(CallLog.id).where(
                    CallLog.user_id == owner.id, outcome_is(outcome, CallLog, now)
                )
            ).all()
        }
        entries = list_timeline(session=session, user_id=owner.id, lead_id=lead.id)
    in_python = {
        entry.id: outcome_of(
            status=entry.status,
            duration_seconds=entry.number,
            ended_reason=entry.ended_reason,
            began=entry.occurred_at,
            now=now,
        )
        for entry in entries
    }
    assert len(in_sql) == len(CALLS)
    assert in_python == in_sql
    # Every outcome is among the rows, so agreeing says something.
    assert set(in_sql.values()) == set(OUTCOMES)
