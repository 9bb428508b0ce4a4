"""Dashboard numbers on both databases, against hand-computed expectations for known rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crm_app.core.db import tenant_session
from crm_app.models import User
from crm_app.services.dashboard import (
    DashboardStats,
    calls_per_day,
    dashboard_stats,
    latest_activity,
)
from crm_app.services.errors import InvalidInput
from tests.factories import add_activity, add_automation_log, add_call_log, add_lead

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
        calls_previous=1,
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
    assert stats.calls_previous is None
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
    assert stats.calls_previous == 0
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


def _recorded(engine: sa.Engine, action: Callable[[], object]) -> list[str]:
    """The SQL statements the action runs, lower-cased, whitespace collapsed."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        # Transaction control and the tenant setting are not queries of the dashboard.
        if "set_config" not in statement and statement.strip().upper() != "BEGIN":
            statements.append(" ".join(statement.lower().split()))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return statements


def test_dashboard_stats_runs_a_few_aggregate_queries_and_loads_no_rows(engine, known_user) -> None:
    statements = _recorded(engine, lambda: _stats(engine, known_user))
    assert len(statements) <= 4
    aggregates = ("count(", "sum(", "exists")
    assert all(any(word in statement for word in aggregates) for statement in statements)
    assert all("user_id =" in statement for statement in statements)


def test_dashboard_stats_refuses_a_period_under_a_day_and_a_naive_now(engine, make_user) -> None:
    user = make_user()
    with pytest.raises(InvalidInput), tenant_session(user.id, engine) as session:
        dashboard_stats(session=session, user_id=user.id, period_days=0)
    with pytest.raises(ValueError, match="timezone"), tenant_session(user.id, engine) as session:
        dashboard_stats(session=session, user_id=user.id, now=datetime(2026, 1, 1))


def test_the_same_instant_in_another_time_zone_gives_the_same_numbers(engine, known_user) -> None:
    new_york = ZoneInfo("America/New_York")
    in_utc = _stats(engine, known_user, period_days=30)
    with tenant_session(known_user.id, engine) as session:
        elsewhere = dashboard_stats(
            session=session, user_id=known_user.id, period_days=30, now=NOW.astimezone(new_york)
        )
    assert elsewhere == in_utc


def test_a_call_at_the_period_end_counts_and_the_previous_period_is_as_long(
    engine, make_user
) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        for created in (NOW, START, START - SECOND, PREVIOUS_START, PREVIOUS_START - SECOND):
            add_call_log(session, user_id=user.id, created_at=created)
    stats = _stats(engine, user, period_days=30)
    assert (stats.calls, stats.calls_previous) == (2, 2)


# --- calls per day


def _series(engine, user: User, **options: object) -> list[tuple[str, int, int]]:
    with tenant_session(user.id, engine) as session:
        days = calls_per_day(session=session, user_id=user.id, now=NOW, **options)
    return [(day.day.isoformat(), day.calls, day.answered) for day in days]


def test_calls_per_day_counts_every_day_of_the_period_with_zeros(engine, known_user) -> None:
    series = _series(engine, known_user, period_days=7)
    # [NOW - 7 days, NOW]: 2026-06-23 12:00 .. 2026-06-30 12:00, eight calendar days (UTC).
    assert [day for day, _, _ in series] == [f"2026-06-{d}" for d in range(23, 31)]
    # On the 30th: answered (60 s), ended after 0 s, no-answer: 3 calls, 1 answered.
    assert series[-1] == ("2026-06-30", 3, 1)
    assert sum(calls for _, calls, _ in series) == 3


def test_calls_per_day_over_30_days_matches_the_dashboard_count(engine, known_user) -> None:
    series = _series(engine, known_user, period_days=30)
    stats = _stats(engine, known_user, period_days=30)
    assert len(series) == 31  # 2026-05-31 .. 2026-06-30
    assert series[0] == ("2026-05-31", 1, 1)  # the call exactly at the start
    assert sum(calls for _, calls, _ in series) == stats.calls
    assert sum(answered for _, _, answered in series) == stats.answered_calls


