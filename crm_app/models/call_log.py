"""Calls placed or answered by a voice agent (Vapi) or a phone line (Twilio)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field

from crm_app.models.base import (
    TenantMixin,
    TimestampMixin,
    UTCDateTime,
    search_text_field,
    tenant_fk,
    tenant_index,
)

# The customer's number as stored; else the number on the customer's side of the call, as
# the provider sent it (Twilio's "anonymous", a short code), which is no valid number.
CUSTOMER_SIDE = (
    "coalesce(customer_number, "
    "CASE WHEN direction = 'outbound' THEN to_number ELSE from_number END)"
)


def customer_side(call: CallLog) -> str | None:
    """CUSTOMER_SIDE of one call: the customer's number, else the number on their side of
    the call (never the business's own line, the other side of an outbound call)."""
    return call.customer_number or (
        call.to_number if call.direction == "outbound" else call.from_number
    )


class CallLog(TenantMixin, TimestampMixin, table=True):
    """One call, unique per provider and the provider's call id."""

    __tablename__ = "call_logs"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "provider", "external_call_id"),
        tenant_fk("lead_id", "leads"),
        tenant_fk("contact_id", "contacts"),
        tenant_index("call_logs", "created_at"),
        tenant_index("call_logs", "started_at"),
        tenant_index("call_logs", "lead_id"),
        tenant_index("call_logs", "contact_id"),
        tenant_index("call_logs", "carrier_call_id"),
    )

    provider: str = Field(max_length=20)  # vapi | twilio
    external_call_id: str = Field(max_length=100)
    direction: str = Field(default="inbound", max_length=20)  # inbound | outbound
    from_number: str | None = Field(default=None, max_length=20)
    to_number: str | None = Field(default=None, max_length=20)
    customer_number: str | None = Field(default=None, max_length=20)
    customer_name: str = Field(default="", max_length=200)
    status: str = Field(default="queued", max_length=30)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_seconds: int | None = Field(default=None, ge=0)
    cost: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 4))
    ended_reason: str | None = Field(default=None, max_length=100)
    summary: str = Field(default="", sa_type=sa.Text)
    success_evaluation: str | None = Field(default=None, max_length=200)
    transcript: str = Field(default="", sa_type=sa.Text)
    recording_url: str | None = Field(default=None, max_length=2000)
    # Twilio may deliver status callbacks out of order; the highest wins.
    last_sequence_number: int | None = Field(default=None)
    lead_id: uuid.UUID | None = Field(default=None)
    contact_id: uuid.UUID | None = Field(default=None)
    # When the lead or contact it was linked to was deleted: the call's later events
    # (a report, a status callback, a replay) link it to no one new.
    unlinked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The call's id at the carrier a Vapi call went through (Twilio's CallSid): the same
    # phone call, when that Twilio number's status callbacks come here too.
    carrier_call_id: str | None = Field(default=None, max_length=100)
    # The customer's side only: the business's own line is in every call, so a search for
    # its area code (or any digits of it) found them all. A line's whole number still finds
    # its calls (services/call_logs).
    search_text: str | None = search_text_field("customer_name", "external_call_id", CUSTOMER_SIDE)
