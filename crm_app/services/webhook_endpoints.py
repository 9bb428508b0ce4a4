"""Per-user webhook URLs, one per provider: `{public_base_url}/api/webhooks/{provider}/{token}`.

The token is random (256 bits) and does two jobs, so it is stored twice:

- its SHA-256 in `webhook_endpoints.token_hash`, outside row-level security,
  is what routes an incoming webhook to its tenant (`find_endpoint_owner`,
  an exact-hash lookup run before any tenant is known);
- the token itself, sealed in the vault as service `webhook_token_<provider>`,
  lets the integrations page show the same URL again after a reload.

Why not derive the token (an HMAC of user, provider and a counter) instead of
storing it: every derivable key hangs off ENCRYPTION_KEY, so rotating the
master key would silently change every user's URL and break every provider
configured with it. A sealed random token is re-encrypted by `rotate_keys`
like any other secret and the URL survives the rotation unchanged.

Regenerating replaces both in one unit of work: the old URL stops working at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
import uuid
from datetime import datetime
from hmac import compare_digest

import sqlalchemy as sa
from sqlmodel import Session, select

from crm_app.core.config import get_settings
from crm_app.core.crypto import DecryptionError, Keyring
from crm_app.core.db import TENANT_SETTING
from crm_app.core.prebuilt import run_prebuilt
from crm_app.models import WebhookEndpoint
from crm_app.models.base import utcnow
from crm_app.services.api_key_formats import WEBHOOK_PROVIDERS, WEBHOOK_TOKEN_PREFIX
from crm_app.services.errors import InvalidInput
from crm_app.services.vault import get_api_key, save_api_key

TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,128}")
_ENDPOINTS = WebhookEndpoint.__table__  # type: ignore[attr-defined]
_OWNERS = (
    sa.select(_ENDPOINTS.c.user_id)
    .where(
        _ENDPOINTS.c.token_hash == sa.bindparam("token_hash"),
        _ENDPOINTS.c.provider == sa.bindparam("provider"),
    )
    .limit(2)
)
# The same lookup that also makes the rest of the transaction the owner's on
# Postgres (what tenant_session does first): one round trip instead of two.
_OWNERS_AS_TENANT = _OWNERS.add_columns(
    sa.func.set_config(TENANT_SETTING, sa.cast(_ENDPOINTS.c.user_id, sa.Text), True)
)


@dataclasses.dataclass(frozen=True)
class EndpointInfo:
    """One of a user's webhook endpoints; `token` is None when it cannot be shown again."""

    provider: str
    token: str | None = dataclasses.field(repr=False)
    created_at: datetime
    regenerated_at: datetime


def hash_token(token: str) -> str:
    """The stored form of a URL token: SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def webhook_url(provider: str, token: str, base_url: str | None = None) -> str:
    """The URL a provider is configured with, on the public base URL."""
    base = (base_url or get_settings().public_base_url).rstrip("/")
    return f"{base}/api/webhooks/{provider}/{token}"


def _check_provider(provider: str) -> str:
    if provider not in WEBHOOK_PROVIDERS:
        raise InvalidInput({"provider": f"one of {', '.join(WEBHOOK_PROVIDERS)}"})
    return provider


def _endpoint(session: Session, user_id: uuid.UUID, provider: str) -> WebhookEndpoint | None:
    statement = select(WebhookEndpoint).where(
        WebhookEndpoint.user_id == user_id, WebhookEndpoint.provider == provider
    )
    return session.exec(statement).first()


def _stored_token(
    session: Session, endpoint: WebhookEndpoint, keyring: Keyring | None
) -> str | None:
    """The endpoint's token from the vault, if it is there and still matches the hash."""
    token = get_api_key(
        session=session,
        user_id=endpoint.user_id,
        service=WEBHOOK_TOKEN_PREFIX + endpoint.provider,
        keyring=keyring,
    )
    if token is None or not compare_digest(hash_token(token.reveal()), endpoint.token_hash):
        return None
    return token.reveal()


def regenerate_endpoint(
    *, session: Session, user_id: uuid.UUID, provider: str, keyring: Keyring | None = None
) -> str:
    """A new random token for the user's provider URL; the previous URL stops working at once."""
    provider = _check_provider(provider)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    endpoint = _endpoint(session, user_id, provider)
    if endpoint is None:
        endpoint = WebhookEndpoint(user_id=user_id, provider=provider, token_hash="")
    endpoint.token_hash = hash_token(token)
    endpoint.updated_at = utcnow()
    session.add(endpoint)
    save_api_key(
        session=session,
        user_id=user_id,
        service=WEBHOOK_TOKEN_PREFIX + provider,
        raw_key=token,
        keyring=keyring,
    )
    session.flush()
    return token


def ensure_endpoint(
    *, session: Session, user_id: uuid.UUID, provider: str, keyring: Keyring | None = None
) -> str:
    """The token of the user's provider URL, created on first use.

    Raises crypto.DecryptionError when the stored token cannot be opened
    (rather than silently replacing a URL a provider may be configured with).
    """
    endpoint = _endpoint(session, user_id, _check_provider(provider))
    if endpoint is not None:
        token = _stored_token(session, endpoint, keyring)
        if token is not None:
            return token
    # No endpoint yet, or one whose token was never kept: a new one is the only way to show it.
    return regenerate_endpoint(session=session, user_id=user_id, provider=provider, keyring=keyring)


def list_endpoints(
    *, session: Session, user_id: uuid.UUID, keyring: Keyring | None = None
) -> list[EndpointInfo]:
    """The user's webhook endpoints with their tokens (None where one cannot be shown)."""
    statement = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.user_id == user_id)
        .order_by(WebhookEndpoint.provider)
    )
    endpoints = []
    for endpoint in session.exec(statement).all():
        try:
            token = _stored_token(session, endpoint, keyring)
        except DecryptionError:  # already logged; the others can still be listed
            token = None
        endpoints.append(
            EndpointInfo(
                provider=endpoint.provider,
                token=token,
                created_at=endpoint.created_at,
                regenerated_at=endpoint.updated_at,
            )
        )
    return endpoints


def find_endpoint_owner(
    *, session: Session, provider: str, token: str, enter_tenant: bool = False
) -> uuid.UUID | None:
    """The user whose URL for this provider carries this token, or None.

    Not a tenant service: it runs before any tenant is known (global_session),
    and only ever by the exact hash of a well-formed token. With enter_tenant,
    on Postgres the rest of the transaction becomes the owner's, as if begun
    by tenant_session (the caller must still scope later transactions).
    """
    if provider not in WEBHOOK_PROVIDERS or not isinstance(token, str):
        return None
    if not _TOKEN_SHAPE.fullmatch(token):
        return None
    # Prebuilt and run as Core: every webhook request starts here.
    parameters = {"token_hash": hash_token(token), "provider": provider}
    as_tenant = enter_tenant and session.get_bind().dialect.name == "postgresql"
    owners = run_prebuilt(session, _OWNERS_AS_TENANT if as_tenant else _OWNERS, parameters)
    owners = owners.scalars().all()
    # Two owners of one hash cannot happen with random tokens; if it ever did, route to
    # no one (and write nothing: the transaction then holds one of them as its tenant).
    return owners[0] if len(owners) == 1 else None
