"""Session tokens refuse every forgery; passwords hash with argon2id and are never truncated."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import timedelta

import jwt
import pytest

from crm_app.core.config import get_settings
from crm_app.core.crypto import device_signing_key, session_signing_key
from crm_app.core.security import (
    create_device_token,
    create_session_token,
    decode_session_token,
    hash_password,
    password_context,
    read_device_token,
    session_token_expired,
    verify_password,
)
from crm_app.models.base import utcnow

USER, SESSION = uuid.uuid4(), uuid.uuid4()


def _claims(**changes):
    now = utcnow()
    claims = {"sub": str(USER), "jti": str(SESSION), "iat": now, "exp": now + timedelta(hours=1)}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _key() -> bytes:
    return session_signing_key(get_settings().jwt_secret)


def test_a_genuine_token_decodes_to_user_and_session():
    now = utcnow()
    token = create_session_token(
        user_id=USER, session_id=SESSION, issued_at=now, expires_at=now + timedelta(hours=1)
    )
    assert decode_session_token(token) == (USER, SESSION)


def test_only_a_genuine_token_past_its_time_counts_as_expired():
    # What /login then tells the tab: its session expired, not that someone ended it.
    an_hour_ago = utcnow() - timedelta(hours=1)
    expired = jwt.encode(_claims(iat=an_hour_ago, exp=an_hour_ago), _key(), algorithm="HS256")
    assert decode_session_token(expired) is None
    assert session_token_expired(expired)
    assert not session_token_expired(jwt.encode(_claims(), _key(), algorithm="HS256"))
    forged = jwt.encode(_claims(exp=an_hour_ago), b"another key" * 4, algorithm="HS256")
    assert not session_token_expired(forged)
    assert not session_token_expired(jwt.encode(_claims(exp=an_hour_ago, jti=None), _key()))
    assert not session_token_expired("not.a.token")


def test_token_signed_with_the_raw_jwt_secret_is_refused():
    # The signing key is derived with HKDF; the raw secret is not the key.
    token = jwt.encode(_claims(), get_settings().jwt_secret, algorithm="HS256")
    assert decode_session_token(token) is None


def test_alg_none_is_refused():
    token = jwt.encode(_claims(), None, algorithm="none")
    assert decode_session_token(token) is None


def test_another_algorithm_is_refused():
    token = jwt.encode(_claims(), _key(), algorithm="HS512")
    assert decode_session_token(token) is None


def test_a_wrong_key_is_refused():
    token = jwt.encode(_claims(), b"x" * 32, algorithm="HS256")
    assert decode_session_token(token) is None


def test_an_expired_token_is_refused():
    token = jwt.encode(_claims(exp=utcnow() - timedelta(minutes=1)), _key(), algorithm="HS256")
    assert decode_session_token(token) is None


@pytest.mark.parametrize("missing", ["exp", "jti", "sub", "iat"])
def test_a_token_missing_a_required_claim_is_refused(missing):
    token = jwt.encode(_claims(**{missing: None}), _key(), algorithm="HS256")
    assert decode_session_token(token) is None


def test_garbage_is_refused():
    assert decode_session_token("not.a.token") is None
    assert decode_session_token("") is None


HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"


def test_a_device_token_names_its_account_under_its_current_password_only():
    token = create_device_token(user_id=USER, password_hash=HASH)
    claims = read_device_token(token)
    assert claims is not None and len(claims.device_id) >= 16
    assert claims.names(user_id=USER, password_hash=HASH)
    assert not claims.names(user_id=uuid.uuid4(), password_hash=HASH)  # another account
    assert not claims.names(user_id=USER, password_hash=HASH + "x")  # a changed password
    again = read_device_token(create_device_token(user_id=USER, password_hash=HASH))
    assert again is not None and again.device_id != claims.device_id
    # Readable by whoever holds it: the account's id, and of its password hash only a digest
    # keyed with the server's secret (a plain hash of a hash could be checked offline).
    payload = jwt.decode(token, options={"verify_signature": False})
    assert payload["sub"] == str(USER) and HASH not in str(payload)
    key = device_signing_key(get_settings().jwt_secret)
    keyed = hmac.new(key, HASH.encode(), hashlib.sha256).hexdigest()[:32]
    assert payload["pwd"] == keyed != hashlib.sha256(HASH.encode()).hexdigest()[:32]


def _device_claims(**changes):
    genuine = jwt.decode(
        create_device_token(user_id=USER, password_hash=HASH), options={"verify_signature": False}
    )
    genuine.update(changes)
    return {k: v for k, v in genuine.items() if v is not None}


@pytest.mark.parametrize(
    ("claims", "key"),
    [
        # Every claim right, signed with the session key: a session token is not one.
        (_device_claims(), "session"),
        (_device_claims(exp=utcnow() - timedelta(minutes=1)), "device"),
        (_device_claims(pwd=None), "device"),
        (_device_claims(jti=None), "device"),
        (_device_claims(sub="not-a-uuid"), "device"),
    ],
)
def test_only_a_live_device_token_signed_with_its_own_key_is_read(claims, key):
    signing = {"session": _key, "device": lambda: device_signing_key(get_settings().jwt_secret)}
    token = jwt.encode(claims, signing[key](), algorithm="HS256")
    assert read_device_token(token) is None
    assert read_device_token(jwt.encode(_device_claims(), signing["device"](), "HS256"))


@pytest.mark.parametrize("token", ["", None, "not.a.token", "x" * 5000])
def test_what_is_not_a_device_token_is_refused(token):
    assert read_device_token(token) is None
    session = create_session_token(
        user_id=USER, session_id=SESSION, issued_at=utcnow(), expires_at=utcnow() + timedelta(1)
    )
    assert read_device_token(session) is None


def test_passwords_use_argon2id_with_owasp_minimums():
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    params = dict(part.split("=") for part in hashed.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024
    assert int(params["t"]) >= 2
    assert password_context.identify(hashed) == "argon2"


def test_an_80_character_non_ascii_password_round_trips_without_truncation():
    password = ("пароль-密码-🔐" * 8)[:80]
    assert len(password) == 80
    hashed = hash_password(password)
    assert verify_password(password, hashed)
    # A change in the last character must matter: nothing was cut off.
    assert not verify_password(password[:-1] + "x", hashed)


def test_a_wrong_password_and_a_missing_hash_both_fail():
    hashed = hash_password("right password")
    assert not verify_password("wrong password", hashed)
    assert not verify_password("right password", None)
