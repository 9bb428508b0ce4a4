"""Contacts on both databases: one per phone number and per email for a user, search, delete."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

import crm_app.services.contacts as contacts_service
from crm_app.core.db import tenant_session
from crm_app.models import Activity, AutomationLog, CallLog, ContactCreate, ContactUpdate, User
from crm_app.services.contacts import (
    create_contact,
    delete_contact,
    get_contact,
    list_contacts,
    update_contact,
)
from crm_app.services.errors import DuplicateContact, InvalidInput
from tests.factories import add_activity, add_automation_log, add_call_log


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


def _create(engine, user: User, **fields: object):
    with tenant_session(user.id, engine) as session:
        return create_contact(session=session, user_id=user.id, contact_in=ContactCreate(**fields))


def _update(engine, user: User, contact_id: uuid.UUID, **fields: object):
    with tenant_session(user.id, engine) as session:
        return update_contact(
            session=session,
            user_id=user.id,
            contact_id=contact_id,
            contact_in=ContactUpdate(**fields),
        )


def _all(engine, user: User, **filters: object):
    with tenant_session(user.id, engine) as session:
        return list_contacts(session=session, user_id=user.id, **filters)


def test_create_contact_normalises_phone_and_email(engine, user) -> None:
    contact = _create(engine, user, name=" Ana ", phone="(415) 555-2671", email=" ANA@Acme.com")
    assert (contact.name, contact.phone, contact.email) == ("Ana", "+14155552671", "ana@acme.com")


def test_create_contact_with_bad_phone_and_email_names_both(engine, user) -> None:
    with pytest.raises(InvalidInput) as raised:
        _create(engine, user, phone="call me maybe", email="ana(at)acme")
    assert set(raised.value.errors) == {"phone", "email"}


@pytest.mark.parametrize("same_number", ["+14155552671", "415-555-2671", "(415) 555 2671"])
def test_a_second_contact_with_the_same_phone_is_a_duplicate(engine, user, same_number) -> None:
    _create(engine, user, name="Ana", phone="4155552671")
    with pytest.raises(DuplicateContact) as raised:
        _create(engine, user, name="Ana again", phone=same_number)
    assert raised.value.field == "phone"
    assert raised.value.errors == {"phone": "the contact Ana already has this phone number"}
    assert set(raised.value.errors) == {"phone"}
    assert isinstance(raised.value, InvalidInput)
    assert _all(engine, user).total == 1


def test_a_second_contact_with_the_same_email_in_other_case_is_a_duplicate(engine, user) -> None:
    _create(engine, user, email="ana@acme.com")
    with pytest.raises(DuplicateContact) as raised:
        _create(engine, user, email="  Ana@ACME.com ")
    assert raised.value.field == "email"


def test_contacts_without_phone_or_email_are_not_duplicates_of_each_other(engine, user) -> None:
    _create(engine, user, name="First")
    _create(engine, user, name="Second")
    assert _all(engine, user).total == 2


def test_the_same_phone_and_email_are_fine_for_another_user(engine, make_user) -> None:
    ana, bob = make_user(), make_user()
    _create(engine, ana, phone="4155552671", email="x@acme.com")
    assert _create(engine, bob, phone="4155552671", email="x@acme.com").user_id == bob.id


@pytest.mark.parametrize(
    ("field", "first", "second"),
    [("phone", "4155552671", "+1 415 555 2671"), ("email", "ana@acme.com", "ANA@acme.com")],
)
def test_the_unique_constraint_catches_a_duplicate_that_raced_the_check(
    engine, user, monkeypatch, field, first, second
) -> None:
    # As if another request inserted the same contact between our check and our insert.
    _create(engine, user, **{field: first})
    monkeypatch.setattr(contacts_service, "_check_duplicates", lambda *args, **kwargs: None)
    with pytest.raises(DuplicateContact) as raised:
        _create(engine, user, **{field: second})
    assert raised.value.field == field
    assert raised.value.errors[field].startswith("another contact already has this")
    assert _all(engine, user).total == 1


def test_update_contact_to_another_contacts_phone_is_a_duplicate(engine, user) -> None:
    _create(engine, user, phone="4155552671")
    other = _create(engine, user, phone="4155550123")
    with pytest.raises(DuplicateContact) as raised:
        _update(engine, user, other.id, phone="+14155552671")
    assert raised.value.field == "phone"


def test_update_contact_keeping_its_own_phone_and_email_is_fine(engine, user) -> None:
    contact = _create(engine, user, phone="4155552671", email="ana@acme.com")
    updated = _update(
        engine, user, contact.id, phone="415 555 2671", email="ANA@acme.com", company="Acme"
    )
    assert (updated.phone, updated.email, updated.company) == (
        "+14155552671",
        "ana@acme.com",
        "Acme",
    )
    assert updated.updated_at > contact.updated_at


def test_update_contact_that_changes_nothing_keeps_its_place_in_recently_changed(
    engine, user
) -> None:
    contact = _create(engine, user, name="Ana", phone="4155552671", email="ana@acme.com")
    # As the dialog saves it opened and closed again, or typed the way it was.
    same = _update(
        engine, user, contact.id, name="Ana", phone="(415) 555-2671", email="ANA@acme.com"
    )
    assert same.updated_at == contact.updated_at


@pytest.mark.parametrize("fields", [{}, {"name": "  ", "company": "Acme", "notes": "hi"}])
def test_create_contact_without_name_phone_or_email_is_refused(engine, user, fields) -> None:
    with pytest.raises(InvalidInput) as raised:
        _create(engine, user, **fields)
    assert raised.value.errors == {"name": "enter a name, phone or email"}
    assert _all(engine, user).total == 0


def test_create_contact_refuses_a_phone_with_an_extension(engine, user) -> None:
    with pytest.raises(InvalidInput) as raised:
        _create(engine, user, name="Ext Phone", phone="415-555-0100 x1234")
    assert "without its extension" in raised.value.errors["phone"]
    assert _all(engine, user).total == 0


def test_update_contact_that_blanks_its_name_phone_and_email_is_refused(engine, user) -> None:
    contact = _create(engine, user, email="ana@acme.com")
    with pytest.raises(InvalidInput) as raised:
        _update(engine, user, contact.id, name="", email=" ")
    assert set(raised.value.errors) == {"name"}
    assert _update(engine, user, contact.id, name="Ana", email="").email is None


def test_update_of_a_missing_contact_returns_none(engine, user) -> None:
    assert _update(engine, user, uuid.uuid4(), name="x") is None


def test_list_contacts_searches_name_company_email_and_phone(engine, user) -> None:
    _create(engine, user, name="Ana Lima", company="Acme", phone="4155552671")
    _create(engine, user, name="Bob", company="Globex", email="bob@globex.com")
    for search, expected in [
        ("lima", ["Ana Lima"]),
        ("ACME", ["Ana Lima"]),
        ("GLOBEX.com", ["Bob"]),
        ("555-2671", ["Ana Lima"]),
        ("", ["Bob", "Ana Lima"]),
    ]:
        assert [c.name for c in _all(engine, user, search=search).items] == expected, search


def test_list_contacts_sorts_by_name_and_pages(engine, user) -> None:
    for name in ["Carla", "ana", "Bob"]:
        _create(engine, user, name=name)
    ascending = _all(engine, user, sort="name", descending=False)
    assert [c.name for c in ascending.items] == ["ana", "Bob", "Carla"]  # case-insensitive
    page = _all(engine, user, sort="name", descending=True, offset=1, limit=1)
    assert ([c.name for c in page.items], page.total) == (["Bob"], 3)
    with pytest.raises(InvalidInput):
        _all(engine, user, sort="lead_id")


def test_names_and_companies_sort_as_people_read_them_blanks_last_either_way(engine, user) -> None:
    _create(engine, user, name="Dee", company="")
    _create(engine, user, name="Eve", company="acme")
    _create(engine, user, name="", company="Zeta", phone="4155552671")
    _create(engine, user, name="Fay", company="Bolt")
    _create(engine, user, name="Élodie", company="Ábaco")
    by_company = _all(engine, user, sort="company", descending=False)
    assert [c.company for c in by_company.items] == ["Ábaco", "acme", "Bolt", "Zeta", ""]
    by_company = _all(engine, user, sort="company", descending=True)
    assert [c.company for c in by_company.items] == ["Zeta", "Bolt", "acme", "Ábaco", ""]
    # Accented initials among the others, not after Z.
    by_name = _all(engine, user, sort="name", descending=False)
    assert [c.name for c in by_name.items] == ["Dee", "Élodie", "Eve", "Fay", ""]


def test_delete_contact_unlinks_calls_and_runs_and_drops_its_own_notes(engine, user) -> None:
    contact = _create(engine, user, phone="4155552671")
    with tenant_session(user.id, engine) as session:
        links = {"user_id": user.id, "contact_id": contact.id}
        call = add_call_log(session, **links)
        run = add_automation_log(session, **links)
        note = add_activity(session, **links)
        sms = add_activity(session, kind="sms_in", body="Running late", **links)
    with tenant_session(user.id, engine) as session:
        assert delete_contact(session=session, user_id=user.id, contact_id=contact.id) is True
    with tenant_session(user.id, engine) as session:
        assert get_contact(session=session, user_id=user.id, contact_id=contact.id) is None
        rows = [
            session.get(CallLog, (user.id, call.id)),
            session.get(AutomationLog, (user.id, run.id)),
        ]
        # A note or a text message on this contact alone would be unreachable, so it goes
        # with it, as the dialog that asks says (components/dialogs.confirm_delete).
        assert session.get(Activity, (user.id, note.id)) is None
        assert session.get(Activity, (user.id, sms.id)) is None
    assert [row.contact_id for row in rows] == [None, None]
    # The phone number is free again.
    assert _create(engine, user, phone="4155552671").phone == "+14155552671"


def test_delete_of_a_missing_contact_returns_false(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        assert delete_contact(session=session, user_id=user.id, contact_id=uuid.uuid4()) is False
