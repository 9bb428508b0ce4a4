"""Prebuilt statements on psycopg's own cursor give what SQLAlchemy would, errors included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from crm_app.core.db import (
    create_db_engine,
    global_session,
    is_database_unavailable,
    tenant_session,
)
from crm_app.core.prebuilt import run_prebuilt, run_prebuilt_many, run_prebuilt_together
from crm_app.models import User, WebhookEvent

EVENTS = WebhookEvent.__table__
INSERT = EVENTS.insert()
READ = sa.select(EVENTS.c.id, EVENTS.c.received_at, EVENTS.c.payload_size, EVENTS.c.event_id).where(
    EVENTS.c.user_id == sa.bindparam("user_id", type_=sa.Uuid),
    EVENTS.c.id == sa.bindparam("id", type_=sa.Uuid),
)
READ_MANY = sa.select(EVENTS.c.id).where(
    EVENTS.c.user_id == sa.bindparam("user_id", type_=sa.Uuid),
    EVENTS.c.id.in_(sa.bindparam("ids", expanding=True)),
)
BACKEND_PID = sa.select(sa.func.pg_backend_pid())
PREPARED_READS = sa.text(
    "SELECT count(*) FROM pg_prepared_statements"
    " WHERE statement LIKE '%webhook_events.received_at%'"
)


def _event(user_id: uuid.UUID, **values: object) -> dict:
    row = {
        "id": uuid.uuid4(),
        "user_id": user_id,
        "provider": "vapi",
        "event_id": f"call-{uuid.uuid4().hex[:8]}:end-of-call-report",
        "event_type": "end-of-call-report",
        "status": "accepted",
        "reason": "",
        "payload": "{}",
        "payload_size": 2,
        "payload_sha256": "",
        "result": "",
        # Not UTC on the way in: the column's type converts it, on either path.
        "received_at": datetime(2026, 11, 28, 12, 0, tzinfo=timezone(timedelta(hours=2))),
        "processed_at": None,
    }
    row.update(values)
    return row


def test_rows_come_back_as_sqlalchemy_would_read_them(engine, make_user) -> None:
    user = make_user()
    event = _event(user.id)
    with tenant_session(user.id, engine) as session:
        run_prebuilt(session, INSERT, event)
        row = run_prebuilt(session, READ, {"user_id": user.id, "id": event["id"]}).one()
        through_sqlalchemy = session.connection().execute(
            READ, {"user_id": user.id, "id": event["id"]}
        )
        assert tuple(row) == tuple(through_sqlalchemy.one())
    assert row.id == event["id"] and isinstance(row.id, uuid.UUID)
    assert row.received_at == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert row.received_at.utcoffset() == timedelta(0)
    assert (row.payload_size, row.event_id) == (2, event["event_id"])


def test_a_result_answers_first_one_scalar_and_scalars(engine, make_user) -> None:
    user = make_user()
    with tenant_session(user.id, engine) as session:
        for answer in ("first", "scalar"):
            missing = run_prebuilt(session, READ, {"user_id": user.id, "id": uuid.uuid4()})
            assert getattr(missing, answer)() is None
        with pytest.raises(sa.exc.NoResultFound):
            run_prebuilt(session, READ, {"user_id": user.id, "id": uuid.uuid4()}).one()
        event = _event(user.id)
        run_prebuilt(session, INSERT, event)
        found = run_prebuilt(session, READ, {"user_id": user.id, "id": event["id"]})
        assert found.scalars().all() == [event["id"]]


def test_a_naive_timestamp_is_refused_as_through_sqlalchemy(engine, make_user) -> None:
    user = make_user()
    with (
        tenant_session(user.id, engine) as session,
        pytest.raises((ValueError, sa.exc.StatementError)),
    ):
        run_prebuilt(session, INSERT, _event(user.id, received_at=datetime(2026, 11, 28, 12, 0)))


def test_a_duplicate_key_raises_sqlalchemys_integrity_error(engine, make_user) -> None:
    user = make_user()
    event = _event(user.id)
    with pytest.raises(sa.exc.IntegrityError), tenant_session(user.id, engine) as session:
        run_prebuilt(session, INSERT, event)
        run_prebuilt(session, INSERT, {**event, "id": uuid.uuid4()})  # same event id
    with tenant_session(user.id, engine) as session:  # rolled back whole
        assert run_prebuilt(session, READ, {"user_id": user.id, "id": event["id"]}).first() is None


def test_a_statement_the_driver_path_cannot_run_goes_through_sqlalchemy(engine, make_user) -> None:
    user = make_user()
    events = [_event(user.id) for _ in range(3)]
    with tenant_session(user.id, engine) as session:
        for event in events:
            run_prebuilt(session, INSERT, event)
        ids = [event["id"] for event in events[:2]]
        found = run_prebuilt(session, READ_MANY, {"user_id": user.id, "ids": ids})
        assert sorted(found.scalars().all()) == sorted(ids)


def _postgres_user(engine: sa.Engine) -> User:
    user = User(email=f"{uuid.uuid4().hex[:12]}@example.com", name="P", password_hash="!")
    with global_session(engine) as session:
        session.add(user)
    return user


@pytest.mark.postgres
def test_on_postgres_it_runs_prepared_on_the_driver(pg_app_engine) -> None:
    engine = pg_app_engine
    user = _postgres_user(engine)
    with tenant_session(user.id, engine) as session:
        for _ in range(2):
            run_prebuilt(session, READ, {"user_id": user.id, "id": uuid.uuid4()})
        assert session.connection().execute(PREPARED_READS).scalar_one() == 1


@pytest.mark.postgres
def test_a_lost_connection_is_reported_as_unavailable_and_replaced(pg_app_engine, pg_admin) -> None:
    engine = pg_app_engine
    user = _postgres_user(engine)
    with pytest.raises(sa.exc.DBAPIError) as raised, tenant_session(user.id, engine) as session:
        pid = session.connection().execute(BACKEND_PID).scalar_one()
        with pg_admin.connect() as admin:
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        run_prebuilt(session, READ, {"user_id": user.id, "id": uuid.uuid4()})
    assert is_database_unavailable(raised.value)
    assert raised.value.connection_invalidated
    with tenant_session(user.id, engine) as session:  # the pool hands out a live one
        assert run_prebuilt(session, READ, {"user_id": user.id, "id": uuid.uuid4()}).first() is None


def _insert_new(engine: sa.Engine) -> sa.Executable:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, as the CSV import writes."""
    module = postgresql if engine.dialect.name == "postgresql" else sqlite
    return module.insert(EVENTS).on_conflict_do_nothing().returning(EVENTS.c.id)


