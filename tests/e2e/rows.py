"""Rows written straight into the running app's database, as a webhook or another tab would."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import func, select

from crm_app.core.db import create_db_engine, global_session, tenant_session
from crm_app.models import CallLog, Lead
from crm_app.services.users import get_user_by_email
from tests.factories import (
    add_activity,
    add_automation_log,
    add_call_log,
    add_contact,
    add_lead,
    add_webhook_event,
)

# Links to other records, given as the strings insert_rows returns (execution_id and
# external_call_id are the provider's own text).
_RECORD_IDS = frozenset({"id", "lead_id", "contact_id"})
_FACTORIES = {
    "leads": add_lead,
    "contacts": add_contact,
    "call_logs": add_call_log,
    "automation_logs": add_automation_log,
    "webhook_events": add_webhook_event,
    "activities": add_activity,
}


def user_id_of(app_server: Any, email: str) -> uuid.UUID:
    """The id of the account signed up with this email."""
    engine = create_db_engine(app_server.database_url)
    try:
        with global_session(engine) as session:
            return get_user_by_email(session=session, email=email).id
    finally:
        engine.dispose()


def insert_rows(app_server: Any, user_id: uuid.UUID, **tables: list[dict[str, Any]]) -> list[str]:
    """Insert rows per table (a key of _FACTORIES: leads, contacts, ...); their ids, in order."""
    engine = create_db_engine(app_server.database_url)
    ids = []
    try:
        with tenant_session(user_id, engine) as session:
            for table, rows in tables.items():
                for fields in rows:
                    values = {
                        key: uuid.UUID(value)
                        if key in _RECORD_IDS and isinstance(value, str)
                        else value
                        for key, value in fields.items()
                    }
                    ids.append(str(_FACTORIES[table](session, user_id=user_id, **values).id))
    finally:
        engine.dispose()
    return ids


def update_call(app_server: Any, user_id: uuid.UUID, call_id: str, **fields: Any) -> None:
    """Change a call in the running app's database, as a provider's webhook would."""
    engine = create_db_engine(app_server.database_url)
    try:
        with tenant_session(user_id, engine) as session:
            call = session.get(CallLog, (user_id, uuid.UUID(call_id)))
            assert call is not None and call.user_id == user_id
            for name, value in fields.items():
                setattr(call, name, value)
            session.add(call)
    finally:
        engine.dispose()


def lead_count(app_server: Any, user_id: uuid.UUID) -> int:
    """How many leads the user has in the running app's database."""
    engine = create_db_engine(app_server.database_url)
    try:
        with tenant_session(user_id, engine) as session:
            counted = select(func.count()).select_from(Lead).where(Lead.user_id == user_id)
            return session.exec(counted).one()
    finally:
        engine.dispose()
