"""Accounts on both databases: renaming (the name is optional, and bounded)."""

from __future__ import annotations

import uuid

import pytest

from crm_app.core.db import global_session
from crm_app.services.users import MAX_NAME_LENGTH, InvalidSignup, get_user, rename_user


def test_rename_stores_the_name_stripped_and_blank_clears_it(engine, make_user) -> None:
    user = make_user()
    with global_session(engine) as session:
        assert rename_user(session=session, user_id=user.id, name="  Ada King ").name == "Ada King"
    with global_session(engine) as session:
        assert get_user(session=session, user_id=user.id).name == "Ada King"
        assert rename_user(session=session, user_id=user.id, name="   ").name == ""


def test_an_overlong_name_is_refused_and_changes_nothing(engine, make_user) -> None:
    user = make_user()
    with pytest.raises(InvalidSignup, match="at most 200"), global_session(engine) as session:
        rename_user(session=session, user_id=user.id, name="x" * (MAX_NAME_LENGTH + 1))
    with global_session(engine) as session:
        assert get_user(session=session, user_id=user.id).name == user.name


def test_renaming_no_such_account_returns_none(engine) -> None:
    with global_session(engine) as session:
        assert rename_user(session=session, user_id=uuid.uuid4(), name="Nobody") is None
