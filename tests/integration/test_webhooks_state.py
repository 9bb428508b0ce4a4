"""The webhook audit page's detail and Replay, as the page's state runs them: a double click
replays once; an event that cannot be opened says so."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa

import crm_app.state.webhooks as webhooks_state
from crm_app.core.db import tenant_session
from crm_app.models import Contact, ContactCreate, User
from crm_app.models.base import utcnow
from crm_app.services.contacts import create_contact, delete_contact
from crm_app.services.webhook_ingest import CLASHED, record_failed_webhook
from crm_app.state.webhooks import WebhooksState
from tests.isolation.webhooks import _event
from tests.state_tabs import on_engine, signed_in_tab
from tests.webhook_state import audit_rows, owned

PHONE = "+14155550199"


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def page(engine: sa.Engine, user: User, monkeypatch: pytest.MonkeyPatch) -> WebhooksState:
    """The audit page in a signed-in tab; its handlers use the engine."""
    on_engine(monkeypatch, engine, webhooks_state)
    return signed_in_tab(WebhooksState, user.id)


def _failed_clash(engine: sa.Engine, user: User, message_id: str) -> uuid.UUID:
    """A Make contact.upsert for PHONE that failed on a clash with a record (a Replay may help)."""
    event = _event("make", message_id, "contact.upsert", {"data": {"phone": PHONE}})
    with tenant_session(user.id, engine) as session:
        return record_failed_webhook(
            session=session,
            user_id=user.id,
            event=event,
            reason=f"{CLASHED}email: another contact already has this email",
            received_at=utcnow(),
        )


def test_a_double_click_on_replay_replays_once_and_says_nothing_went_wrong(
    engine, user, page
) -> None:
    # A Make contact.upsert that clashed with a contact holding the email, since deleted.
    with tenant_session(user.id, engine) as session:
        blocker = create_contact(
            session=session, user_id=user.id, contact_in=ContactCreate(email="b@example.com")
        )
    row_id = _failed_clash(engine, user, "msg_clash")
    with tenant_session(user.id, engine) as session:
        delete_contact(session=session, user_id=user.id, contact_id=blocker.id)
    WebhooksState.open_detail.fn(page, str(row_id))
    assert page.detail_open and page.detail.can_replay
    first = WebhooksState.replay.fn(page, str(row_id))
    second = WebhooksState.replay.fn(page, str(row_id))  # queued before the button went
    assert "Event replayed" in str(first)
    assert second is None
    assert page.detail_error == ""
    [row] = audit_rows(engine, user.id)
    assert (row.status, row.reason) == ("accepted", "replayed")
    assert [contact.phone for contact in owned(engine, user.id, Contact)] == [PHONE]


def test_a_replay_whose_dialog_cannot_reload_still_says_it_was_applied(
    engine, user, page, monkeypatch
) -> None:
    # The replay had committed; the reload after it met a database error, and the dialog
    # said "Nothing was changed".
    row_id = _failed_clash(engine, user, "msg_reload")
    WebhooksState.open_detail.fn(page, str(row_id))
    loaded = WebhooksState._load_detail

    def reload_fails(state: WebhooksState, row: object) -> bool:
        raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError())

    monkeypatch.setattr(WebhooksState, "_load_detail", reload_fails)
    said = str(WebhooksState.replay.fn(page, str(row_id)))
    assert "Event replayed" in said and page.detail_error == ""
    assert not page.detail.can_replay and not page.replaying
    monkeypatch.setattr(WebhooksState, "_load_detail", loaded)
    [row] = audit_rows(engine, user.id)
    assert row.status == "accepted"


def test_an_event_that_cannot_be_opened_says_so_where_the_click_was(
    engine, user, page, monkeypatch
) -> None:
    # Gone since the list loaded: the click did nothing. A database error put the page's
    # own "Could not load" over a list that had loaded, until the list was refreshed.
    said = str(WebhooksState.open_detail.fn(page, str(uuid.uuid4())))
    assert webhooks_state.EVENT_GONE in said and not page.detail_open
    row_id = _failed_clash(engine, user, "msg_open")

    def load_fails(state: WebhooksState, row: object) -> bool:
        raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError())

    monkeypatch.setattr(WebhooksState, "_load_detail", load_fails)
    said = str(WebhooksState.open_detail.fn(page, str(row_id)))
    assert webhooks_state.DETAIL_FAILED in said
    assert (page.error, page.detail_open) == ("", False)
