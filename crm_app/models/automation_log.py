"""Runs of Make.com scenarios reported back to the CRM."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from crm_app.models.base import TenantMixin, TimestampMixin, UTCDateTime, tenant_fk, tenant_index


class AutomationLog(TenantMixin, TimestampMixin, table=True):
    """One automation run, unique per execution id."""

    __tablename__ = "automation_logs"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "execution_id"),
        tenant_fk("lead_id", "leads"),
        tenant_fk("contact_id", "contacts"),
        tenant_index("automation_logs", "created_at"),
        # A lead's or contact's timeline looks its runs up by these.
        tenant_index("automation_logs", "lead_id"),
        tenant_index("automation_logs", "contact_id"),
    )

    scenario_id: str = Field(default="", max_length=100)
    scenario_name: str = Field(default="", max_length=200)
    execution_id: str = Field(max_length=100)
    status: str = Field(default="success", max_length=20)  # success | error | warning
    error: str | None = Field(default=None, sa_type=sa.Text)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_ms: int | None = Field(default=None, ge=0)
    lead_id: uuid.UUID | None = Field(default=None)
    contact_id: uuid.UUID | None = Field(default=None)
