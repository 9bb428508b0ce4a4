"""The tables. Importing this package registers every table on SQLModel.metadata."""

from crm_app.models.activity import Activity
from crm_app.models.api_key import ApiKey
from crm_app.models.automation_log import AutomationLog
from crm_app.models.call_log import CallLog
from crm_app.models.contact import Contact, ContactCreate, ContactPublic, ContactUpdate
from crm_app.models.lead import LEAD_STATUSES, Lead, LeadCreate, LeadPublic, LeadStatus, LeadUpdate
from crm_app.models.user import User, UserPublic, UserSession
from crm_app.models.webhook import WebhookEndpoint, WebhookEvent

# Tables whose rows belong to one user and sit behind row-level security on Postgres.
RLS_TABLES = (
    "leads",
    "contacts",
    "call_logs",
    "automation_logs",
    "webhook_events",
    "api_keys",
    "user_sessions",
    "activities",
)
# Tables with a user_id that must be read before a tenant is known (exact-key lookups only).
TENANT_TABLES_OUTSIDE_RLS = ("webhook_endpoints",)

__all__ = [
    "LEAD_STATUSES",
    "RLS_TABLES",
    "TENANT_TABLES_OUTSIDE_RLS",
    "Activity",
    "ApiKey",
    "AutomationLog",
    "CallLog",
    "Contact",
    "ContactCreate",
    "ContactPublic",
    "ContactUpdate",
    "Lead",
    "LeadCreate",
    "LeadPublic",
    "LeadStatus",
    "LeadUpdate",
    "User",
    "UserPublic",
    "UserSession",
    "WebhookEndpoint",
    "WebhookEvent",
]
