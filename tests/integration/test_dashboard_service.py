"""Dashboard numbers on both databases, against hand-computed expectations for known rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crm_app.core.db import tenant_session
from crm_app.models import User
from crm_app.services.calendar_days import viewer_time_zone
from crm_app.services.call_outcomes import LIVE_CALL_MAX_AGE
from crm_app.services.dashboard import (
    DashboardStats,
    calls_per_day,
    dashboard_stats,
    latest_activity,
)
from crm_app.services.errors import InvalidInput
from tests.factories import add_activity, add_automation_log, add_call_log, add_lead

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
# "30 days": 30 calendar days (UTC by default) ending today, 2026-06-01 .. 2026-06-30.
START = datetime(2026, 6, 1, tzinfo=UTC)  # the first instant of the period
PREVIOUS_START = START - (NOW - START)  # as long a time just before: 2026-05-02 12:00
SECOND = timedelta(seconds=1)
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")


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
        calls_in_progress=0,
        average_call_seconds=90.0,
        total_call_cost=Decimal("0.3600"),
        priced_calls=3,  # the fourth, not answered, reported no cost
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
    # Today, [06-30 00:00, 12:00]: the lead made now; the one a day old is in the 12 hours before.
    assert stats.period_start == datetime(2026, 6, 30, tzinfo=UTC)
    assert (stats.new_leads, stats.new_leads_previous) == (1, 1)
    assert (stats.calls, stats.answered_calls, stats.automation_runs) == (3, 1, 0)
    assert stats.automation_success_rate is None


def test_the_cost_of_calls_none_of_which_reported_one_is_unknown_not_free(
    engine, make_user
) -> None:
    # Twilio's callbacks carry no price: 200 such calls read "Call cost $0.00".
    user = make_user()
    with tenant_session(user.id, engine) as session:
        for _ in range(2):
            add_call_log(session, user_id=user.id, provider="twilio", cost=None, created_at=NOW)
    assert _stats(engine, user).total_call_cost is None
    with tenant_session(user.id, engine) as session:
        priced = {"provider": "vapi", "cost": Decimal("0.25"), "created_at": NOW}
        add_call_log(session, user_id=user.id, **priced)
    stats = _stats(engine, user)
    assert (stats.total_call_cost, stats.priced_calls) == (Decimal("0.2500"), 1)  # of 3 calls


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
    # Seven calendar days (UTC) ending today: 2026-06-24 .. 2026-06-30.
    assert [day for day, _, _ in series] == [f"2026-06-{d}" for d in range(24, 31)]
    # On the 30th: answered (60 s), ended after 0 s, no-answer: 3 calls, 1 answered.
    assert series[-1] == ("2026-06-30", 3, 1)
    assert sum(calls for _, calls, _ in series) == 3


def test_calls_per_day_over_30_days_matches_the_dashboard_count(engine, known_user) -> None:
    series = _series(engine, known_user, period_days=30)
    stats = _stats(engine, known_user, period_days=30)
    assert len(series) == 30  # 2026-06-01 .. 2026-06-30
    assert series[0] == ("2026-06-01", 1, 1)  # the call exactly at the start
    assert sum(calls for _, calls, _ in series) == stats.calls
    assert sum(answered for _, _, answered in series) == stats.answered_calls


def test_calls_per_day_follows_the_viewers_time_zone(engine, make_user) -> None:
    user = make_user()
    late_evening_utc = datetime(2026, 6, 29, 23, 30, tzinfo=UTC)
    with tenant_session(user.id, engine) as session:
        add_call_log(session, user_id=user.id, created_at=late_evening_utc)

    def calls_by_day(**options: object) -> dict[str, int]:
        return {day: calls for day, calls, _ in _series(engine, user, period_days=3, **options)}

    in_utc = calls_by_day()
    in_berlin = calls_by_day(time_zone=BERLIN)
    in_los_angeles = calls_by_day(time_zone=LOS_ANGELES)
    at_fixed_offset = calls_by_day(time_zone=timezone(timedelta(hours=1)))
    assert (in_utc["2026-06-29"], in_utc["2026-06-30"]) == (1, 0)
    assert (in_berlin["2026-06-29"], in_berlin["2026-06-30"]) == (0, 1)
    assert (in_los_angeles["2026-06-29"], in_los_angeles["2026-06-30"]) == (1, 0)
    assert (at_fixed_offset["2026-06-29"], at_fixed_offset["2026-06-30"]) == (0, 1)
    assert max(in_berlin) == "2026-06-30"  # 14:00 in Berlin on the 30th


def test_calls_per_day_for_all_time_charts_the_last_90_days(engine, known_user) -> None:
    series = _series(engine, known_user, period_days=None)
    assert len(series) == 90
    assert (series[0][0], series[-1][0]) == ("2026-04-02", "2026-06-30")
    assert sum(calls for _, calls, _ in series) == 5


def test_calls_per_day_of_a_user_with_nothing_is_all_zeros(engine, make_user) -> None:
    series = _series(engine, make_user(), period_days=7)
    assert len(series) == 7
    assert {(calls, answered) for _, calls, answered in series} == {(0, 0)}


@pytest.mark.parametrize("period_days", [0, 367])
def test_calls_per_day_refuses_a_period_under_a_day_or_over_a_year(
    engine, make_user, period_days
) -> None:
    user = make_user()
    with pytest.raises(InvalidInput), tenant_session(user.id, engine) as session:
        calls_per_day(session=session, user_id=user.id, now=NOW, period_days=period_days)


@pytest.mark.parametrize("zone", [UTC, LOS_ANGELES, ZoneInfo("Asia/Kathmandu")])
@pytest.mark.parametrize(("period_days", "bars"), [(1, 1), (7, 7), (30, 30), (90, 90), (None, 90)])
def test_the_chart_has_a_bar_per_day_of_the_period_ending_today(
    engine, make_user, zone, period_days, bars
) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        series = calls_per_day(
            session=session, user_id=user.id, period_days=period_days, now=NOW, time_zone=zone
        )
    days = [day.day for day in series]
    assert len(days) == bars
    assert days[-1] == NOW.astimezone(zone).date()  # today, in the viewer's zone
    assert days == [days[0] + timedelta(days=n) for n in range(bars)]


def _add_calls(engine: sa.Engine, user: User, instants: list[datetime]) -> None:
    with tenant_session(user.id, engine) as session:
        for created in instants:
            add_call_log(session, user_id=user.id, created_at=created)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_call_just_after_midnight_pdt_stays_on_its_day_when_viewed_in_pst(
    engine, make_user
) -> None:
    # QA's case: 00:30 PDT on October 20, charted in late November (PST, UTC-8).
    user = make_user()
    _add_calls(engine, user, [_utc(2026, 10, 20, 7, 30)])
    now = _utc(2026, 11, 29, 20, 0)  # noon in Los Angeles
    for period_days in (90, None):
        with tenant_session(user.id, engine) as session:
            series = calls_per_day(
                session=session,
                user_id=user.id,
                period_days=period_days,
                now=now,
                time_zone=LOS_ANGELES,
            )
        assert [(d.day, d.calls) for d in series if d.calls] == [(date(2026, 10, 20), 1)]


# Calls either side of local midnights around the end of summer time, with
# their local day; None: before the period. Los Angeles: 2026-11-01, 02:00 PDT
# becomes 01:00 PST. Berlin: 2026-10-25, 03:00 CEST becomes 02:00 CET.
DST_CASES = {
    "America/Los_Angeles": (
        _utc(2026, 11, 3, 20, 0),  # now: noon PST, Tuesday 3 November
        _utc(2026, 10, 28, 7, 0),  # the 7 days start: 28 October, 00:00 PDT
        [
            (_utc(2026, 10, 28, 6, 59, 59), None),  # 27 October, 23:59:59 PDT
            (_utc(2026, 10, 28, 7, 0), "2026-10-28"),  # 00:00 PDT
            (_utc(2026, 10, 31, 6, 59, 59), "2026-10-30"),  # 23:59:59 PDT
            (_utc(2026, 10, 31, 7, 0), "2026-10-31"),  # 00:00 PDT
            (_utc(2026, 11, 1, 6, 59, 59), "2026-10-31"),  # 23:59:59 PDT
            (_utc(2026, 11, 1, 7, 0), "2026-11-01"),  # 00:00 PDT: a 25-hour day begins
            (_utc(2026, 11, 1, 8, 30), "2026-11-01"),  # 01:30 PDT
            (_utc(2026, 11, 1, 9, 30), "2026-11-01"),  # 01:30 PST, the second time
            (_utc(2026, 11, 2, 7, 59, 59), "2026-11-01"),  # 23:59:59 PST
            (_utc(2026, 11, 2, 8, 0), "2026-11-02"),  # 00:00 PST
        ],
    ),
    "Europe/Berlin": (
        _utc(2026, 10, 27, 11, 0),  # now: noon CET, Tuesday 27 October
        _utc(2026, 10, 20, 22, 0),  # the 7 days start: 21 October, 00:00 CEST
        [
            (_utc(2026, 10, 20, 21, 59, 59), None),  # 20 October, 23:59:59 CEST
            (_utc(2026, 10, 20, 22, 0), "2026-10-21"),  # 00:00 CEST
            (_utc(2026, 10, 24, 21, 59, 59), "2026-10-24"),  # 23:59:59 CEST
            (_utc(2026, 10, 24, 22, 0), "2026-10-25"),  # 00:00 CEST: a 25-hour day begins
            (_utc(2026, 10, 25, 0, 30), "2026-10-25"),  # 02:30 CEST
            (_utc(2026, 10, 25, 1, 30), "2026-10-25"),  # 02:30 CET, the second time
            (_utc(2026, 10, 25, 22, 59, 59), "2026-10-25"),  # 23:59:59 CET
            (_utc(2026, 10, 25, 23, 0), "2026-10-26"),  # 00:00 CET
        ],
    ),
}


@pytest.mark.parametrize("zone_name", sorted(DST_CASES))
def test_calls_land_on_their_local_day_across_the_end_of_summer_time(
    engine, make_user, zone_name
) -> None:
    now, period_start, calls = DST_CASES[zone_name]
    zone = ZoneInfo(zone_name)
    user = make_user()
    _add_calls(engine, user, [created for created, _ in calls])
    with tenant_session(user.id, engine) as session:
        series = calls_per_day(
            session=session, user_id=user.id, period_days=7, now=now, time_zone=zone
        )
        stats = dashboard_stats(
            session=session, user_id=user.id, period_days=7, now=now, time_zone=zone
        )
    expected: dict[str, int] = {}
    for _, day in calls:
        if day is not None:
            expected[day] = expected.get(day, 0) + 1
    assert {d.day.isoformat(): d.calls for d in series if d.calls} == expected
    assert len(series) == 7 and series[-1].day == now.astimezone(zone).date()
    # The cards count the very days the bars show.
    assert stats.period_start == period_start
    assert stats.calls == sum(d.calls for d in series) == sum(expected.values())


@pytest.mark.parametrize(
    "name",
    [
        "Not/AZone",
        "../../etc/passwd",
        "America/Los_Angeles'; DROP TABLE call_logs; --",
        "zone.tab",
        "",
        None,
        42,
    ],
)
def test_a_bad_zone_name_falls_back_to_the_offset_and_never_reaches_sql(
    engine, make_user, name
) -> None:
    user = make_user()
    _add_calls(engine, user, [_utc(2026, 6, 30, 6, 30)])  # 23:30 on the 29th at UTC-7
    zone = viewer_time_zone(name, -420)
    assert zone.utcoffset(NOW) == timedelta(hours=-7)
    sent: list[str] = []

    def record(_conn, _cursor, statement, parameters, *_args) -> None:  # type: ignore[no-untyped-def]
        sent.append(f"{statement} {parameters}")

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        series = _series(engine, user, period_days=3, time_zone=zone)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert [(day, calls) for day, calls, _ in series if calls] == [("2026-06-29", 1)]
    if isinstance(name, str) and name:
        assert not any(name in text or "DROP" in text for text in sent)


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
        ("call", "Ana", "ended"),  # no name from the provider: the lead's
        ("lead", "Ana", "manual"),
    ]  # notes are not "activity" here: they are the user's own writing
    assert [i.lead_id for i in items] == [None, lead.id, lead.id, lead.id]
    assert items[0].occurred_at == NOW - 2 * SECOND


def test_latest_activity_says_when_a_call_began_or_else_was_logged(engine, make_user) -> None:
    user = make_user()
    began = NOW - timedelta(hours=5)
    with tenant_session(user.id, engine) as session:
        add_call_log(session, user_id=user.id, customer_name="A", started_at=began, created_at=NOW)
        add_call_log(session, user_id=user.id, customer_name="B", created_at=NOW - SECOND)
        add_lead(session, user_id=user.id, name="C", created_at=NOW - 2 * SECOND)
    with tenant_session(user.id, engine) as session:
        items = latest_activity(session=session, user_id=user.id)
    assert [(i.label, i.began_at) for i in items] == [
        ("A", began),
        ("B", NOW - SECOND),
        ("C", NOW - 2 * SECOND),
    ]


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
    # Four branches, and a call's lead and contact names, each held to the user.
    assert statements[0].count("user_id =") == 6


@pytest.mark.parametrize(
    "reason",
    [
        "customer-did-not-answer",
        "voicemail",
        "customer-busy",
        # Vapi's AI failed the caller: a length, but no conversation.
        "call.in-progress.error-vapifault-openai-llm-failed",
        "pipeline-error-openai-llm-failed",
        "assistant-error",
    ],
)
def test_a_call_no_one_took_is_not_answered_though_it_has_a_length(
    engine, make_user, reason
) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        for seconds, ended_reason in ((120, "customer-ended-call"), (28, reason), (60, None)):
            add_call_log(
                session,
                user_id=user.id,
                duration_seconds=seconds,
                ended_reason=ended_reason,
                created_at=NOW - timedelta(hours=1),
            )
    stats = _stats(engine, user, period_days=None)
    assert (stats.calls, stats.answered_calls, stats.average_call_seconds) == (3, 2, 90.0)
    with tenant_session(user.id, engine) as session:
        days = calls_per_day(session=session, user_id=user.id, period_days=None, now=NOW)
    assert sum(day.answered for day in days) == 2


@pytest.mark.parametrize(
    ("provider", "status"),
    [("vapi", "ringing"), ("vapi", "in-progress"), ("twilio", "in-progress"), ("twilio", "queued")],
)
def test_a_call_not_over_yet_is_in_progress_not_unanswered(
    engine, make_user, provider, status
) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        an_hour_ago = NOW - timedelta(hours=1)
        add_call_log(session, user_id=user.id, created_at=an_hour_ago)  # answered
        add_call_log(session, user_id=user.id, created_at=an_hour_ago, status="no-answer")
        add_call_log(
            session,
            user_id=user.id,
            provider=provider,
            status=status,
            duration_seconds=None,
            ended_reason=None,
            created_at=an_hour_ago,
        )
        # Before the period: counted in the period before, not in progress now.
        add_call_log(session, user_id=user.id, status=status, created_at=START - SECOND)
    stats = _stats(engine, user, period_days=30)
    assert (stats.calls, stats.answered_calls, stats.calls_in_progress) == (3, 1, 1)
    assert stats.calls_previous == 1
    with tenant_session(user.id, engine) as session:
        today = calls_per_day(session=session, user_id=user.id, period_days=7, now=NOW)[-1]
    assert (today.calls, today.answered, today.not_answered, today.in_progress) == (3, 1, 1, 1)


def test_a_call_whose_end_never_came_stops_counting_as_in_progress(engine, make_user) -> None:
    user = make_user()
    lost_end = NOW - LIVE_CALL_MAX_AGE - SECOND
    with tenant_session(user.id, engine) as session:
        # Logged an hour ago by a status update that said when it began.
        logged = NOW - timedelta(hours=1)
        add_call_log(
            session, user_id=user.id, status="in-progress", started_at=lost_end, created_at=logged
        )
        add_call_log(session, user_id=user.id, status="ringing", created_at=lost_end)
        # Begun just within the limit: may still be going.
        add_call_log(
            session,
            user_id=user.id,
            status="in-progress",
            started_at=lost_end + 2 * SECOND,
            created_at=logged,
        )
    stats = _stats(engine, user, period_days=30)
    assert (stats.calls, stats.answered_calls, stats.calls_in_progress) == (3, 0, 1)
    with tenant_session(user.id, engine) as session:
        today = calls_per_day(session=session, user_id=user.id, period_days=7, now=NOW)[-1]
    assert (today.calls, today.not_answered, today.in_progress) == (3, 2, 1)


def test_latest_activity_leaves_a_call_that_names_no_one_blank(engine, make_user) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        add_call_log(session, user_id=user.id, customer_name="", customer_number=None)
    with tenant_session(user.id, engine) as session:
        [item] = latest_activity(session=session, user_id=user.id)
    assert (item.kind, item.label) == ("call", "")
