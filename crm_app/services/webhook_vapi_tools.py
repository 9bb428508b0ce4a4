"""The two tools a Vapi assistant may call mid-call: `lookup_contact` and `create_lead`.

Their definitions, to paste into Vapi, and what each answers: docs/vapi-tools.md.
The agent may read an answer out to the caller: it never names someone else's
lead, and never hands over a number as a name.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from sqlmodel import Session

from crm_app.models import LeadCreate
from crm_app.services.errors import DuplicateLead, InvalidInput, normalize_email
from crm_app.services.leads import create_lead
from crm_app.services.record_locks import lock_contact_details
from crm_app.services.webhook_fields import optional_text, phone_number, text
from crm_app.services.webhook_parse import vapi_customer, vapi_tool_calls
from crm_app.services.webhook_records import (
    Person,
    fill_in_lead_known_by_number,
    find_person_by_phone,
    input_model,
    last_call_summary,
)

LEAD_SOURCE = "voice"
MAX_TOOL_RESULT = 1_000
LOOKUP_CONTACT, CREATE_LEAD = "lookup_contact", "create_lead"


def answer_tool_calls(
    *, session: Session, user_id: uuid.UUID, message: dict[str, Any]
) -> list[dict[str, str]]:
    """The user's answers to a tool-calls message, one per call, in Vapi's results shape."""
    caller = phone_number(vapi_customer(message).get("number"))
    calls = vapi_tool_calls(message)
    _lock_numbers_to_claim(session, user_id, calls, caller)
    results = []
    for call in calls:
        name, arguments = call["name"], call["arguments"]
        if name == LOOKUP_CONTACT:
            answer = _lookup_contact(session, user_id, arguments, caller)
        elif name == CREATE_LEAD:
            answer = _create_lead(session, user_id, arguments, caller)
        else:
            answer = {"error": f"unknown tool {name!r}"}
        encoded = json.dumps(answer, ensure_ascii=False)[:MAX_TOOL_RESULT]
        results.append({"toolCallId": call["id"], "name": name, "result": encoded})
    return results


def _lock_numbers_to_claim(
    session: Session, user_id: uuid.UUID, calls: list[dict[str, Any]], caller: str | None
) -> None:
    """Hold every number and email the message's create_lead calls may claim, at once.

    One by one, two messages for the same user naming two numbers in the
    opposite order could each hold one and wait for the other (record_locks
    takes several in one order only when asked for them together).
    """
    values: list[str | None] = []
    for call in calls:
        if call["name"] != CREATE_LEAD:
            continue
        arguments = call["arguments"]
        values.append(_lead_phone(arguments, caller)[1])
        with contextlib.suppress(ValueError):  # refused by create_lead, which says why
            values.append(normalize_email(optional_text(arguments.get("email"), 320)))
    lock_contact_details(session=session, user_id=user_id, values=values)


def _unnamed(person: Person, phone: str) -> bool:
    """A lead no one has named: a call made it and it goes by the number it was found by.

    Vapi's status updates (sent unless the assistant is told otherwise) make
    one for a new caller as the call starts, before anyone has said a name.
    """
    return person.kind == "lead" and person.name == phone


def _person_answer(
    session: Session, user_id: uuid.UUID, person: Person, phone: str
) -> dict[str, Any]:
    summary = last_call_summary(session=session, user_id=user_id, person=person)
    return {
        "found": True,
        "type": person.kind,
        "id": str(person.id),
        # Read out by the agent, perhaps: a number is no one's name.
        "name": "" if _unnamed(person, phone) else person.name,
        "status": person.status,
        "last_call_summary": summary[:500],
    }


def _lookup_contact(
    session: Session, user_id: uuid.UUID, arguments: dict[str, Any], caller: str | None
) -> dict[str, Any]:
    given = arguments.get("phone") or arguments.get("number")
    phone = phone_number(given) if given else caller
    if phone is None:
        return {"found": False, "error": "a valid phone number is needed"}
    person = find_person_by_phone(session=session, user_id=user_id, phone=phone)
    if person is None:
        return {"found": False, "phone": phone}
    answer = _person_answer(session, user_id, person, phone)
    if _unnamed(person, phone) and person.status == "new" and not answer["last_call_summary"]:
        # Nothing known but the number (the lead this very call made, as a rule): to the
        # agent, a new caller, whose details create_lead then saves on that lead.
        return {"found": False, "phone": phone}
    return answer


def _lead_phone(arguments: dict[str, Any], caller: str | None) -> tuple[Any, str | None]:
    """The number a create_lead call names (as given, and in E.164), else the caller's."""
    given = arguments.get("phone") or arguments.get("number")
    return given, phone_number(given) if given else caller


def _create_lead(
    session: Session, user_id: uuid.UUID, arguments: dict[str, Any], caller: str | None
) -> dict[str, Any]:
    given, phone = _lead_phone(arguments, caller)
    if given and phone is None:
        return {"created": False, "error": "phone: not a valid phone number"}
    name = text(arguments.get("name"), 200)
    details = {
        "name": name,
        "email": optional_text(arguments.get("email"), 320),
        "notes": text(arguments.get("notes"), 10_000),
    }
    existing = None
    if phone is not None:
        existing = find_person_by_phone(session=session, user_id=user_id, phone=phone)
        # Only the caller's own lead takes what they say: a number they merely name (or any,
        # on a web call) may be someone else's.
        if existing is not None and not (phone == caller and _unnamed(existing, phone)):
            return {**_person_answer(session, user_id, existing, phone), "created": False}
    if not name and phone is None:
        return {"created": False, "error": "a name or a phone number is needed"}
    try:
        if existing is not None:
            # The caller's lead, made as the call began and named by the number: the details
            # are theirs. Answered as a new lead, which to the caller it is.
            lead = fill_in_lead_known_by_number(
                session=session, user_id=user_id, lead_id=existing.id, details=details
            )
            if lead is None:  # named by someone meanwhile
                return {**_person_answer(session, user_id, existing, phone), "created": False}
        else:
            lead = create_lead(
                session=session,
                user_id=user_id,
                lead_in=input_model(
                    LeadCreate,
                    {
                        **details,
                        "name": name or (phone or ""),
                        "phone": phone,
                        "source": LEAD_SOURCE,
                    },
                ),
            )
    except DuplicateLead as error:
        # Spoken to the caller, perhaps: never the name of the lead that has it.
        return {"created": False, "error": f"{error.field}: already on file for someone else"}
    except InvalidInput as error:
        return {"created": False, "error": str(error)}
    return {"created": True, "type": "lead", "id": str(lead.id), "name": lead.name}