def test_many_rows_come_back_from_one_call_skipping_the_ones_taken(engine, make_user) -> None:
    user = make_user()
    taken = _event(user.id)
    fresh = [_event(user.id) for _ in range(5)]
    statement = _insert_new(engine)
    with tenant_session(user.id, engine) as session:
        run_prebuilt(session, INSERT, taken)
        again = {**taken, "id": uuid.uuid4()}  # the same event id: skipped, not failed
        returned = run_prebuilt_many(session, statement, [fresh[0], again, *fresh[1:]])
        assert run_prebuilt_many(session, statement, []) == []
    assert [row.id for row in returned] == [event["id"] for event in fresh]


def test_many_rows_that_break_a_rule_roll_back_as_one(engine, make_user) -> None:
    user = make_user()
    rows = [_event(user.id), _event(user.id, payload_size=None)]  # NOT NULL
    with pytest.raises(sa.exc.IntegrityError), tenant_session(user.id, engine) as session:
        run_prebuilt_many(session, _insert_new(engine), rows)
    with tenant_session(user.id, engine) as session:
        assert (
            run_prebuilt(session, READ, {"user_id": user.id, "id": rows[0]["id"]}).first() is None
        )


# sum() of a numeric column: Postgres answers numeric, which SQLAlchemy reads as Decimal.
TOTAL_SIZE = sa.select(
    sa.func.count(), sa.func.sum(sa.cast(EVENTS.c.payload_size, sa.Numeric(12, 2)))
).where(EVENTS.c.user_id == sa.bindparam("user_id", type_=sa.Uuid))


def test_statements_run_together_answer_in_order_as_one_by_one(engine, make_user) -> None:
    user = make_user()
    events = [_event(user.id, payload_size=size) for size in (3, 4)]
    with tenant_session(user.id, engine) as session:
        for event in events:
            run_prebuilt(session, INSERT, event)
        reads = [(READ, {"user_id": user.id, "id": event["id"]}) for event in events]
        together = run_prebuilt_together(
            session, [*reads, (TOTAL_SIZE, {"user_id": user.id})], prepare=False
        )
        one_by_one = [
            session.connection().execute(statement, params)
            for statement, params in [*reads, (TOTAL_SIZE, {"user_id": user.id})]
        ]
        rows = [tuple(result.one()) for result in together]
        assert rows == [tuple(result.one()) for result in one_by_one]
    count, total = rows[2]
    assert (count, total) == (2, Decimal("7.00")) and isinstance(total, Decimal)


