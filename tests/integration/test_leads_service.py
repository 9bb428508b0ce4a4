"""Leads on both databases: validation, search, filters, sort, pages and delete."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm_app.core.config import get_settings
from crm_app.core.db import tenant_session
from crm_app.models import Activity, AutomationLog, CallLog, Contact, LeadCreate, LeadUpdate, User
from crm_app.services.errors import InvalidInput
from crm_app.services.leads import create_lead, delete_lead, get_lead, list_leads, update_lead
from tests.factories import add_activity, add_lead, seed_tenant

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


def _create(engine: sa.Engine, user: User, **fields: object):
    with tenant_session(user.id, engine) as session:
        return create_lead(session=session, user_id=user.id, lead_in=LeadCreate(**fields))


def _list(engine: sa.Engine, user: User, **filters: object):
    with tenant_session(user.id, engine) as session:
        return list_leads(session=session, user_id=user.id, **filters)


def _names(page) -> list[str]:
    return [lead.name for lead in page.items]


# --- create and update


def test_create_lead_normalises_phone_to_e164_and_email_to_lower_case(engine, user) -> None:
    lead = _create(engine, user, name="  Ana  ", phone="(415) 555-2671", email=" Ana@Example.COM ")
    assert (lead.name, lead.phone, lead.email) == ("Ana", "+14155552671", "ana@example.com")
    assert (lead.status, lead.source) == ("new", "manual")
    assert lead.created_at.tzinfo is not None


def test_create_lead_drops_invisible_controls_that_would_disguise_or_break_the_text(
    engine, user
) -> None:
    # A right-to-left override shows "\u202eevil" as "live"; Postgres refuses NUL in text.
    lead = _create(engine, user, name="Ana \u202eevil\u202c", notes="line one\nline two\x00\x07")
    assert (lead.name, lead.notes) == ("Ana evil", "line one\nline two")
    with tenant_session(user.id, engine) as session:
        stored = get_lead(session=session, user_id=user.id, lead_id=lead.id)
        assert stored is not None and stored.name == "Ana evil"


def test_create_lead_keeps_an_international_numbers_country(engine, user) -> None:
    assert _create(engine, user, phone="+44 20 7946 0958").phone == "+442079460958"


def test_create_lead_reads_the_default_region_from_settings(engine, user, monkeypatch) -> None:
    monkeypatch.setattr(get_settings(), "default_phone_region", "GB")
    assert _create(engine, user, phone="020 7946 0958").phone == "+442079460958"


def test_create_lead_with_bad_fields_names_each_one_and_stores_nothing(engine, user) -> None:
    with pytest.raises(InvalidInput) as raised:
        _create(engine, user, name="x", phone="garbage", email="not-an-email", status="maybe")
    assert set(raised.value.errors) == {"phone", "email", "status"}
    assert isinstance(raised.value, ValueError)
    assert _list(engine, user).total == 0


def test_update_lead_rejects_text_longer_than_the_column(engine, user) -> None:
    lead = _create(engine, user, name="Ana")
    with pytest.raises(InvalidInput) as raised, tenant_session(user.id, engine) as session:
        too_long = LeadUpdate(name="x" * 201, source="y" * 51)
        update_lead(session=session, user_id=user.id, lead_id=lead.id, lead_in=too_long)
    assert set(raised.value.errors) == {"name", "source"}


def test_create_lead_accepts_every_status_in_any_case(engine, user) -> None:
    statuses = ["new", "Contacted", " QUALIFIED ", "won", "lost"]
    created = [_create(engine, user, name="Ana", status=status).status for status in statuses]
    assert created == ["new", "contacted", "qualified", "won", "lost"]


def test_update_lead_changes_only_given_fields_and_sets_updated_at(engine, user) -> None:
    lead = _create(engine, user, name="Ana", phone="4155552671", email="ana@example.com")
    with tenant_session(user.id, engine) as session:
        updated = update_lead(
            session=session,
            user_id=user.id,
            lead_id=lead.id,
            lead_in=LeadUpdate(status="qualified", email=" NEW@example.com"),
        )
    assert (updated.name, updated.phone) == ("Ana", "+14155552671")
    assert (updated.status, updated.email) == ("qualified", "new@example.com")
    assert updated.updated_at > lead.updated_at
    with tenant_session(user.id, engine) as session:
        stored = get_lead(session=session, user_id=user.id, lead_id=lead.id)
    assert (stored.status, stored.email) == ("qualified", "new@example.com")


def test_update_lead_that_changes_nothing_keeps_its_place_and_its_timeline(engine, user) -> None:
    lead = _create(engine, user, name="Ana", phone="4155552671", status="new")
    with tenant_session(user.id, engine) as session:
        same = update_lead(
            session=session,
            user_id=user.id,
            lead_id=lead.id,
            lead_in=LeadUpdate(name="Ana", phone="(415) 555-2671", status="new"),
        )
        entries = session.exec(sa.select(Activity).where(Activity.lead_id == lead.id)).all()
    assert same.updated_at == lead.updated_at
    assert entries == []


def test_update_lead_with_blank_phone_clears_it(engine, user) -> None:
    lead = _create(engine, user, name="Ana", phone="4155552671")
    with tenant_session(user.id, engine) as session:
        updated = update_lead(
            session=session, user_id=user.id, lead_id=lead.id, lead_in=LeadUpdate(phone="  ")
        )
    assert updated.phone is None


def test_update_lead_validates_like_create(engine, user) -> None:
    lead = _create(engine, user, name="Ana")
    with pytest.raises(InvalidInput) as raised, tenant_session(user.id, engine) as session:
        update_lead(
            session=session,
            user_id=user.id,
            lead_id=lead.id,
            lead_in=LeadUpdate(phone="12", status="done"),
        )
    assert set(raised.value.errors) == {"phone", "status"}


def test_create_lead_refuses_a_phone_with_an_extension_and_stores_nothing(engine, user) -> None:
    with pytest.raises(InvalidInput) as raised:
        _create(engine, user, name="Ext Phone", phone="415-555-0100 x1234")
    assert "without its extension" in raised.value.errors["phone"]
    assert _list(engine, user).total == 0


@pytest.mark.parametrize(
    "fields", [{}, {"name": "   "}, {"name": " ", "phone": " ", "email": " ", "notes": "hi"}]
)
def test_create_lead_without_name_phone_or_email_is_refused(engine, user, fields) -> None:
    with pytest.raises(InvalidInput) as raised:
        _create(engine, user, **fields)
    assert raised.value.errors == {"name": "enter a name, phone or email"}
    assert _list(engine, user).total == 0


@pytest.mark.parametrize(
    "fields", [{"name": "Ana"}, {"phone": "4155552671"}, {"email": "ana@example.com"}]
)
def test_create_lead_with_any_one_of_name_phone_or_email_is_accepted(engine, user, fields) -> None:
    assert _create(engine, user, **fields).id is not None


def test_update_lead_that_blanks_its_name_phone_and_email_is_refused(engine, user) -> None:
    lead = _create(engine, user, name="Ana", phone="4155552671")
    with pytest.raises(InvalidInput) as raised, tenant_session(user.id, engine) as session:
        blank = LeadUpdate(name=" ", phone="", email="")
        update_lead(session=session, user_id=user.id, lead_id=lead.id, lead_in=blank)
    assert set(raised.value.errors) == {"name"}
    with tenant_session(user.id, engine) as session:
        stored = get_lead(session=session, user_id=user.id, lead_id=lead.id)
    assert (stored.name, stored.phone) == ("Ana", "+14155552671")


def test_update_lead_status_of_an_old_blank_lead_still_works(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        lead_id = add_lead(session, user_id=user.id, name="").id
    with tenant_session(user.id, engine) as session:
        moved = update_lead(
            session=session, user_id=user.id, lead_id=lead_id, lead_in=LeadUpdate(status="won")
        )
    assert moved.status == "won"


def test_update_of_a_missing_lead_returns_none(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        missing = update_lead(
            session=session, user_id=user.id, lead_id=uuid.uuid4(), lead_in=LeadUpdate(name="x")
        )
    assert missing is None


# --- delete


def test_delete_lead_unlinks_calls_runs_contacts_and_activities_first(engine, user) -> None:
    rows = seed_tenant(engine, user.id, label="del")
    with tenant_session(user.id, engine) as session:
        assert delete_lead(session=session, user_id=user.id, lead_id=rows.lead_id) is True
    with tenant_session(user.id, engine) as session:
        assert get_lead(session=session, user_id=user.id, lead_id=rows.lead_id) is None
        linked = [
            session.get(CallLog, (user.id, rows.call_id)),
            session.get(AutomationLog, (user.id, rows.automation_log_id)),
            session.get(Contact, (user.id, rows.contact_id)),
            session.get(Activity, (user.id, rows.activity_id)),
        ]
    assert [row.lead_id for row in linked] == [None, None, None, None]
    # Only the lead link goes: the contact links stay.
    assert [row.contact_id for row in linked if not isinstance(row, Contact)] == [
        rows.contact_id
    ] * 3


def test_delete_lead_drops_notes_that_belonged_to_it_alone(engine, user) -> None:
    lead = _create(engine, user, name="Soon gone")
    with tenant_session(user.id, engine) as session:
        note = add_activity(session, user_id=user.id, lead_id=lead.id)
    with tenant_session(user.id, engine) as session:
        assert delete_lead(session=session, user_id=user.id, lead_id=lead.id) is True
    with tenant_session(user.id, engine) as session:
        assert session.get(Activity, (user.id, note.id)) is None


def test_delete_of_a_missing_lead_returns_false(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        assert delete_lead(session=session, user_id=user.id, lead_id=uuid.uuid4()) is False


# --- list: search, filters, sort, pages


@pytest.fixture
def five_leads(engine, user) -> User:
    """Five leads a day apart, oldest first: Ana, bob, Carla, dave, Eve."""
    rows = [
        ("Ana Lima", "+14155552671", "ana@acme.com", "new", "vapi"),
        ("bob stone", "+14155550123", "bob@globex.com", "contacted", "make"),
        ("Carla 100%", None, "carla@acme.com", "won", "vapi"),
        ("dave_x", "+442079460958", None, "lost", "manual"),
        ("Eve", None, "eve@initech.com", "new", "website"),
    ]
    with tenant_session(user.id, engine) as session:
        for day, (name, phone, email, status, source) in enumerate(rows):
            created = T0 + timedelta(days=day)
            add_lead(
                session,
                user_id=user.id,
                name=name,
                phone=phone,
                email=email,
                status=status,
                source=source,
                created_at=created,
                updated_at=created,
            )
    return user


def test_list_leads_is_newest_first_by_default(engine, five_leads) -> None:
    page = _list(engine, five_leads)
    assert _names(page) == ["Eve", "dave_x", "Carla 100%", "bob stone", "Ana Lima"]
    assert page.total == 5


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ANA", ["Ana Lima"]),
        ("STONE", ["bob stone"]),
        ("acme.COM", ["Carla 100%", "Ana Lima"]),
        ("+1415555", ["bob stone", "Ana Lima"]),
        ("(415) 555-2671", ["Ana Lima"]),
        ("20 7946", ["dave_x"]),
        ("  eve  ", ["Eve"]),
        ("nobody", []),
    ],
)
def test_list_leads_searches_name_email_and_phone_case_insensitively(
    engine, five_leads, search, expected
) -> None:
    assert _names(_list(engine, five_leads, search=search)) == expected


@pytest.mark.parametrize("search", ["020 7946 0958", "02079460958", "(020) 7946-0958"])
def test_list_leads_finds_a_number_typed_the_local_way_with_its_national_prefix(
    engine, five_leads, search, monkeypatch
) -> None:
    # Stored as +442079460958: the UK's leading 0 is not in it.
    monkeypatch.setattr(get_settings(), "default_phone_region", "GB")
    assert _names(_list(engine, five_leads, search=search)) == ["dave_x"]


@pytest.mark.parametrize("search", ["0207", "020 7946", "(020) 79", "020-7946-09"])
def test_list_leads_finds_the_start_of_a_number_typed_with_its_national_prefix(
    engine, five_leads, search, monkeypatch
) -> None:
    # What a UK receptionist types first: the 0, which the stored +44... has not.
    monkeypatch.setattr(get_settings(), "default_phone_region", "GB")
    assert _names(_list(engine, five_leads, search=search)) == ["dave_x"]


def test_the_start_of_a_number_finds_only_numbers_that_begin_so(engine, user, monkeypatch):
    # 44800 is inside the mobile's number, but "0800" is a freephone number's start.
    monkeypatch.setattr(get_settings(), "default_phone_region", "GB")
    _create(engine, user, name="Mobile", phone="07944 800123")
    _create(engine, user, name="Freephone", phone="0800 123 4567")
    assert _names(_list(engine, user, search="0800")) == ["Freephone"]


def test_a_partial_local_number_is_not_taken_for_another_number(engine, five_leads) -> None:
    # "0207" is no whole number: only its digits as typed are looked for (none match).
    assert _names(_list(engine, five_leads, search="0207")) == []


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("hank miller", ["Hank J. Miller", "Miller, Hank"]),
        ("Miller  HANK", ["Hank J. Miller", "Miller, Hank"]),
        ("hank mil", ["Hank J. Miller", "Miller, Hank"]),
        ("hank j. miller", ["Hank J. Miller"]),
        # Written "Last, First": the comma is how it was written, not part of the name.
        ("miller, hank", ["Hank J. Miller", "Miller, Hank"]),
        ("(Hank) Miller.", ["Hank J. Miller", "Miller, Hank"]),
        ("mills,", ["Hanna Mills"]),  # on the way to "mills, hanna"
        ("iller hank", []),  # each word begins one: "iller" begins none
        # The phrase as typed still finds what it always did, joined by punctuation too.
        ("jane watson", ["Mary-Jane Watson"]),
        ("sons plumbing", ["Smith&Sons Plumbing"]),
        ("frank miller", ["Frank Millerson"]),
        ("hank 100%", []),
    ],
)
def test_a_search_of_several_words_finds_them_in_any_order(engine, make_user, search, expected):
    user = make_user()
    with tenant_session(user.id, engine) as session:
        for name in (
            "Hank J. Miller",
            "Miller, Hank",
            "Frank Millerson",
            "Hanna Mills",
            "Mary-Jane Watson",
            "Smith&Sons Plumbing",
        ):
            add_lead(session, user_id=user.id, name=name)
    assert sorted(_names(_list(engine, user, search=search))) == expected


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("hank 2671", ["Hank J. Miller"]),
        ("415 miller", ["Hank J. Miller", "Miller, Hank"]),
        ("hank acme", ["Hank J. Miller"]),
        ("miller acme.com", ["Hank J. Miller"]),
        ("hank globex", ["Miller, Hank"]),
        ("hank cme", []),  # inside the domain, not at its start
        ("hank 9999", []),
    ],
)
def test_a_word_of_a_search_may_be_digits_of_the_number_or_the_emails_domain(
    engine, make_user, search, expected
):
    user = make_user()
    with tenant_session(user.id, engine) as session:
        add_lead(
            session,
            user_id=user.id,
            name="Hank J. Miller",
            phone="+14155552671",
            email="hank@acme.com",
        )
        add_lead(
            session,
            user_id=user.id,
            name="Miller, Hank",
            phone="+14155550123",
            email="h.miller@globex.example",
        )
    assert sorted(_names(_list(engine, user, search=search))) == expected


@pytest.mark.parametrize(("search", "expected"), [("%", ["Carla 100%"]), ("_", ["dave_x"])])
def test_list_leads_search_treats_like_wildcards_literally(
    engine, five_leads, search, expected
) -> None:
    assert _names(_list(engine, five_leads, search=search)) == expected


@pytest.mark.parametrize("search", ["\x00", "bob\x00", "\ud800", "bob\ud800 ", "\u202ebob"])
def test_a_search_with_characters_no_stored_text_holds_looks_past_them(
    engine, five_leads, search
) -> None:
    # A NUL or half a character (a lone surrogate, which JSON can carry) is refused by
    # Postgres in a query; no name holds one (they are dropped on the way in).
    expected = ["bob stone"] if "bob" in search else _names(_list(engine, five_leads))
    assert _names(_list(engine, five_leads, search=search)) == expected


def test_list_leads_filters_by_status_and_source(engine, five_leads) -> None:
    assert _names(_list(engine, five_leads, status="new")) == ["Eve", "Ana Lima"]
    assert _names(_list(engine, five_leads, source="vapi")) == ["Carla 100%", "Ana Lima"]
    assert _names(_list(engine, five_leads, status="new", source="vapi")) == ["Ana Lima"]


def test_list_leads_rejects_an_unknown_status_filter(engine, five_leads) -> None:
    with pytest.raises(InvalidInput) as raised:
        _list(engine, five_leads, status="archived")
    assert set(raised.value.errors) == {"status"}


def test_list_leads_filters_by_creation_date_from_inclusive_to_exclusive(
    engine, five_leads
) -> None:
    page = _list(
        engine, five_leads, created_from=T0 + timedelta(days=1), created_to=T0 + timedelta(days=3)
    )
    assert _names(page) == ["Carla 100%", "bob stone"]


def test_list_leads_refuses_naive_dates(engine, five_leads) -> None:
    with pytest.raises(InvalidInput):
        _list(engine, five_leads, created_from=datetime(2026, 3, 1))


def test_list_leads_sorts_by_a_whitelisted_column_either_way(engine, five_leads) -> None:
    # Status in the pipeline's order: new, contacted, (qualified), won, lost.
    by_status = _names(_list(engine, five_leads, sort="status", descending=False))
    assert set(by_status[:2]) == {"Ana Lima", "Eve"}
    assert by_status[2:] == ["bob stone", "Carla 100%", "dave_x"]
    by_status_desc = _names(_list(engine, five_leads, sort="status", descending=True))
    assert by_status_desc[:3] == ["dave_x", "Carla 100%", "bob stone"]
    by_name = _names(_list(engine, five_leads, sort="created_at", descending=False))
    assert by_name == ["Ana Lima", "bob stone", "Carla 100%", "dave_x", "Eve"]
    by_email = _names(_list(engine, five_leads, sort="email", descending=False))
    assert by_email == ["Ana Lima", "bob stone", "Carla 100%", "Eve", "dave_x"]  # NULLs last
    by_email_desc = _names(_list(engine, five_leads, sort="email", descending=True))
    assert by_email_desc == ["Eve", "Carla 100%", "bob stone", "Ana Lima", "dave_x"]


@pytest.mark.parametrize("column", ["user_id", "notes; DROP TABLE leads", "password_hash", ""])
def test_list_leads_refuses_to_sort_by_anything_else(engine, five_leads, column) -> None:
    with pytest.raises(InvalidInput) as raised:
        _list(engine, five_leads, sort=column)
    assert set(raised.value.errors) == {"sort"}


def test_list_leads_pages_through_in_order(engine, five_leads) -> None:
    first, second, third = (_list(engine, five_leads, offset=o, limit=2) for o in (0, 2, 4))
    assert (_names(first), _names(second), _names(third)) == (
        ["Eve", "dave_x"],
        ["Carla 100%", "bob stone"],
        ["Ana Lima"],
    )
    assert [p.total for p in (first, second, third)] == [5, 5, 5]
    assert [p.has_more for p in (first, second, third)] == [True, True, False]


def test_list_leads_past_the_end_is_an_empty_page_with_the_total(engine, five_leads) -> None:
    page = _list(engine, five_leads, offset=50, limit=10)
    assert (page.items, page.total, page.has_more) == ([], 5, False)


def test_list_leads_negative_offset_starts_at_the_beginning(engine, five_leads) -> None:
    assert _list(engine, five_leads, offset=-3, limit=1).offset == 0


def test_list_leads_clamps_the_limit_between_1_and_200(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        for number in range(205):
            add_lead(session, user_id=user.id, name=f"Lead {number:03d}")
    for limit, expected in [(0, 1), (-5, 1), (1, 1), (200, 200), (201, 200), (10_000, 200)]:
        page = _list(engine, user, limit=limit)
        assert (page.limit, len(page.items), page.total) == (expected, expected, 205), limit


def test_a_second_lead_with_a_taken_number_or_email_is_refused_naming_the_first(engine, user):
    _create(engine, user, name="Ada Caller", phone="+14155550123", email="ada@example.com")
    for fields, field, what in (
        ({"name": "Grace", "phone": "(415) 555-0123"}, "phone", "phone number"),  # typed so
        ({"name": "Grace", "email": "ADA@example.com"}, "email", "email"),
    ):
        with pytest.raises(InvalidInput) as refused:
            _create(engine, user, **fields)
        assert refused.value.errors == {field: f"the lead Ada Caller already has this {what}"}
    assert _list(engine, user).total == 1


def test_an_edit_is_refused_only_for_a_number_another_lead_has(engine, user):
    _create(engine, user, name="Ada", phone="+14155550123")
    grace = _create(engine, user, name="Grace", phone="+14155550124")
    with tenant_session(user.id, engine) as session, pytest.raises(InvalidInput):
        update_lead(
            session=session,
            user_id=user.id,
            lead_id=grace.id,
            lead_in=LeadUpdate(phone="+1 415 555 0123"),
        )
    with tenant_session(user.id, engine) as session:
        # Its own number again, and another field: nothing taken.
        same = LeadUpdate(phone="+14155550124", name="Grace Hopper")
        assert update_lead(session=session, user_id=user.id, lead_id=grace.id, lead_in=same)
        # Two leads stored with one number before this rule can still be edited.
        twin = add_lead(session, user_id=user.id, name="Twin", phone="+14155550124")
    with tenant_session(user.id, engine) as session:
        renamed = LeadUpdate(name="Twin Renamed", status="contacted")
        assert update_lead(session=session, user_id=user.id, lead_id=twin.id, lead_in=renamed)
