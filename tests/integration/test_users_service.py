"""Accounts on both databases: renaming (optional, bounded) and moving to another login email."""

from __future__ import annotations

import unicodedata
import uuid

import pytest

from crm_app.core.db import global_session
from crm_app.core.security import hash_password
from crm_app.models import User
from crm_app.services.users import (
    MAX_NAME_LENGTH,
    EmailTaken,
    InvalidSignup,
    authenticate,
    change_email,
    create_user,
    get_user,
    rename_user,
    reset_password,
)

PASSWORD = "the account's password"


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


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


def _account(engine, password_hash: str, email: str | None = None) -> User:
    user = User(
        email=email or f"user-{uuid.uuid4().hex[:12]}@example.com",
        name="Ada",
        password_hash=password_hash,
    )
    with global_session(engine) as session:
        session.add(user)
    return user


def _email_of(engine, user: User) -> str:
    with global_session(engine) as session:
        return get_user(session=session, user_id=user.id).email


def test_a_new_email_is_stored_normalised_and_logs_in(engine, password_hash) -> None:
    user = _account(engine, password_hash)
    new = f"Ada.King-{uuid.uuid4().hex[:6]}@Example.COM "
    with global_session(engine) as session:
        changed = change_email(
            session=session, user_id=user.id, current_password=PASSWORD, new_email=new
        )
        assert changed.email == new.strip().lower()
    with global_session(engine) as session:
        assert authenticate(session=session, email=new, password=PASSWORD).id == user.id
        assert authenticate(session=session, email=user.email, password=PASSWORD) is None


def test_a_wrong_password_changes_nothing(engine, password_hash) -> None:
    user = _account(engine, password_hash)
    with global_session(engine) as session:
        refused = change_email(
            session=session,
            user_id=user.id,
            current_password="not the password",
            new_email="someone-else@example.com",
        )
    assert refused is None
    assert _email_of(engine, user) == user.email


def test_another_accounts_email_is_refused_only_after_the_password(engine, password_hash) -> None:
    user, other = _account(engine, password_hash), _account(engine, password_hash)
    # Without the password, a taken address looks like any other: no one learns it exists.
    with global_session(engine) as session:
        assert (
            change_email(
                session=session,
                user_id=user.id,
                current_password="a guess",
                new_email=other.email.upper(),
            )
            is None
        )
    with pytest.raises(EmailTaken), global_session(engine) as session:
        change_email(
            session=session,
            user_id=user.id,
            current_password=PASSWORD,
            new_email=other.email.upper(),
        )
    assert (_email_of(engine, user), _email_of(engine, other)) == (user.email, other.email)


@pytest.mark.parametrize("bad", ["", "   ", "not-an-email", "a@b", "x" * 310 + "@example.com"])
def test_an_address_that_is_not_one_is_refused_before_any_hashing(engine, bad) -> None:
    user = _account(engine, "!no hash: the password must not even be checked")
    with pytest.raises(InvalidSignup, match="valid email"), global_session(engine) as session:
        change_email(session=session, user_id=user.id, current_password=PASSWORD, new_email=bad)
    assert _email_of(engine, user) == user.email


def test_the_same_email_in_another_case_is_no_change(engine, password_hash) -> None:
    user = _account(engine, password_hash)
    with global_session(engine) as session:
        same = change_email(
            session=session,
            user_id=user.id,
            current_password=PASSWORD,
            new_email=user.email.upper(),
        )
        assert same.email == user.email


def test_moving_no_such_account_returns_none(engine) -> None:
    with global_session(engine) as session:
        assert (
            change_email(
                session=session,
                user_id=uuid.uuid4(),
                current_password=PASSWORD,
                new_email="nobody@example.com",
            )
            is None
        )


def test_an_email_typed_with_a_separate_accent_is_the_same_account(engine) -> None:
    composed = f"josé.díaz-{uuid.uuid4().hex[:6]}@example.com"
    decomposed = unicodedata.normalize("NFD", composed).upper()
    assert decomposed.lower() != composed  # two strings, one address to a person
    with global_session(engine) as session:
        user = create_user(session=session, email=decomposed, password=PASSWORD, name="José")
        assert user.email == composed
    with global_session(engine) as session:
        assert authenticate(session=session, email=decomposed, password=PASSWORD).id == user.id
        with pytest.raises(EmailTaken):
            create_user(session=session, email=composed, password=PASSWORD, name="Another")


def test_a_reset_sets_a_password_that_logs_in_without_the_old_one(engine, password_hash) -> None:
    user = _account(engine, password_hash)
    with global_session(engine) as session:
        assert reset_password(session=session, user_id=user.id, new_password="a new passphrase")
    with global_session(engine) as session:
        assert authenticate(session=session, email=user.email, password=PASSWORD) is None
        assert authenticate(session=session, email=user.email, password="a new passphrase")


def test_a_reset_refuses_a_weak_password_and_changes_nothing(engine, password_hash) -> None:
    user = _account(engine, password_hash)
    with pytest.raises(InvalidSignup, match="at least 8"), global_session(engine) as session:
        reset_password(session=session, user_id=user.id, new_password="short")
    with global_session(engine) as session:
        assert get_user(session=session, user_id=user.id).password_hash == password_hash


def test_resetting_no_such_account_returns_false(engine) -> None:
    with global_session(engine) as session:
        assert not reset_password(session=session, user_id=uuid.uuid4(), new_password="x" * 12)
