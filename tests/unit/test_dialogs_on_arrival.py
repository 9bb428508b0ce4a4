"""A page's on_load closes the dialogs a tab left open, but not one a click opened as it appeared.

Reflex shows a reloaded page from the tab's last state at once, then runs the
page's on_load handlers, then sets is_hydrated. A click on the page in between
is handled before the on_load queued behind it: the dialog it opened, with
what the person began to type, must survive that on_load (CI saw it closed
under the person's fingers). A dialog left open on an earlier visit is closed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from reflex.istate.data import RouterData
from reflex.state import State

from crm_app.state import auth
from crm_app.state.auth import AuthState
from crm_app.state.contact_detail import ContactDetailState
from crm_app.state.contact_form import ContactFormState
from crm_app.state.contacts import ContactsState
from crm_app.state.csv_import import CsvImportState
from crm_app.state.lead_detail import LeadDetailState
from crm_app.state.lead_form import LeadFormState
from crm_app.state.leads import LeadsState


def _substate(root: State, state: type[Any]) -> Any:
    return root.get_substate(state.get_full_name().split(".")[1:])


@pytest.fixture
def root() -> State:
    """A signed-in tab's state whose page has finished arriving."""
    root = State()
    _substate(root, AuthState)._user_id = str(uuid.uuid4())
    root.is_hydrated = True
    return root


def _arrive(root: State, on_load: Callable[[], None]) -> None:
    """A page arrives (a reload, Back, a link): Reflex marks the tab not hydrated,
    runs the page's on_load handler, then marks it hydrated."""
    root.is_hydrated = False
    on_load()
    root.is_hydrated = True


# Each dialog: how a click opens it, its page's on_load, and whether it shows.
DIALOGS = {
    "new lead": (
        lambda s: LeadFormState.open_new.fn(s),
        lambda s: LeadFormState.open_from_query.fn(s),
        lambda s: s.open,
        LeadFormState,
    ),
    "new contact": (
        lambda s: ContactFormState.open_new.fn(s),
        lambda s: ContactFormState.close_on_arrival.fn(s),
        lambda s: s.open,
        ContactFormState,
    ),
    "CSV import": (
        lambda s: CsvImportState.open_for.fn(s, "leads"),
        lambda s: CsvImportState.open_from_query.fn(s, "leads"),
        lambda s: s.open,
        CsvImportState,
    ),
    # The lists' on_load (load) reads the database first; _forget_dialogs is its part here.
    "delete a lead?": (
        lambda s: LeadsState.ask_delete.fn(s, str(uuid.uuid4()), "Ann"),
        lambda s: s._forget_dialogs(),
        lambda s: s.delete_id != "",
        LeadsState,
    ),
    "delete a contact?": (
        lambda s: ContactsState.ask_delete.fn(s, str(uuid.uuid4()), "Bob"),
        lambda s: s._forget_dialogs(),
        lambda s: s.delete_id != "",
        ContactsState,
    ),
    # The detail pages' on_load begins with _begin_load, as their reloads after a change do.
    "delete this lead?": (
        lambda s: LeadDetailState.set_confirming_delete.fn(s, True),
        lambda s: s._begin_load(),
        lambda s: s.confirming_delete,
        LeadDetailState,
    ),
    "delete this contact?": (
        lambda s: ContactDetailState.set_confirming_delete.fn(s, True),
        lambda s: s._begin_load(),
        lambda s: s.confirming_delete,
        ContactDetailState,
    ),
    # A note open for editing, or asking whether to delete it, on either detail page.
    "edit a lead's note": (
        lambda s: LeadDetailState.start_editing_note.fn(s, str(uuid.uuid4())),
        lambda s: LeadDetailState.close_notes_on_arrival.fn(s),
        lambda s: s.editing_note != "",
        LeadDetailState,
    ),
    "delete a contact's note?": (
        lambda s: ContactDetailState.ask_delete_note.fn(s, str(uuid.uuid4())),
        lambda s: ContactDetailState.close_notes_on_arrival.fn(s),
        lambda s: s.deleting_note != "",
        ContactDetailState,
    ),
}


@pytest.mark.parametrize("dialog", DIALOGS)
def test_a_dialog_clicked_open_as_the_page_arrives_survives_its_on_load(root, dialog):
    click, on_load, shows, state_class = DIALOGS[dialog]
    state = _substate(root, state_class)
    root.is_hydrated = False  # reloaded: the tab's last state is shown, on_load not yet run
    click(state)
    on_load(state)
    root.is_hydrated = True
    assert shows(state)
    # It was this load's: the next arrival (a reload, Back) closes it.
    _arrive(root, lambda: on_load(state))
    assert not shows(state)


