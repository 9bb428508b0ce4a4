"""Isolation cases for the pipeline and timelines: status changes, board, conversion, notes."""

from __future__ import annotations

from crm_app.services import pipeline, timeline
from tests.isolation import World, isolation_case

# --- Timeline


@isolation_case("timeline.list_timeline")
def _list_timeline(world: World) -> None:
    with world.as_b() as session:
        of_lead = timeline.list_timeline(
            session=session, user_id=world.b.id, lead_id=world.a_rows.lead_id
        )
        of_contact = timeline.list_timeline(
            session=session, user_id=world.b.id, contact_id=world.a_rows.contact_id
        )
        own = timeline.list_timeline(
            session=session, user_id=world.b.id, lead_id=world.b_rows.lead_id
        )
    assert (of_lead, of_contact) == ([], [])
    assert {entry.id for entry in own} >= {world.b_rows.call_id, world.b_rows.activity_id}
    assert world.a_rows.call_id not in {entry.id for entry in own}


@isolation_case("timeline.add_note")
def _add_note(world: World) -> None:
    with world.as_b() as session:
        on_lead = timeline.add_note(
            session=session, user_id=world.b.id, lead_id=world.a_rows.lead_id, body="mine now"
        )
        on_contact = timeline.add_note(
            session=session, user_id=world.b.id, contact_id=world.a_rows.contact_id, body="x"
        )
    assert (on_lead, on_contact) == (None, None)


@isolation_case("timeline.edit_note")
def _edit_note(world: World) -> None:
    with world.as_b() as session:
        # A's note, named with A's lead and contact: not B's to change.
        forged = [
            timeline.edit_note(
                session=session,
                user_id=world.b.id,
                note_id=world.a_rows.activity_id,
                body="x",
                **of,
            )
            for of in ({"lead_id": world.a_rows.lead_id}, {"contact_id": world.a_rows.contact_id})
        ]
        # A's note named with B's own lead: still not B's.
        mixed = timeline.edit_note(
            session=session,
            user_id=world.b.id,
            note_id=world.a_rows.activity_id,
            body="x",
            lead_id=world.b_rows.lead_id,
        )
        own = timeline.edit_note(
            session=session,
            user_id=world.b.id,
            note_id=world.b_rows.activity_id,
            body="B's own, edited",
            lead_id=world.b_rows.lead_id,
        )
    assert (forged, mixed) == ([None, None], None)
    assert own is not None and own.body == "B's own, edited"


@isolation_case("timeline.delete_note")
def _delete_note(world: World) -> None:
    with world.as_b() as session:
        forged = [
            timeline.delete_note(
                session=session, user_id=world.b.id, note_id=world.a_rows.activity_id, **of
            )
            for of in (
                {"lead_id": world.a_rows.lead_id},
                {"contact_id": world.a_rows.contact_id},
                {"lead_id": world.b_rows.lead_id},
            )
        ]
        own = timeline.delete_note(
            session=session,
            user_id=world.b.id,
            note_id=world.b_rows.activity_id,
            lead_id=world.b_rows.lead_id,
        )
    assert forged == [False, False, False]
    assert own  # B's own note, on B's own lead: the same call does delete it


@isolation_case("timeline.record_activity")
def _record_activity(world: World) -> None:
    with world.as_b() as session:
        recorded = timeline.record_activity(
            session=session,
            user_id=world.b.id,
            kind="sms_in",
            body="forged",
            lead_id=world.a_rows.lead_id,
            contact_id=world.a_rows.contact_id,
        )
        # Half forged: B's own lead with A's contact is refused as a whole.
        mixed = timeline.record_activity(
            session=session,
            user_id=world.b.id,
            kind="note",
            body="forged",
            lead_id=world.b_rows.lead_id,
            contact_id=world.a_rows.contact_id,
        )
    assert (recorded, mixed) == (None, None)


# --- Pipeline


@isolation_case("pipeline.change_lead_status")
def _change_lead_status(world: World) -> None:
    with world.as_b() as session:
        moved = pipeline.change_lead_status(
            session=session, user_id=world.b.id, lead_id=world.a_rows.lead_id, status="lost"
        )
    assert moved is None


@isolation_case("pipeline.pipeline_board")
def _pipeline_board(world: World) -> None:
    with world.as_b() as session:
        board = pipeline.pipeline_board(session=session, user_id=world.b.id)
        by_name = pipeline.pipeline_board(
            session=session, user_id=world.b.id, search=world.a_rows.lead_name
        )
    assert [lead.id for column in board for lead in column.leads] == [world.b_rows.lead_id]
    assert sum(column.total for column in board) == 1
    assert sum(column.total for column in by_name) == 0


@isolation_case("pipeline.list_lead_sources")
def _list_lead_sources(world: World) -> None:
    with world.as_b() as session:
        assert pipeline.list_lead_sources(session=session, user_id=world.b.id) == ["website"]


@isolation_case("pipeline.converted_contact_id")
def _converted_contact_id(world: World) -> None:
    with world.as_b() as session:
        found = pipeline.converted_contact_id(
            session=session, user_id=world.b.id, lead_id=world.a_rows.lead_id
        )
    assert found is None


@isolation_case("pipeline.convert_lead_to_contact")
def _convert_lead_to_contact(world: World) -> None:
    with world.as_b() as session:
        converted = pipeline.convert_lead_to_contact(
            session=session, user_id=world.b.id, lead_id=world.a_rows.lead_id
        )
    assert converted is None


# --- Demo data


@isolation_case("demo.seed_demo_data")
def _seed_demo_data(world: World) -> None:
    from crm_app.services import demo

    with world.as_b() as session:
        counts = demo.seed_demo_data(
            session=session, user_id=world.b.id, leads=5, calls=5, automation_runs=5, seed=1
        )
    assert counts.leads == 5  # all B's: A's snapshot is checked unchanged afterwards
