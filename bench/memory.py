"""The app server's resident memory: idle after start, with 100 open browser sessions, after.

The server is the app in Reflex production mode (granian, one worker) on a
throwaway Postgres database. Its memory is the resident set (VmRSS) of every
process in its process group, summed (pages shared after fork count in each,
so this is an upper bound). The baseline is the same server idle, measured
just before the sessions open; a session is one logged-in Chromium tab on
/dashboard with its websocket and its server-side state.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from bench.timing import Row
from crm_app.core.db import create_db_engine, global_session
from crm_app.services.users import create_user
from tests.appserver import CHROMIUM, CHROMIUM_ARGS, AppProcess, free_port, server_env
from tests.pg import admin_engine, create_postgres_database, drop_postgres_database

SECTION = "Memory"
SESSIONS = 100
PAGES_PER_CONTEXT = 10  # one login (one cookie) per browser context
WARM_SESSIONS = 10
PASSWORD = "bench memory password 1"  # noqa: S105  (a throwaway user)
# Renderers capped, so that 100 tabs fit a small machine.
BROWSER_ARGS = [*CHROMIUM_ARGS, "--renderer-process-limit=8"]
SETTLE_SECONDS = 5
PAGE_TIMEOUT_MS = 60_000
NOTE = (
    "- Memory: VmRSS summed over the app server's process group (granian's main process and "
    "its worker; pages shared after fork count twice, so an upper bound). A session is one "
    "logged-in Chromium tab on /dashboard, its websocket connected and its state loaded; "
    f"{PAGES_PER_CONTEXT} tabs per browser context, one login each."
)


def _settled_rss(app: AppProcess) -> int:
    """The group's RSS once it has stopped moving for a moment."""
    time.sleep(SETTLE_SECONDS)
    return app.resident_kib()


def _open_sessions(browser, base_url: str, email: str, count: int, into: list) -> None:  # type: ignore[no-untyped-def]
    """Open `count` more logged-in tabs on /dashboard, each with its state loaded by the server."""
    from playwright.sync_api import expect

    opened = 0
    while opened < count:
        context = browser.new_context(base_url=base_url)
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        into.append(context)
        login = {"email": email, "password": PASSWORD}
        answer = context.request.post("/api/auth/login", data=login)
        if not answer.ok:
            raise RuntimeError(f"login for the memory benchmark failed: {answer.status}")
        for _ in range(min(PAGES_PER_CONTEXT, count - opened)):
            page = context.new_page()
            page.goto("/dashboard")
            # The shell shows who is signed in once the server's state arrives over the
            # websocket: then the session is live.
            expect(page.get_by_test_id("user-email").first).to_have_text(
                email, timeout=PAGE_TIMEOUT_MS
            )
            opened += 1


def _rows(rss: dict[str, int], sessions: int, elapsed: float) -> list[Row]:
    """Rows from the RSS (KiB) idle, after the first sessions, with all, and after closing."""
    idle, warm, busy, after = rss["idle"], rss["warm"], rss["busy"], rss["after"]
    # The first sessions also pay for what any first use costs (imports, pools,
    # compiled queries): the slope after them is what one more session costs.
    marginal = (busy - warm) / (sessions - WARM_SESSIONS)
    mib = 1024
    return [
        Row(SECTION, "app server RSS, idle after start", idle / mib, None, "MiB"),
        Row(
            SECTION,
            f"app server RSS with {sessions} open sessions (baseline: the same server idle)",
            busy / mib,
            idle / mib,
            "MiB",
            note=f"{sessions} logged-in tabs on /dashboard, opened in {elapsed:.0f} s",
        ),
        Row(
            SECTION,
            f"memory per open session, sessions {WARM_SESSIONS + 1}-{sessions}",
            marginal,
            None,
            "KiB",
            note=f"all {sessions} together: {(busy - idle) / sessions:.0f} KiB each",
        ),
        Row(
            SECTION,
            f"app server RSS after the {sessions} sessions closed",
            after / mib,
            idle / mib,
            "MiB",
            note="Reflex keeps a tab's state after the tab closes",
        ),
    ]


def measure(quick: bool = False) -> list[Row]:
    """Start the app, measure it idle, open the sessions, measure again, close them, measure."""
    from playwright.sync_api import sync_playwright

    sessions = 20 if quick else SESSIONS
    admin = admin_engine()
    database = create_postgres_database(admin, prefix="crm_bench_memory")
    tmp = Path(tempfile.mkdtemp(prefix="crm-bench-memory-"))
    app = AppProcess(
        tmp,
        server_env(
            tmp,
            free_port(),
            database_url=database.app_url,
            migration_database_url=database.owner_url,
        ),
    )
    email = f"memory-{uuid.uuid4().hex[:8]}@example.com"
    engine = create_db_engine(database.app_url)
    try:
        with global_session(engine) as session:
            create_user(session=session, email=email, password=PASSWORD, name="Memory Bench")
        app.start()
        rss = {"idle": _settled_rss(app)}
        contexts: list = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=BROWSER_ARGS
            )
            started = time.perf_counter()
            _open_sessions(browser, app.base_url, email, WARM_SESSIONS, contexts)
            rss["warm"] = _settled_rss(app)
            _open_sessions(browser, app.base_url, email, sessions - WARM_SESSIONS, contexts)
            elapsed = time.perf_counter() - started
            rss["busy"] = _settled_rss(app)
            for context in contexts:
                context.close()
            browser.close()
        rss["after"] = _settled_rss(app)
        print(
            "  memory (MiB): " + ", ".join(f"{name} {kib / 1024:.0f}" for name, kib in rss.items()),
            flush=True,
        )
        return _rows(rss, sessions, elapsed)
    finally:
        app.stop()
        engine.dispose()
        with contextlib.suppress(Exception):
            drop_postgres_database(admin, database)
        admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
