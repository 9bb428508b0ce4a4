"""Playing the providers in tests: real-shaped payloads, signed the way each provider signs.

Signatures come from the providers' own libraries where there is one
(twilio's RequestValidator, standardwebhooks' Webhook), so the app is checked
against the reference, not against a copy of its own code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook
from twilio.request_validator import RequestValidator

from crm_app.core.crypto import Keyring
from crm_app.core.db import tenant_session
from crm_app.services.vault import save_api_key
from crm_app.services.webhook_endpoints import regenerate_endpoint

VAPI_SECRET = "vapi-server-secret-" + "x" * 16
VAPI_HMAC_SECRET = "vapi-hmac-credential-" + "y" * 16
TWILIO_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
TWILIO_ACCOUNT_SID = "AC" + "1" * 32
# What Vapi puts inside phoneNumber: the Twilio account's credentials.
LEAKED_TWILIO_TOKEN = "f" * 32
LEAKED_TWILIO_API_SECRET = "twilio-api-secret-" + "z" * 20


@dataclass(frozen=True)
class Endpoint:
    """One user's webhook URL for a provider and the secret its requests are signed with."""

    provider: str
    token: str
    secret: str
    user_id: uuid.UUID

    @property
    def path(self) -> str:
        return f"/api/webhooks/{self.provider}/{self.token}"


def connect(
    engine: sa.Engine,
    user_id: uuid.UUID,
    provider: str,
    *,
    secret: str | None = None,
    keyring: Keyring | None = None,
) -> Endpoint:
    """Store the provider's secret in the user's vault and make their webhook URL."""
    with tenant_session(user_id, engine) as session:
        token = regenerate_endpoint(
            session=session, user_id=user_id, provider=provider, keyring=keyring
        )
        if provider == "vapi":
            secret = secret or VAPI_SECRET
            save_api_key(
                session=session, user_id=user_id, service="vapi", raw_key=secret, keyring=keyring
            )
            save_api_key(
                session=session,
                user_id=user_id,
                service="vapi_hmac",
                raw_key=VAPI_HMAC_SECRET,
                keyring=keyring,
            )
        elif provider == "twilio":
            secret = secret or TWILIO_AUTH_TOKEN
            save_api_key(
                session=session,
                user_id=user_id,
                service="twilio",
                raw_key=secret,
                public_value=TWILIO_ACCOUNT_SID,
                keyring=keyring,
            )
        else:
            secret = secret or secrets.token_urlsafe(32)
            save_api_key(
                session=session, user_id=user_id, service="make", raw_key=secret, keyring=keyring
            )
    return Endpoint(provider=provider, token=token, secret=secret, user_id=user_id)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- Vapi


def vapi_end_of_call_report(
    call_id: str | None = None,
    *,
    number: str = "+14155550123",
    name: str = "Ada Caller",
    seconds: int = 95,
    with_twilio_credentials: bool = True,
) -> dict[str, Any]:
    """An end-of-call-report as Vapi sends it (no duration field: it is endedAt - startedAt)."""
    call_id = call_id or f"call-{uuid.uuid4()}"
    started = datetime(2026, 3, 2, 14, 0, 5, 250_000, tzinfo=UTC)
    phone_number: dict[str, Any] = {"id": "pn-1", "number": "+14155559999", "provider": "twilio"}
    if with_twilio_credentials:
        phone_number.update(
            twilioAccountSid=TWILIO_ACCOUNT_SID,
            twilioAuthToken=LEAKED_TWILIO_TOKEN,
            twilioApiKey="SK" + "2" * 32,
            twilioApiSecret=LEAKED_TWILIO_API_SECRET,
        )
    return {
        "message": {
            "type": "end-of-call-report",
            "timestamp": 1772460100000,
            "endedReason": "customer-ended-call",
            "call": {
                "id": call_id,
                "orgId": "org-1",
                "type": "inboundPhoneCall",
                "status": "ended",
                "customer": {"number": number, "name": name},
            },
            "phoneNumber": phone_number,
            "customer": {"number": number, "name": name},
            "startedAt": iso(started),
            "endedAt": iso(started + timedelta(seconds=seconds)),
            "cost": 0.1234,
            "costBreakdown": {"llm": 0.05, "llmPromptTokens": 812, "llmCompletionTokens": 95},
            "analysis": {"summary": "Wants a quote for 3 seats.", "successEvaluation": "true"},
            "artifact": {
                "transcript": "AI: Hello!\nUser: Hi, I'd like a quote.",
                "recordingUrl": f"https://storage.vapi.ai/{call_id}-mono.wav",
                "messages": [{"role": "bot", "message": "Hello!"}],
            },
        }
    }


def vapi_status_update(call_id: str, status: str, number: str = "+14155550123") -> dict:
    return {
        "message": {
            "type": "status-update",
            "status": status,
            "call": {"id": call_id, "type": "inboundPhoneCall", "customer": {"number": number}},
        }
    }


