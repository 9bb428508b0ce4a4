"""A user's automation runs (Make.com scenarios), newest first; filtered by user_id in SQL."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, func, select

from crm_app.core import search_fold
from crm_app.models import AutomationLog
from crm_app.services.pagination import Page, date_filters, paginate, search_text_filter


def list_automation_logs(
    *,
    session: Session,
    user_id: uuid.UUID,
    status: str | None = None,
    search: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[AutomationLog]:
    """One page of a user's automation runs, newest first, by status, scenario or error text."""
    statement = select(AutomationLog).where(AutomationLog.user_id == user_id)
    if status:
        statement = statement.where(AutomationLog.status == status.strip().lower())
    matches = search_text_filter(search, _folded_text())
    if matches is not None:
        statement = statement.where(matches)
    statement = statement.where(*date_filters(AutomationLog.created_at, created_from, created_to))
    statement = statement.order_by(AutomationLog.created_at.desc(), AutomationLog.id.desc())
    return paginate(session, statement, offset=offset, limit=limit)


def _folded_text() -> sa.ColumnElement[str]:
    """The run's searchable text, folded as the other lists' stored search columns are.

    Folded per search rather than stored: runs are searched far less often
    than leads or calls, and no index would serve either way (see pagination).
    """
    columns = [
        AutomationLog.scenario_name,
        AutomationLog.scenario_id,
        AutomationLog.execution_id,
        AutomationLog.error,
    ]
    joined = func.coalesce(columns[0], "")
    for column in columns[1:]:
        joined = joined + " " + func.coalesce(column, "")
    return getattr(func, search_fold.SQL_FUNCTION)(joined, type_=sa.Text)


def automation_error(*, session: Session, user_id: uuid.UUID, log_id: uuid.UUID) -> str | None:
    """The whole error text of the user's run ("" for none); None when no such run is theirs."""
    row = session.exec(
        select(AutomationLog.id, AutomationLog.error).where(
            AutomationLog.user_id == user_id, AutomationLog.id == log_id
        )
    ).first()
    return None if row is None else (row.error or "")
