"""Is this request really from the provider? One check per provider, over the raw body.

Every comparison is constant-time. Missing credentials get 401, credentials
that do not match get 403, a signed timestamp more than five minutes off gets
401 (SECURITY.md 21-23). Each failure raises WebhookRejected with a reason
that is safe to store: it never quotes a header value or a secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlparse

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook, WebhookVerificationError
from twilio.request_validator import (
    RequestValidator,
    add_port,
    get_signature_algorithm,
    remove_port,
)

from crm_app.core.crypto import Secret
from crm_app.services.webhook_types import TIMESTAMP_TOLERANCE_SECONDS, WebhookRejected

MISSING_SIGNATURE = "missing signature"
BAD_SIGNATURE = "bad signature"
# Twilio signs with a SharedKey of the account's instead of its auth token where a Webhook
# Rule (its webhooks configuration API) matches the URL, and says so in a header.
TWILIO_SHARED_KEY = f"{BAD_SIGNATURE}: signed with a Twilio SharedKey, not the auth token"
BAD_API_KEY = "wrong API key (x-make-apikey)"
STALE_TIMESTAMP = "stale timestamp"
# Which way it was off, not by how much: a reason quoting the sender's value would make
# each request a row of its own, past the trail's cap on noise (webhook_ingest).
STALE_AGO = (
    f"{STALE_TIMESTAMP}: signed over {TIMESTAMP_TOLERANCE_SECONDS // 60} min before it arrived"
)
STALE_AHEAD = f"{STALE_TIMESTAMP}: dated ahead of this server's clock"
NOT_CONFIGURED = "no secret is saved for this provider: save one on the Integrations page"
# Vapi's two ways, each refused for want of its own secret (the other one may be saved).
SERVER_KEY_NOT_SAVED = (
    "signed with a server secret (X-Vapi-Secret or Bearer), but none is saved for Vapi: "
    "save it on the Integrations page"
)
HMAC_KEY_NOT_SAVED = (
    "signed with HMAC (X-Signature), but no Vapi HMAC secret is saved: "
    "save it on the Integrations page"
)
# Epoch values above this are milliseconds, not seconds.
_MILLISECONDS_FROM = 1e11
# Standard Webhooks secrets in their usual form; anything else is used as raw bytes.
WHSEC_PREFIX = "whsec_"
MAX_FORM_FIELDS = 1000


def _same(given: str, expected: str) -> bool:
    """Constant-time equality of two strings (as UTF-8 bytes)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def _check_timestamp(raw: str, now: float) -> None:
    """Seconds or milliseconds since the epoch, within the tolerance of now."""
    try:
        moment = float(raw.strip())
    except ValueError:
        raise WebhookRejected(401, "malformed timestamp") from None
    if not math.isfinite(moment):  # NaN, inf, 1e400
        raise WebhookRejected(401, "malformed timestamp")
    if moment >= _MILLISECONDS_FROM:
        moment /= 1000
    if abs(now - moment) > TIMESTAMP_TOLERANCE_SECONDS:
        raise WebhookRejected(401, STALE_AGO if now > moment else STALE_AHEAD)


# --- Vapi


def vapi_hmac_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of "{timestamp}.{body}": what Vapi's HMAC credential sends as x-signature."""
    return _vapi_hmac(secret, timestamp, body).hex()


def _vapi_hmac(secret: str, timestamp: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).digest()


def _vapi_signature_matches(signature: str, expected: bytes) -> bool:
    """Hex (Vapi's default encoding, "sha256=" allowed before it) or base64 (its other one)."""
    given = signature.strip()
    if given[:7].lower() == "sha256=":
        given = given[7:]
    hex_matches = _same(given.lower(), expected.hex())
    return _same(given, base64.b64encode(expected).decode()) or hex_matches


# Other providers' signatures: the reason names their URL instead (webhook_parse).
_OTHER_SENDERS_SIGNATURES = ("x-twilio-signature", "webhook-signature")


def _missing_vapi_signature(headers: Mapping[str, str]) -> str:
    """Why nothing was found to check, saying so when a signature came in another header.

    The header is named only if it is Vapi's own alternative: the sender picks header
    names, and a reason quoting them would make each request a row of its own.
    """
    names = [name.lower() for name in headers]
    if "x-vapi-signature" in names:
        other = "as x-vapi-signature"
    elif any("signature" in name and name not in _OTHER_SENDERS_SIGNATURES for name in names):
        other = "in another header"
    else:
        return MISSING_SIGNATURE
    return (
        f"{MISSING_SIGNATURE}: a signature came {other}, not x-signature; keep the Vapi HMAC "
        "credential's signature and timestamp headers as Vapi sets them by default "
        "(x-signature, x-timestamp)"
    )


