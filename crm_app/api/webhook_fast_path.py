"""Webhook deliveries answered ahead of FastAPI: the same handler, without the framework around it.

Every webhook POST went through FastAPI's middleware, routing and parameter
handling (and a second Starlette app's) before the pipeline began: as much
CPU as the floor benchmark spends on a whole request (docs/performance.md).
This ASGI middleware, outermost of the app's transformers, matches the three
webhook routes itself and calls the very function their FastAPI routes call
(webhooks.receive), so both give the same answers; everything else, other
methods and unknown providers included, goes on to FastAPI and the pages.
The FastAPI routes stay: they document the webhooks in the OpenAPI schema.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from crm_app.api import webhooks
from crm_app.services.webhook_types import PROVIDERS

# POST /api/webhooks/{provider}/{token}, as webhooks.router declares them; with a trailing
# slash too, as a URL pasted into a provider's form sometimes gets one (FastAPI answered
# those 405, and the request reached no audit trail).
_ROUTE = re.compile(rf"{webhooks.router.prefix}/({'|'.join(PROVIDERS)})/([^/]+)/?")


class WebhookFastPath:
    """Answer POSTs to the webhook routes directly; pass every other request on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            route = _ROUTE.fullmatch(scope["path"])
            if route is not None:
                provider, token = route.groups()
                response = await webhooks.receive(Request(scope, receive), provider, token)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
