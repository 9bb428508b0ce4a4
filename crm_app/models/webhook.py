"""Webhook endpoints (per user and provider) and the audit trail of every request."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from crm_app.models.base import TenantMixin, TimestampMixin, UTCDateTime, tenant_index, utcnow


class WebhookEndpoint(TenantMixin, TimestampMixin, table=True):
    """A user's URL token for one provider, stored as its SHA-256.

    Read before a tenant is known (to route a webhook), so it sits outside
    row-level security and is only ever looked up by the exact token hash.
    """

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        sa.UniqueConstraint("token_hash", "user_id"),
        sa.UniqueConstraint("user_id", "provider"),
    )

    provider: str = Field(max_length=20)  # vapi | twilio | make
    token_hash: str = Field(max_length=64)


# Statuses of requests that changed nothing: past a few in a while, repeats are counted.
NOISE_STATUSES = ("rejected", "duplicate")


class WebhookEvent(TenantMixin, table=True):
    """One received webhook request (accepted, duplicate, rejected or failed), or a run of repeats.

    A rejected or duplicate request usually gets a row of its own; when a
    provider's URL is flooded with them (a leaked URL, a replayed capture), a
    repeat of a recent row is counted on it instead (`repeats`), so the trail
    stays readable and the table stays small (services/webhook_ingest.py).
    """

    __tablename__ = "webhook_events"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "provider", "event_id"),
        tenant_index("webhook_events", "received_at"),
        # The recent noise of one provider, found without reading its accepted events.
        sa.Index(
            "ix_webhook_events_user_id_provider_received_at_noise",
            "user_id",
            "provider",
            "received_at",
            postgresql_where=sa.text("status IN ('rejected', 'duplicate')"),
            sqlite_where=sa.text("status IN ('rejected', 'duplicate')"),
        ),
    )

    provider: str = Field(max_length=20)
    event_id: str | None = Field(default=None, max_length=200)
    event_type: str = Field(default="", max_length=100)
    status: str = Field(max_length=20)  # accepted | duplicate | rejected | failed
    reason: str = Field(default="", max_length=500)
    # Redacted JSON; None for rejected requests, which keep only size and hash.
    payload: str | None = Field(default=None, sa_type=sa.Text)
    payload_size: int = Field(default=0, ge=0)
    payload_sha256: str = Field(default="", max_length=64)
    # What the event created, as JSON; for Vapi tool calls, the whole answer (a redelivery
    # gets it again).
    result: str = Field(default="", sa_type=sa.Text)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Later requests counted on this row instead of adding their own, and when the last came.
    repeats: int = Field(default=0, ge=0, sa_column_kwargs={"server_default": "0"})
    last_repeated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