def verify_vapi(
    *,
    headers: Mapping[str, str],
    body: bytes,
    server_secret: Secret | None,
    hmac_secret: Secret | None,
    now: float | None = None,
) -> None:
    """Accept the server secret (X-Vapi-Secret or Authorization) or an HMAC signature."""
    now = time.time() if now is None else now
    signature = headers.get("x-signature")
    presented = headers.get("x-vapi-secret")
    authorization = headers.get("authorization", "").strip()
    if presented is None and authorization:
        # A bearer credential sends "Bearer <secret>", or the secret alone with its prefix off.
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() == "bearer":
            presented = rest.strip()
        elif not rest:
            presented = authorization
    if signature is None and presented is None:
        raise WebhookRejected(401, _missing_vapi_signature(headers))
    if (
        presented is not None
        and server_secret is not None
        and _same(presented, server_secret.reveal())
    ):
        return
    if signature is not None and hmac_secret is not None:
        stamp = headers.get("x-timestamp")
        if stamp is None:
            raise WebhookRejected(401, "missing timestamp")
        if _vapi_signature_matches(signature, _vapi_hmac(hmac_secret.reveal(), stamp, body)):
            _check_timestamp(stamp, now)
            return
    if server_secret is None and hmac_secret is None:
        raise WebhookRejected(403, NOT_CONFIGURED)
    # Only the way that was used is missing its secret: say which, not "bad signature".
    if presented is not None and server_secret is None and signature is None:
        raise WebhookRejected(403, SERVER_KEY_NOT_SAVED)
    if signature is not None and hmac_secret is None and presented is None:
        raise WebhookRejected(403, HMAC_KEY_NOT_SAVED)
    raise WebhookRejected(403, BAD_SIGNATURE)


# --- Twilio


class TwilioParams(dict):
    """Form fields with every value of repeated names, in the shape RequestValidator reads."""

    def getlist(self, name: str) -> list[str]:
        return self[name]


def twilio_params(body: bytes) -> TwilioParams:
    """The form fields of a body (blank values kept: Twilio signs them too)."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8", "replace"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError:
        raise WebhookRejected(400, "too many form fields") from None
    params = TwilioParams()
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def verify_twilio(
    *,
    headers: Mapping[str, str],
    public_url: str,
    params: Mapping[str, list[str]],
    auth_token: Secret | None,
) -> None:
    """X-Twilio-Signature over the public URL Twilio called plus the sorted form fields.

    The `twilio` package's RequestValidator computes the expected signature
    (with and without the default port, as Twilio's own check does); the
    comparison here is constant-time. Twilio's scheme signs no timestamp:
    replays are caught by the event id instead.
    """
    signature = headers.get("x-twilio-signature")
    if not signature:
        raise WebhookRejected(401, MISSING_SIGNATURE)
    if auth_token is None:
        raise WebhookRejected(403, NOT_CONFIGURED)
    settings = headers.get("x-twilio-webhooks-signature-settings")
    algorithm = get_signature_algorithm(settings)
    validator = RequestValidator(auth_token.reveal())
    parsed = urlparse(public_url)
    try:
        candidates = [
            validator.compute_signature(url, params, algorithm)
            for url in (remove_port(parsed), add_port(parsed))
        ]
    except ValueError:  # an algorithm the package does not know
        raise WebhookRejected(403, BAD_SIGNATURE) from None
    if not any(_same(signature.strip(), expected) for expected in candidates):
        raise WebhookRejected(403, TWILIO_SHARED_KEY if _names_a_key(settings) else BAD_SIGNATURE)


def _names_a_key(signature_settings: str | None) -> bool:
    """Whether X-Twilio-Webhooks-Signature-Settings names a SharedKey ("key=...,algorithm=")."""
    parts = (part.partition("=") for part in (signature_settings or "").split(","))
    return any(name.strip() == "key" and value.strip() for name, _, value in parts)


# --- Make.com


def make_signing_key(secret: str) -> bytes:
    """The HMAC key of a Make.com endpoint secret.

    A secret in Standard Webhooks form ("whsec_" + base64) is its decoded
    bytes; any other secret (the app generates URL-safe ones) is its UTF-8
    bytes, so its whsec_ form is "whsec_" + base64(secret). See docs/make-events.md.
    """
    if secret.startswith(WHSEC_PREFIX):
        # As the package decodes it: standard base64, padding optional.
        return base64.b64decode(secret.removeprefix(WHSEC_PREFIX) + "==")
    return secret.encode("utf-8")


def verify_make(
    *,
    headers: Mapping[str, str],
    body: bytes,
    secret: Secret | None,
) -> None:
    """Standard Webhooks signature (any of several `v1,` entries), or x-make-apikey."""
    signature = headers.get("webhook-signature")
    api_key = headers.get("x-make-apikey")
    if signature is None and api_key is None:
        raise WebhookRejected(401, MISSING_SIGNATURE)
    if secret is None:
        raise WebhookRejected(403, NOT_CONFIGURED)
    if signature is None:
        if api_key is not None and _same(api_key.strip(), secret.reveal()):
            return
        raise WebhookRejected(403, BAD_API_KEY)
    message_id, stamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
    if not message_id or not stamp:
        raise WebhookRejected(401, "missing webhook-id or webhook-timestamp")
    try:
        Webhook(make_signing_key(secret.reveal())).verify(
            body,
            {"webhook-id": message_id, "webhook-timestamp": stamp, "webhook-signature": signature},
            json_parse=False,
        )
    except (WebhookVerificationError, EmptyWebhookSecretError, ValueError):
        # ValueError: a body that is not UTF-8, or a malformed signature entry.
        # The package checks its own clock first; say which check failed.
        _check_timestamp(stamp, time.time())
        raise WebhookRejected(403, BAD_SIGNATURE) from None
