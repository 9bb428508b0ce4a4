"""What a webhook request becomes on its way in: a delivery, then an event, or a rejection."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PROVIDERS = ("vapi", "twilio", "make")
# As the pages and messages name them.
PROVIDER_NAMES = {"vapi": "Vapi", "twilio": "Twilio", "make": "Make.com"}
# Bodies above this are refused before anything else is done with them (SECURITY.md 20).
MAX_BODY_BYTES = 256 * 1024
# Signed timestamps further than this from our clock are stale (SECURITY.md 22).
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60

# Audit statuses of webhook_events rows.
ACCEPTED, DUPLICATE, REJECTED, FAILED = "accepted", "duplicate", "rejected", "failed"
STATUSES = (ACCEPTED, DUPLICATE, REJECTED, FAILED)


class WebhookRejected(Exception):
    """A request refused before it touched any record; `reason` is safe to store and show."""

    def __init__(self, status_code: int, reason: str) -> None:
        self.status_code, self.reason = status_code, reason
        super().__init__(f"{status_code}: {reason}")


@dataclass(frozen=True)
class Delivery:
    """One request as received: headers lower-cased, the raw body, the URL the sender called."""

    provider: str
    headers: Mapping[str, str]
    body: bytes = field(repr=False)
    public_url: str
    received_at: datetime

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def size(self) -> int:
        return len(self.body)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class WebhookCredentials:
    """The secrets a provider's requests are checked with (None: not configured)."""

    primary: Any = field(default=None, repr=False)  # crypto.Secret
    hmac: Any = field(default=None, repr=False)  # Vapi's HMAC credential secret
    # Services whose stored secret could not be opened (None above): a request that
    # needed one is told so, and one that used the other still gets through.
    unreadable: tuple[str, ...] = ()

    def revealed(self) -> list[str]:
        """Every configured secret, for redaction of payloads that echo one."""
        return [secret.reveal() for secret in (self.primary, self.hmac) if secret is not None]


@dataclass(frozen=True)
class IncomingEvent:
    """A verified, parsed event ready to apply; `payload` is already redacted."""

    provider: str
    event_id: str
    event_type: str
    payload: dict[str, Any] = field(repr=False)
    size: int = 0
    sha256: str = ""
    # The sender chose the id (Standard Webhooks' webhook-id): a redelivery repeats the
    # body byte for byte, so another body under the id is another event, not a retry.
    id_names_one_body: bool = False
    # When it first arrived: what dates a record the payload gives no time for (an SMS),
    # applied now or replayed days later.
    received_at: datetime | None = None


@dataclass(frozen=True)
class IngestOutcome:
    """What became of an event: accepted or duplicate, its audit row, and what it produced."""

    status: str
    row_id: Any  # uuid.UUID of the webhook_events row
    event_id: str
    event_type: str
    result: dict[str, Any] = field(default_factory=dict)
