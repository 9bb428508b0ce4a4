"""How a lead or a contact reads in lists, on the board and on its page."""

from __future__ import annotations

import uuid

from crm_app.models import Contact, Lead
from crm_app.models.base import utcnow
from crm_app.state.contacts import contact_row
from crm_app.state.leads import lead_row


def test_a_lead_made_from_a_call_is_named_by_its_number_as_people_write_it() -> None:
    lead = Lead(
        id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        name="+14155550142",  # what a webhook names a caller it knows only by number
        phone="+14155550142",
        status="new",
        source="vapi",
        created_at=utcnow(),
    )
    row = lead_row(lead)
    assert (row.name, row.phone, row.tel) == ("(415) 555-0142", "(415) 555-0142", "+14155550142")
    lead.name = "Ada +14155550142"  # a name that only holds a number is left as typed
    assert lead_row(lead).name == "Ada +14155550142"


def test_a_contact_from_abroad_shows_its_country_code_and_dials_as_stored() -> None:
    contact = Contact(
        id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        name="+442079460958",
        phone="+442079460958",
        created_at=utcnow(),
    )
    row = contact_row(contact)
    assert (row.name, row.phone, row.tel) == ("+44 20 7946 0958",) * 2 + ("+442079460958",)
