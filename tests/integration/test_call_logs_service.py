"""Calls on both databases: filters by provider, status, ended reason and period, number search."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crm_app.core.db import tenant_session
from crm_app.models import User
from crm_app.models.base import utcnow
from crm_app.services.call_logs import (
    call_filter_options,
    get_call_log,
    list_call_logs,
)
from crm_app.services.call_outcomes import LIVE_CALL_MAX_AGE, OUTCOMES
from crm_app.services.dashboard import dashboard_stats, latest_activity
from crm_app.services.errors import InvalidInput
from crm_app.services.linked_people import linked_names
from crm_app.state.calls import call_row
from tests.factories import add_call_log, add_contact, add_lead

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def calls(engine, make_user: Callable[..., User]) -> User:
    """Four calls a day apart, oldest first: a, b, c, d."""
    user = make_user()
    rows = [
        ("a", "vapi", "ended", "customer-ended-call", "+14155552671"),
        ("b", "twilio", "completed", None, "+442079460958"),
        ("c", "vapi", "ended", "assistant-ended-call", "+14155550123"),
        ("d", "twilio", "no-answer", None, "+14155552671"),
    ]
    with tenant_session(user.id, engine) as session:
        for day, (name, provider, status, reason, number) in enumerate(rows):
            add_call_log(
                session,
                user_id=user.id,
                customer_name=name,
                provider=provider,
                status=status,
                ended_reason=reason,
                customer_number=number,
                created_at=T0 + day * DAY,
            )
    return user


def _names(engine, user: User, **filters: object) -> list[str]:
    with tenant_session(user.id, engine) as session:
        page = list_call_logs(session=session, user_id=user.id, **filters)
    return [call.customer_name for call in page.items]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["d", "c", "b", "a"]),
        ({"provider": " VAPI "}, ["c", "a"]),
        ({"status": "ended"}, ["c", "a"]),
        ({"ended_reason": "customer-ended-call"}, ["a"]),
        ({"created_from": T0 + DAY, "created_to": T0 + 3 * DAY}, ["c", "b"]),
        ({"search": "(415) 555-2671"}, ["d", "a"]),
        ({"search": "+44 20"}, ["b"]),
        ({"provider": "twilio", "search": "2671"}, ["d"]),
    ],
)
def test_list_call_logs_filters(engine, calls, filters, expected) -> None:
    assert _names(engine, calls, **filters) == expected


@pytest.mark.parametrize(
    ("sort", "descending", "expected"),
    [
        ("created_at", True, ["short", "none", "long", "dear"]),
        ("created_at", False, ["dear", "long", "none", "short"]),
        ("duration", True, ["long", "dear", "short", "none"]),  # unknown length last
        ("duration", False, ["short", "dear", "long", "none"]),
        ("cost", True, ["dear", "long", "short", "none"]),
    ],
)
def test_calls_sort_by_time_length_or_cost_unknowns_last(
    engine, make_user, sort, descending, expected
) -> None:
    user = make_user()
    rows = [("dear", 60, "2.5"), ("long", 600, "0.9"), ("none", None, None), ("short", 5, "0.01")]
    with tenant_session(user.id, engine) as session:
        for n, (name, seconds, cost) in enumerate(rows):
            add_call_log(
                session,
                user_id=user.id,
                customer_name=name,
                duration_seconds=seconds,
                cost=None if cost is None else Decimal(cost),
                created_at=T0 + n * DAY,
            )
    with tenant_session(user.id, engine) as session:
        page = list_call_logs(session=session, user_id=user.id, sort=sort, descending=descending)
    assert [call.customer_name for call in page.items] == expected


@pytest.mark.parametrize("sort", ["cost", "duration"])
def test_calls_equal_in_what_they_are_sorted_by_come_newest_first(engine, make_user, sort) -> None:
    # Every Twilio call has no cost: under "Most expensive first" they came in the order
    # of their random ids, page after page.
    user = make_user()
    with tenant_session(user.id, engine) as session:
        for n in range(12):
            add_call_log(
                session,
                user_id=user.id,
                customer_name=f"call {n}",
                duration_seconds=30,
                cost=None,
                created_at=T0 + n * DAY,
            )
    with tenant_session(user.id, engine) as session:
        page = list_call_logs(session=session, user_id=user.id, sort=sort, descending=True)
    assert [call.customer_name for call in page.items] == [f"call {n}" for n in range(11, -1, -1)]


def test_calls_refuse_a_sort_they_do_not_offer(engine, calls) -> None:
    with pytest.raises(InvalidInput):
        _names(engine, calls, sort="transcript")


def test_list_call_logs_refuses_naive_dates(engine, calls) -> None:
    with pytest.raises(InvalidInput):
        _names(engine, calls, created_from=datetime(2026, 2, 1))


def test_call_filter_options_are_the_distinct_values_present(engine, calls) -> None:
    with tenant_session(calls.id, engine) as session:
        options = call_filter_options(session=session, user_id=calls.id)
    assert options.providers == ["twilio", "vapi"]
    assert options.statuses == ["completed", "ended", "no-answer"]
    assert options.ended_reasons == ["assistant-ended-call", "customer-ended-call"]


def test_a_status_filter_lists_the_calls_whose_row_shows_that_status(engine, make_user) -> None:
    user = make_user()
    now = utcnow()
    with tenant_session(user.id, engine) as session:
        for name, status, began in [
            ("live", "in-progress", now - timedelta(minutes=5)),
            ("lost end", "in-progress", now - LIVE_CALL_MAX_AGE - timedelta(minutes=1)),
            ("lost ringing", "ringing", now - timedelta(days=2)),
            ("over", "ended", now - timedelta(days=2)),
        ]:
            add_call_log(
                session,
                user_id=user.id,
                customer_name=name,
                status=status,
                started_at=began,
                created_at=began,
            )
    with tenant_session(user.id, engine) as session:
        options = call_filter_options(session=session, user_id=user.id, now=now)
        found = {
            status: [
                call.customer_name
                for call in list_call_logs(
                    session=session, user_id=user.id, status=status, now=now
                ).items
            ]
            for status in options.statuses
        }
        rows = list_call_logs(session=session, user_id=user.id, now=now).items
        shown = {call.customer_name: call_row(call, {}).status for call in rows}
    # Only what some row shows: no "ringing", whose call outlived it.
    assert options.statuses == ["ended", "in-progress", "no end reported"]
    assert found == {
        "ended": ["over"],
        "in-progress": ["live"],
        "no end reported": ["lost end", "lost ringing"],
    }
    # Each call is found under the status its row shows.
    for status, names in found.items():
        assert all(shown[name] == status for name in names)


def test_get_call_log_of_an_unknown_id_is_none(engine, calls) -> None:
    with tenant_session(calls.id, engine) as session:
        assert get_call_log(session=session, user_id=calls.id, call_id=uuid.uuid4()) is None


def test_linked_names_names_the_lead_or_contact_a_call_belongs_to(engine, make_user) -> None:
    owner = make_user()
    with tenant_session(owner.id, engine) as session:
        named = add_lead(session, user_id=owner.id, name="Ingrid Øster")
        nameless = add_lead(session, user_id=owner.id, name="", phone="+14155550100")
        contact = add_contact(session, user_id=owner.id, name="Kai Kowalski")
        calls = [
            add_call_log(session, user_id=owner.id, customer_name=None, lead_id=named.id),
            add_call_log(
                session,
                user_id=owner.id,
                customer_name=None,
                customer_number="+14155550100",
                lead_id=nameless.id,
            ),
            add_call_log(session, user_id=owner.id, customer_name=None, contact_id=contact.id),
            add_call_log(session, user_id=owner.id, customer_name=None),
        ]
    with tenant_session(owner.id, engine) as session:
        names = linked_names(session=session, user_id=owner.id, records=calls)
        assert names == {named.id: "Ingrid Øster", contact.id: "Kai Kowalski"}
        assert linked_names(session=session, user_id=owner.id, records=[]) == {}
    rows = [call_row(call, names).caller for call in calls]
    # A lead without a name leaves the number, written as people write it.
    assert rows[:3] == ["Ingrid Øster", "(415) 555-0100", "Kai Kowalski"]


def test_calls_are_found_by_name_whatever_the_accents(engine, make_user) -> None:
    owner = make_user()
    with tenant_session(owner.id, engine) as session:
        add_call_log(session, user_id=owner.id, customer_name="José Núñez")
        add_call_log(session, user_id=owner.id, customer_name="JOSEPHINE BAKER")
        add_call_log(session, user_id=owner.id, customer_name="Ana")
    for search, expected in (
        ("jose", ["JOSEPHINE BAKER", "José Núñez"]),
        ("NUÑEZ", ["José Núñez"]),
        ("josé n", ["José Núñez"]),
        ("josephine b", ["JOSEPHINE BAKER"]),
    ):
        assert sorted(_names(engine, owner, search=search)) == expected, search


def test_digits_of_the_business_line_do_not_find_every_call(engine, make_user) -> None:
    owner = make_user()
    line, second_line = "+15125550100", "+15125550199"  # the business's own numbers
    with tenant_session(owner.id, engine) as session:
        for name, direction, customer, ours in (
            ("called in", "inbound", "+15127770143", line),
            ("called out", "outbound", "+15128880143", line),
            ("on line 2", "inbound", "+14155552671", second_line),
        ):
            sides = (customer, ours) if direction == "inbound" else (ours, customer)
            add_call_log(
                session,
                user_id=owner.id,
                customer_name=name,
                external_call_id=f"id-{name}",  # no digits of its own to match
                direction=direction,
                customer_number=customer,
                from_number=sides[0],
                to_number=sides[1],
            )
        # Twilio's caller with no number: what stood on the customer's side is searched.
        add_call_log(
            session,
            user_id=owner.id,
            customer_name="hidden",
            external_call_id="id-hidden",
            customer_number=None,
            from_number="anonymous",
            to_number=line,
        )
    for search, expected in (
        ("512", ["called in", "called out"]),  # the customers', not the line's, area code
        ("(512) 555", []),
        ("5125550", []),
        ("777", ["called in"]),
        ("888-0143", ["called out"]),
        ("0143", ["called in", "called out"]),
        ("anonymous", ["hidden"]),
        # A line's whole number, typed as people write it, finds the calls on that line.
        ("(512) 555-0199", ["on line 2"]),
        ("+1 512 555 0100", ["called in", "called out", "hidden"]),
    ):
        assert sorted(_names(engine, owner, search=search)) == expected, search


def test_calls_are_found_by_the_lead_or_contact_they_belong_to(engine, make_user) -> None:
    owner = make_user()
    with tenant_session(owner.id, engine) as session:
        lead = add_lead(session, user_id=owner.id, name="Ingrid Øster", email="ingrid@fjord.no")
        contact = add_contact(session, user_id=owner.id, name="Kai Kowalski")
        # Providers often send only the number: the name is known from the link.
        add_call_log(session, user_id=owner.id, customer_name="lead's", lead_id=lead.id)
        add_call_log(session, user_id=owner.id, customer_name="contact's", contact_id=contact.id)
        add_call_log(session, user_id=owner.id, customer_name="unlinked")
    assert _names(engine, owner, search="ingrid oster") == ["lead's"]
    assert _names(engine, owner, search="FJORD.NO") == ["lead's"]
    assert _names(engine, owner, search="kowalski") == ["contact's"]
    assert _names(engine, owner, search="kowalski", provider="twilio") == []
    assert _names(engine, owner, search="nobody") == []


def test_a_call_is_named_as_the_crm_knows_its_person_not_as_the_provider_sent(engine, make_user):
    owner = make_user()
    with tenant_session(owner.id, engine) as session:
        lead = add_lead(session, user_id=owner.id, name="Grace Lead")
        contact = add_contact(session, user_id=owner.id, name="Grace B. Hopper", lead_id=lead.id)
        calls = [
            # Converted: the contact's name, the record the user keeps.
            add_call_log(
                session,
                user_id=owner.id,
                customer_name="Grace",
                lead_id=lead.id,
                contact_id=contact.id,
            ),
            add_call_log(session, user_id=owner.id, customer_name="Grace", lead_id=lead.id),
            add_call_log(session, user_id=owner.id, customer_name="Caller ID Name"),
        ]
    with tenant_session(owner.id, engine) as session:
        names = linked_names(session=session, user_id=owner.id, records=calls)
        feed = latest_activity(session=session, user_id=owner.id)
    rows = [call_row(call, names).caller for call in calls]
    assert rows == ["Grace B. Hopper", "Grace Lead", "Caller ID Name"]
    # The dashboard's feed names them alike.
    assert sorted(item.label for item in feed if item.kind == "call") == sorted(rows)


def test_each_outcome_lists_as_many_calls_as_the_dashboard_counts(engine, make_user) -> None:
    owner = make_user()
    calls = [
        ("ended", 60, None),  # answered
        ("completed", 30, None),  # answered (Twilio)
        ("ended", 25, "voicemail"),  # the greeting played: not answered
        ("ended", 0, "customer-ended-call"),  # no talking: not answered
        ("ended", None, None),  # no length known: not answered
        ("no-answer", None, None),
        ("busy", None, None),
        ("ringing", None, None),  # not over yet
        ("in-progress", None, None),
    ]
    lost_end = utcnow() - LIVE_CALL_MAX_AGE - timedelta(minutes=1)
    with tenant_session(owner.id, engine) as session:
        for status, seconds, reason in calls:
            add_call_log(
                session,
                user_id=owner.id,
                status=status,
                duration_seconds=seconds,
                ended_reason=reason,
            )
        # Still "in progress" long after it began: its end never came. Not answered.
        add_call_log(session, user_id=owner.id, status="in-progress", started_at=lost_end)
        add_call_log(session, user_id=owner.id, status="ringing", created_at=lost_end)
    now = utcnow()
    with tenant_session(owner.id, engine) as session:
        stats = dashboard_stats(session=session, user_id=owner.id, period_days=None, now=now)
        listed = {
            outcome: list_call_logs(
                session=session, user_id=owner.id, outcome=outcome, now=now
            ).total
            for outcome in OUTCOMES
        }
    assert listed == {"answered": 2, "not-answered": 7, "in-progress": 2}
    assert (stats.answered_calls, stats.calls_in_progress) == (2, 2)
    assert stats.calls - stats.answered_calls - stats.calls_in_progress == 7
    with tenant_session(owner.id, engine) as session, pytest.raises(InvalidInput):
        list_call_logs(session=session, user_id=owner.id, outcome="won")


def test_a_call_vapis_ai_failed_is_not_answered_on_the_dashboard_or_the_list(
    engine, make_user
) -> None:
    owner = make_user()
    talked = [("customer-ended-call", 60), (None, 90)]
    # Vapi's error endings: the call ran, often for a while, but the AI failed the caller.
    failed = [
        ("call.in-progress.error-vapifault-openai-llm-failed", 45),
        ("call.in-progress.error-providerfault-deepgram-returning-500-invalid-json", 31),
        ("pipeline-error-openai-llm-failed", 30),
        ("pipeline-error-eleven-labs-voice-not-found", 8),
        ("assistant-error", 20),
        ("call.start.error-subscription-insufficient-credits", 5),
        ("assistant-request-failed", 3),
        ("assistant-not-found", 2),
        ("pipeline-no-available-llm-model", 12),
    ]
    with tenant_session(owner.id, engine) as session:
        for reason, seconds in talked + failed:
            add_call_log(
                session,
                user_id=owner.id,
                customer_name=reason or "no reason",
                ended_reason=reason,
                duration_seconds=seconds,
            )
    now = utcnow()
    with tenant_session(owner.id, engine) as session:
        stats = dashboard_stats(session=session, user_id=owner.id, period_days=None, now=now)
        listed = {
            outcome: {
                call.customer_name
                for call in list_call_logs(
                    session=session, user_id=owner.id, outcome=outcome, now=now
                ).items
            }
            for outcome in OUTCOMES
        }
    assert (stats.answered_calls, stats.average_call_seconds) == (2, 75.0)
    assert listed["answered"] == {"customer-ended-call", "no reason"}
    # On the owner's list of calls to return, as many as the dashboard's "not answered".
    assert listed["not-answered"] == {reason for reason, _ in failed}
    assert len(listed["not-answered"]) == stats.calls - stats.answered_calls
