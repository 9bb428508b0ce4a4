"""POST /api/webhooks/{vapi,twilio,make}/{token}: provider events in, verified, audited, applied.

In order: size (over 256 KiB: 413, from Content-Length or while streaming,
before anything else is read), token (404), signature (401/403), timestamp
(401), shape (400/415/422), then one committed unit of work, then 2xx. A
database that cannot be reached answers 503, so the provider retries.
The pipeline itself is in webhook_pipeline; this module speaks HTTP.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from crm_app.api import webhook_openapi as spec
from crm_app.api.limits import BodyTooLarge, read_limited_body
from crm_app.api.webhook_pipeline import (
    Answer,
    audit_unread,
    handle_delivery,
    reject_oversized,
)
from crm_app.core.config import get_settings
from crm_app.core.db import is_database_unavailable
from crm_app.models.base import utcnow
from crm_app.services.webhook_types import (
    MAX_BODY_BYTES,
    PROVIDER_NAMES,
    PROVIDERS,
    Delivery,
)

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
RETRY_AFTER_SECONDS = "30"
# Deliveries applied at once (each in a worker thread holding a pooled connection);
# the others wait their turn in order. More threads than this only contend for
# the GIL, and more connections than the pool keeps (5) are opened and closed
# per request: both cost throughput and stretch the slowest answers.
PARALLEL_DELIVERIES = 4
_slots = anyio.CapacityLimiter(PARALLEL_DELIVERIES)


async def _in_thread(function: Any, **arguments: Any) -> Any:
    """Run a blocking pipeline step in a worker thread, within the webhook slots."""
    return await anyio.to_thread.run_sync(partial(function, **arguments), limiter=_slots)


def public_url(request: Request) -> str:
    """The URL the provider called, as it saw it: the public base URL, path and query."""
    base = get_settings().public_base_url.rstrip("/")
    query = request.url.query
    return f"{base}{request.url.path}" + (f"?{query}" if query else "")


async def receive(request: Request, provider: str, token: str) -> Response:
    """Run one request through the pipeline and turn its answer into an HTTP response."""
    received_at = utcnow()
    try:
        try:
            body = await read_limited_body(request, MAX_BODY_BYTES)
        except BodyTooLarge as too_large:
            answer = await _in_thread(
                reject_oversized,
                provider=provider,
                token=token,
                size=too_large.size,
                received_at=received_at,
            )
            return _error(answer)
        delivery = Delivery(
            provider=provider,
            headers={name.lower(): value for name, value in request.headers.items()},
            body=body,
            public_url=public_url(request),
            received_at=received_at,
        )
        answer = await _in_thread(handle_delivery, token=token, delivery=delivery)
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        # One line, no traceback: the provider retries, the operator sees why.
        logger.warning("webhook answered 503: database unavailable (%s)", type(error).__name__)
        return JSONResponse(
            {"detail": "database unavailable, retry later"},
            status_code=503,
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    if answer.outcome is None:
        return _error(answer)
    return _success(provider, answer)


def _error(answer: Answer) -> Response:
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if answer.status_code == 503 else None
    return JSONResponse({"detail": answer.reason}, status_code=answer.status_code, headers=headers)


def _success(provider: str, answer: Answer) -> Response:
    outcome = answer.outcome
    assert outcome is not None
    if provider == "twilio":
        return Response(EMPTY_TWIML, media_type="text/xml")
    if provider == "vapi" and outcome.event_type == "tool-calls":
        return JSONResponse({"results": outcome.result.get("results", [])})
    content: dict[str, Any] = {"status": outcome.status, "event_id": outcome.event_id}
    return JSONResponse(content)


@router.post(
    "/vapi/{token}",
    summary="Vapi server messages",
    openapi_extra=spec.body("application/json", spec.VAPI_MESSAGE),
    responses=spec.VAPI_RESPONSES,
)
async def vapi_webhook(token: str, request: Request) -> Response:
    """End-of-call reports, status updates and tool calls from a Vapi assistant."""
    return await receive(request, "vapi", token)


@router.post(
    "/twilio/{token}",
    summary="Twilio voice status callbacks and inbound SMS",
    openapi_extra=spec.body("application/x-www-form-urlencoded", spec.TWILIO_FORM),
    responses=spec.TWILIO_RESPONSES,
)
async def twilio_webhook(token: str, request: Request) -> Response:
    """Form-encoded callbacks signed with X-Twilio-Signature; answered with empty TwiML."""
    return await receive(request, "twilio", token)


@router.post(
    "/make/{token}",
    summary="Make.com scenario events",
    openapi_extra=spec.body("application/json", spec.MAKE_EVENT),
    responses=spec.MAKE_RESPONSES,
)
async def make_webhook(token: str, request: Request) -> Response:
    """lead.upsert, contact.upsert and automation.run events from a Make.com scenario."""
    return await receive(request, "make", token)


@router.api_route(
    "/{provider}/{token}",
    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def not_a_post(provider: str, token: str, request: Request) -> Response:
    """A webhook URL opened in a browser, or called with another method: say what it is for.

    Without this route the request would fall through to the pages, whose
    "page not found" suggests the URL is wrong. The token is looked up only
    for a request that carries Twilio's signature header (Twilio lets a
    callback's method be GET; the signature is not checked, as nothing is
    applied): its refusal goes on the owner's audit trail, saying what to
    change in Twilio, and counts toward the trail's cap on noise like any other.
    A POST gets here only for a provider there is no route for: 404.
    """
    if provider not in PROVIDERS or request.method == "POST":
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    if provider == "twilio" and "x-twilio-signature" in request.headers:
        await _audit_twilio_method(token, request.method)
    name = PROVIDER_NAMES[provider]
    detail = (
        f"This is a webhook URL: it receives {name}'s events as POST requests. "
        f"Paste it into {name}, not into a browser."
    )
    return JSONResponse({"detail": detail}, status_code=405, headers={"Allow": "POST"})


async def _audit_twilio_method(token: str, method: str) -> None:
    reason = (
        f"sent with {method[:10]}, not POST: in Twilio, set this webhook's method "
        "(or the status callback's) to HTTP POST"
    )
    try:
        await _in_thread(
            audit_unread, provider="twilio", token=token, reason=reason, size=0, at=utcnow()
        )
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        # The 405 says what to change all the same.
        logger.warning("a Twilio %s went unaudited: database unavailable", method[:10])
