"""How pages print durations, money, percentages, changes and page counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crm_app.models import AutomationLog, CallLog
from crm_app.state import display
from crm_app.state.automations import run_row
from crm_app.state.calls import call_row


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "–"), (0, "0:00"), (65, "1:05"), (89.6, "1:30"), (3723, "1:02:03")],
)
def test_duration(seconds, shown) -> None:
    assert display.duration(seconds) == shown


@pytest.mark.parametrize(
    ("milliseconds", "shown"),
    [
        (None, "–"),
        (0, "0.0 s"),
        (1234, "1.2 s"),
        (59_949, "59.9 s"),
        (59_950, "1:00"),  # not "60.0 s"
        (2_400_000, "40:00"),  # a long Make run reads as a call of its length does
    ],
)
def test_a_runs_duration_reads_in_seconds_under_a_minute_then_as_a_calls(
    milliseconds, shown
) -> None:
    assert display.run_duration(milliseconds) == shown
    run = AutomationLog(user_id=uuid.uuid4(), execution_id="x", duration_ms=milliseconds)
    assert run_row(run).duration == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "–"),
        (Decimal("0"), "$0.00"),
        (Decimal("0.25"), "$0.25"),
        (Decimal("0.0140"), "$0.0140"),
        (Decimal("87.3227"), "$87.32"),
        (Decimal("1234.5"), "$1,234.50"),
    ],
)
def test_money(value, shown) -> None:
    assert display.money(value) == shown


@pytest.mark.parametrize(
    ("current", "previous", "shown"),
    [
        (5, None, ""),
        (5, 5, "no change"),
        (3, 0, "+3"),
        (6, 4, "+2 (+50%)"),
        (1, 4, "-3 (-75%)"),
        (5027, 0, "+5,027"),  # as the lists write counts
        (12000, 10, "+11,990 (+119,900%)"),
    ],
)
def test_change_against_the_previous_period(current, previous, shown) -> None:
    assert display.change(current, previous) == shown


def test_percent_and_count_label() -> None:
    assert (display.percent(None), display.percent(2 / 3)) == ("–", "67%")
    assert (display.percent(0.0), display.percent(1.0)) == ("0%", "100%")
    # Anything short of all, or more than none, never reads as if it were.
    assert (display.percent(199 / 200), display.percent(1 / 201)) == ("99%", "1%")
    assert display.count_label(0, 0, 0) == "No results"
    assert display.count_label(25, 25, 1234) == "26–50 of 1,234"


def test_period_days_reads_the_menu_and_nothing_else() -> None:
    assert [display.period_days(value) for value in ("7", "30", "90")] == [7, 30, 90]
    assert display.period_days("all") is None
    assert display.period_days("1000") is None  # not on the menu: all time


@pytest.mark.parametrize("value", ["", "not-a-uuid", "' OR 1=1 --", None, "1234"])
def test_parse_id_refuses_anything_but_a_uuid(value) -> None:
    assert display.parse_id(value) is None


def test_parse_id_reads_a_uuid() -> None:
    row_id = uuid.uuid4()
    assert display.parse_id(f" {row_id} ") == row_id


def test_a_call_is_listed_at_the_time_it_is_sorted_and_filtered_by() -> None:
    logged = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    replayed = CallLog(
        user_id=uuid.uuid4(),
        provider="vapi",
        created_at=logged,  # the list's order and period filter use this
        started_at=logged - timedelta(days=50),  # an event applied long after the call
    )
    row = call_row(replayed)
    assert row.occurred_at == logged.isoformat()
    assert row.started_at == (logged - timedelta(days=50)).isoformat()
    assert call_row(CallLog(user_id=uuid.uuid4(), provider="twilio")).started_at == ""


def test_a_run_is_listed_at_the_time_it_is_sorted_and_filtered_by() -> None:
    logged = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    owner = uuid.uuid4()
    late = AutomationLog(user_id=owner, created_at=logged, started_at=logged - timedelta(days=10))
    row = run_row(late)
    assert row.occurred_at == logged.isoformat()
    assert row.started_at == (logged - timedelta(days=10)).isoformat()  # shown beside it
    soon = logged - timedelta(seconds=4)
    on_time = AutomationLog(user_id=owner, created_at=logged, started_at=soon)
    assert run_row(on_time).started_at == ""  # the same moment, said once
    assert run_row(AutomationLog(user_id=uuid.uuid4(), created_at=logged)).started_at == ""
    # Make sent only when it happened (occurred_at, stored as the run's end): shown as such.
    ended_long_ago = logged - timedelta(days=3)
    only_end = AutomationLog(user_id=owner, created_at=logged, finished_at=ended_long_ago)
    assert run_row(only_end).started_at == ended_long_ago.isoformat()


def test_a_runs_links_are_named_by_their_person_else_by_the_scenario() -> None:
    lead, contact = uuid.uuid4(), uuid.uuid4()
    run = AutomationLog(
        user_id=uuid.uuid4(), scenario_name="Welcome SMS", lead_id=lead, contact_id=contact
    )
    named = run_row(run, {lead: "Rita Run", contact: "Rita R."})
    assert (named.lead_label, named.contact_label) == ("Lead: Rita Run", "Contact: Rita R.")
    # A lead made from a call goes by its number, written as the leads list writes it.
    by_number = run_row(run, {lead: "+15125550143"})
    assert by_number.lead_label == "Lead: (512) 555-0143"
    nameless = run_row(run)  # a person without a name: the scenario tells the rows apart
    assert (nameless.lead_label, nameless.contact_label) == (
        "Lead of Welcome SMS",
        "Contact of Welcome SMS",
    )


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("true", "Passed"),
        ("false", "Not passed"),
        ("TRUE", "Passed"),
        ("8", "8"),
        ("B+", "B+"),
        ("Booked a visit for Tuesday", "Booked a visit for Tuesday"),
        (None, ""),
        ("  ", ""),
    ],
)
def test_a_calls_success_evaluation_reads_as_words_when_it_is_a_yes_or_no(stored, shown) -> None:
    assert display.evaluation(stored) == shown


def test_common_ended_reasons_read_in_words_and_others_as_sent() -> None:
    assert display.ended_reason("silence-timed-out") == "Caller went silent"
    assert display.ended_reason(" customer-did-not-answer ") == "No answer"
    assert display.ended_reason("vonage-completed") == "vonage-completed"
    assert display.ended_reason(None) == display.ended_reason("") == ""
    # Each in words of its own, so the filter menu never offers two alike.
    words = list(display.ENDED_REASON_WORDS.values())
    assert len(set(words)) == len(words)
    assert display.VAPI_ERROR_WORDS not in words


@pytest.mark.parametrize(
    "code",
    [
        "call.in-progress.error-vapifault-openai-llm-failed",
        "call.in-progress.error-providerfault-openai-500-server-error",
        "pipeline-error-openai-llm-failed",
        "pipeline-error-cartesia-socket-hang-up",
        "assistant-error",
        "call.start.error-subscription-frozen",
        "call-start-error-neither-assistant-nor-server-set",
        "assistant-request-failed",
        "assistant-not-found",
        "pipeline-no-available-llm-model",
    ],
)
def test_vapis_error_endings_read_as_a_call_to_return(code) -> None:
    assert display.ended_reason(code) == "AI error: call back"
    # The filter menu tells them apart by their codes.
    assert display.ended_reason_option(code) == f"AI error: call back ({code})"


@pytest.mark.parametrize(
    "code",
    [
        "customer-ended-call",
        "assistant-ended-call",
        "assistant-forwarded-call",
        "assistant-request-returned-forwarding-phone-number",
        "silence-timed-out",
        "exceeded-max-duration",
        "voicemail",
        "vonage-completed",
    ],
)
def test_an_ending_that_is_no_error_is_not_read_as_one(code) -> None:
    assert display.ended_reason(code) != display.VAPI_ERROR_WORDS
    assert display.ended_reason_option(code) == display.ended_reason(code)
