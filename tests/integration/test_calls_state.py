"""The calls page's filter menus, as its state loads them: a choice no call has any more."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

import crm_app.state.calls as calls_state
from crm_app.core.db import tenant_session
from crm_app.models import User
from crm_app.state.calls import CallsState
from crm_app.state.list_page import ALL
from tests.factories import add_call_log
from tests.state_tabs import on_engine, signed_in_tab


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def page(engine: sa.Engine, user: User, monkeypatch: pytest.MonkeyPatch) -> CallsState:
    """/calls in a signed-in tab; its handlers use the engine."""
    on_engine(monkeypatch, engine, calls_state)
    return signed_in_tab(CallsState, user.id)


def test_a_filter_no_call_has_any_more_goes_back_to_all(engine, user, page) -> None:
    # Filtered on "ringing" and "vonage", then those calls ended (or were deleted): the
    # menus no longer offered the choices, showed nothing, and the list stayed empty.
    with tenant_session(user.id, engine) as session:
        add_call_log(session, user_id=user.id, provider="vapi", status="ended")
    page.status, page.provider, page.ended_reason = "ringing", "vonage", "customer-busy"
    page.offset = 25
    CallsState.refresh.fn(page)
    assert (page.status, page.provider, page.ended_reason, page.offset) == (ALL, ALL, ALL, 0)
    assert page.total == 1 and len(page.rows) == 1
    # A choice some call still has is kept.
    page.status = "ended"
    CallsState.refresh.fn(page)
    assert page.status == "ended" and page.total == 1