@pytest.mark.parametrize("dialog", DIALOGS)
def test_a_dialog_left_open_is_closed_when_the_page_is_arrived_at_again(root, dialog):
    click, on_load, shows, state_class = DIALOGS[dialog]
    state = _substate(root, state_class)
    click(state)
    assert shows(state)
    _arrive(root, lambda: on_load(state))
    assert not shows(state)


@pytest.mark.parametrize("dialog", DIALOGS)
def test_a_click_whose_page_never_finished_arriving_keeps_nothing_later(root, dialog, monkeypatch):
    # Reflex cancels a page's on_load when the tab navigates on first (Back at once): the
    # click's mark outlives its arrival, and must not keep the dialog on a later visit.
    click, on_load, shows, state_class = DIALOGS[dialog]
    state = _substate(root, state_class)
    root.is_hydrated = False
    click(state)
    monkeypatch.setattr(auth, "ARRIVAL_SECONDS", 0)  # the later visit, long after
    _arrive(root, lambda: on_load(state))
    assert not shows(state)


def test_a_mark_made_on_another_page_keeps_nothing(root):
    form = _substate(root, LeadFormState)
    root.is_hydrated = False
    LeadFormState.open_new.fn(form)
    form._opened_while_arriving = f"{time.time()} /leads/another-lead"  # opened there
    LeadFormState.open_from_query.fn(form)
    assert not form.open


def _over_socket(
    root: State, sid: str, path: str = "/contacts", *, page_loaded_anew: bool = False
) -> None:
    """The tab's events now come over this socket, on this page: one that reconnected under
    the page, or (page_loaded_anew) the first socket of the page reloaded."""
    root.router = RouterData.from_router_data(
        {"sid": sid, "pathname": path, "asPath": path, "headers": {}}
    )
    _substate(root, AuthState)._reconnected_on = "" if page_loaded_anew else path


@pytest.mark.parametrize("dialog", DIALOGS)
def test_a_dialog_stays_open_when_the_tabs_socket_reconnects(root, dialog):
    # Reflex runs the page's on_load again when a socket reconnects (a network blip, a
    # laptop waking, the server restarting): closing the dialog lost what was typed in it.
    click, on_load, shows, state_class = DIALOGS[dialog]
    state = _substate(root, state_class)
    _over_socket(root, "socket-1")
    click(state)
    _over_socket(root, "socket-2")  # the reconnect
    _arrive(root, lambda: on_load(state))
    assert shows(state)
    _over_socket(root, "socket-3")  # and the next one
    _arrive(root, lambda: on_load(state))
    assert shows(state)
    # A visit to the page over the same socket (a link, Back) closes it, as before.
    _arrive(root, lambda: on_load(state))
    assert not shows(state)


@pytest.mark.parametrize("dialog", DIALOGS)
def test_a_dialog_left_open_closes_when_the_page_is_reloaded(root, dialog):
    click, on_load, shows, state_class = DIALOGS[dialog]
    state = _substate(root, state_class)
    _over_socket(root, "socket-1")
    click(state)
    _over_socket(root, "socket-2", page_loaded_anew=True)  # F5: another socket, a new page
    _arrive(root, lambda: on_load(state))
    assert not shows(state)


def test_a_dialog_left_open_closes_on_a_visit_after_a_reconnect_under_another_page(root):
    # Edit left open on a lead, Back to the dashboard, a reconnect there: the next visit
    # to the lead must not bring the old dialog back.
    form = _substate(root, ContactFormState)
    _over_socket(root, "socket-1", "/contacts/one")
    ContactFormState.open_new.fn(form)
    _over_socket(root, "socket-2", "/dashboard")  # reconnected while on the dashboard
    _over_socket(root, "socket-2", "/contacts/one")
    _substate(root, AuthState)._reconnected_on = "/dashboard"
    _arrive(root, lambda: ContactFormState.close_on_arrival.fn(form))
    assert not form.open


def test_a_dialog_left_open_on_another_page_closes_whatever_the_socket(root):
    form = _substate(root, ContactFormState)
    _over_socket(root, "socket-1", "/contacts/one")
    ContactFormState.open_new.fn(form)
    _over_socket(root, "socket-2", "/contacts")
    _arrive(root, lambda: ContactFormState.close_on_arrival.fn(form))
    assert not form.open
