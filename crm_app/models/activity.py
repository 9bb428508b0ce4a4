"""Timeline entries on a lead or contact: notes, SMS, status changes."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from crm_app.models.base import TenantMixin, UTCDateTime, tenant_fk, tenant_index, utcnow


class Activity(TenantMixin, table=True):
    """One thing that happened to a lead or contact."""

    __tablename__ = "activities"
    __table_args__ = (
        tenant_fk("lead_id", "leads"),
        tenant_fk("contact_id", "contacts"),
        tenant_index("activities", "lead_id", "occurred_at"),
        tenant_index("activities", "contact_id", "occurred_at"),
        tenant_index("activities", "occurred_at"),
    )

    kind: str = Field(max_length=30)  # note | sms_in | sms_out | status_change
    body: str = Field(default="", sa_type=sa.Text)
    external_id: str | None = Field(default=None, max_length=100)
    lead_id: uuid.UUID | None = Field(default=None)
    contact_id: uuid.UUID | None = Field(default=None)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # When a note's text was last changed; None for one as written (alembic 0013).
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
