"""The import dialog's state: an import stopped with the worker running it ends; a batch
that raced another writer goes again."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlmodel import select

import crm_app.state.csv_import as csv_import_state
from crm_app.core.config import load_settings
from crm_app.core.db import tenant_session
from crm_app.models import Contact, ContactCreate, User
from crm_app.services import contacts
from crm_app.services.contacts import create_contact
from crm_app.services.csv_import import EarlierRows
from crm_app.services.csv_io import CONTACT_FIELDS, LEAD_FIELDS, parse_csv
from crm_app.state.csv_import import IGNORE, IMPORT_STALLED_SECONDS, CsvImportState
from tests.loadgen import run_to_completion
from tests.state_tabs import on_engine, signed_in_tab


@pytest.fixture
def dialog(make_user: Callable[..., User]) -> CsvImportState:
    """A signed-in tab whose import of 2,400 rows had done 500 when it last reported."""
    state = signed_in_tab(CsvImportState, make_user().id)
    state.open, state.step, state.kind = True, "importing", "leads"
    state.rows_total, state.processed = 2400, 500
    return state


def _stopped(state: CsvImportState) -> None:
    state._import_beat = time.time() - IMPORT_STALLED_SECONDS - 1


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_running_import_keeps_its_dialog_open(dialog: CsvImportState) -> None:
    dialog._import_beat = time.time()
    CsvImportState.set_open.fn(dialog, False)
    CsvImportState.open_from_query.fn(dialog, "leads")
    CsvImportState.open_for.fn(dialog, "contacts")
    assert (dialog.open, dialog.step, dialog.kind) == (True, "importing", "leads")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_an_import_that_stopped_says_so_and_lets_the_dialog_close(dialog) -> None:
    # Its worker restarted: the state, on disk or in Redis, still said "importing", and the
    # dialog (no button in that step, kept open) covered the list pages for good.
    _stopped(dialog)
    CsvImportState.set_open.fn(dialog, False)
    assert (dialog.open, dialog.step) == (True, "done")
    assert "interrupted (the server restarted) after 500 of 2,400 rows" in dialog.error
    CsvImportState.set_open.fn(dialog, False)
    assert not dialog.open
    CsvImportState.open_for.fn(dialog, "contacts")
    assert (dialog.open, dialog.step, dialog.kind, dialog.error) == (True, "upload", "contacts", "")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_an_import_that_stopped_is_told_on_the_next_visit_to_a_list(dialog) -> None:
    _stopped(dialog)
    CsvImportState.open_from_query.fn(dialog, "leads")
    assert (dialog.open, dialog.step) == (True, "done")
    assert "Import the file again to add the rest" in dialog.error


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_batch_whose_update_races_another_writer_goes_again_and_imports_the_rest(
    engine, make_user, monkeypatch
) -> None:
    # A Make upsert saved a contact with a row's email between the update's check and its
    # write: the unique constraint refused it, the unit of work was spoilt, and the whole
    # batch failed with "The database stopped answering".
    user = make_user()
    on_engine(monkeypatch, engine, csv_import_state)
    with tenant_session(user.id, engine) as session:
        contact_in = ContactCreate(name="P", phone="+14155550100")
        create_contact(session=session, user_id=user.id, contact_in=contact_in)
    real_flush = contacts._flush_unique
    raced = []

    def flush_after_another_writer(session, contact):
        if not raced:
            raced.append(True)
            with tenant_session(user.id, engine) as other:
                create_contact(
                    session=other,
                    user_id=user.id,
                    contact_in=ContactCreate(name="From Make", email="e@x.io"),
                )
        return real_flush(session, contact)

    monkeypatch.setattr(contacts, "_flush_unique", flush_after_another_writer)
    text = "name,phone,email\nQ,+14155550111,\nP2,+14155550100,e@x.io\n"
    parsed = parse_csv(text.encode(), fields=CONTACT_FIELDS)
    earlier = EarlierRows()
    result = csv_import_state._import_batch(
        user.id, "contacts", parsed.headers, parsed.records, parsed.mapping, "update", earlier
    )
    assert raced
    assert (result.created, result.updated) == (1, 0)
    [rejected] = result.rejected
    assert rejected.number == 3 and "email" in rejected.reason
    # The file's rows as one pass saw them: the batch gone again did not take Q, which
    # its first attempt had seen, for a repeat of itself.
    assert set(earlier.numbers.values()) == {2}
    with tenant_session(user.id, engine) as session:
        names = sorted(c.name for c in session.exec(select(Contact)).all())
    assert names == ["From Make", "P", "Q"]


@pytest.mark.parametrize(
    ("region", "proof", "said"),
    [
        ("US", "25/04/2025", "written day/month/year (row 4: 25/04/2025)"),
        ("GB", "04/25/2025", "written month/day/year (row 4: 04/25/2025)"),
    ],
)
def test_a_date_column_written_the_other_way_round_is_refused_before_any_row(
    make_user, monkeypatch, region, proof, said
) -> None:
    # Read row by row in the region's order, 03/04/2025 went in as the wrong month,
    # silently, and only the row with 25 in it was refused: too late for the rows before.
    monkeypatch.setenv("DEFAULT_PHONE_REGION", region)
    monkeypatch.setattr(csv_import_state, "get_settings", lambda: load_settings())
    text = f"Name,Phone,Date Added\nAna,+14155550101,03/04/2025\n,,\nBo,+14155550102,{proof}\n"
    parsed = parse_csv(text.encode(), fields=LEAD_FIELDS)
    state = signed_in_tab(CsvImportState, make_user().id)
    state.open, state.step, state.kind = True, "map", "leads"
    state.headers, state._records = parsed.headers, parsed.records
    state.mapping = [parsed.mapping.get(index, IGNORE) for index in range(len(parsed.headers))]
    assert "created_at" in state.mapping
    assert run_to_completion(CsvImportState.start.fn(state)) is None
    assert state.step == "map" and said in state.error and "Nothing was imported" in state.error
    # Without the date column, the rows go in.
    CsvImportState.set_column.fn(state, state.mapping.index("created_at"), IGNORE)
    assert run_to_completion(CsvImportState.start.fn(state)) is not None
    assert state.step == "importing"
