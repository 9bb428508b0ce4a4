"""The dashboard's numbers for one user, from a few aggregate queries (no rows loaded)."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, func, select

from crm_app.core.prebuilt import run_prebuilt, run_prebuilt_together
from crm_app.models import (
    LEAD_STATUSES,
    Activity,
    AutomationLog,
    CallLog,
    Contact,
    Lead,
    LeadStatus,
)
from crm_app.models.base import UTCDateTime, utcnow
from crm_app.services.calendar_days import first_day, local_midnight, period_start
from crm_app.services.call_outcomes import answered, in_progress, live_since
from crm_app.services.errors import InvalidInput
from crm_app.services.lead_sources import merge_spellings
from crm_app.services.timeline import newest_first

_COST_PLACES = Decimal("0.0001")
# The chart of calls per day covers the period, or this many days for "all time".
ALL_TIME_CHART_DAYS = 90
MAX_CHART_DAYS = 366  # a bound per day goes into the chart's query
MAX_LATEST = 50
SMS_KINDS = ("sms_in", "sms_out")


@dataclass(frozen=True)
class DashboardStats:
    """What the dashboard shows for one user; "in period" means period_start <= t <= period_end.

    A period of N days is N calendar days in the viewer's zone, today included:
    it starts at local midnight N - 1 days ago and ends now.
    """

    period_days: int | None  # None: all time
    period_start: datetime | None
    period_end: datetime
    total_leads: int
    new_leads: int
    new_leads_previous: int | None  # as long a time just before the period; None for all time
    leads_by_status: dict[str, int]  # every status, zeros included
    leads_by_source: dict[str, int]
    conversion_rate: float | None  # won / (won + lost); None when no lead is closed
    calls: int
    calls_previous: int | None  # as long a time just before the period; None for all time
    answered_calls: int
    calls_in_progress: int  # in the period and not over yet (neither answered nor not)
    average_call_seconds: float | None  # over answered calls
    # Of the calls whose cost is known; None when calls were made but none reported one
    # (Twilio's callbacks carry no price): "$0.00" would say they were free.
    total_call_cost: Decimal | None
    priced_calls: int  # the calls in the period whose cost is known (the total's)
    automation_runs: int
    automation_success_rate: float | None
    is_empty: bool  # no leads, calls or automation runs at all


def _count_where(condition: sa.ColumnElement[bool] | None) -> Any:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END): a portable COUNT(*) FILTER (WHERE ...)."""
    if condition is None:
        return sa.literal(0)
    return func.coalesce(func.sum(sa.case((condition, 1), else_=0)), 0)


def _within(column: Any, start: Any | None, end: Any) -> sa.ColumnElement[bool]:
    return sa.and_(column >= start, column <= end) if start is not None else column <= end


def _total_cost(calls: int, cost: Any) -> Decimal | None:
    if cost is None:
        return None if calls else Decimal(0).quantize(_COST_PLACES)  # no calls cost nothing
    return Decimal(str(cost)).quantize(_COST_PLACES)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# The statistics' queries are built once, with these parameters, and run
# together (core/prebuilt.py): for a small tenant, building and compiling
# them on every call cost more than running them.
_LEADS = Lead.__table__  # type: ignore[attr-defined]
_CALLS = CallLog.__table__  # type: ignore[attr-defined]
_RUNS = AutomationLog.__table__  # type: ignore[attr-defined]
_USER = sa.bindparam("user_id", type_=sa.Uuid)
_START = sa.bindparam("period_start", type_=UTCDateTime)
_END = sa.bindparam("period_end", type_=UTCDateTime)
_PREVIOUS_START = sa.bindparam("previous_start", type_=UTCDateTime)
# The earliest start of a call still in progress: live_since(period_end).
_LIVE_SINCE = sa.bindparam("live_since", type_=UTCDateTime)
_ANSWERED = answered(_CALLS.c)
_IN_PROGRESS = in_progress(_CALLS.c, _LIVE_SINCE)