def test_statement_listeners_see_what_runs_on_the_driver(engine, make_user) -> None:
    user = make_user()
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        with tenant_session(user.id, engine) as session:
            run_prebuilt_together(
                session,
                [
                    (READ, {"user_id": user.id, "id": uuid.uuid4()}),
                    (TOTAL_SIZE, {"user_id": user.id}),
                ],
            )
            run_prebuilt_many(session, INSERT, [_event(user.id)])
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    queries = [statement for statement in seen if "webhook_events" in statement]
    assert len(queries) == 3
    assert "payload_size" in queries[1] and queries[2].lstrip().upper().startswith("INSERT")


def test_a_failure_among_statements_run_together_is_sqlalchemys_error(engine, make_user) -> None:
    user = make_user()
    broken = sa.select(sa.table("no_such_table", sa.column("x")).c.x)
    with pytest.raises(sa.exc.DBAPIError), tenant_session(user.id, engine) as session:
        run_prebuilt_together(
            session, [(TOTAL_SIZE, {"user_id": user.id}), (broken, {})], prepare=False
        )


@pytest.mark.postgres
def test_a_tenant_session_sets_its_tenant_in_every_transaction_it_begins(pg_app_engine) -> None:
    user = _postgres_user(pg_app_engine)
    setting = sa.text("SELECT current_setting('app.current_user_id', true)")
    with tenant_session(user.id, pg_app_engine) as session:
        first = session.connection().execute(setting).scalar()
        session.commit()
        second = session.connection().execute(setting).scalar()
        session.rollback()
        third = session.connection().execute(setting).scalar()
    assert first == second == third == str(user.id)
    with global_session(pg_app_engine) as session:  # no tenant: none is carried over
        assert session.connection().execute(setting).scalar() in ("", None)


@pytest.mark.postgres
def test_the_tenant_setting_travels_with_the_first_statements_run_together(
    pg_app_engine,
) -> None:
    user = _postgres_user(pg_app_engine)
    seen: list[tuple[str, bool]] = []

    def record(_conn, cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        in_pipeline = cursor.connection.pgconn.pipeline_status != psycopg.pq.PipelineStatus.OFF
        seen.append(("set_config" if "set_config" in statement else "query", in_pipeline))

    with tenant_session(user.id, pg_app_engine) as session:
        run_prebuilt(session, INSERT, _event(user.id, payload_size=5))
    sa.event.listen(pg_app_engine, "before_cursor_execute", record)
    try:
        with tenant_session(user.id, pg_app_engine) as session:
            count, total = run_prebuilt_together(
                session, [(TOTAL_SIZE, {"user_id": user.id}), (TOTAL_SIZE, {"user_id": user.id})]
            )
    finally:
        sa.event.remove(pg_app_engine, "before_cursor_execute", record)
    # One pipeline: BEGIN, the setting, the queries; and the policy saw the tenant.
    assert seen == [("set_config", True), ("query", True), ("query", True)]
    assert count.one() == total.one() == (1, Decimal("5.00"))


@pytest.mark.postgres
def test_a_unit_of_work_that_ran_nothing_leaves_no_tenant_on_its_connection(pg_app_engine) -> None:
    user = _postgres_user(pg_app_engine)
    # An engine of its own, so that its one pooled connection is the one handed back.
    engine = create_db_engine(pg_app_engine.url.render_as_string(hide_password=False))
    try:
        with tenant_session(user.id, engine) as session:
            pid = session.connection().execute(BACKEND_PID).scalar_one()
        with tenant_session(user.id, engine) as session:
            session.connection()  # the transaction begins; no statement follows
        with engine.connect() as connection:  # no session: no tenant of its own
            assert connection.execute(BACKEND_PID).scalar_one() == pid
            setting = sa.text("SELECT current_setting('app.current_user_id', true)")
            assert connection.execute(setting).scalar() in ("", None)
    finally:
        engine.dispose()


def test_textual_sql_comes_back_as_the_driver_reads_it(engine, make_user) -> None:
    user = make_user()
    statement = sa.text("SELECT 1 AS one, 'two' AS two")
    with tenant_session(user.id, engine) as session:
        row = run_prebuilt(session, statement, {}).one()
    assert (row.one, row.two) == (1, "two")