def vapi_tool_calls(call_id: str, *calls: tuple[str, str, dict[str, Any]]) -> dict:
    """A tool-calls message; each call is (tool call id, function name, arguments)."""
    items = [
        {"id": tool_id, "type": "function", "function": {"name": name, "arguments": arguments}}
        for tool_id, name, arguments in calls
    ]
    return {
        "message": {
            "type": "tool-calls",
            "call": {"id": call_id, "customer": {"number": "+14155550177"}},
            "toolCallList": items,
            "toolWithToolCallList": [
                {
                    "type": "function",
                    "function": {"name": item["function"]["name"]},
                    "toolCall": item,
                }
                for item in items
            ],
        }
    }


def encode(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def vapi_headers(secret: str, *, scheme: str = "x-vapi-secret") -> dict[str, str]:
    if scheme == "bearer":
        return {"content-type": "application/json", "authorization": f"Bearer {secret}"}
    return {"content-type": "application/json", "x-vapi-secret": secret}


def vapi_hmac_headers(
    body: bytes, *, secret: str = VAPI_HMAC_SECRET, at: float | None = None, millis: bool = False
) -> dict[str, str]:
    moment = time.time() if at is None else at
    stamp = str(int(moment * 1000)) if millis else str(int(moment))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"content-type": "application/json", "x-timestamp": stamp, "x-signature": digest}


# --- Twilio


def twilio_sid(label: str) -> str:
    """A Twilio id of Twilio's shape (CA + 32 hex digits) named by a test's label ("CA9");
    an id already of that shape is kept."""
    if re.fullmatch(r"[A-Z]{2}[0-9a-fA-F]{32}", label):
        return label
    return label[:2] + hashlib.sha256(label.encode()).hexdigest()[:32]


def twilio_status(
    call_sid: str, status: str, sequence: int, *, duration: int | None = None
) -> list[tuple[str, str]]:
    """A voice status callback's form fields, in Twilio's names (the id: twilio_sid)."""
    call_sid = twilio_sid(call_sid)
    fields = [
        ("AccountSid", TWILIO_ACCOUNT_SID),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", call_sid),
        ("CallStatus", status),
        ("Direction", "inbound"),
        ("From", "+14155550142"),
        ("To", "+14155559999"),
        ("CallerName", ""),
        ("SequenceNumber", str(sequence)),
        ("Timestamp", "Mon, 02 Mar 2026 14:00:05 +0000"),
        ("CallbackSource", "call-progress-events"),
    ]
    if duration is not None:
        fields += [
            ("CallDuration", str(duration)),
            ("RecordingUrl", f"https://api.twilio.com/r/{call_sid}"),
        ]
    return fields


def twilio_sms(message_sid: str, *, sender: str = "+14155550166", body: str = "Hi there") -> list:
    message_sid = twilio_sid(message_sid)
    return [
        ("AccountSid", TWILIO_ACCOUNT_SID),
        ("ApiVersion", "2010-04-01"),
        ("MessageSid", message_sid),
        ("SmsSid", message_sid),
        ("SmsStatus", "received"),
        ("From", sender),
        ("To", "+14155559999"),
        ("Body", body),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
    ]


def twilio_signature(
    auth_token: str, url: str, fields: list[tuple[str, str]], algorithm: str | None = None
) -> str:
    """X-Twilio-Signature as the twilio package computes it (repeated names kept); algorithm
    as a Webhook Setting names it (HMAC_SHA256), else Twilio's default HMAC-SHA1."""
    params: dict[str, list[str]] = {}
    for name, value in fields:
        params.setdefault(name, []).append(value)

    class MultiDict(dict):
        def getlist(self, key: str) -> list[str]:
            return self[key]

    return RequestValidator(auth_token).compute_signature(url, MultiDict(params), algorithm)


def twilio_request(
    auth_token: str, public_url: str, fields: list[tuple[str, str]]
) -> tuple[bytes, dict[str, str]]:
    body = urlencode(fields).encode()
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": twilio_signature(auth_token, public_url, fields),
    }
    return body, headers


# --- Make.com


def make_event(event: str, data: dict[str, Any], *, execution_id: str | None = None) -> dict:
    return {
        "event": event,
        "scenario_id": 4242,
        "execution_id": execution_id or uuid.uuid4().hex,
        "occurred_at": "2026-03-02T14:00:05Z",
        "data": data,
    }


def whsec(secret: str) -> str:
    """The Standard Webhooks form of an app-generated endpoint secret (docs/make-events.md)."""
    return "whsec_" + base64.b64encode(secret.encode()).decode()


def make_headers(
    secret: str, body: bytes, *, message_id: str | None = None, at: datetime | None = None
) -> dict[str, str]:
    """Standard Webhooks headers, signed by the standardwebhooks package itself."""
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    moment = at or datetime.now(UTC)
    signature = Webhook(whsec(secret)).sign(message_id, moment, body.decode())
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
