"""A lead page's note handlers on both databases: what the page's state does with each click.

The browser tests show the forms; these show the cases a person cannot easily
produce: a Save sent again after the form closed, a form whose version is stale,
ids a page of ours never sends, a Delete confirmed twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

import crm_app.services.timeline as timeline_service
import crm_app.state.lead_detail as lead_detail
import crm_app.state.record_detail as record_detail
from crm_app.core.db import tenant_session
from crm_app.models import Activity, Lead, User
from crm_app.services.timeline import NOTE_CHANGED, add_note, note_version
from crm_app.state.lead_detail import LeadDetailState
from crm_app.state.record_detail import NOTE_ID_FIELD, NOTE_VERSION_FIELD
from tests.factories import add_activity, add_lead
from tests.state_tabs import on_engine, signed_in_tab


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def lead(engine: sa.Engine, user: User) -> Lead:
    with tenant_session(user.id, engine) as session:
        return add_lead(session, user_id=user.id, name="Noted Nell")


@pytest.fixture
def page(
    engine: sa.Engine, user: User, lead: Lead, monkeypatch: pytest.MonkeyPatch
) -> LeadDetailState:
    """The lead's page in a signed-in tab, loaded; its handlers use the engine."""
    on_engine(monkeypatch, engine, record_detail, lead_detail)
    monkeypatch.setattr(LeadDetailState, "_current", lambda self: lead.id)
    state = signed_in_tab(LeadDetailState, user.id)
    LeadDetailState.load_lead.fn(state)
    return state


def _note(engine: sa.Engine, user: User, lead: Lead, body: str) -> Activity:
    with tenant_session(user.id, engine) as session:
        note = add_note(session=session, user_id=user.id, body=body, lead_id=lead.id)
        assert note is not None
        return note


def _bodies(engine: sa.Engine, user: User) -> list[str]:
    with tenant_session(user.id, engine) as session:
        rows = session.exec(select(Activity).where(Activity.user_id == user.id)).all()
        return sorted(row.body for row in rows)


def _reopen(page: LeadDetailState) -> None:
    LeadDetailState.load_lead.fn(page)


def _editing(
    page: LeadDetailState, engine: sa.Engine, user: User, lead: Lead, body: str
) -> Activity:
    """A note written, the page loaded again, and the note's Edit clicked."""
    note = _note(engine, user, lead, body)
    _reopen(page)
    LeadDetailState.start_editing_note.fn(page, str(note.id))
    return note


def _save(page: LeadDetailState, note: Activity, body: str, version: str | None = None) -> Any:
    form = {
        "body": body,
        NOTE_ID_FIELD: str(note.id),
        NOTE_VERSION_FIELD: version if version is not None else note_version(note.body),
    }
    return LeadDetailState.save_edited_note.fn(page, form)


def test_a_save_sent_again_after_the_form_closed_changes_nothing(engine, user, lead, page):
    note = _editing(page, engine, user, lead, "Call back on Munday.")
    assert _save(page, note, "Call back on Monday.") is not None  # focus back on Edit
    assert page.editing_note == ""
    # The form sent again once closed (a double click), even naming the text now saved:
    # the closed form is ignored, not merely refused as stale.
    saved = note_version("Call back on Monday.")
    assert _save(page, note, "Call back on Monday!", version=saved) is None
    assert page.note_edit_error == ""
    assert _bodies(engine, user) == ["Call back on Monday."]
    assert [row.title for row in page.timeline] == ["Note · edited"]


def test_a_stale_form_is_told_and_a_second_save_means_it(engine, user, lead, page):
    note = _editing(page, engine, user, lead, "Prefers email.")
    opened = note_version(note.body)
    with tenant_session(user.id, engine) as session:  # another tab saves first
        session.get(Activity, (user.id, note.id)).body = "Prefers phone."
    assert _save(page, note, "Prefers text messages.", version=opened) is None
    assert page.note_edit_error == NOTE_CHANGED
    assert page.editing_note == str(note.id)  # still open, with what was typed
    assert _bodies(engine, user) == ["Prefers phone."]
    # The page now holds the version it would replace: Save again replaces it.
    version = page.timeline[0].version
    assert version == note_version("Prefers phone.")
    assert _save(page, note, "Prefers text messages.", version=version) is not None
    assert (page.editing_note, page.note_edit_error) == ("", "")
    assert _bodies(engine, user) == ["Prefers text messages."]


@pytest.mark.parametrize("body", ["", "   ", "x" * 10_001])
def test_a_blank_or_overlong_edit_is_refused_where_it_was_typed(engine, user, lead, page, body):
    note = _editing(page, engine, user, lead, "Keep me.")
    assert _save(page, note, body) is None
    assert page.note_edit_error != ""
    assert page.editing_note == str(note.id)
    assert _bodies(engine, user) == ["Keep me."]


@pytest.mark.parametrize("sent", ["", "not-an-id", "1; DROP TABLE activities", "x" * 500])
def test_ids_a_page_of_ours_never_sends_open_nothing(page, sent):
    LeadDetailState.start_editing_note.fn(page, sent)
    LeadDetailState.ask_delete_note.fn(page, sent)
    assert (page.editing_note, page.deleting_note) == ("", "")


