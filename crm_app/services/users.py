"""Accounts: sign-up, authentication, and changes to the name, login email and password."""

from __future__ import annotations

import hmac
import uuid

import sqlalchemy as sa
from sqlmodel import Session, select

from crm_app.core.security import hash_password, verify_password
from crm_app.models import User
from crm_app.models.base import utcnow
from crm_app.services.errors import (
    canonical_email,
    is_encodable,
    looks_like_email,
    without_misleading,
)

MIN_PASSWORD_LENGTH = 8
MAX_NAME_LENGTH = 200  # users.name
MAX_EMAIL_LENGTH = 320  # users.email
MAX_PASSWORD_LENGTH = 1024  # generous, but bounded: hashing is deliberately costly


class InvalidSignup(ValueError):
    """Sign-up input that cannot be accepted; the message says which field and why.

    `code` names the problem for the forms' query strings (`invalid-email`,
    `short-password`, ...), which show their own wording for it.
    """

    def __init__(self, field: str, message: str, code: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.code = code or f"invalid-{field}"


class EmailTaken(InvalidSignup):
    """An account with this email exists already."""

    def __init__(self) -> None:
        super().__init__("email", "An account with this email already exists.")


def normalize_email(email: str) -> str:
    """The canonical form of an account's email (errors.canonical_email)."""
    return canonical_email(email)


def validate_password(password: str) -> None:
    """Raise InvalidSignup when a password is too short, too long or only whitespace."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidSignup(
            "password", f"Use at least {MIN_PASSWORD_LENGTH} characters.", "short-password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidSignup(
            "password", f"Use at most {MAX_PASSWORD_LENGTH} characters.", "long-password"
        )
    # Never stripped: spaces in or around a passphrase are part of it. Only a
    # password with nothing but whitespace is refused.
    if not password.strip():
        raise InvalidSignup("password", "A password cannot be only spaces.", "blank-password")
    # Half of a character (a lone surrogate, which JSON can carry): no keyboard types one,
    # and the hash, taken of the password's UTF-8, has no way to spell it.
    if not is_encodable(password):
        raise InvalidSignup(
            "password", "The password holds a broken character: type it again.", "broken-password"
        )


def clean_name(name: str | None) -> str:
    """A display name stripped of controls and spaces; optional, at most MAX_NAME_LENGTH."""
    name = without_misleading(name or "").strip()
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidSignup("name", f"Use at most {MAX_NAME_LENGTH} characters for the name.")
    return name


def clean_email(email: str) -> str:
    """An email normalised; InvalidSignup when it is not an address."""
    email = normalize_email(email)
    if len(email) > MAX_EMAIL_LENGTH or not looks_like_email(email):
        raise InvalidSignup("email", "Enter a valid email address.")
    return email


def create_user(*, session: Session, email: str, password: str, name: str = "") -> User:
    """A new account; raises InvalidSignup (or EmailTaken) for unacceptable input."""
    email = clean_email(email)
    validate_password(password)
    name = clean_name(name)
    _refuse_taken(session, email)
    user = User(email=email, name=name, password_hash=hash_password(password))
    _store_with_email(session, user)
    return user


def rename_user(*, session: Session, user_id: uuid.UUID, name: str) -> User | None:
    """Change the account's display name (blank clears it); None when there is no such account."""
    name = clean_name(name)
    user = get_user(session=session, user_id=user_id)
    if user is None:
        return None
    user.name = name
    session.add(user)
    session.flush()
    return user


def change_email(
    *, session: Session, user_id: uuid.UUID, current_password: str, new_email: str
) -> User | None:
    """Move the account to another login email; None if the current password is wrong.

    InvalidSignup for an address that is not one, checked before any hashing;
    EmailTaken when another account has it, checked only after the password,
    so a stolen cookie alone cannot ask which addresses have accounts. The
    sessions stay: the password, which they were started with, is unchanged.
    """
    email = clean_email(new_email)
    user = session.get(User, user_id)
    if user is None or not verify_password(current_password, user.password_hash):
        return None
    if email == user.email:
        return user
    _refuse_taken(session, email)
    user.email, user.updated_at = email, utcnow()
    _store_with_email(session, user)
    return user


def _refuse_taken(session: Session, email: str) -> None:
    if get_user_by_email(session=session, email=email) is not None:
        raise EmailTaken()


def _store_with_email(session: Session, user: User) -> None:
    """Write the account now; EmailTaken if another took its email since _refuse_taken."""
    session.add(user)
    try:
        session.flush()
    except sa.exc.IntegrityError:
        # Two requests raced for the same email; the unique constraint decided.
        raise EmailTaken() from None


def get_user_by_email(*, session: Session, email: str) -> User | None:
    """The account with this exact (normalised) email."""
    email = normalize_email(email)
    if not looks_like_email(email):
        return None  # no account has it, and Postgres would refuse a NUL in the query
    return session.exec(select(User).where(User.email == email)).first()


def get_user(*, session: Session, user_id: uuid.UUID) -> User | None:
    """The account with this id."""
    return session.get(User, user_id)


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The account when email and password match; None otherwise, in the same time either way."""
    user = get_user_by_email(session=session, email=email)
    if not verify_password(password, user.password_hash if user else None):
        return None
    return user


def password_is_still(*, session: Session, user_id: uuid.UUID, password_hash: str) -> bool:
    """Whether the user's password is still the one a log-in checked; the row is held (shared)
    until the unit of work ends.

    A log-in checks the password, then starts the session in a second unit of
    work. A password change committed in between revokes the sessions it finds,
    which is not yet this one; held, a change waits for this unit of work, and
    its revocation then finds the new session.
    """
    stored = session.exec(
        select(User.password_hash).where(User.id == user_id).with_for_update(read=True)
    ).first()
    return stored is not None and hmac.compare_digest(stored, password_hash)


def change_password(
    *, session: Session, user_id: uuid.UUID, current_password: str, new_password: str
) -> bool:
    """Replace the password; False if the current one is wrong.

    Raises InvalidSignup for an unacceptable new password before the current
    one is checked, so a typo in the new one costs no hashing and no attempt.
    Callers end the user's other sessions in the same tenant unit of work
    (sessions.revoke_all_sessions): on Postgres only the tenant may touch them.
    """
    validate_password(new_password)
    user = session.get(User, user_id)
    if user is None or not verify_password(current_password, user.password_hash):
        return False
    _store_password(session, user, new_password)
    return True


def reset_password(*, session: Session, user_id: uuid.UUID, new_password: str) -> bool:
    """Set a new password without the current one (the operator's reset of a forgotten one);
    False when there is no such account.

    Raises InvalidSignup for an unacceptable password, before any lookup. As
    after change_password, callers end the user's sessions in the same tenant
    unit of work (sessions.revoke_all_sessions).
    """
    validate_password(new_password)
    user = session.get(User, user_id)
    if user is None:
        return False
    _store_password(session, user, new_password)
    return True


def _store_password(session: Session, user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    user.updated_at = utcnow()
    session.add(user)
    # Written now, before the caller revokes the sessions: the UPDATE waits for a log-in
    # holding this row (password_is_still), so the revocation then finds its session.
    session.flush()
