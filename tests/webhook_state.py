"""What webhook tests look at afterwards: a user's rows, read through the tenant's unit of work."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import func, select

from crm_app.core.db import tenant_session
from crm_app.models import Activity, AutomationLog, CallLog, Contact, Lead, WebhookEvent

# The records a webhook may create, by table name.
RECORD_MODELS = {
    "leads": Lead,
    "contacts": Contact,
    "call_logs": CallLog,
    "automation_logs": AutomationLog,
    "activities": Activity,
}
NOTHING = dict.fromkeys(RECORD_MODELS, 0)


def owned(engine: sa.Engine, user_id: uuid.UUID, model: Any) -> list[Any]:
    """Every row of the model the user owns, oldest first."""
    with tenant_session(user_id, engine) as session:
        statement = select(model).where(model.user_id == user_id)
        names = ("created_at", "received_at", "occurred_at")
        order = next(getattr(model, name) for name in names if hasattr(model, name))
        return list(session.exec(statement.order_by(order, model.id)).all())


def audit_rows(engine: sa.Engine, user_id: uuid.UUID) -> list[WebhookEvent]:
    """The user's webhook_events rows, oldest first."""
    return owned(engine, user_id, WebhookEvent)


def record_counts(engine: sa.Engine, user_id: uuid.UUID) -> dict[str, int]:
    """How many CRM records of each kind the user owns."""
    with tenant_session(user_id, engine) as session:
        return {
            name: session.exec(
                select(func.count()).select_from(model).where(model.user_id == user_id)
            ).one()
            for name, model in RECORD_MODELS.items()
        }
