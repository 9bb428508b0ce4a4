"""The API-key vault: a user's third-party secrets, sealed with AES-256-GCM, one active per service.

Each secret is sealed under the current master key with associated data that
binds it to its user, service and row (crypto.associated_data), so a
ciphertext copied anywhere else fails to open. Rows record the key version
that sealed them; `rotate_keys` moves every row to the current key.

`get_api_key` is for server code only (webhook verification, provider calls):
pages get `list_connections`, which never holds a key.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from hmac import compare_digest

import sqlalchemy as sa
from sqlmodel import Session, func, select, update

from crm_app.core.config import get_settings
from crm_app.core.crypto import (
    DecryptionError,
    Keyring,
    Secret,
    associated_data,
    fingerprint,
    hint,
    open_sealed,
    seal,
)
from crm_app.core.db import get_engine, global_session, tenant_session
from crm_app.core.prebuilt import run_prebuilt
from crm_app.models import ApiKey, User
from crm_app.models.base import utcnow
from crm_app.services.api_key_formats import (
    CONNECTION_SERVICES,
    check_public_value,
    check_secret,
    check_service_name,
)

MAKE_SECRET_BYTES = 32
_USER_PAGE = 1000


@dataclasses.dataclass(frozen=True)
class Connection:
    """What a page may know about one service's key: never the key itself."""

    service: str
    connected: bool
    fingerprint: str = ""
    hint: str = ""
    public_value: str = ""
    saved_at: datetime | None = None
    # False when it was sealed under a master key the server no longer has (told by the key
    # id it was sealed under: nothing is decrypted to show this page).
    readable: bool = True


def current_keyring() -> Keyring:
    """The keyring of the configured ENCRYPTION_KEY and ENCRYPTION_KEYS_PREVIOUS."""
    settings = get_settings()
    # Kept while the keys stay the same: every webhook opens secrets, and deriving
    # the sub-keys each time (several HKDFs) cost a tenth of a delivery's CPU.
    keys = (settings.encryption_key, settings.encryption_keys_previous)
    keyring = _keyrings.get(keys)
    if keyring is None:
        keyring = Keyring.from_settings(settings)
        _keyrings.clear()  # one at a time: changed keys leave no old keyring behind
        _keyrings[keys] = keyring
    return keyring


_keyrings: dict[tuple[str, str], Keyring] = {}


def _active_row(session: Session, user_id: uuid.UUID, service: str) -> ApiKey | None:
    statement = select(ApiKey).where(
        ApiKey.user_id == user_id, ApiKey.service == service, ApiKey.is_active
    )
    return session.exec(statement).first()


_KEYS = ApiKey.__table__  # type: ignore[attr-defined]


@functools.cache
def _active_keys(count: int) -> sa.Select:
    """The active rows of `count` services (service_0, ...): built once per count, prepared.

    A fixed list of parameters rather than an expanding IN, so that on Postgres
    it runs as a prepared statement (core/prebuilt.py): the webhook hot path
    reads its secrets with it on every request.
    """
    services = [sa.bindparam(f"service_{index}") for index in range(count)]
    return sa.select(
        _KEYS.c.id, _KEYS.c.user_id, _KEYS.c.service, _KEYS.c.ciphertext, _KEYS.c.key_version
    ).where(
        _KEYS.c.user_id == sa.bindparam("user_id", type_=sa.Uuid),
        _KEYS.c.service.in_(services),
        _KEYS.c.is_active,
    )


def _open(keyring: Keyring, row: ApiKey | sa.Row) -> str:
    """The row's plaintext; DecryptionError naming the service and row, never the secret."""
    return open_sealed(
        keyring,
        row.ciphertext,  # type: ignore[arg-type]  (open_sealed reports a missing one)
        row.key_version,
        associated_data(row.user_id, row.service, row.id),
        context=f"{row.service} key, row {row.id}",
    )


