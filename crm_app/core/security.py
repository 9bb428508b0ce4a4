"""Password hashing (argon2id), session tokens (HS256 JWTs with a derived key), safe redirects."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from passlib.context import CryptContext

from crm_app.core.config import get_settings
from crm_app.core.crypto import device_signing_key, session_signing_key

# OWASP's argon2id floor: 19 MiB of memory, 2 passes. No length cap: argon2
# hashes the whole password, so long and non-ASCII ones work untruncated.
password_context = CryptContext(
    schemes=["argon2"],
    argon2__type="ID",
    argon2__memory_cost=19 * 1024,
    argon2__time_cost=2,
    argon2__parallelism=1,
)
# Checked when an email is unknown, so that answer takes as long as a wrong password.
_DUMMY_HASH = password_context.hash("not a real password: equalises login timing")

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti"]


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return password_context.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether the password matches; spends the same effort when there is no hash."""
    # As bytes, lone surrogates kept: JSON may carry one ("\ud800"), which UTF-8 cannot
    # encode. No stored password holds one (validate_password), so such a password is
    # simply wrong, after the same effort, known email or not; the str a hash was made
    # from encodes to these very bytes.
    secret = password.encode("utf-8", "surrogatepass")
    try:
        matches = password_context.verify(secret, password_hash or _DUMMY_HASH)
    except (ValueError, TypeError):
        return False
    return matches and bool(password_hash)


def _signing_key() -> bytes:
    return session_signing_key(get_settings().jwt_secret)


def create_session_token(
    *, user_id: uuid.UUID, session_id: uuid.UUID, issued_at: datetime, expires_at: datetime
) -> str:
    """A signed token naming the user (sub) and the server-side session (jti)."""
    claims = {"sub": str(user_id), "jti": str(session_id), "iat": issued_at, "exp": expires_at}
    return jwt.encode(claims, _signing_key(), algorithm=ALGORITHM)


def decode_session_token(token: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(user_id, session_id) from a valid token; None for anything forged, expired or malformed."""
    try:
        claims = jwt.decode(
            token,
            _signing_key(),
            algorithms=[ALGORITHM],  # pinned: never trust the token's own "alg"
            options={"require": REQUIRED_CLAIMS},
            leeway=timedelta(seconds=5),
        )
        return uuid.UUID(str(claims["sub"])), uuid.UUID(str(claims["jti"]))
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def session_token_expired(token: str) -> bool:
    """Whether a genuine session token is refused for its age alone (its exp has passed)."""
    try:
        jwt.decode(
            token,
            _signing_key(),
            algorithms=[ALGORITHM],
            options={"require": REQUIRED_CLAIMS},
            leeway=timedelta(seconds=5),
        )
    except jwt.ExpiredSignatureError:
        return True
    except (jwt.PyJWTError, ValueError, TypeError):
        return False
    return False


# How long a browser counts as one an account logged in from (OWASP's "device cookies").
DEVICE_TOKEN_LIFETIME = timedelta(days=180)


# A device token is about 300 characters; anything far longer is not one.
MAX_DEVICE_TOKEN_LENGTH = 1024


def _device_key() -> bytes:
    return device_signing_key(get_settings().jwt_secret)


def _credential_mark(password_hash: str) -> str:
    """A keyed digest of the account's password hash: a new password voids every device token
    (which is readable by whoever holds it: no hash of anything guessable goes in)."""
    return hmac.new(_device_key(), password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def create_device_token(*, user_id: uuid.UUID, password_hash: str) -> str:
    """A signed token saying this browser logged in to the account with its current password."""
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "pwd": _credential_mark(password_hash),
        "jti": secrets.token_urlsafe(16),
        "iat": now,
        "exp": now + DEVICE_TOKEN_LIFETIME,
    }
    return jwt.encode(claims, _device_key(), algorithm=ALGORITHM)


def read_device_token(token: str | None) -> DeviceToken | None:
    """What a genuine, unexpired device token says; None for anything forged or malformed.

    Cheap (no database): a request's cookie is read this far before its account is looked up.
    """
    if not token or len(token) > MAX_DEVICE_TOKEN_LENGTH:
        return None
    try:
        claims = jwt.decode(
            token,
            _device_key(),
            algorithms=[ALGORITHM],
            options={"require": [*REQUIRED_CLAIMS, "pwd"]},
        )
        return DeviceToken(uuid.UUID(str(claims["sub"])), str(claims["pwd"]), str(claims["jti"]))
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


@dataclass(frozen=True)
class DeviceToken:
    """A device token's claims: whose account, under which password, and its own id."""

    user_id: uuid.UUID
    credential_mark: str
    device_id: str

    def names(self, *, user_id: uuid.UUID, password_hash: str) -> bool:
        """Whether it was issued by this account under the password it has now."""
        return self.user_id == user_id and hmac.compare_digest(
            self.credential_mark, _credential_mark(password_hash)
        )


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else (other hosts, //evil) is refused.

    So is a path with a control character: browsers drop tabs and line breaks from
    URLs, which turns "/<tab>/evil.example" into "//evil.example", another host.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return "/dashboard"
