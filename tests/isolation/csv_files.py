"""Isolation cases for CSV export and import, and the list queries they stream."""

from __future__ import annotations

from crm_app.services import contacts, csv_import, csv_io, leads
from crm_app.services.csv_io import CONTACT_FIELDS, LEAD_FIELDS, parse_csv
from tests.isolation import World, isolation_case


@isolation_case("leads.select_leads")
def _select_leads(world: World) -> None:
    with world.as_b() as session:
        found = session.exec(leads.select_leads(user_id=world.b.id)).all()
    assert [lead.id for lead in found] == [world.b_rows.lead_id]


@isolation_case("contacts.select_contacts")
def _select_contacts(world: World) -> None:
    with world.as_b() as session:
        found = session.exec(contacts.select_contacts(user_id=world.b.id)).all()
    assert [contact.id for contact in found] == [world.b_rows.contact_id]


@isolation_case("csv_io.export_leads_csv")
def _export_leads_csv(world: World) -> None:
    with world.as_b() as session:
        everything = csv_io.export_leads_csv(session=session, user_id=world.b.id)
        by_name = csv_io.export_leads_csv(
            session=session, user_id=world.b.id, search=world.a_rows.lead_name
        )
    assert world.a_rows.lead_name not in everything
    assert len(everything.strip().splitlines()) == 2  # the header and B's one lead
    assert len(by_name.strip().splitlines()) == 1


@isolation_case("csv_io.export_contacts_csv")
def _export_contacts_csv(world: World) -> None:
    with world.as_b() as session:
        everything = csv_io.export_contacts_csv(session=session, user_id=world.b.id)
    assert world.a_rows.contact_email not in everything
    assert world.a_rows.contact_phone not in everything
    assert len(everything.strip().splitlines()) == 2


def _a_people_as_csv(world: World, fields: tuple[str, ...]):
    """A CSV naming A's lead and contact by their phone and email, as B might upload it."""
    text = (
        "name,phone,email\n"
        f"Taken over,{world.a_rows.contact_phone},{world.a_rows.contact_email}\n"
        f"Lead twin,,{world.a_rows.lead_name.replace(' ', '-')}@nowhere.example\n"
    )
    return parse_csv(text.encode(), fields=fields)


@isolation_case("csv_import.import_leads")
def _import_leads(world: World) -> None:
    parsed = _a_people_as_csv(world, LEAD_FIELDS)
    with world.as_b() as session:
        result = csv_import.import_leads(
            session=session,
            user_id=world.b.id,
            headers=parsed.headers,
            records=parsed.records,
            mapping=parsed.mapping,
            on_duplicate="update",
        )
    # A's phone and email are nothing to B: no duplicate, no update of A's rows.
    assert (result.created, result.updated, result.duplicates) == (2, 0, 0)


@isolation_case("csv_import.import_contacts")
def _import_contacts(world: World) -> None:
    parsed = _a_people_as_csv(world, CONTACT_FIELDS)
    with world.as_b() as session:
        result = csv_import.import_contacts(
            session=session,
            user_id=world.b.id,
            headers=parsed.headers,
            records=parsed.records,
            mapping=parsed.mapping,
            on_duplicate="update",
        )
    assert (result.created, result.updated, result.duplicates) == (2, 0, 0)