def test_calls_per_day_follows_the_viewers_utc_offset(engine, make_user) -> None:
    user = make_user()
    late_evening_utc = datetime(2026, 6, 29, 23, 30, tzinfo=UTC)
    with tenant_session(user.id, engine) as session:
        add_call_log(session, user_id=user.id, created_at=late_evening_utc)
    in_utc = dict((day, calls) for day, calls, _ in _series(engine, user, period_days=3))
    in_berlin = dict(
        (day, calls)
        for day, calls, _ in _series(engine, user, period_days=3, utc_offset_minutes=120)
    )
    in_los_angeles = dict(
        (day, calls)
        for day, calls, _ in _series(engine, user, period_days=3, utc_offset_minutes=-420)
    )
    assert (in_utc["2026-06-29"], in_utc["2026-06-30"]) == (1, 0)
    assert (in_berlin["2026-06-29"], in_berlin["2026-06-30"]) == (0, 1)
    assert (in_los_angeles["2026-06-29"], in_los_angeles["2026-06-30"]) == (1, 0)
    assert max(in_berlin) == "2026-06-30"  # 14:00 in Berlin on the 30th


def test_calls_per_day_for_all_time_charts_the_last_90_days(engine, known_user) -> None:
    series = _series(engine, known_user, period_days=None)
    assert len(series) == 91
    assert sum(calls for _, calls, _ in series) == 5


def test_calls_per_day_of_a_user_with_nothing_is_all_zeros(engine, make_user) -> None:
    series = _series(engine, make_user(), period_days=7)
    assert len(series) == 8
    assert {(calls, answered) for _, calls, answered in series} == {(0, 0)}


@pytest.mark.parametrize(
    "options", [{"period_days": 0}, {"utc_offset_minutes": 15 * 60}, {"utc_offset_minutes": -900}]
)
def test_calls_per_day_refuses_bad_options(engine, make_user, options) -> None:
    user = make_user()
    with pytest.raises(InvalidInput), tenant_session(user.id, engine) as session:
        calls_per_day(session=session, user_id=user.id, now=NOW, **options)


def test_calls_per_day_is_one_grouped_query(engine, known_user) -> None:
    statements = _recorded(engine, lambda: _series(engine, known_user, period_days=30))
    assert len(statements) == 1
    assert "group by" in statements[0] and "user_id =" in statements[0]


# --- latest activity


def test_latest_activity_merges_calls_sms_leads_and_runs_newest_first(engine, make_user) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id, name="Ana", created_at=NOW - 5 * SECOND)
        add_call_log(
            session,
            user_id=user.id,
            customer_name="",
            customer_number="+14155550100",
            status="ended",
            lead_id=lead.id,
            created_at=NOW - 4 * SECOND,
        )
        add_activity(
            session,
            user_id=user.id,
            kind="sms_in",
            body="Call me back",
            lead_id=lead.id,
            occurred_at=NOW - 3 * SECOND,
        )
        add_activity(session, user_id=user.id, kind="note", lead_id=lead.id, occurred_at=NOW)
        add_automation_log(
            session,
            user_id=user.id,
            scenario_name="Follow-up",
            status="error",
            created_at=NOW - 2 * SECOND,
        )
    with tenant_session(user.id, engine) as session:
        items = latest_activity(session=session, user_id=user.id)
    assert [(i.kind, i.label, i.detail) for i in items] == [
        ("automation", "Follow-up", "error"),
        ("sms_in", "Call me back", "sms_in"),
        ("call", "+14155550100", "ended"),
        ("lead", "Ana", "manual"),
    ]  # notes are not "activity" here: they are the user's own writing
    assert [i.lead_id for i in items] == [None, lead.id, lead.id, lead.id]
    assert items[0].occurred_at == NOW - 2 * SECOND


def test_latest_activity_keeps_only_the_newest_up_to_the_limit(engine, make_user) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        for n in range(8):
            add_lead(session, user_id=user.id, name=f"L{n}", created_at=NOW - n * SECOND)
            add_call_log(
                session,
                user_id=user.id,
                customer_name=f"C{n}",
                created_at=NOW - n * SECOND - SECOND / 2,
            )
    with tenant_session(user.id, engine) as session:
        items = latest_activity(session=session, user_id=user.id, limit=5)
    assert [i.label for i in items] == ["L0", "C0", "L1", "C1", "L2"]


def test_latest_activity_of_a_user_with_nothing_is_empty(engine, make_user) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        assert latest_activity(session=session, user_id=user.id) == []


def test_latest_activity_is_one_query(engine, known_user) -> None:
    def run() -> None:
        with tenant_session(known_user.id, engine) as session:
            latest_activity(session=session, user_id=known_user.id)

    statements = _recorded(engine, run)
    assert len(statements) == 1
    assert statements[0].count("user_id =") == 4
