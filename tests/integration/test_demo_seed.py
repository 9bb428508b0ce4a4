"""Demo data: a living dashboard for a new demo account, and `python -m crm_app seed-demo`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import func, select

from crm_app.core.config import PROJECT_ROOT
from crm_app.core.db import create_db_engine, global_session, tenant_session
from crm_app.models import AutomationLog, CallLog, Contact, Lead
from crm_app.services.dashboard import calls_per_day, dashboard_stats, latest_activity
from crm_app.services.demo import create_demo_account, seed_demo_data
from crm_app.services.users import authenticate

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def test_seed_demo_data_spreads_a_few_hundred_rows_over_90_days(engine, make_user) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        counts = seed_demo_data(session=session, user_id=user.id, now=NOW, seed=7)
    assert (counts.leads, counts.calls, counts.automation_runs) == (300, 400, 250)
    assert 30 <= counts.contacts <= 150 and counts.activities > counts.leads
    with tenant_session(user.id, engine) as session:
        for model in (Lead, CallLog, AutomationLog, Contact):
            oldest, newest = session.exec(
                select(func.min(model.created_at), func.max(model.created_at)).where(
                    model.user_id == user.id
                )
            ).one()
            assert NOW - timedelta(days=91) <= oldest and newest <= NOW, model.__name__
        stats = dashboard_stats(session=session, user_id=user.id, period_days=30, now=NOW)
        series = calls_per_day(session=session, user_id=user.id, period_days=30, now=NOW)
        feed = latest_activity(session=session, user_id=user.id)
    assert stats.is_empty is False
    assert 0 < stats.new_leads < 300 and 0 < stats.calls < 400
    assert 0 < stats.answered_calls < stats.calls and stats.total_call_cost > 0
    assert all(count > 0 for count in stats.leads_by_status.values())
    # Named as real webhooks name them: a demo account's sources do not split later.
    assert {"voice", "make"} <= set(stats.leads_by_source) and "vapi" not in stats.leads_by_source
    assert sum(day.calls for day in series) == stats.calls
    assert len(feed) == 10


def test_the_same_seed_gives_the_same_data(engine, make_user) -> None:
    users = [make_user(), make_user()]
    shapes = []
    for user in users:
        with tenant_session(user.id, engine) as session:
            seed_demo_data(session=session, user_id=user.id, now=NOW, seed=42, leads=20, calls=10)
            rows = session.exec(
                select(Lead.name, Lead.phone, Lead.status).where(Lead.user_id == user.id)
            ).all()
        shapes.append(sorted(rows))
    assert shapes[0] == shapes[1]


def test_create_demo_account_refuses_an_email_that_is_taken(engine) -> None:
    email = f"demo-{uuid.uuid4().hex[:8]}@example.com"
    created, password, counts = create_demo_account(email=email, engine=engine, seed=1)
    assert (created, counts.leads) == (email, 300)
    try:
        create_demo_account(email=email, engine=engine)
    except ValueError as error:
        assert "already exists" in str(error) and "--email" in str(error)
    else:
        raise AssertionError("a second demo account with the same email was created")
    with global_session(engine) as session:
        assert authenticate(session=session, email=email, password=password) is not None


def _seed_demo(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "crm_app", "seed-demo", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )


def test_seed_demo_command_prints_a_login_that_works(sqlite_url) -> None:
    email = f"demo-{uuid.uuid4().hex[:8]}@example.com"
    result = _seed_demo(sqlite_url, "--email", email, "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "300 leads" in result.stdout
    password = re.search(r"with password (\S+)", result.stdout).group(1)
    engine = create_db_engine(sqlite_url)
    try:
        with global_session(engine) as session:
            user = authenticate(session=session, email=email, password=password)
        assert user is not None
        with tenant_session(user.id, engine) as session:
            leads = session.exec(select(func.count()).where(Lead.user_id == user.id)).one()
        assert leads == 300
        again = _seed_demo(sqlite_url, "--email", email)
        assert again.returncode == 1
        assert "choose another --email" in again.stderr
        assert again.stderr.strip().count("\n") == 0
        with tenant_session(user.id, engine) as session:
            count = session.connection().execute(
                sa.select(func.count()).select_from(Lead.__table__).where(Lead.user_id == user.id)
            )
            assert count.scalar() == 300  # nothing mixed in
    finally:
        engine.dispose()
