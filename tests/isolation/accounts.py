"""Isolation cases for accounts and login sessions."""

from __future__ import annotations

from functools import cache

import pytest

from crm_app.models import User
from tests.isolation import World, isolation_case


@cache
def _password_hash(password: str) -> str:
    from crm_app.core.security import hash_password

    return hash_password(password)


@isolation_case("users.get_user")
def _get_user(world: World) -> None:
    from crm_app.services import users

    with world.as_b() as session:
        assert users.get_user(session=session, user_id=world.b.id).id == world.b.id


@isolation_case("users.change_password")
def _change_password(world: World) -> None:
    # B changing B's password changes nothing of A's.
    from crm_app.services import users

    with world.as_b() as session:
        b = session.get(User, world.b.id)
        b.password_hash = _password_hash("bob's old password")
        session.add(b)
        changed = users.change_password(
            session=session,
            user_id=world.b.id,
            current_password="bob's old password",
            new_password="bob's new password",
        )
    assert changed is True


@isolation_case("users.reset_password")
def _reset_password(world: World) -> None:
    # The operator resetting B's password changes nothing of A's.
    from crm_app.services import users

    with world.as_b() as session:
        reset = users.reset_password(
            session=session, user_id=world.b.id, new_password="bob's new password"
        )
    assert reset is True


@isolation_case("users.password_is_still")
def _password_is_still(world: World) -> None:
    # A's hash is no answer about B's password, and B's session holds only B's row.
    from crm_app.services import users

    with world.as_b() as session:
        b = session.get(User, world.b.id)
        b.password_hash = _password_hash("bob's password")
        session.add(b)
        session.flush()
        for password_hash, still in ((world.a.password_hash, False), (b.password_hash, True)):
            assert (
                users.password_is_still(
                    session=session, user_id=world.b.id, password_hash=password_hash
                )
                is still
            )


@isolation_case("users.rename_user")
def _rename_user(world: World) -> None:
    # B renaming B renames nobody else (the snapshot of A is compared after).
    from crm_app.services import users

    with world.as_b() as session:
        renamed = users.rename_user(session=session, user_id=world.b.id, name="Bob B.")
    assert renamed.name == "Bob B."


@isolation_case("users.change_email")
def _change_email(world: World) -> None:
    # B moving B to a new address moves nobody else, and cannot take A's.
    from crm_app.services import users

    with world.as_b() as session:
        b = session.get(User, world.b.id)
        b.password_hash = _password_hash("bob's password")
        session.add(b)
        session.flush()
        with pytest.raises(users.EmailTaken):
            users.change_email(
                session=session,
                user_id=world.b.id,
                current_password="bob's password",
                new_email=world.a.email,
            )
    with world.as_b() as session:
        moved = users.change_email(
            session=session,
            user_id=world.b.id,
            current_password="bob's password",
            new_email=f"moved-{world.b.email}",
        )
    assert moved.email == f"moved-{world.b.email}"


@isolation_case("sessions.start_session")
def _start_session(world: World) -> None:
    from crm_app.services import sessions

    with world.as_b() as session:
        assert sessions.start_session(session=session, user_id=world.b.id)


@isolation_case("sessions.revoke_all_sessions")
def _revoke_all_sessions(world: World) -> None:
    # B ending all of B's sessions ends none of A's (the snapshot of A is compared after).
    from crm_app.services import sessions

    with world.as_b() as session:
        assert sessions.revoke_all_sessions(session=session, user_id=world.b.id) == 1


@isolation_case("sessions.is_session_active")
def _is_session_active(world: World) -> None:
    from crm_app.services import sessions

    with world.as_b() as session:
        active = sessions.is_session_active(
            session=session, user_id=world.b.id, session_id=world.a_rows.user_session_id
        )
    assert active is False


@isolation_case("sessions.revoke_session")
def _revoke_session(world: World) -> None:
    from crm_app.services import sessions

    with world.as_b() as session:
        revoked = sessions.revoke_session(
            session=session, user_id=world.b.id, session_id=world.a_rows.user_session_id
        )
    assert revoked is False
