"""The import dialog of a tab whose import stopped with the worker running it: it ends."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from crm_app.models import User
from crm_app.state.csv_import import IMPORT_STALLED_SECONDS, CsvImportState
from tests.state_tabs import signed_in_tab


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
