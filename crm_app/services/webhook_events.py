"""A user's webhook audit trail, newest first; always filtered by user_id in SQL."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from crm_app.models import WebhookEvent
from crm_app.services.pagination import Page, paginate


def list_webhook_events(
    *,
    session: Session,
    user_id: uuid.UUID,
    provider: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[WebhookEvent]:
    """One page of the webhook requests a user received, newest first."""
    statement = select(WebhookEvent).where(WebhookEvent.user_id == user_id)
    if provider:
        statement = statement.where(WebhookEvent.provider == provider.strip().lower())
    if status:
        statement = statement.where(WebhookEvent.status == status.strip().lower())
    statement = statement.order_by(WebhookEvent.received_at.desc(), WebhookEvent.id.desc())
    return paginate(session, statement, offset=offset, limit=limit)


def get_webhook_event(
    *, session: Session, user_id: uuid.UUID, event_id: uuid.UUID
) -> WebhookEvent | None:
    """The user's webhook event with this row id, or None."""
    statement = select(WebhookEvent).where(
        WebhookEvent.user_id == user_id, WebhookEvent.id == event_id
    )
    return session.exec(statement).first()
