"""CSV import and export on both databases: round trips, duplicates, bad rows, escaping on
export (text kept as typed on import), malformed files, 10k."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from crm_app.core.db import tenant_session
from crm_app.models import Contact, ContactCreate, Lead, LeadCreate, User
from crm_app.services.contacts import create_contact
from crm_app.services.csv_import import (
    BATCH_SIZE,
    EarlierRows,
    ImportResult,
    batches,
    import_contacts,
    import_leads,
)
from crm_app.services.csv_io import (
    CONTACT_FIELDS,
    LEAD_FIELDS,
    UTF8_BOM,
    CsvFileError,
    export_contacts_csv,
    export_leads_csv,
    parse_csv,
)
from crm_app.services.errors import InvalidInput
from crm_app.services.leads import create_lead
from crm_app.services.timeline import list_timeline
from tests.factories import add_contact, add_lead

T0 = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


def _import(engine, user: User, text: str, kind: str = "leads", **options) -> ImportResult:
    """What the import page does: parse, then one unit of work per batch."""
    fields, importer = (
        (LEAD_FIELDS, import_leads) if kind == "leads" else (CONTACT_FIELDS, import_contacts)
    )
    parsed = parse_csv(text.encode("utf-8"), fields=fields)
    total, earlier = ImportResult(), EarlierRows()
    for batch in batches(parsed.records):
        with tenant_session(user.id, engine) as session:
            total.add(
                importer(
                    session=session,
                    user_id=user.id,
                    headers=parsed.headers,
                    records=batch,
                    mapping=parsed.mapping,
                    earlier=earlier,
                    **options,
                )
            )
    return total


def _export(engine, user: User, kind: str = "leads", **filters) -> str:
    exporter = export_leads_csv if kind == "leads" else export_contacts_csv
    with tenant_session(user.id, engine) as session:
        return exporter(session=session, user_id=user.id, **filters)


def _rows(text: str) -> list[dict[str, str]]:
    """The export's rows as a CSV reader that skips the byte-order mark sees them."""
    return list(csv.DictReader(io.StringIO(text.removeprefix(UTF8_BOM))))


def _stored(engine, user: User, model, fields) -> list[tuple]:
    columns = [getattr(model, name) for name in fields]
    with tenant_session(user.id, engine) as session:
        rows = session.connection().execute(sa.select(*columns).where(model.user_id == user.id))
        return sorted((tuple(row) for row in rows), key=repr)


# --- export


def test_export_leads_is_the_filtered_list_in_its_order_and_only_the_users(
    engine, user, make_user
) -> None:
    other = make_user()
    with tenant_session(user.id, engine) as session:
        for n, status in enumerate(["new", "won", "new"]):
            add_lead(
                session,
                user_id=user.id,
                name=f"Lead {n}",
                status=status,
                created_at=T0 + timedelta(hours=n),
            )
    with tenant_session(other.id, engine) as session:
        add_lead(session, user_id=other.id, name="Lead of someone else", status="new")
    rows = _rows(_export(engine, user, status="new"))
    assert [row["name"] for row in rows] == ["Lead 2", "Lead 0"]
    assert list(rows[0]) == [*LEAD_FIELDS, "created_at"]
    assert rows[1]["created_at"] == "2026-01-10T08:00:00+00:00"
    ascending = _rows(_export(engine, user, sort="name", descending=False))
    assert [row["name"] for row in ascending] == ["Lead 0", "Lead 1", "Lead 2"]