def _deactivate(session: Session, user_id: uuid.UUID, service: str) -> bool:
    """Deactivate the active key of a service and wipe its ciphertext; False if there was none."""
    result = session.exec(
        update(ApiKey)
        .where(ApiKey.user_id == user_id, ApiKey.service == service, ApiKey.is_active)
        .values(is_active=False, deactivated_at=utcnow(), ciphertext=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0


def save_api_key(
    *,
    session: Session,
    user_id: uuid.UUID,
    service: str,
    raw_key: str | Secret,
    public_value: str = "",
    keyring: Keyring | None = None,
) -> Connection:
    """Check, seal and store a key, replacing the service's active one in the same unit of work."""
    value = check_secret(service, raw_key.reveal() if isinstance(raw_key, Secret) else raw_key)
    public_value = check_public_value(service, public_value)
    keyring = keyring or current_keyring()
    # The row id is part of the associated data, so it exists before sealing.
    row_id = uuid.uuid4()
    blob, version = seal(keyring, value, associated_data(user_id, service, row_id))
    # Before the insert: the partial unique index allows one active row per service.
    _deactivate(session, user_id, service)
    row = ApiKey(
        id=row_id,
        user_id=user_id,
        service=service,
        ciphertext=blob,
        key_version=version,
        fingerprint=fingerprint(keyring, value),
        hint=hint(value),
        public_value=public_value,
    )
    session.add(row)
    session.flush()
    return _connection(row, keyring)


def get_api_key(
    *, session: Session, user_id: uuid.UUID, service: str, keyring: Keyring | None = None
) -> Secret | None:
    """The user's active key for a service, or None; server-side callers only.

    Raises crypto.DecryptionError naming the service and row (never the key)
    when the stored ciphertext cannot be opened.
    """
    return get_api_keys(session=session, user_id=user_id, services=[service], keyring=keyring)[
        service
    ]


def get_api_keys(
    *,
    session: Session,
    user_id: uuid.UUID,
    services: Iterable[str],
    keyring: Keyring | None = None,
    unreadable: list[str] | None = None,
) -> dict[str, Secret | None]:
    """The user's active keys for several services in one round trip, None where none is stored.

    For server-side callers only, as get_api_key; a webhook needs two (Vapi's
    secret and HMAC credential) on every request. A key that cannot be opened
    raises DecryptionError, or, given `unreadable`, is None and named there (the
    vault logs which row): one such key then does not stop the others.
    """
    wanted = [check_service_name(service) for service in services]
    found: dict[str, Secret | None] = dict.fromkeys(wanted)
    if not wanted:
        return found
    parameters = {f"service_{index}": service for index, service in enumerate(wanted)}
    # Flushed first: keys saved earlier in this unit of work count too.
    rows = run_prebuilt(session, _active_keys(len(wanted)), {"user_id": user_id, **parameters})
    for row in rows:
        if row.ciphertext is not None:
            keyring = keyring or current_keyring()
            try:
                found[row.service] = Secret(_open(keyring, row))
            except DecryptionError:
                if unreadable is None:
                    raise
                unreadable.append(row.service)
    return found


def delete_api_key(*, session: Session, user_id: uuid.UUID, service: str) -> bool:
    """Disconnect a service: its active key is deactivated and its ciphertext wiped.

    The row stays (service, fingerprint, hint, timestamps) as history of what
    was connected and when; the secret itself is gone, so nothing can ever
    decrypt it again, not even with the master key. False when nothing was active.
    """
    return _deactivate(session, user_id, check_service_name(service))


def list_connections(*, session: Session, user_id: uuid.UUID) -> list[Connection]:
    """One entry per connectable service, connected or not; fingerprints and times, no keys."""
    statement = select(ApiKey).where(
        ApiKey.user_id == user_id, ApiKey.is_active, ApiKey.service.in_(CONNECTION_SERVICES)
    )
    active = {row.service: row for row in session.exec(statement)}
    return [
        _connection(active[service]) if service in active else Connection(service, False)
        for service in CONNECTION_SERVICES
    ]


def check_api_key(
    *,
    session: Session,
    user_id: uuid.UUID,
    service: str,
    candidate: str | Secret,
    keyring: Keyring | None = None,
) -> bool:
    """Whether a key the user holds is the one stored for the service (nothing is revealed)."""
    row = _active_row(session, user_id, check_service_name(service))
    if row is None or row.ciphertext is None:
        return False
    keyring = keyring or current_keyring()
    held = candidate.reveal() if isinstance(candidate, Secret) else str(candidate)
    held = held.strip()
    if row.key_version == keyring.current_version:
        return compare_digest(fingerprint(keyring, held), row.fingerprint)
    # Fingerprints are keyed by the current master key; a row not yet rotated
    # has one made under an older key, so compare with the plaintext instead.
    return compare_digest(_open(keyring, row).encode(), held.encode())


def generate_make_secret(
    *,
    session: Session,
    user_id: uuid.UUID,
    keyring: Keyring | None = None,
    replace: bool = True,
) -> Secret | None:
    """A new random Make.com endpoint secret, stored; the caller shows it to the user once.

    With replace=False, None when one is stored already (the person asked for a first
    one, on a page that did not know of it): the one in use stays.
    """
    if not replace and _active_row(session, user_id, "make") is not None:
        return None
    value = secrets.token_urlsafe(MAKE_SECRET_BYTES)
    save_api_key(session=session, user_id=user_id, service="make", raw_key=value, keyring=keyring)
    return Secret(value)


def _connection(row: ApiKey, keyring: Keyring | None = None) -> Connection:
    return Connection(
        service=row.service,
        connected=True,
        fingerprint=row.fingerprint,
        hint=row.hint,
        public_value=row.public_value,
        saved_at=row.created_at,
        readable=row.key_version in (keyring or current_keyring()).versions,
    )


# --- Master-key rotation


@dataclasses.dataclass
class RotationProgress:
    """Counts of a rotation run so far (a dry run counts what it would re-encrypt)."""

    current_version: int
    dry_run: bool
    users_total: int = 0
    users_done: int = 0
    batches: int = 0
    rewrapped: int = 0
    failed: int = 0
    up_to_date: int = 0


def rotate_keys(
    *,
    engine: sa.Engine | None = None,
    keyring: Keyring | None = None,
    batch_size: int = 100,
    dry_run: bool = False,
    on_progress: Callable[[RotationProgress], None] | None = None,
) -> RotationProgress:
    """Re-encrypt every stored secret still under an older master key with the current one.

    Works tenant by tenant (each user's rows in their own units of work, so
    row-level security holds), one committed batch at a time: an interrupted
    run loses nothing and a second run carries on where it stopped. Each row
    keeps its associated data (user, service, row) and gets a fingerprint
    under the current key. A row that cannot be opened (its key was removed
    too early, or it was altered) is counted as failed and left as it is.
    `on_progress` is called after each committed batch; if it raises, the run stops.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    engine = engine or get_engine()
    keyring = keyring or current_keyring()
    progress = RotationProgress(current_version=keyring.current_version, dry_run=dry_run)
    with global_session(engine) as session:
        progress.users_total = session.exec(select(func.count()).select_from(User)).one()
    for user_id in _all_user_ids(engine):
        _rotate_user(engine, keyring, user_id, batch_size, progress, on_progress)
        progress.users_done += 1
    return progress


def secrets_on_older_keys(
    *, engine: sa.Engine | None = None, keyring: Keyring | None = None
) -> int:
    """How many stored secrets are sealed under another key than the current one, now.

    Counted anew after a rotation, not taken from its counts: while it ran, a
    worker still started with the old key only went on sealing new secrets
    under it, for users the run had already passed.
    """
    engine = engine or get_engine()
    current = (keyring or current_keyring()).current_version
    older = 0
    for user_id in _all_user_ids(engine):
        with tenant_session(user_id, engine) as session:
            older += session.exec(
                select(func.count())
                .select_from(ApiKey)
                .where(
                    ApiKey.user_id == user_id,
                    ApiKey.ciphertext.is_not(None),
                    ApiKey.key_version != current,
                )
            ).one()
    return older


def _all_user_ids(engine: sa.Engine) -> Iterator[uuid.UUID]:
    """Every user id, a page at a time (the users table is read without a tenant)."""
    after: uuid.UUID | None = None
    while True:
        statement = select(User.id).order_by(User.id).limit(_USER_PAGE)
        if after is not None:
            statement = statement.where(User.id > after)
        with global_session(engine) as session:
            page = list(session.exec(statement))
        yield from page
        if len(page) < _USER_PAGE:
            return
        after = page[-1]


def _rotate_user(
    engine: sa.Engine,
    keyring: Keyring,
    user_id: uuid.UUID,
    batch_size: int,
    progress: RotationProgress,
    on_progress: Callable[[RotationProgress], None] | None,
) -> None:
    sealed = (ApiKey.user_id == user_id, ApiKey.ciphertext.is_not(None))
    with tenant_session(user_id, engine) as session:
        progress.up_to_date += session.exec(
            select(func.count())
            .select_from(ApiKey)
            .where(*sealed, ApiKey.key_version == keyring.current_version)
        ).one()
    # Keyset paging by id: failed rows stay behind and are not read again.
    after: uuid.UUID | None = None
    while True:
        statement = (
            select(ApiKey)
            .where(*sealed, ApiKey.key_version != keyring.current_version)
            .order_by(ApiKey.id)
            .limit(batch_size)
        )
        if after is not None:
            statement = statement.where(ApiKey.id > after)
        with tenant_session(user_id, engine) as session:
            rows = list(session.exec(statement))
            for row in rows:
                _rewrap(session, keyring, row, progress)
        if not rows:
            return
        progress.batches += 1
        if on_progress is not None:
            on_progress(dataclasses.replace(progress))
        if len(rows) < batch_size:
            return
        after = rows[-1].id


def _rewrap(session: Session, keyring: Keyring, row: ApiKey, progress: RotationProgress) -> None:
    try:
        plaintext = _open(keyring, row)  # logs the failure, without the secret
    except DecryptionError:
        progress.failed += 1
        return
    if progress.dry_run:
        progress.rewrapped += 1
        return
    blob, version = seal(keyring, plaintext, associated_data(row.user_id, row.service, row.id))
    # Only if the row is still as read: a key replaced or deleted meanwhile stays wiped.
    result = session.exec(
        update(ApiKey)
        .where(
            ApiKey.user_id == row.user_id,
            ApiKey.id == row.id,
            ApiKey.key_version == row.key_version,
            ApiKey.ciphertext.is_not(None),
        )
        .values(ciphertext=blob, key_version=version, fingerprint=fingerprint(keyring, plaintext))
        .execution_options(synchronize_session=False)
    )
    progress.rewrapped += result.rowcount
