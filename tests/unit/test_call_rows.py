"""How a call reads in the list and on its page: its caller, and the number beneath."""

from __future__ import annotations

import uuid

from crm_app.models import CallLog
from crm_app.models.base import utcnow
from crm_app.state.calls import call_row


def _call(**fields: object) -> CallLog:
    return CallLog(
        id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        provider="twilio",
        external_call_id="CA1",
        status="completed",
        created_at=utcnow(),
        **fields,
    )


def test_a_named_caller_has_the_number_beneath() -> None:
    row = call_row(_call(customer_name="Rosa Diaz", customer_number="+14155550142"))
    # Written as people write numbers in the business's region (US in the tests).
    assert (row.caller, row.number) == ("Rosa Diaz", "(415) 555-0142")


def test_a_number_from_abroad_is_written_with_its_country_code() -> None:
    row = call_row(_call(customer_name="Ada", customer_number="+442079460958"))
    assert row.number == "+44 20 7946 0958"
    # Something no numbering plan knows is shown as the provider sent it.
    assert call_row(_call(customer_name="Ada", customer_number="+1415555")).number == "+1415555"


def test_a_caller_known_only_by_number_shows_it_once() -> None:
    call = _call(customer_name="", customer_number="+14155550142")
    assert (call_row(call).caller, call_row(call).number) == ("(415) 555-0142", "")
    # Linked to the lead a call made, which goes by the number too.
    lead_id = uuid.uuid4()
    call.lead_id = lead_id
    row = call_row(call, {lead_id: "+14155550142"})
    assert (row.caller, row.number) == ("(415) 555-0142", "")


def test_an_outbound_call_shows_the_number_called_never_the_business_line() -> None:
    # A Twilio outbound call to a SIP address has no customer number: the row showed
    # "Unknown caller" over the business's own line.
    outbound = {"direction": "outbound", "from_number": "+14155559999", "to_number": "sip:a@b.c"}
    row = call_row(_call(customer_name="", customer_number=None, **outbound))
    assert (row.caller, row.number) == ("Unknown caller", "sip:a@b.c")
    inbound = {"direction": "inbound", "from_number": "anonymous", "to_number": "+14155559999"}
    row = call_row(_call(customer_name="", customer_number=None, **inbound))
    assert (row.caller, row.number) == ("Unknown caller", "anonymous")
