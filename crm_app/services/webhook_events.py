"""A user's webhook audit trail, newest first; always filtered by user_id in SQL."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from crm_app.models import WebhookEvent
from crm_app.services.pagination import Page, paginate, search_filter

# Enough distinct event types for a filter menu.
MAX_TYPE_OPTIONS = 50


def list_webhook_events(
    *,
    session: Session,
    user_id: uuid.UUID,
    provider: str | None = None,
    status: str | None = None,
    event_type: str | None = None,
    search: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[WebhookEvent]:
    """One page of the webhook requests a user received, newest first.

    `search` matches the provider's event id, and the reason, which is where a
    duplicate names the event it repeats.
    """
    statement = select(WebhookEvent).where(WebhookEvent.user_id == user_id)
    if provider:
        statement = statement.where(WebhookEvent.provider == provider.strip().lower())
    if status:
        statement = statement.where(WebhookEvent.status == status.strip().lower())
    if event_type:
        statement = statement.where(WebhookEvent.event_type == event_type.strip())
    matches = search_filter(search, [WebhookEvent.event_id, WebhookEvent.reason])
    if matches is not None:
        statement = statement.where(matches)
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


def webhook_event_types(*, session: Session, user_id: uuid.UUID) -> list[str]:
    """The distinct event types among the user's webhook events, alphabetically."""
    statement = (
        select(WebhookEvent.event_type)
        .where(WebhookEvent.user_id == user_id, WebhookEvent.event_type != "")
        .distinct()
        .order_by(WebhookEvent.event_type)
        .limit(MAX_TYPE_OPTIONS)
    )
    return list(session.exec(statement).all())
