"""Webhook URL tokens on SQLite and Postgres: one per user and provider, found by exact hash."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from crm_app.core.crypto import DecryptionError, Keyring
from crm_app.core.db import global_session, tenant_session
from crm_app.models import ApiKey, WebhookEndpoint
from crm_app.services import webhook_endpoints
from crm_app.services.errors import InvalidInput
from crm_app.services.webhook_endpoints import (
    ensure_endpoint,
    find_endpoint_owner,
    list_endpoints,
    regenerate_endpoint,
    webhook_url,
)


def _ensure(engine: sa.Engine, user_id: uuid.UUID, provider: str = "vapi", **kwargs: Any) -> str:
    with tenant_session(user_id, engine) as session:
        return ensure_endpoint(session=session, user_id=user_id, provider=provider, **kwargs)


def _regenerate(engine: sa.Engine, user_id: uuid.UUID, provider: str = "vapi") -> str:
    with tenant_session(user_id, engine) as session:
        return regenerate_endpoint(session=session, user_id=user_id, provider=provider)


def _owner(engine: sa.Engine, provider: str, token: str) -> uuid.UUID | None:
    with global_session(engine) as session:
        return find_endpoint_owner(session=session, provider=provider, token=token)


def test_ensure_creates_a_token_once_and_then_returns_the_same_one(engine, make_user) -> None:
    user = make_user()
    token = _ensure(engine, user.id)
    assert len(token) == 43
    assert _ensure(engine, user.id) == token
    assert _owner(engine, "vapi", token) == user.id


def test_each_provider_gets_its_own_url(engine, make_user) -> None:
    user = make_user()
    tokens = {
        provider: _ensure(engine, user.id, provider) for provider in ("vapi", "twilio", "make")
    }
    assert len(set(tokens.values())) == 3
    for provider, token in tokens.items():
        assert _owner(engine, provider, token) == user.id
        others = {"vapi", "twilio", "make"} - {provider}
        assert all(_owner(engine, other, token) is None for other in others)


def test_only_the_sha256_of_the_token_is_in_the_endpoint_table(engine, make_user) -> None:
    user = make_user()
    token = _ensure(engine, user.id)
    with tenant_session(user.id, engine) as session:
        (endpoint,) = session.exec(
            select(WebhookEndpoint).where(WebhookEndpoint.user_id == user.id)
        ).all()
        sealed = session.exec(
            select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.is_active)
        ).one()
    assert endpoint.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert sealed.service == "webhook_token_vapi"
    assert token.encode() not in sealed.ciphertext


def test_regenerate_gives_a_new_url_and_the_old_one_stops_working_at_once(
    engine, make_user
) -> None:
    user = make_user()
    old = _ensure(engine, user.id)
    new = _regenerate(engine, user.id)
    assert new != old
    assert _owner(engine, "vapi", old) is None
    assert _owner(engine, "vapi", new) == user.id
    assert _ensure(engine, user.id) == new


def test_find_endpoint_owner_needs_the_exact_token(engine, make_user) -> None:
    user = make_user()
    token = _ensure(engine, user.id)
    endpoint_hash = hashlib.sha256(token.encode()).hexdigest()
    for forged in (
        token[:-1],
        token + "A",
        token.upper() if token.upper() != token else token.lower(),
        endpoint_hash,  # the stored hash is not a token
        "",
        " " + token,
        token + "\n",
        "x" * 10_000,
        "../" + token,
    ):
        assert _owner(engine, "vapi", forged) is None, forged


@pytest.mark.parametrize("provider", ["", "VAPI", "stripe", "vapi/../twilio"])
def test_find_endpoint_owner_of_an_unknown_provider_is_no_one(engine, make_user, provider) -> None:
    token = _ensure(engine, make_user().id)
    assert _owner(engine, provider, token) is None


def test_other_users_tokens_route_to_their_owners_only(engine, make_user) -> None:
    alice, bob = make_user(), make_user()
    alice_token, bob_token = _ensure(engine, alice.id), _ensure(engine, bob.id)
    assert _owner(engine, "vapi", alice_token) == alice.id
    assert _owner(engine, "vapi", bob_token) == bob.id
    _regenerate(engine, bob.id)
    assert _owner(engine, "vapi", alice_token) == alice.id


def test_list_endpoints_shows_each_of_the_users_urls(engine, make_user) -> None:
    user = make_user()
    tokens = {provider: _ensure(engine, user.id, provider) for provider in ("vapi", "make")}
    with tenant_session(user.id, engine) as session:
        listed = list_endpoints(session=session, user_id=user.id)
    assert {e.provider: e.token for e in listed} == tokens
    assert all(token not in repr(listed) for token in tokens.values())


def test_an_endpoint_whose_token_was_never_kept_gets_a_new_one(engine, make_user) -> None:
    # e.g. a row written before tokens were sealed in the vault: it cannot be shown again.
    user = make_user()
    with tenant_session(user.id, engine) as session:
        session.add(WebhookEndpoint(user_id=user.id, provider="vapi", token_hash="0" * 64))
    with tenant_session(user.id, engine) as session:
        (listed,) = list_endpoints(session=session, user_id=user.id)
    assert listed.token is None
    token = _ensure(engine, user.id)
    assert _owner(engine, "vapi", token) == user.id


def test_an_unreadable_stored_token_raises_instead_of_silently_changing_the_url(
    engine, make_user
) -> None:
    user = make_user()
    token = _ensure(engine, user.id, keyring=Keyring(bytes.fromhex("a1" * 32)))
    other = Keyring(bytes.fromhex("b2" * 32))
    with pytest.raises(DecryptionError) as raised:
        _ensure(engine, user.id, keyring=other)
    assert token not in str(raised.value)
    with tenant_session(user.id, engine) as session:
        (listed,) = list_endpoints(session=session, user_id=user.id, keyring=other)
    assert listed.token is None
    assert _owner(engine, "vapi", token) == user.id  # the URL still routes


@pytest.mark.parametrize("provider", ["", "stripe", "Vapi"])
def test_unknown_providers_are_refused(engine, make_user, provider) -> None:
    user = make_user()
    for call in (ensure_endpoint, regenerate_endpoint):
        with pytest.raises(InvalidInput), tenant_session(user.id, engine) as session:
            call(session=session, user_id=user.id, provider=provider)


def test_webhook_url_is_built_on_the_public_base_url() -> None:
    assert (
        webhook_url("twilio", "tok", base_url="https://crm.example.com/")
        == "https://crm.example.com/api/webhooks/twilio/tok"
    )
    assert webhook_url("make", "tok").endswith("/api/webhooks/make/tok")


def test_hash_token_is_plain_sha256_hex() -> None:
    assert webhook_endpoints.hash_token("abc") == hashlib.sha256(b"abc").hexdigest()
