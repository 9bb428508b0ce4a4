"""A user's automation runs (Make.com scenarios), newest first; filtered by user_id in SQL."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from crm_app.models import AutomationLog
from crm_app.services.pagination import Page, paginate


def list_automation_logs(
    *,
    session: Session,
    user_id: uuid.UUID,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[AutomationLog]:
    """One page of a user's automation runs, newest first, optionally of one status."""
    statement = select(AutomationLog).where(AutomationLog.user_id == user_id)
    if status:
        statement = statement.where(AutomationLog.status == status.strip().lower())
    statement = statement.order_by(AutomationLog.created_at.desc(), AutomationLog.id.desc())
    return paginate(session, statement, offset=offset, limit=limit)
