"""The Reflex app: the HTTP API in front, the pages behind."""

import reflex as rx

from crm_app import pages
from crm_app.api.app import build_api
from crm_app.api.security_headers import SecurityHeaders
from crm_app.api.uploads import UploadSessionCheck
from crm_app.api.webhook_fast_path import WebhookFastPath
from crm_app.core import log_scrub, origin_hint
from crm_app.core.config import get_settings
from crm_app.core.db import ensure_safe_role
from crm_app.state.auth import SessionMiddleware
from crm_app.state.storage import protect_state_files

# First: nothing logged from here on carries a session token or an event's payload.
log_scrub.install()
# A browser refused for its origin: the log line says which setting would accept it.
origin_hint.install(get_settings())
pages.register_all()

# The API in front of the pages; uploads checked against their own request's cookie;
# webhook deliveries answered first of all, ahead of FastAPI (each is a wrapper of the last).
app = rx.App(
    api_transformer=[build_api(), UploadSessionCheck, SecurityHeaders, WebhookFastPath],
    # Focus rings that can be seen, and the skip link (assets/crm.css).
    stylesheets=["/crm.css"],
    # Page changes told to screen readers (assets/announce_page.js).
    head_components=[rx.el.script(src="/announce_page.js", defer=True)],
)
# Identity comes from this socket's cookie on every event, never from cached state.
app.add_middleware(SessionMiddleware())
# A plain function: if it raises, the server does not start.
app.register_lifespan_task(ensure_safe_role)
# Tabs' stored state holds their session cookies.
app.register_lifespan_task(protect_state_files)
