"""Headers every page and API answer carries, whichever part of the app made it.

- No other site may show the app in a frame (clickjacking: a page that lays
  the app under its own buttons). X-Frame-Options for older browsers, the
  CSP's frame-ancestors for the rest.
- No guessing a response's type from its content (nosniff).
- Links out of the app (a call's recording, a lead's website) do not tell the
  other site which page of the CRM they were followed from.
- What injected markup could still do is narrowed: no plugins (object-src),
  no <base> tag redirecting the app's relative URLs (base-uri), and forms
  post only to the app itself (form-action), so a form slipped into a page
  cannot send a typed password elsewhere. Scripts and styles are not
  restricted: Reflex's pages run inline and eval'd scripts of their own.
- Served over https (PUBLIC_BASE_URL), browsers are told to keep to it
  (Strict-Transport-Security); on http the header would be ignored anyway.

An ASGI middleware around the pages, the API and the static files alike; a
header a response sets itself is kept.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_app.core.config import get_settings

CONTENT_SECURITY_POLICY = (
    b"frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
# A year, as browsers' preload lists ask; subdomains are not the app's to speak for.
HSTS = (b"strict-transport-security", b"max-age=31536000")


def headers_for(public_base_url: str) -> tuple[tuple[bytes, bytes], ...]:
    """HEADERS, and HSTS when the app is served over https."""
    return HEADERS + ((HSTS,) if public_base_url.lower().startswith("https://") else ())


class SecurityHeaders:
    """Add HEADERS to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = headers_for(get_settings().public_base_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [header for header in self.headers if header[0] not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
