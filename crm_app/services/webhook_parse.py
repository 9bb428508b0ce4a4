"""From a verified delivery to an event: its id (for idempotency), its type and redacted payload.

Only the shape is checked here (400 for a body that is not JSON or a form,
415 for another content type, 422 for a missing or unusable field); what the
fields mean is for the appliers. Event ids, unique per user and provider:

- Vapi: "<call id>:<type>" (+ ":<status>" for status updates, + the tool call
  ids for tool calls; other types add a hash of the body);
- Twilio: "<CallSid>:<SequenceNumber>" for call status, the MessageSid for SMS;
- Make.com: the `webhook-id` header, else "<execution_id>:<event>:<hash of data>".
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from crm_app.services.api_key_formats import CONNECTION_FORMATS
from crm_app.services.webhook_fields import bounded_int, get_path, identifier, text
from crm_app.services.webhook_payloads import load_json, redact
from crm_app.services.webhook_types import (
    Delivery,
    IncomingEvent,
    WebhookCredentials,
    WebhookRejected,
)
from crm_app.services.webhook_verify import (
    TwilioParams,
    twilio_params,
    verify_make,
    verify_twilio,
    verify_vapi,
)

MAX_EVENT_ID_LENGTH = 200  # webhook_events.event_id
MAX_TYPE_LENGTH = 100  # webhook_events.event_type
MAX_ID_LENGTH = 100  # call and execution ids (call_logs, automation_logs)
MAX_TOOL_CALLS = 20
TWILIO_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")  # CA… for a call, SM… or MM… for a message
JSON_TYPES = ("application/json", "text/json")
FORM_TYPE = "application/x-www-form-urlencoded"
# A secret the server stored but cannot open (its master key was removed from the settings).
UNREADABLE = "the stored secret could not be decrypted"

VAPI_END_OF_CALL = "end-of-call-report"
VAPI_STATUS_UPDATE = "status-update"
VAPI_TOOL_CALLS = "tool-calls"
TWILIO_CALL_STATUS = "call.status"
TWILIO_SMS_RECEIVED = "sms.received"
TWILIO_SMS_STATUS = "sms.status"
MAKE_EVENTS = ("lead.upsert", "contact.upsert", "automation.run")


def bounded_event_id(raw: str) -> str:
    """The id as is when it fits the column, else a prefix plus a hash of the whole."""
    if len(raw) <= MAX_EVENT_ID_LENGTH:
        return raw
    return f"{raw[:130]}~{hashlib.sha256(raw.encode()).hexdigest()}"


def _json_object(delivery: Delivery) -> dict[str, Any]:
    content_type = delivery.content_type
    if content_type and content_type not in JSON_TYPES and not content_type.endswith("+json"):
        raise WebhookRejected(415, "expected application/json")
    data = load_json(delivery.body)
    if not isinstance(data, dict):
        raise WebhookRejected(422, "expected a JSON object")
    return data


def _event(
    delivery: Delivery,
    event_id: str,
    event_type: str,
    payload: dict,
    id_names_one_body: bool = False,
) -> IncomingEvent:
    return IncomingEvent(
        provider=delivery.provider,
        event_id=bounded_event_id(event_id),
        event_type=event_type,
        payload=payload,
        size=delivery.size,
        sha256=delivery.sha256,
        id_names_one_body=id_names_one_body,
        received_at=delivery.received_at,
    )


# --- Vapi


def parse_vapi(delivery: Delivery, known_secrets: Iterable[str] = ()) -> IncomingEvent:
    """A Vapi server message: {"message": {"type": ..., "call": {"id": ...}, ...}}."""
    payload = redact(_json_object(delivery), known_secrets)
    message = payload.get("message")
    if not isinstance(message, dict):
        raise WebhookRejected(422, "missing field: message")
    event_type = text(message.get("type"), MAX_TYPE_LENGTH)
    if not event_type:
        raise WebhookRejected(422, "missing field: message.type")
    call_id = identifier(get_path(message, "call", "id"), MAX_ID_LENGTH)
    if event_type == VAPI_END_OF_CALL:
        event_id = f"{_required(call_id, 'message.call.id')}:{event_type}"
    elif event_type == VAPI_STATUS_UPDATE:
        status = text(message.get("status"), 30)
        if not status:
            raise WebhookRejected(422, "missing field: message.status")
        event_id = f"{_required(call_id, 'message.call.id')}:{event_type}:{status}"
    elif event_type == VAPI_TOOL_CALLS:
        calls = vapi_tool_calls(message)
        if not calls:
            raise WebhookRejected(422, "missing field: message.toolCallList")
        ids = ",".join(call["id"] for call in calls)
        event_id = f"{call_id or '-'}:{event_type}:{ids}"
    else:
        # Audited and ignored: the body's hash tells one delivery from another.
        event_id = f"{call_id or '-'}:{event_type}:{delivery.sha256[:32]}"
    return _event(delivery, event_id, event_type, payload)


def _required(value: str | None, name: str) -> str:
    if not value:
        raise WebhookRejected(422, f"missing or invalid field: {name}")
    return value


def vapi_customer(message: dict[str, Any]) -> dict[str, Any]:
    """The customer of the call a Vapi message is about (number, name), or {}."""
    customer = message.get("customer") or get_path(message, "call", "customer")
    return customer if isinstance(customer, dict) else {}


def vapi_tool_calls(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool calls of a tool-calls message: id, name and arguments (an object) of each.

    Vapi sends them as `toolCallList` and again inside `toolWithToolCallList`;
    either is enough. Raises WebhookRejected(422) for more than MAX_TOOL_CALLS
    or an id that is missing or too long.
    """
    raw = message.get("toolCallList")
    if not isinstance(raw, list):
        nested = message.get("toolWithToolCallList")
        raw = [get_path(item, "toolCall") for item in nested] if isinstance(nested, list) else []
    if len(raw) > MAX_TOOL_CALLS:
        raise WebhookRejected(422, f"more than {MAX_TOOL_CALLS} tool calls")
    calls, seen = [], set()
    for item in raw:
        call_id = identifier(get_path(item, "id"), MAX_ID_LENGTH)
        if call_id is None:
            raise WebhookRejected(422, "missing or invalid field: toolCallList[].id")
        if call_id in seen:
            continue
        seen.add(call_id)
        function = get_path(item, "function") or {}
        calls.append(
            {
                "id": call_id,
                "name": text(get_path(function, "name"), 100),
                "arguments": _arguments(get_path(function, "arguments")),
            }
        )
    return calls