def _lead_counts(has_period: bool) -> sa.Select[Any]:
    """Leads by (status, source): all of them, new in the period, new in the one before.

    With each source lowered by the database, as the leads list's filter compares it.
    """
    created = _LEADS.c.created_at
    start = _START if has_period else None
    previous = sa.and_(created >= _PREVIOUS_START, created < _START) if has_period else None
    return (
        sa.select(
            _LEADS.c.status,
            _LEADS.c.source,
            func.lower(_LEADS.c.source),
            func.count(),
            _count_where(_within(created, start, _END)),
            _count_where(previous),
        )
        .where(_LEADS.c.user_id == _USER)
        .group_by(_LEADS.c.status, _LEADS.c.source)
    )


def _call_totals(has_period: bool) -> sa.Select[Any]:
    """Calls, calls before, answered calls, calls in progress, the answered calls' average
    length, and the cost and how many calls it is of, in one scan."""
    created = _CALLS.c.created_at
    in_period = _within(created, _START if has_period else None, _END)
    answered_in_period = sa.and_(in_period, _ANSWERED)
    # From the previous period's start: both periods in one query.
    scanned = _within(created, _PREVIOUS_START if has_period else None, _END)
    return sa.select(
        _count_where(in_period),
        _count_where(created < _START if has_period else None),
        _count_where(answered_in_period),
        _count_where(sa.and_(in_period, _IN_PROGRESS)),
        func.avg(sa.case((answered_in_period, _CALLS.c.duration_seconds))),
        func.sum(sa.case((in_period, _CALLS.c.cost))),
        func.count(sa.case((in_period, _CALLS.c.cost))),
    ).where(_CALLS.c.user_id == _USER, scanned)


def _run_totals(has_period: bool) -> sa.Select[Any]:
    """Automation runs in the period, and the successful ones."""
    in_period = _within(_RUNS.c.created_at, _START if has_period else None, _END)
    return sa.select(func.count(), _count_where(_RUNS.c.status == "success")).where(
        _RUNS.c.user_id == _USER, in_period
    )


# By whether there is a period (False: all time).
_STATISTICS = {
    has_period: (_lead_counts(has_period), _call_totals(has_period), _run_totals(has_period))
    for has_period in (True, False)
}
_ANY_CALL_OR_RUN = sa.select(
    sa.exists().where(_CALLS.c.user_id == _USER), sa.exists().where(_RUNS.c.user_id == _USER)
)


def dashboard_stats(
    *,
    session: Session,
    user_id: uuid.UUID,
    period_days: int | None = 30,
    now: datetime | None = None,
    time_zone: tzinfo = UTC,
) -> DashboardStats:
    """Lead, call and automation statistics for the user over the last period_days calendar days.

    Days are those of time_zone (see calendar_days.viewer_time_zone), today included.
    """
    end = now or utcnow()
    if end.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    if period_days is not None and period_days < 1:
        raise InvalidInput({"period_days": "at least 1 day"})
    start = None
    if period_days is not None:
        start = period_start(days=period_days, now=end, time_zone=time_zone)
    params: dict[str, Any] = {"user_id": user_id, "period_end": end, "live_since": live_since(end)}
    if start is not None:
        params.update(period_start=start, previous_start=start - (end - start))
    # Custom plans (not prepared): the best plan differs between small and large tenants.
    lead_result, call_result, run_result = run_prebuilt_together(
        session,
        [(statement, params) for statement in _STATISTICS[start is not None]],
        prepare=False,
    )

    by_status = dict.fromkeys(LEAD_STATUSES, 0)
    by_source: list[tuple[str, str, int]] = []
    new_leads = new_previous = 0
    for status, source, lowered, count, new, before in lead_result.all():
        by_status[status] = by_status.get(status, 0) + count
        by_source.append((source, lowered, count))
        new_leads += int(new)
        new_previous += int(before)
    total_leads = sum(by_status.values())
    won, lost = by_status[LeadStatus.WON.value], by_status[LeadStatus.LOST.value]
    calls, calls_before, answered_calls, in_progress, average_seconds, cost, priced = (
        call_result.one()
    )
    runs, successful_runs = run_result.one()

    is_empty = not (total_leads or calls or runs)
    if is_empty:  # nothing in the period; is there anything at all?
        found = run_prebuilt(session, _ANY_CALL_OR_RUN, {"user_id": user_id}, prepare=False)
        is_empty = not any(found.one())

    return DashboardStats(
        period_days=period_days,
        period_start=start,
        period_end=end,
        total_leads=total_leads,
        new_leads=new_leads,
        new_leads_previous=new_previous if start is not None else None,
        leads_by_status=by_status,
        leads_by_source=merge_spellings(by_source),
        conversion_rate=_ratio(won, won + lost),
        calls=int(calls),
        calls_previous=int(calls_before) if start is not None else None,
        answered_calls=int(answered_calls),
        calls_in_progress=int(in_progress),
        average_call_seconds=float(average_seconds) if average_seconds is not None else None,
        total_call_cost=_total_cost(int(calls), cost),
        priced_calls=int(priced),
        automation_runs=int(runs),
        automation_success_rate=_ratio(int(successful_runs), int(runs)),
        is_empty=is_empty,
    )


