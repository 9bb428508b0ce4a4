"""The browser that drives the app in tests: Debian's Chromium through Playwright's sync API.

A plain module, not a conftest: tests/ is no package, so pytest loads
tests/conftest.py as `conftest`, and importing it as `tests.conftest` would run
it a second time (new secrets and database URL in the middle of a session).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.appserver import CHROMIUM, CHROMIUM_ARGS
from tests.required import unavailable

# Pages are rendered in the browser after the websocket connects: wait for elements,
# generously, rather than for load events (expect() and each context's actions).
EXPECT_TIMEOUT_MS = 15_000


def browser_missing() -> str | None:
    """Why browser tests cannot run here, if they cannot."""
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -r requirements-dev.txt)"
    return None


def browser_unavailable(reason: str) -> None:
    """Skip, or fail when CRM_REQUIRE_BROWSER=1 says browser tests must run."""
    unavailable(reason, required_by="CRM_REQUIRE_BROWSER")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright's sync API (tests/conftest.py
    offers it to every test).

    One for the whole session (of each xdist worker), shared by the browser tests
    and the drills: the sync API leaves its event loop running in this thread,
    where a second `sync_playwright()` or an `asyncio.run` would be refused.
    """
    if reason := browser_missing():
        browser_unavailable(reason)
    from playwright.sync_api import expect, sync_playwright

    # Every browser test's expect() waits as long, e2e or drill, whichever ran first in
    # this worker: a drill after no e2e file had Playwright's 5 s, too short under load.
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