def _arguments(value: Any) -> dict[str, Any]:
    """Tool arguments arrive as an object or as a JSON string of one."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return {}
    return value if isinstance(value, dict) else {}


# --- Twilio


def parse_twilio(
    delivery: Delivery, params: dict[str, list[str]], known_secrets: Iterable[str] = ()
) -> IncomingEvent:
    """A voice status callback (CallSid, CallStatus, SequenceNumber) or an SMS (MessageSid)."""
    if delivery.content_type != FORM_TYPE:
        raise WebhookRejected(415, f"expected {FORM_TYPE}")
    flat = {name: values[0] if len(values) == 1 else values for name, values in params.items()}
    payload = redact(flat, known_secrets)

    def first(name: str) -> Any:
        value = payload.get(name)
        return value[0] if isinstance(value, list) else value

    message_sid = _twilio_sid(first("MessageSid") or first("SmsSid"), "MessageSid")
    call_sid = _twilio_sid(first("CallSid"), "CallSid")
    _twilio_sid(first("ParentCallSid"), "ParentCallSid")  # a forwarded leg's call (its id)
    if message_sid:
        if "Body" in payload:
            return _event(delivery, message_sid, TWILIO_SMS_RECEIVED, payload)
        status = text(first("MessageStatus") or first("SmsStatus"), 30) or "-"
        return _event(delivery, f"{message_sid}:{status}", TWILIO_SMS_STATUS, payload)
    if call_sid:
        status = text(first("CallStatus"), 30)
        if not status:
            raise WebhookRejected(422, "missing field: CallStatus")
        sequence = bounded_int(first("SequenceNumber"))
        if sequence is None and first("SequenceNumber") not in (None, ""):
            raise WebhookRejected(422, "SequenceNumber is not a number")
        suffix = str(sequence) if sequence is not None else status
        return _event(delivery, f"{call_sid}:{suffix}", TWILIO_CALL_STATUS, payload)
    raise WebhookRejected(422, "missing field: CallSid or MessageSid")


def _twilio_sid(value: Any, field: str) -> str | None:
    """One of Twilio's ids (two capital letters, 32 hex digits), or None when not sent.

    Twilio signs the fields glued together without separators, so a value
    that may run longer can swallow the next field and stay signed: a captured
    SMS sent again as MessageSid=SM…NumMedia0 without its NumMedia=0 made a
    new event id, and a second message. Ids of Twilio's own shape cannot.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not TWILIO_SID.fullmatch(value):
        raise WebhookRejected(422, f"{field} is not a Twilio id")
    return value