def test_a_note_of_another_lead_is_not_edited_from_this_page(engine, user, lead, page):
    other = _note(engine, user, _other_lead(engine, user), "On another lead.")
    LeadDetailState.start_editing_note.fn(page, str(other.id))
    result = _save(page, other, "Changed from the wrong page")
    assert "no longer exists" in str(result)
    assert _bodies(engine, user) == ["On another lead."]


def _other_lead(engine: sa.Engine, user: User) -> Lead:
    with tenant_session(user.id, engine) as session:
        return add_lead(session, user_id=user.id, name=f"Other {uuid.uuid4().hex[:6]}")


def test_delete_asks_closes_an_open_edit_and_a_second_confirm_does_nothing(
    engine, user, lead, page
):
    kept, gone = (_note(engine, user, lead, text) for text in ("Kept.", "Gone."))
    _reopen(page)
    LeadDetailState.start_editing_note.fn(page, str(kept.id))
    LeadDetailState.ask_delete_note.fn(page, str(gone.id))
    assert (page.editing_note, page.deleting_note) == ("", str(gone.id))
    assert "Note deleted." in str(LeadDetailState.confirm_delete_note.fn(page))
    assert page.deleting_note == ""
    assert LeadDetailState.confirm_delete_note.fn(page) is None  # the dialog's second click
    assert _bodies(engine, user) == ["Kept."]
    assert [row.body for row in page.timeline] == ["Kept."]


def test_keep_note_closes_the_question_and_deletes_nothing(engine, user, lead, page):
    note = _note(engine, user, lead, "Still here.")
    _reopen(page)
    LeadDetailState.ask_delete_note.fn(page, str(note.id))
    LeadDetailState.keep_note.fn(page)
    assert page.deleting_note == ""
    assert LeadDetailState.confirm_delete_note.fn(page) is None
    assert _bodies(engine, user) == ["Still here."]


def test_a_lead_that_fails_to_load_shows_the_error_not_the_lead_before(
    page: LeadDetailState, engine: sa.Engine, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lead A's fields stayed under lead B's URL, where Delete asked "Delete A?" and deleted B.
    assert page.loaded and page.lead.name == "Noted Nell"
    with tenant_session(user.id, engine) as session:
        other = add_lead(session, user_id=user.id, name="Other Olga")

    def unreachable(**_: Any) -> None:
        raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError())

    monkeypatch.setattr(LeadDetailState, "_current", lambda self: other.id)
    monkeypatch.setattr(lead_detail, "get_lead", unreachable)
    LeadDetailState.load_lead.fn(page)
    assert page.error and not page.loaded
    monkeypatch.undo()  # the database answers again; the first lead's page reloads as before
    on_engine(monkeypatch, engine, record_detail, lead_detail)
    monkeypatch.setattr(LeadDetailState, "_current", lambda self: other.id)
    LeadDetailState.load_lead.fn(page)
    assert page.loaded and not page.error and page.lead.name == "Other Olga"


def test_notes_past_the_first_hundred_are_reached_with_show_older(engine, user, lead, monkeypatch):
    # The page showed the newest 100 entries and nothing else: an older note could be
    # neither read nor edited nor deleted, and nothing said there were more.
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with tenant_session(user.id, engine) as session:
        for number in range(130):
            add_activity(
                session,
                user_id=user.id,
                lead_id=lead.id,
                body=f"note {number}",
                occurred_at=start + timedelta(minutes=number),
            )
    on_engine(monkeypatch, engine, record_detail, lead_detail)
    monkeypatch.setattr(LeadDetailState, "_current", lambda self: lead.id)
    page = signed_in_tab(LeadDetailState, user.id)
    LeadDetailState.load_lead.fn(page)
    assert (len(page.timeline), page.timeline_has_older) == (100, True)
    LeadDetailState.show_older_entries.fn(page)
    assert (len(page.timeline), page.timeline_has_older) == (130, False)
    assert page.timeline[-1].body == "note 0"
    # A reload after a change keeps what was shown; another record starts from the newest.
    _reopen(page)
    assert len(page.timeline) == 130
    with tenant_session(user.id, engine) as session:
        other = add_lead(session, user_id=user.id, name="Other").id
    monkeypatch.setattr(LeadDetailState, "_current", lambda self: other)
    _reopen(page)
    assert (page.timeline, page.timeline_has_older) == ([], False)
    assert page._timeline_length == record_detail.TIMELINE_LENGTH


def test_the_timeline_says_when_it_shows_only_the_newest_it_can(engine, user, lead, monkeypatch):
    monkeypatch.setattr(record_detail, "MAX_TIMELINE_ENTRIES", 2)
    monkeypatch.setattr(timeline_service, "MAX_TIMELINE_ENTRIES", 2)
    monkeypatch.setattr(record_detail, "TIMELINE_LENGTH", 1)
    with tenant_session(user.id, engine) as session:
        for number in range(3):
            add_activity(session, user_id=user.id, lead_id=lead.id, body=f"note {number}")
    on_engine(monkeypatch, engine, record_detail, lead_detail)
    monkeypatch.setattr(LeadDetailState, "_current", lambda self: lead.id)
    page = signed_in_tab(LeadDetailState, user.id)
    page._timeline_length = 1
    LeadDetailState.load_lead.fn(page)
    assert (len(page.timeline), page.timeline_has_older, page.timeline_capped) == (1, True, False)
    LeadDetailState.show_older_entries.fn(page)
    assert (len(page.timeline), page.timeline_has_older, page.timeline_capped) == (2, False, True)
