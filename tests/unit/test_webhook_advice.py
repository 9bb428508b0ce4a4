"""A refused webhook's Details say what to change, for the provider it came to."""

from __future__ import annotations

import pytest

from crm_app.services.webhook_verify import (
    BAD_API_KEY,
    BAD_SIGNATURE,
    HMAC_KEY_NOT_SAVED,
    MISSING_SIGNATURE,
    NOT_CONFIGURED,
    STALE_AGO,
    STALE_AHEAD,
    TWILIO_SHARED_KEY,
)
from crm_app.state.webhook_advice import what_to_do


@pytest.mark.parametrize(
    ("provider", "reason", "words"),
    [
        ("vapi", BAD_SIGNATURE, "Copy the server secret"),
        ("twilio", BAD_SIGNATURE, "exactly the Twilio URL"),
        ("twilio", TWILIO_SHARED_KEY, "Take this URL out of the rule"),
        ("make", BAD_SIGNATURE, "after Regenerate"),
        ("vapi", MISSING_SIGNATURE, "give the server URL a credential"),
        ("twilio", MISSING_SIGNATURE, "did not come from Twilio"),
        ("make", MISSING_SIGNATURE, "add an x-make-apikey header"),
        ("make", BAD_API_KEY, "not the Make secret saved here"),
        ("make", STALE_AGO, "An old delivery resent by hand is refused"),
        ("vapi", STALE_AHEAD, "the sender's clock is wrong"),
        ("make", "body too large", "256 KiB"),
        ("make", "body is not valid JSON", "Raw with content type JSON"),
        ("vapi", "the stored secret could not be decrypted", "ENCRYPTION_KEY"),
    ],
)
def test_a_refusal_says_what_to_change(provider, reason, words) -> None:
    assert words in what_to_do(provider, "rejected", reason)


@pytest.mark.parametrize(
    "reason",
    [
        NOT_CONFIGURED,  # says it already
        HMAC_KEY_NOT_SAVED,
        "missing signature: a signature came as x-vapi-signature, not x-signature; keep ...",
        "bad signature (it carries a Twilio signature header: if you gave Twilio this URL, give "
        "it the Twilio URL from the Integrations page instead)",
        "something new",
    ],
)
def test_a_reason_that_says_what_to_do_gets_nothing_more(reason) -> None:
    assert what_to_do("vapi", "rejected", reason) == ""


def test_only_refusals_get_advice() -> None:
    for status in ("accepted", "duplicate", "failed"):
        assert what_to_do("vapi", status, BAD_SIGNATURE) == ""
