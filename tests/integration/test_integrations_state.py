"""The integrations page's handlers when the database fails under them: a change that was
stored is not reported as lost, and a generated secret is still shown once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import reflex as rx
import sqlalchemy as sa
from reflex.istate.data import RouterData

import crm_app.state.integrations as integrations
from crm_app.core.db import tenant_session
from crm_app.models import User
from crm_app.services import vault
from crm_app.state.integrations import (
    CHANGE_NOT_SHOWN,
    MAKE_KEY_KEPT,
    MAKE_SECRET_FIELD,
    VAULT_UNAVAILABLE,
    IntegrationsState,
)
from tests.state_tabs import on_engine, signed_in_tab

VAPI_KEY = "0b7a3c0e-4a5f-4c65-9a6e-1d2f3a4b5c6d"


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def page(engine: sa.Engine, user: User, monkeypatch: pytest.MonkeyPatch) -> IntegrationsState:
    """The integrations page in a signed-in tab, loaded; its handlers use the engine."""
    on_engine(monkeypatch, engine, integrations)
    state = signed_in_tab(IntegrationsState, user.id)
    IntegrationsState.load.fn(state)
    assert state.loaded and not state.error
    return state


@pytest.fixture
def reload_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the page's reload meets a database that stopped answering."""

    def unreachable(**_: Any) -> None:
        raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError())

    monkeypatch.setattr(vault, "list_connections", unreachable)


def _said(events: Any) -> str:
    """Everything the handler sent the browser, as text: toasts and the values it set."""
    return " ".join(str(event) for event in (events if isinstance(events, list) else [events]))


def _value_set(events: Any, element_id: str) -> str | None:
    """The value the handler put into an element (rx.set_value), if it did."""
    for event in events if isinstance(events, list) else [events]:
        arguments = {str(name): value for name, value in getattr(event, "args", ())}
        if str(arguments.get("ref", "")) == f'"{rx.utils.format.format_ref(element_id)}"':
            return arguments["value"]._var_value
    return None


def _stored(engine: sa.Engine, user: User, service: str) -> str | None:
    with tenant_session(user.id, engine) as session:
        secret = vault.get_api_key(session=session, user_id=user.id, service=service)
        return secret.reveal() if secret is not None else None


def test_a_generated_secret_is_shown_even_when_the_reload_after_it_fails(
    engine, user, page, reload_fails
):
    # The secret replaced the previous one when it was stored: lost on the way to the
    # dialog, the scenario's requests would fail until the owner generated yet another.
    page.make_secret_open = True
    events = IntegrationsState.generate_make_secret.fn(page)
    secret = _stored(engine, user, "make")
    assert secret is not None
    assert _value_set(events, MAKE_SECRET_FIELD) == secret
    said = _said(events)
    assert CHANGE_NOT_SHOWN in said and VAULT_UNAVAILABLE not in said


def test_a_saved_key_is_not_reported_as_lost_when_the_reload_after_it_fails(
    engine, user, page, reload_fails
):
    events = IntegrationsState.save_key.fn(page, {"service": "vapi", "api_key": VAPI_KEY})
    assert _stored(engine, user, "vapi") == VAPI_KEY
    said = _said(events)
    assert "Vapi" in said and "saved" in said and CHANGE_NOT_SHOWN in said
    assert VAULT_UNAVAILABLE not in said


def test_a_removal_and_a_new_url_are_not_reported_as_lost_when_the_reload_fails(
    engine, user, page, monkeypatch
):
    IntegrationsState.save_key.fn(page, {"service": "vapi", "api_key": VAPI_KEY})
    url = page.webhook_urls["vapi"]
    working = vault.list_connections
    monkeypatch.setattr(vault, "list_connections", _raise_operational)
    said = _said(IntegrationsState.disconnect.fn(page, "vapi"))
    assert _stored(engine, user, "vapi") is None
    assert "removed" in said and CHANGE_NOT_SHOWN in said
    said = _said(IntegrationsState.regenerate_webhook.fn(page, "vapi"))
    assert "New Vapi webhook URL" in said and CHANGE_NOT_SHOWN in said
    monkeypatch.setattr(vault, "list_connections", working)
    IntegrationsState.load.fn(page)
    assert page.webhook_urls["vapi"] != url


