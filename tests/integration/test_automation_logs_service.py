"""Automation runs on both databases: newest first, by status, scenario search and period."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from crm_app.core.db import tenant_session
from crm_app.models import User
from crm_app.services.automation_logs import automation_error, list_automation_logs
from tests.factories import add_automation_log

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def runs(engine, make_user: Callable[..., User]) -> User:
    user = make_user()
    rows = [
        ("Welcome SMS", "success", None),
        ("Quote email", "error", "SMTP 550 mailbox full"),
        ("Welcome SMS", "warning", None),
    ]
    with tenant_session(user.id, engine) as session:
        for day, (scenario, status, error) in enumerate(rows):
            add_automation_log(
                session,
                user_id=user.id,
                scenario_name=scenario,
                status=status,
                error=error,
                execution_id=f"exec-{day}",
                created_at=T0 + day * DAY,
            )
    return user


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["exec-2", "exec-1", "exec-0"]),
        ({"status": "ERROR"}, ["exec-1"]),
        ({"search": "welcome"}, ["exec-2", "exec-0"]),
        ({"search": "mailbox"}, ["exec-1"]),
        ({"created_from": T0 + DAY}, ["exec-2", "exec-1"]),
        ({"created_to": T0 + DAY}, ["exec-0"]),
    ],
)
def test_list_automation_logs_filters(engine, runs, filters, expected) -> None:
    with tenant_session(runs.id, engine) as session:
        page = list_automation_logs(session=session, user_id=runs.id, **filters)
    assert [run.execution_id for run in page.items] == expected


@pytest.mark.parametrize("search", ["émile", "Émile", "emile", "ÉMILE", "EMILE SYNC"])
def test_a_search_finds_runs_with_or_without_accents_as_the_other_lists_do(
    engine, make_user, search
) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        add_automation_log(session, user_id=user.id, scenario_name="Émile sync")
        add_automation_log(session, user_id=user.id, scenario_name="Backup", error="ÉMILE down")
        add_automation_log(session, user_id=user.id, scenario_name="Emil sync", error=None)
    with tenant_session(user.id, engine) as session:
        page = list_automation_logs(session=session, user_id=user.id, search=search)
    expected = {"Émile sync"} if "SYNC" in search else {"Émile sync", "Backup"}
    assert {run.scenario_name for run in page.items} == expected


def test_a_search_for_like_wildcards_finds_them_literally(engine, make_user) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        add_automation_log(session, user_id=user.id, scenario_name="Upsell 100% done")
        add_automation_log(session, user_id=user.id, scenario_name="Upsell 1000 done")
    with tenant_session(user.id, engine) as session:
        page = list_automation_logs(session=session, user_id=user.id, search="100%")
    assert [run.scenario_name for run in page.items] == ["Upsell 100% done"]


def test_automation_error_is_the_whole_text_of_the_users_run(engine, make_user) -> None:
    user = make_user()
    long_error = "Traceback (most recent call last):\n" + "x" * 9_000
    with tenant_session(user.id, engine) as session:
        failed = add_automation_log(session, user_id=user.id, status="error", error=long_error)
        fine = add_automation_log(session, user_id=user.id, error=None)
    with tenant_session(user.id, engine) as session:
        assert automation_error(session=session, user_id=user.id, log_id=failed.id) == long_error
        assert automation_error(session=session, user_id=user.id, log_id=fine.id) == ""
        assert automation_error(session=session, user_id=user.id, log_id=uuid.uuid4()) is None
