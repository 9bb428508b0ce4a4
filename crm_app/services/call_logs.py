"""A user's call logs (Vapi and Twilio calls), newest first; always filtered by user_id in SQL."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from crm_app.models import CallLog
from crm_app.services.pagination import Page, paginate, search_filter


def list_call_logs(
    *,
    session: Session,
    user_id: uuid.UUID,
    search: str | None = None,
    provider: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[CallLog]:
    """One page of a user's calls, newest first, by caller name or number, provider and status."""
    statement = select(CallLog).where(CallLog.user_id == user_id)
    if provider:
        statement = statement.where(CallLog.provider == provider.strip().lower())
    if status:
        statement = statement.where(CallLog.status == status.strip().lower())
    numbers = [CallLog.customer_number, CallLog.from_number, CallLog.to_number]
    matches = search_filter(search, [CallLog.customer_name, CallLog.external_call_id], numbers)
    if matches is not None:
        statement = statement.where(matches)
    statement = statement.order_by(CallLog.created_at.desc(), CallLog.id.desc())
    return paginate(session, statement, offset=offset, limit=limit)


def get_call_log(*, session: Session, user_id: uuid.UUID, call_id: uuid.UUID) -> CallLog | None:
    """The user's call with this id, or None."""
    statement = select(CallLog).where(CallLog.user_id == user_id, CallLog.id == call_id)
    return session.exec(statement).first()
