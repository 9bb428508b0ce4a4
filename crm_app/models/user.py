"""Accounts (not tenant data: read by email before anyone is logged in) and their sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from crm_app.models.base import TenantMixin, UTCDateTime, tenant_index, utcnow


class UserBase(SQLModel):
    """Fields a user may see about themselves."""

    email: str = Field(max_length=320)
    name: str = Field(default="", max_length=200)


class User(UserBase, table=True):
    """An account; every tenant row belongs to one."""

    __tablename__ = "users"
    __table_args__ = (sa.UniqueConstraint("email"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    password_hash: str = Field(max_length=255, repr=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class UserPublic(UserBase):
    """A user as the API returns it: never the password hash."""

    id: uuid.UUID


class UserSession(TenantMixin, table=True):
    """One issued session token (its jti is the id); revoked on logout or password change."""

    __tablename__ = "user_sessions"
    __table_args__ = (tenant_index("user_sessions", "expires_at"),)

    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_agent: str = Field(default="", max_length=300)
