"""Third-party API keys, encrypted; at most one active key per user and service."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from crm_app.models.base import TenantMixin, TimestampMixin, UTCDateTime, tenant_index


class ApiKey(TenantMixin, TimestampMixin, table=True):
    """One stored key: AES-256-GCM ciphertext, never the raw value."""

    __tablename__ = "api_keys"
    __table_args__ = (
        sa.Index(
            "uq_api_keys_user_id_service_active",
            "user_id",
            "service",
            unique=True,
            sqlite_where=sa.text("is_active"),
            postgresql_where=sa.text("is_active"),
        ),
        tenant_index("api_keys", "created_at"),
    )

    service: str = Field(max_length=40)
    ciphertext: bytes | None = Field(default=None, sa_type=sa.LargeBinary, repr=False)
    key_version: int = Field(default=1)
    fingerprint: str = Field(default="", max_length=64)
    hint: str = Field(default="", max_length=20)  # e.g. "…a1f3"
    public_value: str = Field(default="", max_length=200)  # non-secret part, e.g. Twilio SID
    is_active: bool = Field(default=True)
    deactivated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
