"""The dashboard's numbers for one user, from a few aggregate queries (no rows loaded)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, func, select

from crm_app.models import LEAD_STATUSES, AutomationLog, CallLog, Lead, LeadStatus
from crm_app.models.base import utcnow
from crm_app.services.errors import InvalidInput

# A call counts as answered when it ended normally after some talking.
ANSWERED_STATUSES = ("ended", "completed")
_COST_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class DashboardStats:
    """What the dashboard shows for one user; "in period" means period_start <= t <= period_end."""

    period_days: int | None  # None: all time
    period_start: datetime | None
    period_end: datetime
    total_leads: int
    new_leads: int
    new_leads_previous: int | None  # the period of the same length before; None for all time
    leads_by_status: dict[str, int]  # every status, zeros included
    leads_by_source: dict[str, int]
    conversion_rate: float | None  # won / (won + lost); None when no lead is closed
    calls: int
    answered_calls: int
    average_call_seconds: float | None  # over answered calls
    total_call_cost: Decimal
    automation_runs: int
    automation_success_rate: float | None
    is_empty: bool  # no leads, calls or automation runs at all


def _count_where(condition: sa.ColumnElement[bool] | None) -> Any:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END): a portable COUNT(*) FILTER (WHERE ...)."""
    if condition is None:
        return sa.literal(0)
    return func.coalesce(func.sum(sa.case((condition, 1), else_=0)), 0)


def _within(column: Any, start: datetime | None, end: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(column >= start, column <= end) if start is not None else column <= end


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def dashboard_stats(
    *,
    session: Session,
    user_id: uuid.UUID,
    period_days: int | None = 30,
    now: datetime | None = None,
) -> DashboardStats:
    """Lead, call and automation statistics for the user over the last period_days (UTC)."""
    end = now or utcnow()
    if end.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    if period_days is not None and period_days < 1:
        raise InvalidInput({"period_days": "at least 1 day"})
    start = end - timedelta(days=period_days) if period_days is not None else None
    previous = None
    if start is not None:
        previous = sa.and_(Lead.created_at >= start - (end - start), Lead.created_at < start)

    lead_rows = session.exec(
        select(
            Lead.status,
            Lead.source,
            func.count(),
            _count_where(_within(Lead.created_at, start, end)),
            _count_where(previous),
        )
        .where(Lead.user_id == user_id)
        .group_by(Lead.status, Lead.source)
    ).all()
    by_status = dict.fromkeys(LEAD_STATUSES, 0)
    by_source: dict[str, int] = {}
    new_leads = new_previous = 0
    for status, source, count, new, before in lead_rows:
        by_status[status] = by_status.get(status, 0) + count
        by_source[source] = by_source.get(source, 0) + count
        new_leads += int(new)
        new_previous += int(before)
    total_leads = sum(by_status.values())
    won, lost = by_status[LeadStatus.WON.value], by_status[LeadStatus.LOST.value]

    answered = sa.and_(CallLog.status.in_(ANSWERED_STATUSES), CallLog.duration_seconds > 0)
    calls, answered_calls, average_seconds, cost = session.exec(
        select(
            func.count(),
            _count_where(answered),
            func.avg(sa.case((answered, CallLog.duration_seconds))),
            func.coalesce(func.sum(CallLog.cost), 0),
        ).where(CallLog.user_id == user_id, _within(CallLog.created_at, start, end))
    ).one()

    runs, successful_runs = session.exec(
        select(func.count(), _count_where(AutomationLog.status == "success")).where(
            AutomationLog.user_id == user_id, _within(AutomationLog.created_at, start, end)
        )
    ).one()

    is_empty = not (total_leads or calls or runs)
    if is_empty:  # nothing in the period; is there anything at all?
        any_call = sa.exists().where(CallLog.user_id == user_id)
        any_run = sa.exists().where(AutomationLog.user_id == user_id)
        is_empty = not any(session.exec(select(any_call, any_run)).one())

    return DashboardStats(
        period_days=period_days,
        period_start=start,
        period_end=end,
        total_leads=total_leads,
        new_leads=new_leads,
        new_leads_previous=new_previous if start is not None else None,
        leads_by_status=by_status,
        leads_by_source=dict(sorted(by_source.items(), key=lambda item: (-item[1], item[0]))),
        conversion_rate=_ratio(won, won + lost),
        calls=int(calls),
        answered_calls=int(answered_calls),
        average_call_seconds=float(average_seconds) if average_seconds is not None else None,
        total_call_cost=Decimal(str(cost)).quantize(_COST_PLACES),
        automation_runs=int(runs),
        automation_success_rate=_ratio(int(successful_runs), int(runs)),
        is_empty=is_empty,
    )