@dataclass(frozen=True)
class DayCount:
    """Calls on one calendar day (in the viewer's time zone)."""

    day: date
    calls: int
    answered: int
    in_progress: int

    @property
    def not_answered(self) -> int:
        """Calls that are over and were not answered."""
        return self.calls - self.answered - self.in_progress


def _day_of(column: Any, starts: list[Any], low: int, high: int) -> Any:
    """Which of days low..high a timestamp in them falls on, by halving: about log2(days) tests."""
    if low == high:
        return sa.literal_column(str(low), sa.Integer)
    middle = (low + high + 1) // 2
    return sa.case(
        (column < starts[middle], _day_of(column, starts, low, middle - 1)),
        else_=_day_of(column, starts, middle, high),
    )


@functools.lru_cache(maxsize=8)
def _calls_per_day_query(days: int) -> sa.Select[Any]:
    """Calls, answered calls and calls in progress per day; parameters day_0 .. day_{days}:
    where each day begins.

    Built once per length and compiled once (core/prebuilt.py), as the
    statistics are: a bound per day costs more to build and compile than to run.
    """
    starts = [sa.bindparam(f"day_{number}", type_=UTCDateTime) for number in range(days + 1)]
    created = _CALLS.c.created_at
    calls = (
        sa.select(
            _day_of(created, starts, 0, days - 1).label("day"),
            sa.case((_ANSWERED, 1), else_=0).label("answered"),
            sa.case((_IN_PROGRESS, 1), else_=0).label("in_progress"),
        )
        .where(_CALLS.c.user_id == _USER, created >= starts[0], created < starts[days])
        .where(created <= _END)
        .subquery("calls")
    )
    # The day's expression (long: one test per day) is written once, in the subquery.
    return sa.select(
        calls.c.day, func.count(), func.sum(calls.c.answered), func.sum(calls.c.in_progress)
    ).group_by(calls.c.day)


def calls_per_day(
    *,
    session: Session,
    user_id: uuid.UUID,
    period_days: int | None = 30,
    now: datetime | None = None,
    time_zone: tzinfo = UTC,
) -> list[DayCount]:
    """Calls, answered and in progress, for every day of the period (zeros included), oldest first.

    The same calendar days as dashboard_stats (time_zone's, today included);
    "all time" charts the last ALL_TIME_CHART_DAYS days.
    """
    end = now or utcnow()
    if end.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    if period_days is not None and not 1 <= period_days <= MAX_CHART_DAYS:
        raise InvalidInput({"period_days": f"between 1 and {MAX_CHART_DAYS} days"})
    count = period_days or ALL_TIME_CHART_DAYS
    first = first_day(end, count, time_zone)
    dates = [first + timedelta(days=number) for number in range(count + 1)]
    # Where each local day begins, worked out here: a day is 23 or 25 hours
    # long across a DST change, and SQLite knows no time zones. The same
    # query on both databases; the zone itself never reaches SQL.
    params: dict[str, Any] = {
        f"day_{number}": local_midnight(day, time_zone) for number, day in enumerate(dates)
    }
    params.update(user_id=user_id, period_end=end, live_since=live_since(end))
    rows = run_prebuilt(session, _calls_per_day_query(count), params, prepare=False).all()
    counted = {int(day): tuple(int(value) for value in counts) for day, *counts in rows}
    return [DayCount(dates[number], *counted.get(number, (0, 0, 0))) for number in range(count)]