def test_export_escapes_cells_a_spreadsheet_would_run_but_not_e164_phones(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        add_lead(
            session,
            user_id=user.id,
            name='=HYPERLINK("http://evil.example")',
            phone="+14155552671",
            source="@import",
            notes="-2+3+cmd|' /C calc'!A0",
            created_at=T0,
        )
        add_lead(
            session,
            user_id=user.id,
            name="+cmd|' /C calc'!A0",
            source="-2+3",
            notes="@SUM(A1:A9)",
            created_at=T0 - timedelta(hours=1),
        )
    text = _export(engine, user)
    first, second = _rows(text)
    assert first["name"] == '\'=HYPERLINK("http://evil.example")'
    assert (first["phone"], first["source"], first["notes"]) == (
        "+14155552671",
        "'@import",
        "'-2+3+cmd|' /C calc'!A0",
    )
    assert (second["name"], second["source"], second["notes"]) == (
        "'+cmd|' /C calc'!A0",
        "'-2+3",
        "'@SUM(A1:A9)",
    )
    cells = [cell for line in csv.reader(io.StringIO(text)) for cell in line]
    starting_like_a_formula = [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert starting_like_a_formula == ["+14155552671"]


def test_export_of_a_user_with_nothing_is_the_header_alone(engine, user) -> None:
    header = ",".join([*CONTACT_FIELDS, "created_at"]) + "\r\n"
    assert _export(engine, user, kind="contacts") == UTF8_BOM + header


@pytest.mark.parametrize("kind", ["leads", "contacts"])
def test_an_export_is_utf8_with_a_bom_and_imports_again_with_its_accents(
    engine, user, make_user, kind
) -> None:
    model, fields, add_row = (
        (Lead, LEAD_FIELDS, add_lead) if kind == "leads" else (Contact, CONTACT_FIELDS, add_contact)
    )
    with tenant_session(user.id, engine) as session:
        add_row(session, user_id=user.id, name="José Müller", email="jose@example.com", notes="5 €")
    # The file as downloaded: Excel takes it for UTF-8 only with the BOM in front.
    data = _export(engine, user, kind=kind).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbfname,")
    assert "José Müller" in data.decode("utf-8-sig")
    other = make_user()
    result = _import(engine, other, data.decode("utf-8"), kind=kind)
    assert (result.created, result.rejected) == (1, [])
    assert _stored(engine, other, model, fields) == _stored(engine, user, model, fields)


# --- round trips


def test_leads_exported_then_imported_by_another_user_are_the_same_rows(
    engine, user, make_user
) -> None:
    samples = [
        {
            "name": "Ana Lima",
            "phone": "+14155552671",
            "email": "ana@acme.com",
            "status": "won",
            "source": "vapi",
            "notes": 'Line one\nline two, "quoted"',
        },
        {
            "name": "=1+1",
            "phone": None,
            "email": "formula@acme.com",
            "status": "new",
            "source": "@web",
            "notes": "-dash",
        },
        {
            "name": "Zoë Ñúñez",
            "phone": "+442079460958",
            "email": None,
            "status": "lost",
            "source": "manual",
            "notes": "",
        },
        {
            "name": "Only a name",
            "phone": None,
            "email": None,
            "status": "contacted",
            "source": "manual",
            "notes": "",
        },
    ]
    with tenant_session(user.id, engine) as session:
        for n, sample in enumerate(samples):
            lead = create_lead(session=session, user_id=user.id, lead_in=LeadCreate(**sample))
            lead.created_at = datetime(2024, 5, 1 + n, 8, 30, tzinfo=UTC)  # a list kept for long
            session.add(lead)
    other = make_user()
    result = _import(engine, other, _export(engine, user))
    assert (result.created, result.updated, result.duplicates, result.rejected) == (4, 0, 0, [])
    assert _stored(engine, other, Lead, LEAD_FIELDS) == _stored(engine, user, Lead, LEAD_FIELDS)
    # Created when they were, not on the day of the import (the export keeps seconds).
    assert _created(engine, other, Lead) == _created(engine, user, Lead)


def _created(engine, user: User, model) -> list[datetime]:
    return sorted(
        at.replace(microsecond=0) for (at,) in _stored(engine, user, model, ["created_at"])
    )


def test_a_column_of_dates_dates_the_rows_it_creates_and_no_row_it_updates(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        kept = create_lead(
            session=session, user_id=user.id, lead_in=LeadCreate(name="Kept", phone="+14155550100")
        )
    text = (
        "Name,Phone,Date Added\n"
        "Ana,+14155550101,11/14/2025\n"
        "Bo,+14155550102,\n"  # no date: created now, as without the column
        "Cy,+14155550103,someday\n"  # refused, saying what dates it reads
        "Kept Again,+14155550100,01/02/2020\n"  # an update keeps the record's own date
    )
    parsed = parse_csv(text.encode(), fields=LEAD_FIELDS)
    assert parsed.mapping == {0: "name", 1: "phone", 2: "created_at"}
    before = datetime.now(UTC)
    result = _import(engine, user, text, on_duplicate="update")
    assert (result.created, result.updated) == (2, 1)
    assert [(r.number, r.reason) for r in result.rejected] == [
        (
            4,
            "created_at: not a date this import reads "
            "(use 2026-11-14, 11/14/2026 or Nov 14, 2026, month/day/year)",
        )
    ]
    created = dict(_stored(engine, user, Lead, ["name", "created_at"]))
    assert created["Ana"] == datetime(2025, 11, 14, 12, 0, tzinfo=UTC)
    assert created["Bo"] >= before
    assert created["Kept Again"] == kept.created_at


def test_a_date_past_what_a_clock_holds_refuses_its_row_not_the_batch(engine, user) -> None:
    # .NET exports write "no date" as 0001-01-01 in the zone of the machine: east of UTC it
    # is before the first moment Python holds in UTC. It was an OverflowError that rolled
    # back the whole batch, good rows with it, and left the import dialog with no button.
    text = (
        "Name,Phone,Created\n"
        "Ana,+14155550101,2025-11-14T09:30:00+01:00\n"
        "Bo,+14155550102,0001-01-01T00:00:00+01:00\n"
        "Cy,+14155550103,9999-12-31T23:00:00-05:00\n"
    )
    result = _import(engine, user, text)
    assert result.created == 1
    assert [(r.number, r.reason) for r in result.rejected] == [
        (3, "created_at: before 1900"),
        (4, "created_at: in the future"),
    ]
    assert dict(_stored(engine, user, Lead, ["name", "created_at"])) == {
        "Ana": datetime(2025, 11, 14, 8, 30, tzinfo=UTC)
    }


def test_contacts_exported_then_imported_by_another_user_are_the_same_rows(
    engine, user, make_user
) -> None:
    with tenant_session(user.id, engine) as session:
        for n, company in enumerate(["Acme", "+Plus Corp", ""]):
            create_contact(
                session=session,
                user_id=user.id,
                contact_in=ContactCreate(
                    name=f"Contact {n}",
                    phone=f"+1415555010{n}",
                    email=f"c{n}@example.com",
                    company=company,
                    notes="n",
                ),
            )
    other = make_user()
    result = _import(engine, other, _export(engine, user, kind="contacts"), kind="contacts")
    assert (result.created, result.rejected) == (3, [])
    assert _stored(engine, other, Contact, CONTACT_FIELDS) == _stored(
        engine, user, Contact, CONTACT_FIELDS
    )


def test_an_update_keeps_the_stored_name_over_one_built_from_some_of_its_parts(
    engine, user
) -> None:
    # A blank cell is "not given", and a blank first name too: "Smith" used to replace
    # "John Smith".
    with tenant_session(user.id, engine) as session:
        leads = [
            ("John Smith", "+14155550101"),
            ("J. Doe", "+14155550102"),
            ("+1 415-555-0104", "+14155550104"),  # as a call from an unknown number names it
        ]
        for name, phone in leads:
            create_lead(
                session=session, user_id=user.id, lead_in=LeadCreate(name=name, phone=phone)
            )
    text = (
        "First Name,Middle Name,Last Name,Phone,Status\n"
        ",,Smith,+14155550101,contacted\n"  # updated, all but its name
        "Jane,,Doe,+14155550102,\n"  # a name in full (no middle name is the usual case)
        ",,Prince,+14155550103,\n"  # a new lead takes what it has
        ",,Ames,+14155550104,\n"  # and so does one named by its number only
    )
    result = _import(engine, user, text, on_duplicate="update")
    assert (result.created, result.updated, result.rejected) == (1, 3, [])
    assert _stored(engine, user, Lead, ["name", "status"]) == [
        ("Ames", "new"),
        ("Jane Doe", "new"),
        ("John Smith", "contacted"),
        ("Prince", "new"),
    ]


def test_an_update_of_a_number_older_leads_share_goes_to_the_newest_as_a_call_does(
    engine, user
) -> None:
    # Leads stored before one number meant one lead may share one. Calls and Make's
    # upserts take the newest; the import took the oldest, and so edited another lead.
    with tenant_session(user.id, engine) as session:
        for name, days_ago in [("Older", 3), ("Newer", 1)]:
            add_lead(
                session,
                user_id=user.id,
                name=name,
                phone="+14155550101",
                created_at=datetime.now(UTC) - timedelta(days=days_ago),
            )
    result = _import(engine, user, "Phone,Status\n+14155550101,won\n", on_duplicate="update")
    assert result.updated == 1
    assert _stored(engine, user, Lead, ["name", "status"]) == [("Newer", "won"), ("Older", "new")]


def test_leads_made_within_one_second_come_back_from_their_export_in_their_order(
    engine, user, make_user
) -> None:
    # Exported to the second, they came back with one time, in the order of their random ids.
    with tenant_session(user.id, engine) as session:
        for n in range(5):
            add_lead(
                session,
                user_id=user.id,
                name=f"Lead {n}",
                created_at=T0 + timedelta(microseconds=1000 * n + 1),
            )
    other = make_user()
    assert _import(engine, other, _export(engine, user)).created == 5
    assert _stored(engine, other, Lead, ["created_at", "name"]) == _stored(
        engine, user, Lead, ["created_at", "name"]
    )


def test_importing_an_export_into_the_same_account_skips_every_row_as_a_duplicate(
    engine, user
) -> None:
    with tenant_session(user.id, engine) as session:
        for n in range(3):
            create_lead(
                session=session,
                user_id=user.id,
                lead_in=LeadCreate(name=f"L{n}", email=f"l{n}@x.io"),
            )
    result = _import(engine, user, _export(engine, user))
    assert (result.created, result.duplicates) == (0, 3)
    assert len(_stored(engine, user, Lead, ["id"])) == 3


# --- duplicates, updates and bad rows


def test_import_leads_counts_created_duplicates_and_rejects_bad_rows_with_their_numbers(
    engine, user
) -> None:
    with tenant_session(user.id, engine) as session:
        create_lead(
            session=session,
            user_id=user.id,
            lead_in=LeadCreate(name="Stored", phone="+14155552671"),
        )
    text = (
        "name,phone,email,status\n"
        "New One,415-555-0123,new@x.io,new\n"  # 2: created
        "Same Phone,(415) 555-2671,,qualified\n"  # 3: duplicate of the stored lead
        "Again,,NEW@x.io,\n"  # 4: duplicate of row 2, by email in another case
        "Bad Phone,12,,\n"  # 5: rejected
        "Bad Status,,s@x.io,maybe\n"  # 6: rejected
        "=cmd|' /C calc'!A0,,f@x.io,\n"  # 7: created as typed (export escapes it)
        ",,,\n"  # 8: blank: skipped silently
        "  ,  ,  ,new\n"  # 9: nothing to know the lead by
    )
    result = _import(engine, user, text)
    assert (result.created, result.updated, result.duplicates) == (2, 0, 2)
    assert [r.number for r in result.rejected] == [5, 6, 9]
    reasons = {r.number: r.reason for r in result.rejected}
    assert "not a valid phone number" in reasons[5]
    assert "status" in reasons[6]
    assert "needs a name, phone or email" in reasons[9]
    # The skipped rows say what they duplicate.
    assert sorted((r.number, r.reason) for r in result.skipped) == [
        (3, "skipped: the lead Stored already has this phone number"),
        (4, "skipped: the same email as row 2"),
    ]
    stored = _stored(engine, user, Lead, ["name", "phone", "email", "status", "source"])
    assert stored == [
        ("=cmd|' /C calc'!A0", None, "f@x.io", "new", "import"),
        ("New One", "+14155550123", "new@x.io", "new", "import"),
        ("Stored", "+14155552671", None, "new", "manual"),
    ]


def test_import_keeps_notes_starting_with_dash_or_at_and_gives_a_bad_phone_the_phone_error(
    engine, user
) -> None:
    text = (
        "name,phone,notes\n"
        "Ana,+14155550150,- called twice\n"  # 2
        "Bob,+14155550151,@twitter handle\n"  # 3
        "Cid,+1 (415) 555-0177 ext 1234,\n"  # 4: created, the extension in its notes
        "Dee,+1 (415) 555-01,\n"  # 5: rejected, too short
        "Eve,+cmd,\n"  # 6: rejected, not a number
        "Fay,=1+1,\n"  # 7: rejected, not a number
        "Gil,4.15555E+09,\n"  # 8: rejected, digits lost to a spreadsheet
    )
    result = _import(engine, user, text)
    assert (result.created, [r.number for r in result.rejected]) == (3, [5, 6, 7, 8])
    reasons = {r.number: r.reason for r in result.rejected}
    for number in (5, 6, 7):
        assert "not a valid phone number" in reasons[number]
    assert "scientific notation (4.15555E+09)" in reasons[8]
    for reason in reasons.values():
        assert reason.startswith("phone: ") and "formula" not in reason
    assert _stored(engine, user, Lead, ["name", "phone", "notes"]) == [
        ("Ana", "+14155550150", "- called twice"),
        ("Bob", "+14155550151", "@twitter handle"),
        ("Cid", "+14155550177", "Phone extension: 1234"),
    ]


@pytest.mark.parametrize("kind", ["leads", "contacts"])
def test_a_phones_extension_is_kept_in_the_notes_of_the_row_it_creates_or_updates(
    engine, user, kind
) -> None:
    model = Lead if kind == "leads" else Contact
    created = _import(
        engine, user, 'name,phone,notes\nAna,"415-555-0150, ext. 12",Gate code 4\n', kind
    )
    assert created.created == 1
    stored = [("Ana", "+14155550150", "Gate code 4\nPhone extension: 12")]
    assert _stored(engine, user, model, ["name", "phone", "notes"]) == stored
    # The same number with another extension, updating: it matches without its extension,
    # and the new one takes the old one's line in the stored notes, which a row without
    # notes leaves as they are.
    updated = _import(
        engine, user, "name,phone\nAna B,415-555-0150 x99\n", kind, on_duplicate="update"
    )
    assert (updated.created, updated.updated, updated.rejected) == (0, 1, [])
    notes = "Gate code 4\nPhone extension: 99"
    assert _stored(engine, user, model, ["name", "phone", "notes"]) == [
        ("Ana B", "+14155550150", notes)
    ]
    # Once is enough: the same extension again adds nothing.
    again = _import(engine, user, "phone\n415-555-0150 x99\n", kind, on_duplicate="update")
    assert (again.updated, again.rejected) == (1, [])
    assert _stored(engine, user, model, ["notes"]) == [(notes,)]
    # Skipped, it changes nothing at all.
    skipped = _import(engine, user, "phone\n415-555-0150 x7\n", kind)
    assert (skipped.duplicates, skipped.rejected) == (1, [])
    assert _stored(engine, user, model, ["notes"]) == [(notes,)]


def test_an_update_whose_notes_leave_no_room_for_its_extension_is_rejected_saying_so(
    engine, user
) -> None:
    full = "n" * 10_000
    assert _import(engine, user, f"name,phone,notes\nAna,415-555-0150,{full}\n").created == 1
    updated = _import(engine, user, "name,phone\nAna B,415-555-0150 x12\n", on_duplicate="update")
    assert (updated.updated, [r.number for r in updated.rejected]) == (0, [2])
    assert updated.rejected[0].reason.startswith("notes: ")
    assert _stored(engine, user, Lead, ["name", "notes"]) == [("Ana", full)]
    # Without an extension, the same update goes through: the notes were never the problem.
    fine = _import(engine, user, "name,phone\nAna B,415-555-0150\n", on_duplicate="update")
    assert (fine.updated, fine.rejected) == (1, [])


def test_a_row_whose_notes_leave_no_room_for_its_extension_is_rejected_whole(engine, user) -> None:
    result = _import(engine, user, f"name,phone,notes\nAna,415-555-0150 x12,{'n' * 10_000}\n")
    assert (result.created, [r.number for r in result.rejected]) == (0, [2])
    assert result.rejected[0].reason.startswith("notes: ")
    assert _stored(engine, user, Lead, ["name"]) == []


def test_an_outlook_export_keeps_every_persons_number_whichever_column_holds_it(
    engine, user
) -> None:
    text = (
        "First Name,Last Name,Company,Business Phone,Mobile Phone,Home Phone,E-mail Address,"
        "E-mail 2 Address\n"
        "Ada,Lovelace,Analytical Co,,415 555 0150,,,ada@x.io\n"
        "Bob,Babbage,,415 555 0151,,,bob@x.io,\n"
        "Cid,Clark,,415 555 0152,,,n/a,\n"
        "Dee,Dunn,,,,415 555 0153,mailto:dee@x.io,\n"
    )
    result = _import(engine, user, text, "contacts")
    assert (result.created, result.rejected) == (4, [])
    assert _stored(engine, user, Contact, ["name", "phone", "email"]) == [
        ("Ada Lovelace", "+14155550150", "ada@x.io"),
        ("Bob Babbage", "+14155550151", "bob@x.io"),
        ("Cid Clark", "+14155550152", None),
        ("Dee Dunn", "+14155550153", "dee@x.io"),
    ]


def test_a_google_contacts_export_imports_with_its_name_parts_joined(engine, user) -> None:
    text = (
        "First Name,Middle Name,Last Name,Organization Name,Notes,E-mail 1 - Label,"
        "E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value\n"
        "Ada,M.,Lovelace,Analytical Co,Met at the expo,* Home,ada@x.io,Mobile,(415) 555-0150\n"
        ",,Babbage,,,,,Work,415 555 0151\n"
        ",,,,,,,,\n"
    )
    result = _import(engine, user, text, "contacts")
    assert (result.created, result.rejected) == (2, [])
    assert _stored(engine, user, Contact, ["name", "phone", "email", "company", "notes"]) == [
        ("Ada M. Lovelace", "+14155550150", "ada@x.io", "Analytical Co", "Met at the expo"),
        ("Babbage", "+14155550151", None, "", ""),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'name,phone,notes\nAna,+14155550150,ok\nBob,+14155550151,"called twice\nCid,,x\n',
            "Row 3: unclosed quote",
        ),
        (
            'name,phone,notes\nAna,+14155550150,"open\nBob,+14155550151,"closed"\n',
            "Row 2: a cell has text after its closing quote",
        ),
    ],
)
def test_import_of_a_file_with_an_unclosed_quote_says_which_row_and_imports_nothing(
    engine, user, text, message
) -> None:
    with pytest.raises(CsvFileError) as raised:
        _import(engine, user, text)
    assert raised.value.message.startswith(message)
    assert _stored(engine, user, Lead, ["name"]) == []


@pytest.mark.parametrize("kind", ["leads", "contacts"])
def test_a_repeat_within_the_file_is_skipped_wherever_it_falls(engine, user, kind) -> None:
    # Row 2 and row 3 share a number, in one batch; row 4 and a row far below it share
    # another, in two batches. Both repeats are the file's own duplicates: the first row
    # wins, nothing this file created is "updated", and the skipped rows say so.
    far = BATCH_SIZE + 100
    lines = ["name,phone,notes", "First A,+14155550101,a", "Second A,+14155550101,b"]
    lines += ["First B,+14155550102,c"]
    lines += [f"Filler {n},,x" for n in range(5, far)]
    lines += ["Second B,+14155550102,d"]
    model = Lead if kind == "leads" else Contact
    result = _import(engine, user, "\n".join(lines) + "\n", kind, on_duplicate="update")
    assert (result.updated, result.duplicates) == (0, 2)
    assert [(row.number, row.reason) for row in result.skipped] == [
        (3, "skipped: the same phone number as row 2"),
        (far, "skipped: the same phone number as row 4"),
    ]
    phones = {name: phone for name, phone in _stored(engine, user, model, ["name", "phone"])}
    assert phones["First A"] == "+14155550101" and phones["First B"] == "+14155550102"
    assert "Second A" not in phones and "Second B" not in phones


def test_import_with_update_fills_in_stored_leads_and_records_status_changes(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        lead = create_lead(
            session=session,
            user_id=user.id,
            lead_in=LeadCreate(name="Ana", phone="+14155552671", notes="keep me"),
        )
    text = "name,phone,email,status\nAna Lima,4155552671,ana@acme.com,qualified\n"
    result = _import(engine, user, text, on_duplicate="update")
    assert (result.created, result.updated, result.duplicates) == (0, 1, 0)
    assert _stored(engine, user, Lead, ["name", "email", "status", "notes"]) == [
        ("Ana Lima", "ana@acme.com", "qualified", "keep me")
    ]
    with tenant_session(user.id, engine) as session:
        timeline = list_timeline(session=session, user_id=user.id, lead_id=lead.id)
    assert [(e.kind, e.body) for e in timeline] == [("status_change", "new → qualified")]


def test_import_contacts_prevents_duplicates_by_phone_and_by_email(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        create_contact(
            session=session,
            user_id=user.id,
            contact_in=ContactCreate(name="Stored", email="s@x.io"),
        )
    text = (
        "name,phone,email\n"
        "A,+14155550100,a@x.io\n"  # created
        "B,415 555 0100,b@x.io\n"  # same phone as row 2
        "C,,S@X.IO\n"  # same email as the stored contact
        "D,+14155550101,d@x.io\n"  # created
    )
    result = _import(engine, user, text, kind="contacts")
    assert (result.created, result.duplicates, result.rejected) == (2, 2, [])
    assert [name for (name,) in _stored(engine, user, Contact, ["name"])] == ["A", "D", "Stored"]


def test_import_contacts_with_update_rejects_a_row_that_would_take_anothers_email(
    engine, user
) -> None:
    with tenant_session(user.id, engine) as session:
        for name, phone, email in (("P", "+14155550100", None), ("E", None, "e@x.io")):
            create_contact(
                session=session,
                user_id=user.id,
                contact_in=ContactCreate(name=name, phone=phone, email=email),
            )
    result = _import(
        engine,
        user,
        "name,phone,email\nP2,+14155550100,e@x.io\n",
        kind="contacts",
        on_duplicate="update",
    )
    # Matched P by phone; giving P the email of E would make two contacts one.
    assert (result.updated, [r.number for r in result.rejected]) == (0, [2])
    assert "email" in result.rejected[0].reason


def test_a_skipped_row_names_the_contact_it_repeats_whatever_its_name_holds(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        create_contact(
            session=session,
            user_id=user.id,
            contact_in=ContactCreate(name="Braces {kind} {0}", email="b@x.io"),
        )
    result = _import(engine, user, "name,email\nAgain,B@X.IO\n", kind="contacts")
    assert [(r.number, r.reason) for r in result.skipped] == [
        (2, "skipped: the contact Braces {kind} {0} already has this email")
    ]


def _lead_p_with_a_phone_and_e_with_an_email(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        for name, phone, email in (("P", "+14155550100", None), ("E", None, "e@x.io")):
            create_lead(
                session=session,
                user_id=user.id,
                lead_in=LeadCreate(name=name, phone=phone, email=email),
            )


def test_a_lead_going_by_its_number_is_named_as_the_lists_write_it(engine, user) -> None:
    with tenant_session(user.id, engine) as session:  # as a call makes one
        create_lead(
            session=session,
            user_id=user.id,
            lead_in=LeadCreate(name="+15125550166", phone="+15125550166", email="n@x.io"),
        )
        create_lead(session=session, user_id=user.id, lead_in=LeadCreate(phone="+14155550100"))
    skipped = _import(engine, user, "name,phone\nDana,512-555-0166\n")
    assert [r.reason for r in skipped.skipped] == [
        "skipped: the lead (512) 555-0166 already has this phone number"
    ]
    text = "name,phone,email\nPat,+14155550100,n@x.io\n"
    refused = _import(engine, user, text, on_duplicate="update")
    assert [r.reason for r in refused.rejected] == [
        "email: the lead (512) 555-0166 already has this email"
    ]


def test_import_leads_with_update_rejects_a_row_that_would_take_another_leads_email(
    engine, user
) -> None:
    _lead_p_with_a_phone_and_e_with_an_email(engine, user)
    text = "name,phone,email\nP2,+14155550100,e@x.io\nNew,+14155550199,\n"
    result = _import(engine, user, text, on_duplicate="update")
    # Matched P by phone; giving P the email of E would make two leads one person's.
    assert (result.created, result.updated, [r.number for r in result.rejected]) == (1, 0, [2])
    assert result.rejected[0].reason == "email: the lead E already has this email"
    assert sorted(name for (name,) in _stored(engine, user, Lead, ["name"])) == ["E", "New", "P"]


def test_a_row_whose_update_is_refused_leaves_its_phone_to_a_later_row(engine, user) -> None:
    _lead_p_with_a_phone_and_e_with_an_email(engine, user)
    # Row 2 is refused (E has its email); row 3 has P's phone alone and may fill P in.
    text = "name,phone,email,notes\nP2,+14155550100,e@x.io,first\nP3,+14155550100,,second\n"
    result = _import(engine, user, text, on_duplicate="update")
    assert [r.number for r in result.rejected] == [2]
    assert (result.updated, result.skipped) == (1, [])
    with tenant_session(user.id, engine) as session:
        p = session.exec(
            select(Lead).where(Lead.user_id == user.id, Lead.phone == "+14155550100")
        ).one()
    assert (p.name, p.notes) == ("P3", "second")


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ({0: "password_hash"}, "mapping"),
        ({0: "name", 1: "name"}, "mapping"),
        ({0: "first_name", 1: "first_name"}, "mapping"),
        ({0: "notes"}, "mapping"),
    ],
)
def test_import_refuses_a_mapping_to_unknown_repeated_or_no_identifying_fields(
    engine, user, mapping, field
) -> None:
    parsed = parse_csv(b"name,other\nAna,x\n", fields=LEAD_FIELDS)
    with pytest.raises(InvalidInput) as raised, tenant_session(user.id, engine) as session:
        import_leads(
            session=session,
            user_id=user.id,
            headers=parsed.headers,
            records=parsed.records,
            mapping=mapping,
        )
    assert set(raised.value.errors) == {field}


def test_a_column_of_first_names_alone_is_enough_to_know_a_lead_by(engine, user) -> None:
    parsed = parse_csv(b"Given name,Notes\nAda,pays cash\n", fields=LEAD_FIELDS)
    assert parsed.mapping == {0: "first_name", 1: "notes"}
    with tenant_session(user.id, engine) as session:
        result = import_leads(
            session=session,
            user_id=user.id,
            headers=parsed.headers,
            records=parsed.records,
            mapping=parsed.mapping,
        )
    assert result.created == 1
    assert _stored(engine, user, Lead, ["name", "notes"]) == [("Ada", "pays cash")]


def test_import_refuses_an_unknown_duplicate_policy(engine, user) -> None:
    with pytest.raises(InvalidInput):
        _import(engine, user, "name\nAna\n", on_duplicate="merge")


# --- 10,000 rows under row-level security


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_10000_rows_import_under_postgres_rls_in_batches(engine, user, capsys) -> None:
    lines = ["name,phone,email,status,source,notes"]
    for n in range(10_000):
        phone = f"+1415{2000000 + n:07d}" if n % 2 == 0 else ""
        lines.append(f"Lead {n},{phone},lead{n}@bulk.example,new,bulk,Imported row {n}")
    lines.append("Repeat,,lead0@bulk.example,new,bulk,")  # a duplicate at the very end
    started = time.perf_counter()
    result = _import(engine, user, "\n".join(lines) + "\n")
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n10,000-row CSV import on Postgres (app role, RLS): {seconds:.2f} s")
    assert (result.created, result.duplicates, result.rejected) == (10_000, 1, [])
    with tenant_session(user.id, engine) as session:
        count = session.exec(select(sa.func.count()).where(Lead.user_id == user.id)).one()
        # Row-level security alone (no WHERE) sees the same rows: all were written as this user.
        visible = (
            session.connection()
            .execute(sa.text("SELECT count(*) FROM leads WHERE source = 'bulk'"))
            .scalar()
        )
    assert count == visible == 10_000
