"""The Reflex app: the HTTP API in front, the pages behind."""

import reflex as rx

from crm_app.api.app import build_api
from crm_app.core.db import ensure_safe_role
from crm_app.pages import dashboard, index  # noqa: F401  (registers the pages)

app = rx.App(api_transformer=build_api())
# A plain function: if it raises, the server does not start.
app.register_lifespan_task(ensure_safe_role)
