"""One webhook request from token to answer: which unit of work does what, in which order.

1. the token finds the user (an exact lookup by its hash in a table outside
   row-level security; unknown: 404, logged without the token); the unit of
   work then becomes that user's (`set_config`, as tenant_session does; on
   Postgres in the lookup's own statement) and reads their secrets (one
   statement for both of Vapi's);
2. signature, timestamp and shape are checked (no database): a refusal is
   audited without the payload;
3. the audit row and the records the event produces are written; the answer
   is built only after the commit;
4. if applying fails, that unit of work is rolled back whole and the failure
   is audited, payload included, in a fresh one (a Replay can apply it later).

On Postgres all of it is one transaction: each transaction costs a pool
checkout, a BEGIN, a COMMIT and the tenant setting, and each statement a
round trip, which is why the statements are few, prebuilt and prepared
(core/prebuilt.py; figures in docs/performance.md). On SQLite the writes get
a transaction of their own, which begins with its first INSERT: a SQLite
transaction that has read cannot wait for a concurrent writer to finish (it
fails at once with "database is locked"), one that begins by writing can.

Runs in a worker thread (the database calls block).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from crm_app.core.db import (
    gave_way_to_another,
    global_session,
    is_database_unavailable,
    set_tenant,
    sqlstate,
    tenant_session,
)
from crm_app.services.errors import InvalidInput
from crm_app.services.webhook_endpoints import find_endpoint_owner
from crm_app.services.webhook_ingest import (
    failure_reason,
    ingest_webhook_event,
    load_webhook_credentials,
    record_failed_webhook,
    record_rejected_webhook,
)
from crm_app.services.webhook_parse import verify_and_parse
from crm_app.services.webhook_types import (
    Delivery,
    IncomingEvent,
    IngestOutcome,
    WebhookCredentials,
    WebhookRejected,
)

logger = logging.getLogger(__name__)

UNKNOWN_URL = "unknown webhook URL"
# Runs of one delivery's unit of work when Postgres rolls it back for another's sake.
ATTEMPTS = 3
TOO_LARGE = "body too large"


@dataclass(frozen=True)
class Answer:
    """What to answer: a status code, and the outcome of an event that was stored."""

    status_code: int
    reason: str = ""
    outcome: IngestOutcome | None = None


def _find_owner(
    session: Session, provider: str, token: str, enter_tenant: bool = False
) -> uuid.UUID | None:
    """The user this provider's URL token belongs to, or None."""
    owner = find_endpoint_owner(
        session=session, provider=provider, token=token, enter_tenant=enter_tenant
    )
    if owner is None:
        # Never the token: it is the URL's only secret part.
        logger.info("webhook for %s with an unknown token refused", provider)
    return owner


@contextmanager
def _owners_unit_of_work(provider: str, token: str) -> Iterator[tuple[Session, uuid.UUID | None]]:
    """One unit of work that looks the token up and then belongs to its owner (None: unknown).

    On Postgres the lookup itself sets the tenant for the transaction it begins;
    set_tenant scopes any later one.
    """
    with global_session() as session:
        owner = _find_owner(session, provider, token, enter_tenant=True)
        if owner is not None:
            set_tenant(session, owner)
        yield session, owner


def _writes_join_the_lookup(session: Session) -> bool:
    """Whether the writes may share the lookup's transaction (not on SQLite: see above)."""
    return session.get_bind().dialect.name != "sqlite"


class _NotApplied(Exception):
    """A verified event whose records could not be written: its unit of work must roll back."""

    def __init__(self, owner: uuid.UUID, event: IncomingEvent, status_code: int, reason: str):
        self.owner, self.event, self.status_code, self.reason = owner, event, status_code, reason


def _reject(
    session: Session, owner: uuid.UUID, delivery: Delivery, status_code: int, reason: str
) -> Answer:
    record_rejected_webhook(
        session=session,
        user_id=owner,
        provider=delivery.provider,
        reason=reason,
        size=delivery.size,
        sha256=delivery.sha256,
        received_at=delivery.received_at,
    )
    return Answer(status_code, reason)


def reject_oversized(*, provider: str, token: str, size: int, received_at: datetime) -> Answer:
    """413 for a body over the limit, audited for its owner (size only: it was never read)."""
    audit_unread(provider=provider, token=token, reason=TOO_LARGE, size=size, at=received_at)
    return Answer(413, TOO_LARGE)


def audit_unread(*, provider: str, token: str, reason: str, size: int, at: datetime) -> None:
    """Audit a request refused before its body was read, for the owner of the token (if any)."""
    with global_session() as session:
        owner = _find_owner(session, provider, token)
    if owner is not None:
        with tenant_session(owner) as session:
            record_rejected_webhook(
                session=session,
                user_id=owner,
                provider=provider,
                reason=reason,
                size=size,
                sha256="",
                received_at=at,
            )


def handle_delivery(*, token: str, delivery: Delivery) -> Answer:
    """Verify, audit and apply one delivery; the answer the provider should get.

    Run again when Postgres rolled it back for another transaction's sake (a
    deadlock, a serialization failure): nothing of it was kept, and the answer
    would otherwise be a 503 with no audit row, for a report Vapi never resends.
    """
    attempt = 1
    while True:
        try:
            return _handle_once(token, delivery)
        except Exception as error:
            if attempt == ATTEMPTS or not gave_way_to_another(error):
                raise
            attempt += 1
            logger.warning(
                "a %s webhook's unit of work gave way to another (SQLSTATE %s): attempt %d of %d",
                delivery.provider,
                sqlstate(error),
                attempt,
                ATTEMPTS,
            )


def _handle_once(token: str, delivery: Delivery) -> Answer:
    try:
        with _owners_unit_of_work(delivery.provider, token) as (session, owner):
            if owner is None:
                return Answer(404, UNKNOWN_URL)
            # A secret that cannot be opened is logged by the vault, without the secret.
            credentials = load_webhook_credentials(
                session=session, user_id=owner, provider=delivery.provider
            )
            if _writes_join_the_lookup(session):
                return _verify_and_apply(session, owner, delivery, credentials)
        with tenant_session(owner) as session:
            return _verify_and_apply(session, owner, delivery, credentials)
    except _NotApplied as failure:
        return _failed(failure, delivery)


def _verify_and_apply(
    session: Session,
    owner: uuid.UUID,
    delivery: Delivery,
    credentials: WebhookCredentials,
) -> Answer:
    try:
        event = verify_and_parse(delivery, credentials)
    except WebhookRejected as rejection:
        return _reject(session, owner, delivery, rejection.status_code, rejection.reason)
    try:
        outcome = ingest_webhook_event(
            session=session, user_id=owner, event=event, received_at=delivery.received_at
        )
        # Here, not on leaving the block: a failing commit is a failure of this event.
        session.commit()
    except WebhookRejected as rejection:  # refused before it changed anything (a reused id)
        return _reject(session, owner, delivery, rejection.status_code, rejection.reason)
    except InvalidInput as error:
        raise _NotApplied(owner, event, 422, failure_reason(error)) from None
    except Exception as error:
        if is_database_unavailable(error):
            raise
        logger.exception("applying a %s %s event failed", event.provider, event.event_type)
        raise _NotApplied(owner, event, 500, failure_reason(error)) from None
    return Answer(200, outcome=outcome)


def _failed(failure: _NotApplied, delivery: Delivery) -> Answer:
    with tenant_session(failure.owner) as session:
        record_failed_webhook(
            session=session,
            user_id=failure.owner,
            event=failure.event,
            reason=failure.reason,
            received_at=delivery.received_at,
        )
    return Answer(failure.status_code, failure.reason)
