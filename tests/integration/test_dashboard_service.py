"""Dashboard numbers on both databases, against hand-computed expectations for known rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm_app.core.db import tenant_session
from crm_app.models import User
from crm_app.services.dashboard import DashboardStats, dashboard_stats
from crm_app.services.errors import InvalidInput
from tests.factories import add_automation_log, add_call_log, add_lead

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
START = NOW - timedelta(days=30)  # 2026-05-31 12:00, the first instant of the period
PREVIOUS_START = START - timedelta(days=30)
SECOND = timedelta(seconds=1)


def _stats(engine: sa.Engine, user: User, **options: object) -> DashboardStats:
    with tenant_session(user.id, engine) as session:
        return dashboard_stats(session=session, user_id=user.id, now=NOW, **options)


@pytest.fixture
def known_user(engine: sa.Engine, make_user: Callable[..., User]) -> User:
    """Leads, calls and runs around the period's edges; expectations worked out by hand below."""
    user = make_user()
    leads = [
        (START, "won", "website"),  # exactly at the start: in the period
        (START - SECOND, "lost", "website"),  # a second before: previous period
        (NOW - timedelta(days=1), "new", "vapi"),  # in the period
        (NOW, "won", "vapi"),  # exactly now: in the period
        (PREVIOUS_START, "qualified", "manual"),  # start of the previous period: previous
        (PREVIOUS_START - SECOND, "contacted", "manual"),  # older than both periods
    ]
    calls = [
        (START, "ended", 120, Decimal("0.2500")),  # answered
        (NOW - timedelta(hours=1), "completed", 60, Decimal("0.1000")),  # answered
        (NOW - timedelta(hours=2), "ended", 0, Decimal("0.0100")),  # ended without talk
        (NOW - timedelta(hours=3), "no-answer", None, None),
        (START - SECOND, "ended", 300, Decimal("1.0000")),  # before the period
    ]
    runs = [
        (START, "success"),
        (NOW - timedelta(days=2), "error"),
        (NOW - timedelta(days=3), "success"),
        (START - SECOND, "success"),  # before the period
    ]
    with tenant_session(user.id, engine) as session:
        for created, status, source in leads:
            add_lead(session, user_id=user.id, status=status, source=source, created_at=created)
        for created, status, duration, cost in calls:
            add_call_log(
                session,
                user_id=user.id,
                status=status,
                duration_seconds=duration,
                cost=cost,
                created_at=created,
            )
        for created, status in runs:
            add_automation_log(session, user_id=user.id, status=status, created_at=created)
    return user


def test_dashboard_stats_for_the_last_30_days(engine, known_user) -> None:
    stats = _stats(engine, known_user, period_days=30)
    assert stats == DashboardStats(
        period_days=30,
        period_start=START,
        period_end=NOW,
        total_leads=6,
        new_leads=3,
        new_leads_previous=2,
        leads_by_status={"new": 1, "contacted": 1, "qualified": 1, "won": 2, "lost": 1},
        leads_by_source={"manual": 2, "vapi": 2, "website": 2},
        conversion_rate=2 / 3,
        calls=4,
        answered_calls=2,
        average_call_seconds=90.0,
        total_call_cost=Decimal("0.3600"),
        automation_runs=3,
        automation_success_rate=2 / 3,
        is_empty=False,
    )


def test_a_lead_exactly_at_the_period_start_counts_and_one_a_second_before_does_not(
    engine, make_user
) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        add_lead(session, user_id=user.id, created_at=START)
        add_lead(session, user_id=user.id, created_at=START - SECOND)
    stats = _stats(engine, user, period_days=30)
    assert (stats.new_leads, stats.new_leads_previous, stats.total_leads) == (1, 1, 2)


def test_dashboard_stats_for_all_time(engine, known_user) -> None:
    stats = _stats(engine, known_user, period_days=None)
    assert (stats.period_start, stats.new_leads, stats.new_leads_previous) == (None, 6, None)
    assert (stats.calls, stats.answered_calls, stats.average_call_seconds) == (5, 3, 160.0)
    assert stats.total_call_cost == Decimal("1.3600")
    assert (stats.automation_runs, stats.automation_success_rate) == (4, 0.75)


def test_dashboard_stats_for_a_short_period(engine, known_user) -> None:
    stats = _stats(engine, known_user, period_days=1)
    # In [now - 1 day, now]: the lead a day old (exactly at the start) and the one made now.
    assert (stats.new_leads, stats.new_leads_previous) == (2, 0)
    assert (stats.calls, stats.answered_calls, stats.automation_runs) == (3, 1, 0)
    assert stats.automation_success_rate is None


def test_dashboard_stats_of_a_user_with_nothing(engine, make_user) -> None:
    stats = _stats(engine, make_user())
    assert stats.is_empty is True
    assert (stats.total_leads, stats.new_leads, stats.new_leads_previous) == (0, 0, 0)
    assert stats.leads_by_status == {"new": 0, "contacted": 0, "qualified": 0, "won": 0, "lost": 0}
    assert stats.leads_by_source == {}
    assert (stats.conversion_rate, stats.average_call_seconds) == (None, None)
    assert (stats.calls, stats.answered_calls, stats.total_call_cost) == (0, 0, Decimal("0.0000"))
    assert (stats.automation_runs, stats.automation_success_rate) == (0, None)


def test_a_user_with_only_old_calls_is_not_empty(engine, make_user) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        add_call_log(session, user_id=user.id, created_at=NOW - timedelta(days=90))
    stats = _stats(engine, user, period_days=30)
    assert (stats.calls, stats.is_empty) == (0, False)


def test_conversion_rate_is_none_until_a_lead_is_won_or_lost(engine, make_user) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        add_lead(session, user_id=user.id, status="qualified", created_at=NOW)
    assert _stats(engine, user).conversion_rate is None


def test_dashboard_stats_runs_a_few_aggregate_queries_and_loads_no_rows(engine, known_user) -> None:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        # Transaction control and the tenant setting are not queries of the dashboard.
        if "set_config" not in statement and statement.strip().upper() != "BEGIN":
            statements.append(" ".join(statement.lower().split()))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        _stats(engine, known_user)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len(statements) <= 4
    assert all("count(" in statement or "exists" in statement for statement in statements)
    assert all("user_id =" in statement for statement in statements)


def test_dashboard_stats_refuses_a_period_under_a_day_and_a_naive_now(engine, make_user) -> None:
    user = make_user()
    with pytest.raises(InvalidInput), tenant_session(user.id, engine) as session:
        dashboard_stats(session=session, user_id=user.id, period_days=0)
    with pytest.raises(ValueError, match="timezone"), tenant_session(user.id, engine) as session:
        dashboard_stats(session=session, user_id=user.id, now=datetime(2026, 1, 1))
