"""Leads: people who may become customers, moving through a pipeline of statuses."""

from __future__ import annotations

import uuid
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from crm_app.models.base import TenantMixin, TimestampMixin, search_text_field, tenant_index


class LeadStatus(StrEnum):
    """The pipeline, in order."""

    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    WON = "won"
    LOST = "lost"


LEAD_STATUSES = tuple(status.value for status in LeadStatus)


class LeadBase(SQLModel):
    """Fields a user edits on a lead."""

    name: str = Field(default="", max_length=200)
    phone: str | None = Field(default=None, max_length=20)  # E.164
    email: str | None = Field(default=None, max_length=320)
    status: str = Field(default=LeadStatus.NEW.value, max_length=20)
    source: str = Field(default="manual", max_length=50)
    notes: str = Field(default="", max_length=10_000)


class LeadCreate(LeadBase):
    """What creating a lead takes."""


class LeadUpdate(SQLModel):
    """What updating a lead may change; None leaves a field as it is."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    status: str | None = None
    source: str | None = None
    notes: str | None = None


class Lead(LeadBase, TenantMixin, TimestampMixin, table=True):
    """A lead row."""

    __tablename__ = "leads"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('new', 'contacted', 'qualified', 'won', 'lost')", name="status"
        ),
        tenant_index("leads", "created_at"),
        tenant_index("leads", "status"),
        tenant_index("leads", "phone"),
        tenant_index("leads", "email"),
    )

    search_text: str | None = search_text_field("name", "email", "phone")


class LeadPublic(LeadBase):
    """A lead as pages and the API show it."""

    id: uuid.UUID
