"""Contacts: people a business keeps talking to; one per phone number and email per user."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from crm_app.models.base import (
    TenantMixin,
    TimestampMixin,
    search_text_field,
    tenant_fk,
    tenant_index,
)


class ContactBase(SQLModel):
    """Fields a user edits on a contact."""

    name: str = Field(default="", max_length=200)
    phone: str | None = Field(default=None, max_length=20)  # E.164
    email: str | None = Field(default=None, max_length=320)
    company: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=10_000)


class ContactCreate(ContactBase):
    """What creating a contact takes."""


class ContactUpdate(SQLModel):
    """What updating a contact may change; None leaves a field as it is."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    company: str | None = None
    notes: str | None = None


class Contact(ContactBase, TenantMixin, TimestampMixin, table=True):
    """A contact row; lead_id remembers the lead it was converted from."""

    __tablename__ = "contacts"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "phone"),
        sa.UniqueConstraint("user_id", "email"),
        tenant_fk("lead_id", "leads"),
        tenant_index("contacts", "created_at"),
    )

    lead_id: uuid.UUID | None = Field(default=None)
    search_text: str | None = search_text_field("name", "email", "phone", "company")


class ContactPublic(ContactBase):
    """A contact as pages and the API show it."""

    id: uuid.UUID
