"""Plausibility checks on keys before they are sealed: clear messages that never quote the key."""

from __future__ import annotations

import pytest

from crm_app.services.api_key_formats import (
    check_public_value,
    check_secret,
    check_service_name,
)
from crm_app.services.errors import InvalidInput

TWILIO_TOKEN = "0123456789abcdef0123456789abcdef"
TWILIO_SID = "AC" + "0123456789abcdef" * 2


@pytest.mark.parametrize(
    ("service", "raw"),
    [
        ("vapi", "vapi-server-secret-1"),
        ("vapi_hmac", "hmac-secret-abcdef"),
        ("twilio", TWILIO_TOKEN),
        ("twilio", TWILIO_TOKEN.upper()),
        ("make", "A" * 43),
        ("webhook_token_vapi", "x-_" * 15),
    ],
)
def test_plausible_keys_are_accepted_unchanged(service: str, raw: str) -> None:
    assert check_secret(service, raw) == raw


def test_surrounding_whitespace_from_a_paste_is_trimmed() -> None:
    assert check_secret("vapi", "  vapi-server-secret-1\n") == "vapi-server-secret-1"


@pytest.mark.parametrize(
    ("service", "raw", "expected"),
    [
        ("vapi", "", "is required"),
        ("vapi", "   \n", "is required"),
        ("vapi", "sk-7f3a", "too short"),
        ("vapi", "x" * 513, "too long"),
        ("vapi", "two words here", "spaces"),
        ("vapi", "line\nbreak-inside", "line breaks"),
        ("vapi", "tab\there-inside", "spaces"),
        ("vapi", "caf\u00e9-secret-key", "non-ASCII"),
        ("vapi", "nul\x00-byte-secret", "spaces"),
        ("twilio", TWILIO_TOKEN[:-1], "too short"),
        ("twilio", TWILIO_TOKEN + "0", "too long"),
        ("twilio", "g" * 32, "32 hexadecimal characters"),
        ("make", "not/url-safe" * 4, "letters, digits"),
    ],
)
def test_implausible_keys_get_a_clear_message_that_does_not_quote_them(
    service: str, raw: str, expected: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_secret(service, raw)
    message = raised.value.errors["api_key"]
    assert expected in message
    if raw.strip():
        assert raw.strip() not in str(raised.value)


def test_a_non_string_key_is_refused_as_missing() -> None:
    with pytest.raises(InvalidInput, match="is required"):
        check_secret("vapi", None)  # type: ignore[arg-type]


@pytest.mark.parametrize("service", ["stripe", "", "VAPI", "vapi|admin"])
def test_unknown_services_cannot_be_saved(service: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_secret(service, "vapi-server-secret-1")
    assert "service" in raised.value.errors


@pytest.mark.parametrize("service", ["", "Vapi", "vapi|admin", "a" * 41, "vapi\n", "1vapi"])
def test_malformed_service_names_are_refused(service: str) -> None:
    with pytest.raises(InvalidInput):
        check_service_name(service)


def test_the_twilio_account_sid_is_required_and_checked() -> None:
    assert check_public_value("twilio", f" {TWILIO_SID} ") == TWILIO_SID
    for bad in ("", "AC123", "SK" + TWILIO_SID[2:], TWILIO_SID + "0", TWILIO_SID[:-1] + "z"):
        with pytest.raises(InvalidInput) as raised:
            check_public_value("twilio", bad)
        assert "account_sid" in raised.value.errors


def test_other_services_have_no_public_part() -> None:
    assert check_public_value("vapi", "") == ""
    with pytest.raises(InvalidInput):
        check_public_value("vapi", TWILIO_SID)
