"""Payloads before storage: strict JSON, secrets redacted, text every database accepts."""

from __future__ import annotations

import json
import time

import pytest

from crm_app.services.webhook_payloads import (
    REDACTED,
    dump_payload,
    is_secret_key,
    load_json,
    redact,
    storable_text,
)
from crm_app.services.webhook_types import WebhookRejected
from tests.webhook_senders import (
    LEAKED_TWILIO_API_SECRET,
    LEAKED_TWILIO_TOKEN,
    vapi_end_of_call_report,
)


@pytest.mark.parametrize(
    "key",
    [
        "twilioAuthToken",
        "twilioApiKey",
        "twilioApiSecret",
        "password",
        "api_key",
        "X-Api-Key",
        "clientSecret",
        "Authorization",
        "refresh_token",
        "credentials",
        "privateKey",
        "authKey",
        "signingKey",
        "privKey",
        "bearer",
        "passphrase",
        "pin",
        "PIN",
    ],
)
def test_keys_named_like_secrets_are_secret(key):
    assert is_secret_key(key, "value")


@pytest.mark.parametrize(
    "key",
    [
        "twilioAccountSid",
        "number",
        "summary",
        "apiVersion",
        "keyword",
        "pinned",
        "shipping",
        "key",
        "keys",
        # Named like keys, read by the app: an idempotency key may equal the run's id.
        "idempotency_key",
        "sortKey",
    ],
)
def test_ordinary_keys_are_not(key):
    assert not is_secret_key(key, "value")


def test_long_key_names_are_read_the_same_as_short_ones():
    padding = "x" * 200
    assert is_secret_key(f"{padding}AuthToken", "value")
    assert not is_secret_key(f"{padding}PromptTokens", 812)
    assert not is_secret_key(f"{padding}Summary", "value")


def test_token_counts_are_numbers_not_secrets_but_a_token_string_is():
    assert not is_secret_key("llmPromptTokens", 812)
    assert is_secret_key("llmPromptTokens", "812")
    assert not is_secret_key("maxTokens", 250)
    assert is_secret_key("authToken", 12345)  # one token, whatever its type, is a credential


def test_a_vapi_report_is_stored_without_the_twilio_credentials_it_carries():
    redacted = redact(vapi_end_of_call_report())
    stored = dump_payload(redacted)
    assert LEAKED_TWILIO_TOKEN not in stored and LEAKED_TWILIO_API_SECRET not in stored
    phone_number = redacted["message"]["phoneNumber"]
    assert phone_number["twilioAuthToken"] == REDACTED
    assert phone_number["number"] == "+14155559999"


def test_secrets_nested_in_lists_and_the_users_own_secret_anywhere_are_removed():
    payload = {
        "servers": [{"url": "https://x", "headers": {"Authorization": "Bearer abc"}}],
        "note": "the key is my-own-secret-value, sorry",
    }
    redacted = redact(payload, known_secrets=["my-own-secret-value", "short"])
    assert redacted["servers"][0]["headers"]["Authorization"] == REDACTED
    assert redacted["note"] == f"the key is {REDACTED}, sorry"


def test_a_secret_a_payload_carries_is_cut_out_wherever_else_it_appears():
    report = vapi_end_of_call_report()
    message = report["message"]
    message["artifact"]["transcript"] = f"AI: your token is {LEAKED_TWILIO_TOKEN}, right?"
    message["analysis"]["summary"] = f"Caller read out {LEAKED_TWILIO_API_SECRET}."
    stored = dump_payload(redact(report))
    assert LEAKED_TWILIO_TOKEN not in stored and LEAKED_TWILIO_API_SECRET not in stored
    assert f"AI: your token is {REDACTED}, right?" in stored


def test_header_values_and_url_passwords_are_secret_whatever_their_names():
    # Found by a probe: an assistant's custom server header and a password in its URL were
    # stored in clear, and the webhooks page showed them.
    payload = {
        "server": {
            "url": "https://clinic:S7-urlpass-xyz@example.com/hook",
            "headers": {"X-Custom-Key": "S3-custom-value-xyz", "Content-Type": "application/json"},
        },
        "summary": "Booked via https://a:b@hooks.example.com/x as application/json, not me@x.io.",
    }
    assert redact(payload) == {
        "server": {
            "url": "https://[redacted]@example.com/hook",
            "headers": {"X-Custom-Key": "[redacted]", "Content-Type": "[redacted]"},
        },
        # Header values are not cut out of the text the app stores: most are no secret.
        "summary": "Booked via https://[redacted]@hooks.example.com/x as application/json, "
        "not me@x.io.",
    }


def test_redaction_does_not_change_the_original():
    payload = {"password": "p"}
    redact(payload)
    assert payload == {"password": "p"}


