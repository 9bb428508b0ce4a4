"""A Twilio callback and a Vapi message for one call, at the same moment, on Postgres: one row."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import select

from crm_app.core.db import tenant_session
from crm_app.models import CallLog
from crm_app.services.webhook_records import call_through_carrier, claim_call_log
from crm_app.services.webhook_vapi import apply_vapi_event
from tests.isolation.webhooks import _event

CALL_SID = "CA" + "8" * 32


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_callback_and_a_message_arriving_together_log_the_call_once(engine, make_user):
    user = make_user()
    twilio_checked = threading.Event()
    errors: list[BaseException] = []

    def twilio_callback() -> None:
        # What the Twilio path does: look for Vapi's row, find none, log its own; its
        # commit comes while Vapi's message is already being applied.
        try:
            with tenant_session(user.id, engine) as session:
                found = call_through_carrier(
                    session=session, user_id=user.id, carrier="twilio", carrier_call_id=CALL_SID
                )
                assert found is None
                claim_call_log(
                    session=session, user_id=user.id, provider="twilio", external_call_id=CALL_SID
                )
                twilio_checked.set()
                time.sleep(0.5)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            twilio_checked.set()

    twilio = threading.Thread(target=twilio_callback)
    twilio.start()
    assert twilio_checked.wait(10)
    message = {
        "message": {
            "type": "status-update",
            "status": "in-progress",
            "call": {"id": "call-race", "phoneCallProviderId": CALL_SID},
        }
    }
    with tenant_session(user.id, engine) as session:
        apply_vapi_event(
            session=session,
            user_id=user.id,
            event=_event("vapi", "call-race:status-update", "status-update", message),
        )
    twilio.join(10)
    assert errors == []
    with tenant_session(user.id, engine) as session:
        calls = session.exec(select(CallLog).where(CallLog.user_id == user.id)).all()
    assert [(call.provider, call.external_call_id) for call in calls] == [("vapi", "call-race")]
