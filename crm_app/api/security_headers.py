"""Headers every page and API answer carries, whichever part of the app made it.

- No other site may show the app in a frame (clickjacking: a page that lays
  the app under its own buttons). X-Frame-Options for older browsers, the
  CSP's frame-ancestors for the rest.
- No guessing a response's type from its content (nosniff).
- Links out of the app (a call's recording, a lead's website) do not tell the
  other site which page of the CRM they were followed from.

An ASGI middleware around the pages, the API and the static files alike; a
header a response sets itself is kept.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """Add HEADERS to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [header for header in HEADERS if header[0] not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
