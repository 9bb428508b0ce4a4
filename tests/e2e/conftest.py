"""Browser tests: the real app, built and served once per session, driven by Debian's Chromium.

Fixtures:
- `app_server`: the app in Reflex production mode on its own port (3100-3199)
  with its own fresh SQLite database and freshly generated secrets.
- `browser` (tests/browser.py): Chromium at /usr/bin/chromium through Playwright
  (never Playwright's own browser download, which fails here).
- `new_context`: a factory of browser contexts (one per user), closed after the test.
- `page`: one page in a fresh context, pointed at the app (`page.goto("/dashboard")`).

Without Chromium, Playwright or bun these tests are skipped, unless
CRM_REQUIRE_BROWSER=1 (as `.ci/run` sets), in which case they fail.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.appserver import (
    SERVED,
    AppProcess,
    AppServer,
    AppServerError,
    ensure_bun,
    free_port,
    server_env,
)
from tests.browser import EXPECT_TIMEOUT_MS, browser_missing, browser_unavailable

E2E_DIR = Path(__file__).resolve().parent
DEFAULT_TIMEOUT_MS = EXPECT_TIMEOUT_MS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is a browser test."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On a failing browser test, keep a screenshot of every open page and say where."""
    report = yield
    factory = item.funcargs.get("new_context") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and factory is not None:
        shots = []
        for number, context in enumerate(getattr(factory, "contexts", [])):
            for index, page in enumerate(context.pages):
                path = item.funcargs["tmp_path"] / f"context{number}-page{index}.png"
                with contextlib.suppress(Exception):
                    page.screenshot(path=path, full_page=True)
                    shots.append(f"{path} ({page.url})")
        if shots:
            report.sections.append(("screenshots", "\n".join(shots)))
    return report


@pytest.fixture(scope="session", autouse=True)
def _browser_prerequisites() -> None:
    """Chromium, Playwright and bun, checked before anything slow starts."""
    if reason := browser_missing():
        browser_unavailable(reason)
    from playwright.sync_api import expect

    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    reason = ensure_bun()
    if reason:
        browser_unavailable(reason)


def _server_env(tmp: Path, port: int) -> dict[str, str]:
    """The server's environment: its own SQLite database, secrets and build directory."""
    env = server_env(tmp, port)
    # CRM_E2E_REDIS_URL: run the same suite with Reflex's Redis state manager and
    # several backend workers, as production does (see .ci/run).
    if redis_url := os.environ.get("CRM_E2E_REDIS_URL"):
        env.update(REDIS_URL=redis_url, GRANIAN_WORKERS=os.environ.get("CRM_E2E_WORKERS", "2"))
    return env


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app in production mode on a free port, with a fresh SQLite database."""
    tmp = tmp_path_factory.mktemp("e2e-app")
    app = None
    try:
        app = AppProcess(tmp, _server_env(tmp, free_port()))
        app.migrate()
        server = app.start()
    except AppServerError as error:
        if app is not None:
            app.stop()
        pytest.fail(str(error), pytrace=False)
    try:
        SERVED.append(
            f"e2e: app served at {server.base_url}, ready after {server.startup_seconds:.0f} s "
            f"(build included); log: {server.log_path}"
        )
        yield server
    finally:
        app.stop()


@pytest.fixture
def new_context(
    browser: Any, app_server: AppServer, tmp_path: Path
) -> Iterator[Callable[..., Any]]:
    """`new_context(**options)`: a fresh browser context (its own cookies) per user."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("base_url", app_server.base_url)
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context

    make.contexts = contexts  # type: ignore[attr-defined]  (for failure screenshots)
    yield make
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    """A page in a fresh context whose relative URLs point at the app."""
    return new_context().new_page()
