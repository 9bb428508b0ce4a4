"""Server-side sessions behind the session cookie: issued at login, revoked at logout."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from crm_app.core.config import get_settings
from crm_app.core.db import tenant_session
from crm_app.core.security import (
    create_session_token,
    decode_session_token,
    session_token_expired,
)
from crm_app.models import UserSession
from crm_app.models.base import utcnow

COOKIE_NAME = "crm_session"
# A log-out the database could not record (api/auth.logout): the browser let go of its
# cookie all the same, and the session lives on, unheld, until it expires. The log-in
# page it goes to (?ended=here-only) says so.
ENDED_HERE_ONLY = "here-only"
LOGGED_OUT_HERE_ONLY = (
    "You are logged out in this tab, but the server could not be reached to end the "
    "session: other tabs still open may stay logged in until it expires. To end it "
    "everywhere, change your password once the service is back."
)


def start_session(*, session: Session, user_id: uuid.UUID, user_agent: str = "") -> str:
    """Record a new session for the user and return its signed token."""
    now = utcnow()
    record = UserSession(
        user_id=user_id,
        expires_at=now + timedelta(hours=get_settings().session_lifetime_hours),
        user_agent=user_agent[:300],
    )
    session.add(record)
    session.flush()
    return create_session_token(
        user_id=user_id, session_id=record.id, issued_at=now, expires_at=record.expires_at
    )


def is_session_active(*, session: Session, user_id: uuid.UUID, session_id: uuid.UUID) -> bool:
    """Whether this session of this user exists, is not revoked and has not expired."""
    found = session.exec(
        select(UserSession.id).where(
            UserSession.user_id == user_id,
            UserSession.id == session_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
        )
    ).first()
    return found is not None


def revoke_session(*, session: Session, user_id: uuid.UUID, session_id: uuid.UUID) -> bool:
    """End one session of the user at once; False when there was none to end."""
    result = session.exec(
        sa.update(UserSession)
        .where(
            UserSession.user_id == user_id,
            UserSession.id == session_id,
            UserSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return result.rowcount > 0


def revoke_all_sessions(*, session: Session, user_id: uuid.UUID) -> int:
    """End every open session of the user (after a password change); returns how many."""
    result = session.exec(
        sa.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount


def user_id_from_token(token: str | None) -> uuid.UUID | None:
    """The user a session token belongs to, if it is valid and its session still active."""
    if not token:
        return None
    decoded = decode_session_token(token)
    if decoded is None:
        return None
    user_id, session_id = decoded
    with tenant_session(user_id) as session:
        if is_session_active(session=session, user_id=user_id, session_id=session_id):
            return user_id
    return None


def get_current_user_id(*, cookie_header: str | None) -> uuid.UUID | None:
    """The logged-in user behind a request's raw Cookie header (HTTP or websocket handshake)."""
    return user_id_from_token(token_from_cookie_header(cookie_header))


def session_expired(*, cookie_header: str | None) -> bool:
    """Whether the request's session token is genuine and refused only for having expired
    (not revoked, not forged): what a tab whose session ended under it is told."""
    token = token_from_cookie_header(cookie_header)
    return bool(token) and session_token_expired(token)


def end_session_for_token(token: str | None) -> None:
    """Revoke the session behind a token, if the token is genuine."""
    decoded = decode_session_token(token) if token else None
    if decoded is None:
        return
    user_id, session_id = decoded
    with tenant_session(user_id) as session:
        revoke_session(session=session, user_id=user_id, session_id=session_id)


def token_from_cookie_header(cookie_header: str | None) -> str | None:
    """The session token in a raw Cookie header, if any."""
    for part in (cookie_header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE_NAME and value:
            return value
    return None
