"""Two tenants, one webhook route: the token decides the owner, and only its secret verifies."""

from __future__ import annotations

import pytest

from crm_app.core.config import get_settings
from crm_app.models import Activity, AutomationLog, CallLog, Lead
from tests.webhook_senders import (
    connect,
    encode,
    make_event,
    make_headers,
    twilio_request,
    twilio_sms,
    vapi_end_of_call_report,
    vapi_headers,
)
from tests.webhook_state import NOTHING, audit_rows, owned, record_counts


@pytest.fixture
def alice_and_bob(engine, make_user):
    alice, bob = make_user(name="Alice").id, make_user(name="Bob").id
    secrets = {"vapi": "bob-vapi-secret-123456", "twilio": "b" * 32, "make": "bob-" + "m" * 40}
    return {
        provider: (connect(engine, alice, provider), connect(engine, bob, provider, secret=secret))
        for provider, secret in secrets.items()
    }


def _signed(provider, endpoint_path, secret):
    """A valid request for the provider, signed with `secret`, sent to `endpoint_path`."""
    if provider == "vapi":
        return encode(vapi_end_of_call_report()), vapi_headers(secret)
    if provider == "twilio":
        url = get_settings().public_base_url.rstrip("/") + endpoint_path
        return twilio_request(secret, url, twilio_sms("SM-iso"))
    body = encode(make_event("automation.run", {"status": "success"}))
    return body, make_headers(secret, body)


@pytest.mark.parametrize("provider", ["vapi", "twilio", "make"])
def test_alices_token_with_bobs_secret_is_refused(client, engine, alice_and_bob, provider):
    alice, bob = alice_and_bob[provider]
    body, headers = _signed(provider, alice.path, bob.secret)
    response = client.post(alice.path, content=body, headers=headers)
    assert response.status_code == 403
    [row] = audit_rows(engine, alice.user_id)
    assert (row.status, row.reason) == ("rejected", "bad signature")
    assert audit_rows(engine, bob.user_id) == []
    assert record_counts(engine, alice.user_id) == NOTHING
    assert record_counts(engine, bob.user_id) == NOTHING


@pytest.mark.parametrize(
    ("provider", "model"), [("vapi", CallLog), ("twilio", Activity), ("make", AutomationLog)]
)
def test_events_and_records_land_only_in_the_token_owners_data(
    client, engine, alice_and_bob, provider, model
):
    alice, bob = alice_and_bob[provider]
    body, headers = _signed(provider, bob.path, bob.secret)
    assert client.post(bob.path, content=body, headers=headers).status_code == 200
    assert [row.status for row in audit_rows(engine, bob.user_id)] == ["accepted"]
    assert len(owned(engine, bob.user_id, model)) == 1
    assert audit_rows(engine, alice.user_id) == []
    assert record_counts(engine, alice.user_id) == NOTHING


def test_the_same_event_sent_to_both_tenants_is_accepted_by_each(client, engine, alice_and_bob):
    alice, bob = alice_and_bob["vapi"]
    body = encode(vapi_end_of_call_report("call-shared"))
    for endpoint in (alice, bob):
        response = client.post(endpoint.path, content=body, headers=vapi_headers(endpoint.secret))
        assert response.json()["status"] == "accepted"
    for endpoint in (alice, bob):
        [call] = owned(engine, endpoint.user_id, CallLog)
        [lead] = owned(engine, endpoint.user_id, Lead)
        assert call.lead_id == lead.id and call.user_id == endpoint.user_id
