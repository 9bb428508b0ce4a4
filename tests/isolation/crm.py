"""Isolation cases for the CRM services: leads, contacts, calls, automations, webhooks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crm_app.core.db import tenant_session
from crm_app.models import CallLog, ContactCreate, ContactUpdate, LeadCreate, LeadUpdate
from crm_app.services import (
    automation_logs,
    call_logs,
    contacts,
    dashboard,
    leads,
    linked_people,
    record_locks,
    webhook_events,
)
from crm_app.services.errors import InvalidInput
from tests.factories import SHARED_LEAD_PHONE
from tests.isolation import World, isolation_case

# --- Leads


@isolation_case("record_locks.lock_contact_details")
def _lock_contact_details(world: World) -> None:
    # B holding the number both users' leads share does not hold up A's writer: each
    # user's numbers are keys of their own (on Postgres A would wait out the timeout).
    with world.as_b() as session:
        record_locks.lock_contact_details(
            session=session, user_id=world.b.id, values=[SHARED_LEAD_PHONE]
        )
        with tenant_session(world.a.id, world.engine) as a_session:
            if a_session.get_bind().dialect.name == "postgresql":
                a_session.exec(sa.text("SET LOCAL lock_timeout = '2s'"))
            record_locks.lock_contact_details(
                session=a_session, user_id=world.a.id, values=[SHARED_LEAD_PHONE]
            )


@isolation_case("leads.list_leads")
def _list_leads(world: World) -> None:
    with world.as_b() as session:
        everything = leads.list_leads(session=session, user_id=world.b.id)
        by_name = leads.list_leads(
            session=session, user_id=world.b.id, search=world.a_rows.lead_name
        )
        by_phone = leads.list_leads(session=session, user_id=world.b.id, search=SHARED_LEAD_PHONE)
    assert [lead.id for lead in everything.items] == [world.b_rows.lead_id]
    assert (by_name.total, by_name.items) == (0, [])
    assert [lead.id for lead in by_phone.items] == [world.b_rows.lead_id]


@isolation_case("leads.get_lead")
def _get_lead(world: World) -> None:
    with world.as_b() as session:
        assert (
            leads.get_lead(session=session, user_id=world.b.id, lead_id=world.a_rows.lead_id)
            is None
        )


@isolation_case("leads.create_lead")
def _create_lead(world: World) -> None:
    with world.as_b() as session:
        # A's lead has this email: B's may too (one number or email, one lead, per user).
        lead_in = LeadCreate(name=world.a_rows.lead_name, email=world.a_rows.lead_email)
        lead = leads.create_lead(session=session, user_id=world.b.id, lead_in=lead_in)
    assert lead.user_id == world.b.id
    # Both have a lead with this number: the refusal names B's, never A's.
    with world.as_b() as session, pytest.raises(InvalidInput) as refused:
        lead_in = LeadCreate(name="Another", phone=SHARED_LEAD_PHONE)
        leads.create_lead(session=session, user_id=world.b.id, lead_in=lead_in)
    assert world.b_rows.lead_name in str(refused.value)
    assert world.a_rows.lead_name not in str(refused.value)


@isolation_case("leads.update_lead")
def _update_lead(world: World) -> None:
    with world.as_b() as session:
        updated = leads.update_lead(
            session=session,
            user_id=world.b.id,
            lead_id=world.a_rows.lead_id,
            lead_in=LeadUpdate(name="taken over", status="lost"),
        )
    assert updated is None


@isolation_case("leads.delete_lead")
def _delete_lead(world: World) -> None:
    with world.as_b() as session:
        deleted = leads.delete_lead(
            session=session, user_id=world.b.id, lead_id=world.a_rows.lead_id
        )
    assert deleted is False


# --- Contacts


@isolation_case("contacts.list_contacts")
def _list_contacts(world: World) -> None:
    with world.as_b() as session:
        everything = contacts.list_contacts(session=session, user_id=world.b.id)
        by_phone = contacts.list_contacts(
            session=session, user_id=world.b.id, search=world.a_rows.contact_phone
        )
        by_email = contacts.list_contacts(
            session=session, user_id=world.b.id, search=world.a_rows.contact_email
        )
    assert [contact.id for contact in everything.items] == [world.b_rows.contact_id]
    assert (by_phone.total, by_email.total) == (0, 0)


@isolation_case("contacts.get_contact")
def _get_contact(world: World) -> None:
    with world.as_b() as session:
        found = contacts.get_contact(
            session=session, user_id=world.b.id, contact_id=world.a_rows.contact_id
        )
    assert found is None


@isolation_case("contacts.create_contact")
def _create_contact(world: World) -> None:
    # A's phone and email are not duplicates for B: uniqueness is per user, and
    # a DuplicateContact here would tell B that A has this contact.
    with world.as_b() as session:
        contact_in = ContactCreate(
            phone=world.a_rows.contact_phone, email=world.a_rows.contact_email
        )
        contact = contacts.create_contact(
            session=session, user_id=world.b.id, contact_in=contact_in
        )
    assert contact.user_id == world.b.id


@isolation_case("contacts.update_contact")
def _update_contact(world: World) -> None:
    with world.as_b() as session:
        updated = contacts.update_contact(
            session=session,
            user_id=world.b.id,
            contact_id=world.a_rows.contact_id,
            contact_in=ContactUpdate(name="taken over"),
        )
    assert updated is None


@isolation_case("contacts.delete_contact")
def _delete_contact(world: World) -> None:
    with world.as_b() as session:
        deleted = contacts.delete_contact(
            session=session, user_id=world.b.id, contact_id=world.a_rows.contact_id
        )
    assert deleted is False


# --- Calls, automation runs, webhook events, dashboard


@isolation_case("call_logs.list_call_logs")
def _list_call_logs(world: World) -> None:
    with world.as_b() as session:
        everything = call_logs.list_call_logs(session=session, user_id=world.b.id)
        by_name = call_logs.list_call_logs(
            session=session, user_id=world.b.id, search=world.a_rows.call_customer_name
        )
        # Calls are also found by their lead's name: never by another user's lead.
        by_lead = call_logs.list_call_logs(
            session=session, user_id=world.b.id, search=world.a_rows.lead_name
        )
    assert [call.id for call in everything.items] == [world.b_rows.call_id]
    assert by_name.total == 0
    assert by_lead.total == 0


@isolation_case("call_logs.get_call_log")
def _get_call_log(world: World) -> None:
    with world.as_b() as session:
        found = call_logs.get_call_log(
            session=session, user_id=world.b.id, call_id=world.a_rows.call_id
        )
    assert found is None


@isolation_case("automation_logs.list_automation_logs")
def _list_automation_logs(world: World) -> None:
    with world.as_b() as session:
        page = automation_logs.list_automation_logs(session=session, user_id=world.b.id)
    assert [run.id for run in page.items] == [world.b_rows.automation_log_id]


@isolation_case("automation_logs.automation_error")
def _automation_error(world: World) -> None:
    with world.as_b() as session:
        theirs = automation_logs.automation_error(
            session=session, user_id=world.b.id, log_id=world.a_rows.automation_log_id
        )
        mine = automation_logs.automation_error(
            session=session, user_id=world.b.id, log_id=world.b_rows.automation_log_id
        )
    assert theirs is None and mine is not None


@isolation_case("webhook_events.list_webhook_events")
def _list_webhook_events(world: World) -> None:
    with tenant_session(world.a.id, world.engine) as session:
        a_event = webhook_events.get_webhook_event(
            session=session, user_id=world.a.id, event_id=world.a_rows.webhook_event_id
        )
    with world.as_b() as session:
        page = webhook_events.list_webhook_events(session=session, user_id=world.b.id)
        by_id = webhook_events.list_webhook_events(
            session=session, user_id=world.b.id, search=a_event.event_id
        )
        by_type = webhook_events.list_webhook_events(
            session=session, user_id=world.b.id, event_type=a_event.event_type
        )
    # B's accepted event and B's run of rejected requests, and nothing of A's.
    assert {event.user_id for event in page.items} == {world.b.id}
    assert world.b_rows.webhook_event_id in {event.id for event in page.items}
    assert by_id.total == 0
    assert [event.id for event in by_type.items] == [world.b_rows.webhook_event_id]


@isolation_case("webhook_events.get_webhook_event")
def _get_webhook_event(world: World) -> None:
    with world.as_b() as session:
        found = webhook_events.get_webhook_event(
            session=session, user_id=world.b.id, event_id=world.a_rows.webhook_event_id
        )
    assert found is None


@isolation_case("dashboard.dashboard_stats")
def _dashboard_stats(world: World) -> None:
    with world.as_b() as session:
        stats = dashboard.dashboard_stats(session=session, user_id=world.b.id)
    assert (stats.total_leads, stats.calls, stats.automation_runs) == (1, 1, 1)
    assert stats.leads_by_source == {"website": 1}


@isolation_case("dashboard.calls_per_day")
def _calls_per_day(world: World) -> None:
    with world.as_b() as session:
        series = dashboard.calls_per_day(session=session, user_id=world.b.id, period_days=7)
    assert sum(day.calls for day in series) == 1


@isolation_case("dashboard.latest_activity")
def _latest_activity(world: World) -> None:
    with world.as_b() as session:
        items = dashboard.latest_activity(session=session, user_id=world.b.id)
    ids = {item.id for item in items}
    assert ids == {world.b_rows.lead_id, world.b_rows.call_id, world.b_rows.automation_log_id}


@isolation_case("call_logs.call_filter_options")
def _call_filter_options(world: World) -> None:
    with world.as_b() as session:
        options = call_logs.call_filter_options(session=session, user_id=world.b.id)
    assert (options.providers, options.statuses) == (["vapi"], ["ended"])


@isolation_case("linked_people.linked_names")
def _linked_names(world: World) -> None:
    # B's own call pointed at A's lead and contact: A's names stay A's.
    stray = CallLog(
        user_id=world.b.id,
        provider="vapi",
        lead_id=world.a_rows.lead_id,
        contact_id=world.a_rows.contact_id,
    )
    with world.as_b() as session:
        assert (
            linked_people.linked_names(session=session, user_id=world.b.id, records=[stray]) == {}
        )
