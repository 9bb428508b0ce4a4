"""Where timeline and feed entries link to: a run's to the run, a conversion's to its other side.

Runs have no page of their own: the link searches the runs list for the
run's Make execution id, which must find it whatever the tab's filters were.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from crm_app.core.db import tenant_session
from crm_app.models import ContactCreate, LeadCreate, User
from crm_app.services.automation_logs import list_automation_logs
from crm_app.services.contacts import create_contact
from crm_app.services.dashboard import latest_activity
from crm_app.services.leads import create_lead
from crm_app.services.pipeline import convert_lead_to_contact
from crm_app.services.timeline import CONVERTED, list_timeline
from crm_app.state.dashboard import _feed_item
from crm_app.state.timeline_rows import timeline_row
from tests.factories import add_automation_log, add_lead

# Characters a query string would otherwise cut or change: the link must carry them whole.
EXECUTION_ID = "exec 42/a&b+c#d"


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


def _runs_found_by(session, user_id, href: str) -> list[str]:
    url = urlsplit(href)
    assert url.path == "/automations"
    [search] = parse_qs(url.query)["search"]
    page = list_automation_logs(session=session, user_id=user_id, search=search)
    return [run.execution_id for run in page.items]


def test_a_runs_timeline_link_lists_that_run(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        lead = add_lead(session, user_id=user.id)
        add_automation_log(session, user_id=user.id, execution_id=EXECUTION_ID, lead_id=lead.id)
        add_automation_log(session, user_id=user.id, execution_id="exec-other")
        [entry] = list_timeline(session=session, user_id=user.id, lead_id=lead.id)
        href = timeline_row(entry).href
        assert _runs_found_by(session, user.id, href) == [EXECUTION_ID]


def test_a_runs_feed_link_lists_that_run_when_it_has_no_lead_or_contact(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        add_automation_log(session, user_id=user.id, execution_id="exec-older")
        add_automation_log(session, user_id=user.id, execution_id=EXECUTION_ID)
        items = latest_activity(session=session, user_id=user.id)
        [newest] = [item for item in items if item.execution_id == EXECUTION_ID]
        assert _runs_found_by(session, user.id, _feed_item(newest).href) == [EXECUTION_ID]


def _conversion_links(session, user_id, **person) -> list[str]:
    entries = list_timeline(session=session, user_id=user_id, **person)
    shown_on = "lead" if "lead_id" in person else "contact"
    return [timeline_row(e, shown_on).href for e in entries if e.kind == CONVERTED]


def test_a_conversion_links_each_side_to_the_other(engine, user) -> None:
    with tenant_session(user.id, engine) as session:
        pat = create_contact(
            session=session,
            user_id=user.id,
            contact_in=ContactCreate(name="Pat", email="pat@example.com", phone="+14155550142"),
        )
        # Two leads the same person by email and by phone: both converted onto that contact.
        by_email, by_phone = (
            create_lead(session=session, user_id=user.id, lead_in=LeadCreate(**fields))
            for fields in (
                {"name": "Pat (web form)", "email": "pat@example.com"},
                {"name": "Pat (caller)", "phone": "+14155550142"},
            )
        )
        for lead in (by_email, by_phone):
            conversion = convert_lead_to_contact(session=session, user_id=user.id, lead_id=lead.id)
            assert conversion.contact.id == pat.id
        contact_page = f"/contacts/{pat.id}"
        assert _conversion_links(session, user.id, lead_id=by_email.id) == [contact_page]
        assert _conversion_links(session, user.id, lead_id=by_phone.id) == [contact_page]
        on_contact = _conversion_links(session, user.id, contact_id=pat.id)
        assert sorted(on_contact) == sorted([f"/leads/{by_email.id}", f"/leads/{by_phone.id}"])
