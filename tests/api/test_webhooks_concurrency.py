"""16 senders racing, a quarter of their events duplicated: each stored once, no 5xx."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from crm_app.core.config import get_settings
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
from tests.webhook_state import audit_rows, record_counts

SENDERS = 16
EVENTS_PER_SENDER = 50
DUPLICATED_SHARE = 4  # one send in four repeats an event another send also carries


def _distinct_requests(endpoints, count):
    """Distinct signed requests over the providers: (provider, path, body, headers)."""
    vapi, twilio, make = endpoints
    public = get_settings().public_base_url.rstrip("/")
    requests = []
    for number in range(count):
        unique = uuid.uuid4().hex
        if number % 3 == 0:
            phone = f"+1415555{number % 10_000:04d}"
            body = encode(vapi_end_of_call_report(f"call-{unique}", number=phone))
            requests.append(("vapi", vapi.path, body, vapi_headers(vapi.secret)))
        elif number % 3 == 1:
            fields = twilio_sms(f"SM{unique}", sender=f"+1415556{number % 10_000:04d}")
            body, headers = twilio_request(twilio.secret, public + twilio.path, fields)
            requests.append(("twilio", twilio.path, body, headers))
        else:
            body = encode(make_event("automation.run", {"status": "success"}, execution_id=unique))
            headers = make_headers(make.secret, body, message_id=f"msg_{unique}")
            requests.append(("make", make.path, body, headers))
    return requests


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_racing_senders_with_duplicates_store_every_distinct_event_once(client, engine, make_user):
    owner = make_user().id
    endpoints = [connect(engine, owner, provider) for provider in ("vapi", "twilio", "make")]
    total = SENDERS * EVENTS_PER_SENDER
    repeats_per_round = SENDERS // DUPLICATED_SHARE
    distinct = _distinct_requests(endpoints, total - total // DUPLICATED_SHARE)
    duplicates = total // DUPLICATED_SHARE
    # Round r sends 12 new events and 4 copies of them at the same moment, each
    # from a different sender, so that copies really race; a copy is the same
    # bytes and headers, as a provider's retry would send them.
    fresh_per_round = SENDERS - repeats_per_round
    rounds = []
    for start in range(0, len(distinct), fresh_per_round):
        fresh = distinct[start : start + fresh_per_round]
        slots = fresh + random.sample(fresh, repeats_per_round)
        random.shuffle(slots)
        rounds.append(slots)
    batches = [[slots[sender] for slots in rounds] for sender in range(SENDERS)]

    def sender(batch):
        return [
            client.post(path, content=body, headers=headers).status_code
            for _, path, body, headers in batch
        ]

    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        codes = Counter(code for batch in pool.map(sender, batches) for code in batch)

    assert codes == {200: total}
    statuses = Counter(row.status for row in audit_rows(engine, owner))
    assert statuses == {"accepted": len(distinct), "duplicate": duplicates}
    per_provider = Counter(provider for provider, *_ in distinct)
    counts = record_counts(engine, owner)
    assert counts["call_logs"] == per_provider["vapi"]
    assert counts["activities"] == per_provider["twilio"]
    assert counts["automation_logs"] == per_provider["make"]
    assert counts["leads"] == per_provider["vapi"] + per_provider["twilio"]
