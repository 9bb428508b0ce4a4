"""Reflex configuration, taken from crm_app's settings (environment and .env)."""

import sys

import reflex as rx

from crm_app.core.config import SettingsError, get_settings

try:
    settings = get_settings()
except SettingsError as error:
    # One line a person can act on, not a traceback.
    sys.exit(f"crm_app: {error}")

config = rx.Config(
    app_name="crm_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # The websocket accepts these origins; the auth endpoints ask the same settings.
    cors_allowed_origins=settings.accepted_origin_list,
    redis_url=settings.redis_url,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    # A private CRM has nothing to offer search engines.
    disable_plugins=[rx.plugins.SitemapPlugin],
)