def test_structures_nested_deeper_than_the_limit_are_refused():
    deep: dict = {}
    node = deep
    for _ in range(40):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(WebhookRejected) as caught:
        redact(deep)
    assert caught.value.status_code == 422


def test_nul_characters_and_lone_surrogates_become_storable():
    assert storable_text("a\x00b") == "ab"
    assert storable_text("x\ud800y") == "x?y"
    redacted = redact(json.loads('{"k\\u0000": "\\ud800<script>"}'))
    assert redacted == {"k": "?<script>"}
    dump_payload(redacted).encode("utf-8")


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"NaN", b'{"cost": Infinity}', b"\xff\xfe", b"1" * 5000, b"[" * 100_000],
)
def test_anything_but_strict_json_is_a_400(body):
    with pytest.raises(WebhookRejected) as caught:
        load_json(body)
    assert caught.value.status_code == 400


def test_header_lists_and_secret_name_value_pairs_lose_their_values():
    # Found in review: Make sends headers and query strings as lists of name/value pairs,
    # which no key name marked as secret.
    payload = {
        "request": {
            "headers": [
                {"name": "Authorization", "value": "Bearer S9-make-bearer-xyz"},
                {"name": "Accept", "value": "application/json"},
                "X-Api-Key: S9-raw-header-xyz",
            ],
            "qs": [
                {"key": "api_key", "value": "S9-query-key-xyz", "disabled": False},
                {"Name": "ACCESS_TOKEN", "Value": "S9-aws-style-xyz", "in": "query"},
                {"key": "page", "value": "2"},
            ],
        },
        # A secret header's credential is cut out wherever else it turns up; a plain one's
        # value is not.
        "curl": "curl -H 'Authorization: Bearer S9-make-bearer-xyz' -H 'X: S9-raw-header-xyz'",
        "format": "application/json",
        # Not a pair: a lead whose name happens to read like a secret keeps its value.
        "lead": {"name": "Secretariat Ltd", "value": "premium account", "phone": "+15550100"},
    }
    assert redact(payload) == {
        "request": {
            "headers": [
                {"name": "Authorization", "value": REDACTED},
                {"name": "Accept", "value": REDACTED},
                REDACTED,
            ],
            "qs": [
                {"key": "api_key", "value": REDACTED, "disabled": False},
                {"Name": "ACCESS_TOKEN", "Value": REDACTED, "in": "query"},
                {"key": "page", "value": "2"},
            ],
        },
        "curl": f"curl -H 'Authorization: {REDACTED}' -H 'X: {REDACTED}'",
        "format": "application/json",
        "lead": {"name": "Secretariat Ltd", "value": "premium account", "phone": "+15550100"},
    }


def test_a_form_answer_named_like_a_secret_is_not_cut_out_of_the_lead_it_describes():
    # Found in review: a pair's value was cut out of every other string, and a form asking
    # who the "secretary" is made the lead's own name "[redacted]".
    payload = {
        "data": {
            "name": "Maria Gomez",
            "notes": "Registered Nurse, evenings",
            "answers": [
                {"key": "secretary", "value": "Maria Gomez"},
                {"name": "Credential", "value": "Registered Nurse"},
            ],
        }
    }
    redacted = redact(payload)
    assert redacted["data"]["name"] == "Maria Gomez"
    assert redacted["data"]["notes"] == "Registered Nurse, evenings"
    assert [answer["value"] for answer in redacted["data"]["answers"]] == [REDACTED, REDACTED]


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://clinic:p@ss-S8-xyz@example.com/hook", "https://[redacted]@example.com/hook"),
        ("https://clinic:S8-xyz@example.com?next=a@b", "https://[redacted]@example.com?next=a@b"),
        ("https://example.com/a?who=me:you@x.io", "https://example.com/a?who=me:you@x.io"),
        ("mailto me@x.io, https://example.com/x", "mailto me@x.io, https://example.com/x"),
        # An empty user (Redis, Celery) and a token standing for the user.
        ("redis://:S8-redis-pass@cache:6379/0", "redis://[redacted]@cache:6379/0"),
        ("https://ghp_S8abcdef1234@github.com/o/r", "https://[redacted]@github.com/o/r"),
    ],
)
def test_a_url_user_and_password_are_redacted_up_to_the_last_at_sign_of_its_host(url, stored):
    # Found in review: a password pasted unencoded kept everything after its own "@".
    assert redact({"url": url}) == {"url": stored}


@pytest.mark.parametrize(
    "text",
    ["a" * 250_000 + "://@", "https://" + "a" * 250_000 + " @", "a://" * 60_000 + "@"],
)
def test_looking_for_url_passwords_takes_time_in_proportion_to_the_text(text):
    # Found in review: a long run of letters before "://" took time growing with the square
    # of its length (42 s for 60,000), with the process stalled throughout.
    started = time.perf_counter()
    redact({"summary": text})
    assert time.perf_counter() - started < 5.0  # milliseconds now; minutes before