@pytest.mark.parametrize("replacing", [False, True])
def test_a_dialog_whose_field_mounts_twice_gets_one_secret_and_stays_open(
    engine, user, page, replacing
) -> None:
    # React mounts the field twice in development: the second ask closed the dialog
    # ("made in another tab?"), or, regenerating, replaced the secret just shown.
    IntegrationsState.open_make_secret.fn(page, replacing)
    shown = _value_set(IntegrationsState.generate_make_secret.fn(page), MAKE_SECRET_FIELD)
    assert IntegrationsState.generate_make_secret.fn(page) is None
    assert page.make_secret_open
    assert shown is not None and _stored(engine, user, "make") == shown


def test_generate_on_a_page_that_missed_a_secret_made_elsewhere_keeps_it(
    engine, user, page
) -> None:
    IntegrationsState.open_make_secret.fn(page, True)  # in another tab: made and in use
    made = _value_set(IntegrationsState.generate_make_secret.fn(page), MAKE_SECRET_FIELD)
    assert made == _stored(engine, user, "make")
    # This tab still shows "Generate secret" (not the confirmed Regenerate).
    IntegrationsState.open_make_secret.fn(page, False)
    events = IntegrationsState.generate_make_secret.fn(page)
    assert _value_set(events, MAKE_SECRET_FIELD) is None
    assert MAKE_KEY_KEPT in _said(events) and not page.make_secret_open
    assert _stored(engine, user, "make") == made
    # Regenerate, confirmed, replaces it.
    IntegrationsState.open_make_secret.fn(page, True)
    replaced = _value_set(IntegrationsState.generate_make_secret.fn(page), MAKE_SECRET_FIELD)
    assert replaced not in (None, made) and _stored(engine, user, "make") == replaced


def test_a_change_the_database_refused_says_so_and_shows_no_secret(engine, user, page, monkeypatch):
    monkeypatch.setattr(vault, "generate_make_secret", _raise_operational)
    page.make_secret_open = True
    events = IntegrationsState.generate_make_secret.fn(page)
    assert _value_set(events, MAKE_SECRET_FIELD) is None
    said = _said(events)
    assert VAULT_UNAVAILABLE in said
    assert not page.make_secret_open
    assert _stored(engine, user, "make") is None


def _raise_operational(**_: Any) -> None:
    raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError())


def _over_socket(page: IntegrationsState, sid: str, *, reconnected: bool) -> None:
    """The tab's events now come over this socket on /integrations: one that reconnected
    under the page, or the one already in use (a visit)."""
    root = page
    while root.parent_state is not None:
        root = root.parent_state
    root.router = RouterData.from_router_data(
        {"sid": sid, "pathname": "/integrations", "asPath": "/integrations", "headers": {}}
    )
    page._reconnected_on = "/integrations" if reconnected else ""


def test_the_secret_dialog_stays_open_when_the_socket_reconnects(page) -> None:
    # Its secret is shown once, in its field: closed by the reconnect's on_load, it was lost.
    _over_socket(page, "socket-1", reconnected=False)
    IntegrationsState.open_make_secret.fn(page, False)
    IntegrationsState.generate_make_secret.fn(page)
    _over_socket(page, "socket-2", reconnected=True)
    IntegrationsState.load.fn(page)
    assert page.make_secret_open
    assert IntegrationsState.generate_make_secret.fn(page) is None  # still the one shown
    IntegrationsState.load.fn(page)  # a visit over the same socket closes it, as before
    assert not page.make_secret_open
