"""A page's state as a signed-in tab holds it, for tests that call its handlers directly.

The browser tests show the pages; these run the cases a person cannot easily
produce (a database error at one moment, a second click already queued).
"""

from __future__ import annotations

import functools
import uuid
from types import ModuleType
from typing import TypeVar

import pytest
import sqlalchemy as sa
from reflex.state import State

from crm_app.core.db import tenant_session
from crm_app.state.auth import AuthState

S = TypeVar("S", bound=State)


def signed_in_tab(state_class: type[S], user_id: uuid.UUID) -> S:
    """The page state of a tab whose session is this user's (as the session middleware sets)."""
    root = State()
    root.is_hydrated = True
    root.get_substate(AuthState.get_full_name().split(".")[1:])._user_id = str(user_id)
    return root.get_substate(state_class.get_full_name().split(".")[1:])


def on_engine(monkeypatch: pytest.MonkeyPatch, engine: sa.Engine, *modules: ModuleType) -> None:
    """The state modules' units of work on this engine (the test's database)."""
    on_this_engine = functools.partial(tenant_session, engine=engine)
    for module in modules:
        monkeypatch.setattr(module, "tenant_session", on_this_engine)