# --- Make.com


def parse_make(delivery: Delivery, known_secrets: Iterable[str] = ()) -> IncomingEvent:
    """The documented contract: {"event", "scenario_id", "execution_id", "occurred_at", "data"}."""
    payload = redact(_json_object(delivery), known_secrets)
    event_type = payload.get("event")
    if not isinstance(event_type, str) or not event_type:
        raise WebhookRejected(422, "missing field: event")
    if event_type not in MAKE_EVENTS:
        raise WebhookRejected(422, f"unknown event type (expected one of {', '.join(MAKE_EVENTS)})")
    data = payload.get("data")
    if data is None:
        raise WebhookRejected(422, "missing field: data (an object)")
    if not isinstance(data, dict):
        # Make maps a JSON string into a field as text: an easy slip in a scenario.
        sent = "text" if isinstance(data, str) else type(data).__name__
        raise WebhookRejected(422, f"invalid field: data must be an object, not {sent}")
    execution_id = payload.get("execution_id")
    if execution_id is not None and identifier(execution_id, MAX_ID_LENGTH) is None:
        raise WebhookRejected(422, "invalid field: execution_id")
    execution_id = identifier(execution_id, MAX_ID_LENGTH)
    if event_type == "automation.run" and execution_id is None:
        raise WebhookRejected(422, "missing field: execution_id")
    scenario_id = payload.get("scenario_id")
    if scenario_id is not None and identifier(scenario_id, MAX_ID_LENGTH) is None:
        raise WebhookRejected(422, "invalid field: scenario_id")
    message_id = identifier(delivery.headers.get("webhook-id"), MAX_EVENT_ID_LENGTH)
    if message_id:
        return _event(delivery, message_id, event_type, payload, id_names_one_body=True)
    event_id = _make_event_id(execution_id, event_type, data)
    return _event(delivery, event_id, event_type, payload)


def _make_event_id(execution_id: str | None, event_type: str, data: dict[str, Any]) -> str:
    """What makes a redelivery of a Make event without a webhook-id the same event.

    (Standard Webhooks' webhook-id, when sent, names the message.) The
    scenario's execution with the same data is a retry of the same step. With
    neither, nothing tells a retry from a new run that sends the same data (a
    lead set back to "contacted" after "qualified"): each delivery is its own event.
    """
    if execution_id is None:
        return f"-:{event_type}:{uuid.uuid4().hex}"
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return f"{execution_id}:{event_type}:{digest}"


# --- Verification, then parsing: the order every route follows


def verify_and_parse(delivery: Delivery, credentials: WebhookCredentials) -> IncomingEvent:
    """The event of a delivery signed with the user's secret; WebhookRejected otherwise.

    A signed request refused for its shape (422) names the fields it did send:
    the audit row keeps no payload, and "missing field: data" alone does not
    show what a Make scenario sent instead.
    """
    # Twilio signs form fields; any other body is signed as no fields (then refused: 415).
    is_form = delivery.provider == "twilio" and delivery.content_type == FORM_TYPE
    params = twilio_params(delivery.body) if is_form else TwilioParams()
    with _naming_the_sender(delivery):
        try:
            _verify(delivery, credentials, params)
        except WebhookRejected as rejection:
            # Refused for want of a secret that is stored but cannot be opened: that is
            # what to mend (503, so the provider tries again meanwhile), not its signature.
            needed = _secrets_it_could_be_checked_with(delivery, credentials.unreadable)
            if needed and rejection.status_code == 403:
                raise WebhookRejected(503, unreadable_reason(needed)) from None
            raise
    return _parse(delivery, (*credentials.revealed(), _url_token(delivery)), params)


def _url_token(delivery: Delivery) -> str:
    """The token of the URL the sender called (its last segment), a secret too: a payload
    may carry that URL (Vapi's tool calls name their server's), and the token is stored
    only as a hash and sealed, never in the clear."""
    return urlsplit(delivery.public_url).path.rstrip("/").rpartition("/")[2]


