"""Rows for tests: direct inserts for tables whose write services come later, and a seeded tenant.

Every factory takes the unit of work's session and the owner's user_id and
returns the flushed row; keyword arguments override the defaults.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from crm_app.core.db import tenant_session
from crm_app.models import (
    Activity,
    ApiKey,
    AutomationLog,
    CallLog,
    Contact,
    ContactCreate,
    Lead,
    LeadCreate,
    UserSession,
    WebhookEndpoint,
    WebhookEvent,
)
from crm_app.models.base import utcnow
from crm_app.services.contacts import create_contact
from crm_app.services.leads import create_lead
from crm_app.services.webhook_ingest import NOISE_ROWS_PER_WINDOW

Row = TypeVar("Row", bound=SQLModel)


def _add(session: Session, row: Row) -> Row:
    session.add(row)
    session.flush()
    return row


def _unique() -> str:
    return uuid.uuid4().hex[:12]


def add_lead(session: Session, *, user_id: uuid.UUID, **fields: Any) -> Lead:
    """A lead inserted as given (no validation): for explicit timestamps and bulk rows."""
    return _add(session, Lead(user_id=user_id, **{"name": f"Lead {_unique()}", **fields}))


def add_contact(session: Session, *, user_id: uuid.UUID, **fields: Any) -> Contact:
    """A contact inserted as given (no normalisation or duplicate check)."""
    return _add(session, Contact(user_id=user_id, **{"name": f"Contact {_unique()}", **fields}))


def add_call_log(session: Session, *, user_id: uuid.UUID, **fields: Any) -> CallLog:
    """A finished Vapi call, unless fields say otherwise."""
    defaults: dict[str, Any] = {
        "provider": "vapi",
        "external_call_id": f"call-{_unique()}",
        "status": "ended",
        "customer_number": "+14155550100",
        "customer_name": "Caller",
        "duration_seconds": 60,
        "cost": Decimal("0.1000"),
    }
    return _add(session, CallLog(user_id=user_id, **{**defaults, **fields}))


def add_automation_log(session: Session, *, user_id: uuid.UUID, **fields: Any) -> AutomationLog:
    """A successful Make.com run, unless fields say otherwise."""
    defaults = {"scenario_name": "Scenario", "execution_id": f"exec-{_unique()}"}
    return _add(session, AutomationLog(user_id=user_id, **{**defaults, **fields}))


def add_webhook_event(session: Session, *, user_id: uuid.UUID, **fields: Any) -> WebhookEvent:
    """An accepted Vapi event, unless fields say otherwise."""
    payload = fields.pop("payload", '{"message": {"type": "status-update"}}')
    defaults = {
        "provider": "vapi",
        "event_id": f"evt-{_unique()}",
        "event_type": "status-update",
        "status": "accepted",
        "payload": payload,
        "payload_size": len(payload or ""),
        "payload_sha256": hashlib.sha256((payload or "").encode()).hexdigest(),
    }
    return _add(session, WebhookEvent(user_id=user_id, **{**defaults, **fields}))


def add_activity(session: Session, *, user_id: uuid.UUID, **fields: Any) -> Activity:
    """A note, unless fields say otherwise."""
    return _add(session, Activity(user_id=user_id, **{"kind": "note", "body": "A note", **fields}))


def add_api_key(session: Session, *, user_id: uuid.UUID, **fields: Any) -> ApiKey:
    """A stored key row with placeholder ciphertext (these tests never decrypt it)."""
    defaults = {"service": f"svc-{_unique()}", "ciphertext": b"\x00" * 32, "hint": "...test"}
    return _add(session, ApiKey(user_id=user_id, **{**defaults, **fields}))


def add_user_session(session: Session, *, user_id: uuid.UUID, **fields: Any) -> UserSession:
    """An active login session that expires in an hour."""
    defaults = {"expires_at": utcnow() + timedelta(hours=1)}
    return _add(session, UserSession(user_id=user_id, **{**defaults, **fields}))


def add_webhook_endpoint(session: Session, *, user_id: uuid.UUID, **fields: Any) -> WebhookEndpoint:
    """A webhook endpoint (token hash only)."""
    defaults = {"provider": "vapi", "token_hash": hashlib.sha256(_unique().encode()).hexdigest()}
    return _add(session, WebhookEndpoint(user_id=user_id, **{**defaults, **fields}))


# One factory per tenant table, so a test can build a row of any of them.
FACTORIES = {
    "leads": add_lead,
    "contacts": add_contact,
    "call_logs": add_call_log,
    "automation_logs": add_automation_log,
    "webhook_events": add_webhook_event,
    "api_keys": add_api_key,
    "user_sessions": add_user_session,
    "activities": add_activity,
    "webhook_endpoints": add_webhook_endpoint,
}


@dataclass(frozen=True)
class TenantRows:
    """The ids of one row of every tenant table, all owned by one user and linked together."""

    lead_id: uuid.UUID
    lead_name: str
    lead_email: str
    contact_id: uuid.UUID
    contact_phone: str
    contact_email: str
    call_id: uuid.UUID
    call_customer_name: str
    automation_log_id: uuid.UUID
    webhook_event_id: uuid.UUID
    activity_id: uuid.UUID
    api_key_id: uuid.UUID
    user_session_id: uuid.UUID
    webhook_endpoint_id: uuid.UUID


# Leads of every tenant share this number: a search by it must still stay in the tenant.
SHARED_LEAD_PHONE = "+14155552671"

# Seeded contacts take their numbers in turn, never by chance: two tenants drawn at random
# once shared one, and B's import of A's number found B's own contact. The range leaves
# out SHARED_LEAD_PHONE and the fixed numbers tests write out (0100-0999, 9999).
_CONTACT_LINES = itertools.cycle(range(3000, 9000))


def _seeded_contact_phone() -> str:
    return f"+1415555{next(_CONTACT_LINES):04d}"


def seed_tenant(engine: sa.Engine, user_id: uuid.UUID, *, label: str) -> TenantRows:
    """One row in every tenant table for the user: lead and contact through the services."""
    unique, phone = _unique(), _seeded_contact_phone()
    with tenant_session(user_id, engine) as session:
        lead = create_lead(
            session=session,
            user_id=user_id,
            lead_in=LeadCreate(
                name=f"{label} lead {unique}",
                phone=SHARED_LEAD_PHONE,
                email=f"{label}-lead-{unique}@example.com",
                source="website",
            ),
        )
        contact = create_contact(
            session=session,
            user_id=user_id,
            contact_in=ContactCreate(
                name=f"{label} contact {unique}", phone=phone, email=f"{label}-{unique}@example.com"
            ),
        )
        contact.lead_id = lead.id
        links = {"lead_id": lead.id, "contact_id": contact.id}
        call = add_call_log(
            session,
            user_id=user_id,
            customer_name=f"{label} caller {unique}",
            carrier_call_id=f"CA{unique}",
            **links,
        )
        run = add_automation_log(session, user_id=user_id, **links)
        event = add_webhook_event(session, user_id=user_id)
        # A flood of forged Vapi requests, as many as a window holds: the tenant's next one
        # would be counted on the newest of these, and another tenant's never may be.
        for _ in range(NOISE_ROWS_PER_WINDOW):
            add_webhook_event(
                session,
                user_id=user_id,
                status="rejected",
                reason="bad signature",
                event_id=None,
                event_type="",
                payload=None,
            )
        activity = add_activity(session, user_id=user_id, **links)
        key = add_api_key(session, user_id=user_id)
        login = add_user_session(session, user_id=user_id)
        endpoint = add_webhook_endpoint(session, user_id=user_id)
        return TenantRows(
            lead_id=lead.id,
            lead_name=lead.name,
            lead_email=lead.email or "",
            contact_id=contact.id,
            contact_phone=contact.phone or "",
            contact_email=contact.email or "",
            call_id=call.id,
            call_customer_name=call.customer_name,
            automation_log_id=run.id,
            webhook_event_id=event.id,
            activity_id=activity.id,
            api_key_id=key.id,
            user_session_id=login.id,
            webhook_endpoint_id=endpoint.id,
        )
