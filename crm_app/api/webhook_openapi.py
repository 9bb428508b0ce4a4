"""How the webhook routes appear in /api/openapi.json: bodies, answers and their status codes.

The routes read the raw body themselves (signatures are over the exact
bytes), so FastAPI cannot infer the bodies; they are described here instead.
"""

from __future__ import annotations

from typing import Any

from crm_app.services.webhook_parse import MAKE_EVENTS
from crm_app.services.webhook_types import MAX_BODY_BYTES

_STRING = {"type": "string"}
_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_ACK = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["accepted", "duplicate"]},
        "event_id": {"type": "string"},
    },
    "required": ["status", "event_id"],
}
_TOOL_RESULTS = {
    "type": "object",
    "description": "The answer to a tool-calls message (Vapi reads it mid-call).",
    "properties": {
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"toolCallId": _STRING, "name": _STRING, "result": _STRING},
                "required": ["toolCallId", "name", "result"],
            },
        }
    },
    "required": ["results"],
}

VAPI_MESSAGE = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {
            "type": "object",
            "required": ["type"],
            "properties": {
                "type": {
                    "type": "string",
                    "examples": ["end-of-call-report", "status-update", "tool-calls"],
                },
                "call": {"type": "object", "properties": {"id": _STRING, "type": _STRING}},
                "customer": {"type": "object", "properties": {"number": _STRING, "name": _STRING}},
                "status": _STRING,
                "startedAt": {"type": "string", "format": "date-time"},
                "endedAt": {"type": "string", "format": "date-time"},
                "endedReason": _STRING,
                "cost": {"type": "number"},
                "analysis": {
                    "type": "object",
                    "properties": {"summary": _STRING, "successEvaluation": {}},
                },
                "artifact": {
                    "type": "object",
                    "properties": {"transcript": _STRING, "recordingUrl": _STRING},
                },
                "toolCallList": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": _STRING,
                            "function": {
                                "type": "object",
                                "properties": {"name": _STRING, "arguments": {}},
                            },
                        },
                    },
                },
            },
        }
    },
}

TWILIO_FORM = {
    "type": "object",
    "description": "A voice status callback (CallSid...) or an inbound SMS (MessageSid...).",
    "properties": {
        name: _STRING
        for name in (
            "AccountSid",
            "CallSid",
            "CallStatus",
            "CallDuration",
            "Direction",
            "From",
            "To",
            "RecordingUrl",
            "SequenceNumber",
            "Timestamp",
            "MessageSid",
            "Body",
            "NumMedia",
        )
    },
}

MAKE_EVENT = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": list(MAKE_EVENTS)},
        "scenario_id": {"type": ["string", "integer"]},
        "execution_id": {"type": ["string", "integer"]},
        "occurred_at": {"type": "string", "format": "date-time"},
        "data": {
            "type": "object",
            "description": "Lead or contact fields, or a run (status, error, duration_ms...).",
            "properties": {
                "id": _STRING,
                "name": _STRING,
                "phone": _STRING,
                "email": _STRING,
                "status": _STRING,
                "error": _STRING,
                "duration_ms": {"type": "integer"},
                "lead_id": _STRING,
                "contact_id": _STRING,
            },
        },
    },
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _common_errors(signature: str) -> dict[int | str, dict[str, Any]]:
    return {
        400: _error("The body is not valid JSON or form data."),
        401: _error(f"{signature} missing, or its timestamp more than 5 minutes off."),
        403: _error(f"{signature} does not match the stored secret."),
        404: _error("No webhook URL with this token."),
        413: _error(f"The body is larger than {MAX_BODY_BYTES // 1024} KiB."),
        415: _error("Another content type than the provider sends."),
        422: _error("A required field is missing, or the event could not be applied."),
        503: _error("The database is unavailable; retry later."),
    }


def body(content_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    """openapi_extra describing a required request body."""
    return {"requestBody": {"required": True, "content": {content_type: {"schema": schema}}}}


VAPI_RESPONSES = {
    200: {
        "description": "Committed (or a redelivery). Tool calls are answered with their results.",
        "content": {"application/json": {"schema": {"oneOf": [_ACK, _TOOL_RESULTS]}}},
    },
    **_common_errors("X-Vapi-Secret, Authorization: Bearer or x-signature"),
}
TWILIO_RESPONSES = {
    200: {
        "description": "Committed (or a redelivery): empty TwiML.",
        "content": {"text/xml": {"schema": {"type": "string"}}},
    },
    **_common_errors("X-Twilio-Signature"),
}
MAKE_RESPONSES = {
    200: {
        "description": "Committed (or a redelivery).",
        "content": {"application/json": {"schema": _ACK}},
    },
    **_common_errors("webhook-signature or x-make-apikey"),
    409: _error("The webhook-id was already used by a different event; nothing was applied."),
}
