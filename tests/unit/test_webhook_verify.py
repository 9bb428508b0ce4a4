"""Signature checks per provider, against the providers' own reference implementations."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook
from twilio.request_validator import RequestValidator

from crm_app.core.crypto import Secret
from crm_app.services.webhook_types import WebhookRejected
from crm_app.services.webhook_verify import (
    HMAC_KEY_NOT_SAVED,
    NOT_CONFIGURED,
    SERVER_KEY_NOT_SAVED,
    make_signing_key,
    twilio_params,
    vapi_hmac_signature,
    verify_make,
    verify_twilio,
    verify_vapi,
)
from tests.webhook_senders import twilio_signature, whsec

SERVER = Secret("server-secret-123456")
HMAC_KEY = Secret("hmac-secret-abcdef")
BODY = b'{"message": {"type": "status-update"}}'


def _reason(check, /, **arguments) -> tuple[int, str]:
    """The status code and reason with which the check refuses these arguments."""
    with pytest.raises(WebhookRejected) as caught:
        check(**arguments)
    return caught.value.status_code, caught.value.reason


# --- Vapi


@pytest.mark.parametrize(
    "headers",
    [
        {"x-vapi-secret": "server-secret-123456"},
        {"authorization": "Bearer server-secret-123456"},
        {"authorization": "server-secret-123456"},  # a bearer credential with its prefix off
    ],
)
def test_vapi_accepts_the_server_secret_in_either_header(headers):
    verify_vapi(headers=headers, body=BODY, server_secret=SERVER, hmac_secret=None)


@pytest.mark.parametrize("millis", [False, True])
def test_vapi_accepts_an_hmac_signature_with_seconds_or_milliseconds(millis):
    now = time.time()
    stamp = str(int(now * 1000)) if millis else str(int(now))
    signature = vapi_hmac_signature(HMAC_KEY.reveal(), stamp, BODY)
    headers = {"x-timestamp": stamp, "x-signature": signature}
    verify_vapi(headers=headers, body=BODY, server_secret=None, hmac_secret=HMAC_KEY, now=now)


@pytest.mark.parametrize("encode", [str, str.upper, "sha256={}".format, "base64"])
def test_vapi_accepts_an_hmac_signature_in_either_of_vapis_encodings(encode):
    now = time.time()
    stamp = str(int(now))
    signature = vapi_hmac_signature(HMAC_KEY.reveal(), stamp, BODY)
    if encode == "base64":
        signature = base64.b64encode(bytes.fromhex(signature)).decode()
    else:
        signature = encode(signature)
    headers = {"x-timestamp": stamp, "x-signature": signature}
    verify_vapi(headers=headers, body=BODY, server_secret=None, hmac_secret=HMAC_KEY, now=now)


def test_a_base64_signature_with_its_case_changed_is_refused():
    stamp = str(int(time.time()))
    signature = base64.b64encode(bytes.fromhex(vapi_hmac_signature(HMAC_KEY.reveal(), stamp, BODY)))
    headers = {"x-timestamp": stamp, "x-signature": signature.decode().swapcase()}
    assert _reason(
        verify_vapi, headers=headers, body=BODY, server_secret=None, hmac_secret=HMAC_KEY
    ) == (403, "bad signature")


@pytest.mark.parametrize(
    ("header", "said"),
    [("X-Vapi-Signature", "as x-vapi-signature"), ("x-my-signature-7", "in another header")],
)
def test_a_signature_in_a_header_of_its_own_says_which_header_to_use(header, said):
    headers = {header: "ab" * 32}
    status, reason = _reason(
        verify_vapi, headers=headers, body=BODY, server_secret=None, hmac_secret=HMAC_KEY
    )
    assert status == 401
    assert reason.startswith(f"missing signature: a signature came {said}, not x-signature")
    assert "x-signature, x-timestamp" in reason and "ab" * 32 not in reason


def test_vapi_hmac_covers_the_timestamp_and_every_body_byte():
    stamp = str(int(time.time()))
    signature = vapi_hmac_signature(HMAC_KEY.reveal(), stamp, BODY)
    for body, at in ((BODY[:-1] + b"!", stamp), (BODY, str(int(stamp) + 1))):
        headers = {"x-timestamp": at, "x-signature": signature}
        assert _reason(
            verify_vapi, headers=headers, body=body, server_secret=None, hmac_secret=HMAC_KEY
        ) == (403, "bad signature")


def test_vapi_refuses_a_correctly_signed_but_stale_timestamp():
    now = time.time()
    stamp = str(int(now - 301))
    signature = vapi_hmac_signature(HMAC_KEY.reveal(), stamp, BODY)
    headers = {"x-timestamp": stamp, "x-signature": signature}
    assert _reason(
        verify_vapi, headers=headers, body=BODY, server_secret=None, hmac_secret=HMAC_KEY, now=now
    ) == (401, "stale timestamp: signed over 5 min before it arrived")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, (401, "missing signature")),
        ({"authorization": "Basic abc"}, (401, "missing signature")),
        ({"x-vapi-secret": "server-secret-12345"}, (403, "bad signature")),
        ({"x-signature": "00"}, (401, "missing timestamp")),
    ],
)
def test_vapi_refusals_say_why(headers, expected):
    assert (
        _reason(verify_vapi, headers=headers, body=BODY, server_secret=SERVER, hmac_secret=HMAC_KEY)
        == expected
    )


def test_vapi_without_any_stored_secret_refuses_everything():
    assert _reason(
        verify_vapi,
        headers={"x-vapi-secret": "anything"},
        body=BODY,
        server_secret=None,
        hmac_secret=None,
    ) == (403, NOT_CONFIGURED)


def test_vapi_says_which_secret_is_missing_when_only_the_other_is_saved():
    stamp = str(int(time.time()))
    signed = {"x-timestamp": stamp, "x-signature": vapi_hmac_signature("x", stamp, BODY)}
    cases = [
        ({"x-vapi-secret": SERVER.reveal()}, None, HMAC_KEY, SERVER_KEY_NOT_SAVED),
        ({"authorization": f"Bearer {SERVER.reveal()}"}, None, HMAC_KEY, SERVER_KEY_NOT_SAVED),
        (signed, SERVER, None, HMAC_KEY_NOT_SAVED),
    ]
    for headers, server, hmac_key, reason in cases:
        assert _reason(
            verify_vapi, headers=headers, body=BODY, server_secret=server, hmac_secret=hmac_key
        ) == (403, reason)
    assert "Integrations page" in SERVER_KEY_NOT_SAVED and "Integrations page" in NOT_CONFIGURED


# --- Twilio: the twilio package is the reference


TOKEN = "0123456789abcdef0123456789abcdef"
URL = "https://crm.example.com/api/webhooks/twilio/tok?a=1&a=2&b=x%20y"


def _form(fields):
    from urllib.parse import urlencode

    return twilio_params(urlencode(fields).encode())


def test_twilio_accepts_the_reference_signature_with_query_and_repeated_fields():
    fields = [("CallSid", "CA1"), ("Tag", "b"), ("Tag", "a"), ("Empty", "")]
    signature = twilio_signature(TOKEN, URL, fields)
    verify_twilio(
        headers={"x-twilio-signature": signature},
        public_url=URL,
        params=_form(fields),
        auth_token=Secret(TOKEN),
    )


def test_twilio_signature_with_the_default_port_in_the_url_verifies_too():
    fields = [("CallSid", "CA1")]
    signature = RequestValidator(TOKEN).compute_signature(
        URL.replace("crm.example.com", "crm.example.com:443"), {"CallSid": "CA1"}
    )
    verify_twilio(
        headers={"x-twilio-signature": signature},
        public_url=URL,
        params=_form(fields),
        auth_token=Secret(TOKEN),
    )


@pytest.mark.parametrize(
    "change",
    ["url", "field", "dropped field", "token"],
)
def test_twilio_refuses_any_change(change):
    fields = [("CallSid", "CA1"), ("CallStatus", "ringing")]
    signature = twilio_signature(TOKEN, URL, fields)
    url, token, sent = URL, TOKEN, list(fields)
    if change == "url":
        url = URL.replace("https://crm.example.com", "http://10.0.0.5:8000")
    elif change == "field":
        sent[1] = ("CallStatus", "completed")
    elif change == "dropped field":
        sent = sent[:1]
    else:
        token = "f" * 32
    assert _reason(
        verify_twilio,
        headers={"x-twilio-signature": signature},
        public_url=url,
        params=_form(sent),
        auth_token=Secret(token),
    ) == (403, "bad signature")


def test_twilio_without_a_signature_header_is_401():
    assert _reason(
        verify_twilio, headers={}, public_url=URL, params=_form([]), auth_token=Secret(TOKEN)
    ) == (401, "missing signature")


def test_twilio_params_refuses_a_flood_of_fields():
    assert _reason(twilio_params, body=b"&".join([b"a=1"] * 1001)) == (
        400,
        "too many form fields",
    )


# --- Make.com: the standardwebhooks package is the reference

MAKE_SECRET = "app-generated-endpoint-secret-abcdefghijkl"


def _standard_headers(secret: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
    at = at or datetime.now(UTC)
    signature = Webhook(whsec(secret)).sign("msg_1", at, body.decode())
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def test_the_app_secret_and_its_whsec_form_give_the_same_signing_key():
    assert make_signing_key(MAKE_SECRET) == MAKE_SECRET.encode()
    assert make_signing_key(whsec(MAKE_SECRET)) == MAKE_SECRET.encode()
    unpadded = "whsec_" + base64.b64encode(b"abcd").decode().rstrip("=")
    assert make_signing_key(unpadded) == b"abcd"


def test_make_accepts_a_standard_webhooks_signature():
    verify_make(headers=_standard_headers(MAKE_SECRET, BODY), body=BODY, secret=Secret(MAKE_SECRET))


def test_make_accepts_a_header_listing_several_signatures_if_one_matches():
    headers = _standard_headers(MAKE_SECRET, BODY)
    other = _standard_headers("old-secret-" + "o" * 30, BODY)["webhook-signature"]
    headers["webhook-signature"] = f"v1,bm9wZQ== {other} v2,ignored {headers['webhook-signature']}"
    verify_make(headers=headers, body=BODY, secret=Secret(MAKE_SECRET))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("body", (403, "bad signature")),
        ("secret", (403, "bad signature")),
        ("malformed entry", (403, "bad signature")),
        ("stale", (401, "stale timestamp: signed over 5 min before it arrived")),
        ("future", (401, "stale timestamp: dated ahead of this server's clock")),
        ("garbage timestamp", (401, "malformed timestamp")),
    ],
)
def test_make_refusals_say_why(change, expected):
    body, secret = BODY, MAKE_SECRET
    at = datetime.now(UTC)
    if change == "stale":
        at -= timedelta(minutes=30)
    if change == "future":
        at += timedelta(minutes=30)
    headers = _standard_headers(MAKE_SECRET, BODY, at)
    if change == "body":
        body = BODY.replace(b"status", b"statuz")
    elif change == "secret":
        secret = MAKE_SECRET + "x"
    elif change == "malformed entry":
        headers["webhook-signature"] = "v1"
    elif change == "garbage timestamp":
        headers["webhook-timestamp"] = "soon"
    assert _reason(verify_make, headers=headers, body=body, secret=Secret(secret)) == expected


def test_make_api_key_header_is_compared_exactly():
    verify_make(headers={"x-make-apikey": MAKE_SECRET}, body=BODY, secret=Secret(MAKE_SECRET))
    assert _reason(
        verify_make,
        headers={"x-make-apikey": MAKE_SECRET[:-1]},
        body=BODY,
        secret=Secret(MAKE_SECRET),
    ) == (403, "wrong API key (x-make-apikey)")


def test_a_non_utf8_body_fails_the_make_signature_instead_of_crashing():
    headers = _standard_headers(MAKE_SECRET, BODY)
    assert _reason(verify_make, headers=headers, body=b"\xff\xfe", secret=Secret(MAKE_SECRET)) == (
        403,
        "bad signature",
    )