def _secrets_it_could_be_checked_with(
    delivery: Delivery, unreadable: tuple[str, ...]
) -> tuple[str, ...]:
    """Of the secrets that cannot be opened, those the request's own credential needs:
    Vapi's HMAC secret for a signature, its server secret for a secret sent as a header."""
    if delivery.provider != "vapi":
        return unreadable
    used = {"vapi_hmac"} if "x-signature" in delivery.headers else set()
    if "x-vapi-secret" in delivery.headers or "authorization" in delivery.headers:
        used.add("vapi")
    return tuple(service for service in unreadable if service in used)


def unreadable_reason(services: tuple[str, ...]) -> str:
    """Which stored secrets the server cannot open, by their names on the Integrations page."""
    names = " and ".join(CONNECTION_FORMATS[service].label for service in services)
    return f"{UNREADABLE} ({names})"


def _verify(delivery: Delivery, credentials: WebhookCredentials, params: TwilioParams) -> None:
    if delivery.provider == "vapi":
        verify_vapi(
            headers=delivery.headers,
            body=delivery.body,
            server_secret=credentials.primary,
            hmac_secret=credentials.hmac,
        )
    elif delivery.provider == "twilio":
        verify_twilio(
            headers=delivery.headers,
            public_url=delivery.public_url,
            params=params,
            auth_token=credentials.primary,
        )
    elif delivery.provider == "make":
        verify_make(headers=delivery.headers, body=delivery.body, secret=credentials.primary)
    else:
        raise WebhookRejected(404, "unknown provider")


def _parse(delivery: Delivery, known: list[str], params: TwilioParams) -> IncomingEvent:
    if delivery.provider == "vapi":
        with _naming_the_fields(lambda: _json_field_names(delivery.body)):
            return parse_vapi(delivery, known)
    if delivery.provider == "twilio":
        with _naming_the_fields(lambda: list(params)):
            return parse_twilio(delivery, params, known)
    with _naming_the_fields(lambda: _json_field_names(delivery.body)):
        return parse_make(delivery, known)


# Headers only one provider sends: a request carrying another's was sent to the wrong URL.
_SENDER_HEADERS = {
    "twilio": ("x-twilio-signature",),
    "vapi": ("x-vapi-secret", "x-vapi-signature"),
    "make": ("webhook-signature", "x-make-apikey"),
}
_PROVIDER_NAMES = {"twilio": "Twilio", "vapi": "Vapi", "make": "Make.com"}
# How a refusal's reason ends when it names the provider whose URL the request needed.
SENT_TO_ANOTHER_URL = "URL from the Integrations page instead"


@contextmanager
def _naming_the_sender(delivery: Delivery) -> Iterator[None]:
    """Add to a refused signature which provider's URL the request seems meant for."""
    try:
        yield
    except WebhookRejected as rejection:
        sender = next(
            (
                provider
                for provider, headers in _SENDER_HEADERS.items()
                if provider != delivery.provider and any(h in delivery.headers for h in headers)
            ),
            None,
        )
        if sender is not None and rejection.status_code in (401, 403):
            # Only a hint: anyone holding the URL can send any header.
            name = _PROVIDER_NAMES[sender]
            rejection.reason += (
                f" (it carries a {name} signature header: if you gave {name} this URL, give it "
                f"the {name} {SENT_TO_ANOTHER_URL})"
            )
        raise


# How much of a refused body's field names its reason lists.
_NAMED_FIELDS, _FIELD_NAME_LENGTH = 12, 40


@contextmanager
def _naming_the_fields(field_names: Callable[[], list[str]]) -> Iterator[None]:
    """Add the body's top-level field names to a 422 raised inside (never their values)."""
    try:
        yield
    except WebhookRejected as rejection:
        names = field_names() if rejection.status_code == 422 else []
        if names:
            shown = [text(name, _FIELD_NAME_LENGTH) or "?" for name in names[:_NAMED_FIELDS]]
            more = f" and {len(names) - _NAMED_FIELDS:,} more" if len(names) > _NAMED_FIELDS else ""
            rejection.reason += f"; the body's fields: {', '.join(shown)}{more}"
        raise


def _json_field_names(body: bytes) -> list[str]:
    """The keys of a JSON object body, in order ([] for anything else)."""
    try:
        data = load_json(body)
    except WebhookRejected:
        return []
    return list(data) if isinstance(data, dict) else []
