"""Isolation cases for the API-key vault and the webhook URL tokens."""

from __future__ import annotations

from sqlmodel import select

from crm_app.core.db import global_session, tenant_session
from crm_app.models import ApiKey
from crm_app.services import vault, webhook_endpoints
from tests.isolation import World, isolation_case


def _a_service(world: World) -> str:
    """The service name of A's seeded key (read as A, changing nothing)."""
    with tenant_session(world.a.id, world.engine) as session:
        return session.exec(
            select(ApiKey.service).where(
                ApiKey.user_id == world.a.id, ApiKey.id == world.a_rows.api_key_id
            )
        ).one()


# --- The vault


@isolation_case("vault.get_api_key")
def _get_api_key(world: World) -> None:
    service = _a_service(world)
    with world.as_b() as session:
        assert vault.get_api_key(session=session, user_id=world.b.id, service=service) is None


@isolation_case("vault.get_api_keys")
def _get_api_keys(world: World) -> None:
    service = _a_service(world)
    with world.as_b() as session:
        found = vault.get_api_keys(session=session, user_id=world.b.id, services=[service])
    assert found == {service: None}


@isolation_case("vault.check_api_key")
def _check_api_key(world: World) -> None:
    service = _a_service(world)
    with world.as_b() as session:
        held = vault.check_api_key(
            session=session, user_id=world.b.id, service=service, candidate="any-key-at-all"
        )
    assert held is False


@isolation_case("vault.delete_api_key")
def _delete_api_key(world: World) -> None:
    service = _a_service(world)
    with world.as_b() as session:
        assert vault.delete_api_key(session=session, user_id=world.b.id, service=service) is False


@isolation_case("vault.save_api_key")
def _save_api_key(world: World) -> None:
    # B saving (twice: a replacement) touches B's rows only.
    with world.as_b() as session:
        for _ in range(2):
            saved = vault.save_api_key(
                session=session, user_id=world.b.id, service="vapi", raw_key="bob-vapi-secret"
            )
        assert vault.get_api_key(session=session, user_id=world.b.id, service="vapi").reveal() == (
            "bob-vapi-secret"
        )
    assert saved.connected


@isolation_case("vault.list_connections")
def _list_connections(world: World) -> None:
    service = _a_service(world)
    with world.as_b() as session:
        connections = vault.list_connections(session=session, user_id=world.b.id)
    assert not any(connection.connected for connection in connections)
    assert service not in {connection.service for connection in connections}


@isolation_case("vault.generate_make_secret")
def _generate_make_secret(world: World) -> None:
    with world.as_b() as session:
        secret = vault.generate_make_secret(session=session, user_id=world.b.id)
        stored = vault.get_api_key(session=session, user_id=world.b.id, service="make")
    assert stored.reveal() == secret.reveal()


# --- Webhook URL tokens


def _b_owns(world: World, provider: str, token: str) -> None:
    with global_session(world.engine) as session:
        owner = webhook_endpoints.find_endpoint_owner(
            session=session, provider=provider, token=token
        )
    assert owner == world.b.id


@isolation_case("webhook_endpoints.ensure_endpoint")
def _ensure_endpoint(world: World) -> None:
    with world.as_b() as session:
        token = webhook_endpoints.ensure_endpoint(
            session=session, user_id=world.b.id, provider="vapi"
        )
    _b_owns(world, "vapi", token)


@isolation_case("webhook_endpoints.regenerate_endpoint")
def _regenerate_endpoint(world: World) -> None:
    with world.as_b() as session:
        token = webhook_endpoints.regenerate_endpoint(
            session=session, user_id=world.b.id, provider="vapi"
        )
    _b_owns(world, "vapi", token)


@isolation_case("webhook_endpoints.list_endpoints")
def _list_endpoints(world: World) -> None:
    # Each user was seeded with a "vapi" endpoint; B adds "make" and sees only B's two.
    with world.as_b() as session:
        token = webhook_endpoints.ensure_endpoint(
            session=session, user_id=world.b.id, provider="make"
        )
        listed = webhook_endpoints.list_endpoints(session=session, user_id=world.b.id)
    assert sorted(endpoint.provider for endpoint in listed) == ["make", "vapi"]
    assert [endpoint.token for endpoint in listed if endpoint.provider == "make"] == [token]