@dataclass(frozen=True)
class ActivityItem:
    """One line of the dashboard's latest activity.

    kind: call | sms_in | sms_out | lead | automation. label is who or what
    (caller, lead name, SMS text, scenario); detail is a status or source.
    began_at is when a call began (or was logged), which tells a call in
    progress from one whose end was never reported; for the rest, occurred_at.
    """

    kind: str
    id: uuid.UUID
    occurred_at: datetime
    label: str
    detail: str
    lead_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    began_at: datetime
    execution_id: str = ""  # a run's Make execution id, which finds it in the runs list


def _feed_branch(
    user_id: uuid.UUID,
    model: Any,
    kind: Any,
    at: Any,
    label: Any,
    detail: Any,
    lead_id: Any,
    contact_id: Any,
    began: Any = None,
    execution_id: Any = None,
) -> Any:
    columns = [
        sa.cast(kind, sa.String).label("kind"),
        model.id.label("id"),
        sa.type_coerce(at, UTCDateTime).label("occurred_at"),
        sa.cast(label, sa.String).label("label"),
        sa.cast(detail, sa.String).label("detail"),
        sa.cast(lead_id, sa.Uuid).label("lead_id"),
        sa.cast(contact_id, sa.Uuid).label("contact_id"),
        sa.type_coerce(at if began is None else began, UTCDateTime).label("began_at"),
        sa.cast(sa.null() if execution_id is None else execution_id, sa.String).label(
            "execution_id"
        ),
    ]
    return select(*columns).where(model.user_id == user_id).order_by(at.desc())


def _linked_name(model: Any, link: Any) -> Any:
    """The name of the call's lead or contact (NULL: none, or nameless), as a subquery."""
    return (
        select(func.nullif(model.name, ""))
        .where(model.user_id == CallLog.user_id, model.id == link)
        .scalar_subquery()
    )


def latest_activity(*, session: Session, user_id: uuid.UUID, limit: int = 10) -> list[ActivityItem]:
    """The user's newest calls, SMS, new leads and automation runs, merged newest first."""
    limit = max(1, min(int(limit), MAX_LATEST))
    # As the calls list names a caller (state/calls.call_row): the CRM's name for the
    # contact or lead first, then the provider's, then the number; blank is "Unknown caller".
    caller = func.coalesce(
        _linked_name(Contact, CallLog.contact_id),
        _linked_name(Lead, CallLog.lead_id),
        func.nullif(CallLog.customer_name, ""),
        CallLog.customer_number,
        "",
    )
    branches = [
        _feed_branch(
            user_id,
            CallLog,
            sa.literal("call"),
            CallLog.created_at,
            caller,
            CallLog.status,
            CallLog.lead_id,
            CallLog.contact_id,
            began=func.coalesce(CallLog.started_at, CallLog.created_at),
        ).limit(limit),
        _feed_branch(
            user_id,
            Activity,
            Activity.kind,
            Activity.occurred_at,
            func.substr(Activity.body, 1, 200),
            Activity.kind,
            Activity.lead_id,
            Activity.contact_id,
        )
        .where(Activity.kind.in_(SMS_KINDS))
        .limit(limit),
        _feed_branch(
            user_id,
            Lead,
            sa.literal("lead"),
            Lead.created_at,
            Lead.name,
            Lead.source,
            Lead.id,
            sa.null(),
        ).limit(limit),
        _feed_branch(
            user_id,
            AutomationLog,
            sa.literal("automation"),
            AutomationLog.created_at,
            AutomationLog.scenario_name,
            AutomationLog.status,
            AutomationLog.lead_id,
            AutomationLog.contact_id,
            execution_id=AutomationLog.execution_id,
        ).limit(limit),
    ]
    rows = session.exec(newest_first(branches, limit)).all()
    return [
        ActivityItem(
            kind=row.kind,
            id=uuid.UUID(str(row.id)),
            occurred_at=row.occurred_at,
            label=row.label or "",
            detail=row.detail or "",
            lead_id=row.lead_id,
            contact_id=row.contact_id,
            began_at=row.began_at,
            execution_id=row.execution_id or "",
        )
        for row in rows
    ]
