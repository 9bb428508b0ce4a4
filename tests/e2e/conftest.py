"""Browser tests: the real app, built and served once per session, driven by Debian's Chromium.

Fixtures:
- `app_server`: the app in Reflex production mode on its own port (3100-3199)
  with its own fresh SQLite database and freshly generated secrets.
- `browser`: Chromium at /usr/bin/chromium through Playwright (never
  `playwright install`: it downloads a browser, which fails here).
- `new_context`: a factory of browser contexts (one per user), closed after the test.
- `page`: one page in a fresh context, pointed at the app (`page.goto("/dashboard")`).

Without Chromium, Playwright or bun these tests are skipped, unless
CRM_REQUIRE_BROWSER=1 (as `.ci/run` sets), in which case they fail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
TOOLS_DIR = PROJECT_ROOT / ".tools"
BUN = TOOLS_DIR / "node_modules" / ".bin" / "bun"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PORTS = range(3100, 3200)
# A first production build (bun install + vite) takes 1.5-2.5 minutes here.
STARTUP_TIMEOUT_SECONDS = 360
STOP_GRACE_SECONDS = 10
LOG_TAIL_LINES = 60
# Pages are rendered in the browser after the websocket connects: wait for
# elements, generously, rather than for load events.
DEFAULT_TIMEOUT_MS = 15_000


@dataclasses.dataclass(frozen=True)
class AppServer:
    """The running app as the tests see it."""

    base_url: str
    port: int
    log_path: Path
    database_url: str
    # The environment the server runs with (settings included), for tests that
    # create rows with the services or run `python -m crm_app ...` against it.
    env: dict[str, str] = dataclasses.field(repr=False)
    startup_seconds: float = 0.0

    @property
    def secrets(self) -> list[str]:
        """Values that must never appear in the log, a page or a response."""
        return [self.env["JWT_SECRET"], self.env["ENCRYPTION_KEY"]]

    def log_text(self) -> str:
        """Everything the server (and the migration before it) has written so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


# Filled in by `app_server`, reported at the end of the run.
_started: list[AppServer] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is a browser test."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for server in _started:
        terminalreporter.write_line(
            f"e2e: app served at {server.base_url}, ready after {server.startup_seconds:.0f} s "
            f"(build included); log: {server.log_path}"
        )


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


def _unavailable(reason: str) -> None:
    """Skip, or fail when CRM_REQUIRE_BROWSER=1 says browser tests must run."""
    if os.environ.get("CRM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (CRM_REQUIRE_BROWSER=1: browser tests must run)", pytrace=False)
    pytest.skip(reason)


def _bun_version() -> str:
    """The bun version the Makefile pins."""
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^BUN_VERSION\s*:?=\s*(\S+)", makefile, re.MULTILINE)
    if not match:
        pytest.fail("no BUN_VERSION in the Makefile", pytrace=False)
    return match.group(1)


def _ensure_bun() -> str | None:
    """Install bun into .tools the way the Makefile does; why it is unavailable, or None."""
    if BUN.exists():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return f"bun is not at {BUN} and there is no npm to install it: install Node.js"
    TOOLS_DIR.mkdir(exist_ok=True)
    # Two sessions starting at once must not install into .tools together.
    with (TOOLS_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if BUN.exists():
            return None
        options = ["--silent", "--no-audit", "--no-fund", "--prefix", str(TOOLS_DIR)]
        result = subprocess.run(
            [npm, "install", *options, f"bun@{_bun_version()}"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    if result.returncode != 0 or not BUN.exists():
        output = (result.stdout + result.stderr).strip().splitlines()[-10:]
        return "could not install bun with npm (run `make test`): " + " | ".join(output)
    return None


@pytest.fixture(scope="session", autouse=True)
def _browser_prerequisites() -> None:
    """Chromium, Playwright and bun, checked before anything slow starts."""
    if not CHROMIUM.exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -r requirements-dev.txt)")
    reason = _ensure_bun()
    if reason:
        _unavailable(reason)


def _port_is_free(port: int) -> bool:
    """Nothing listens on the port, on IPv4 or IPv6 (Reflex refuses a busy one)."""
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((host, port)) == 0:
                return False
    for family in (socket.AF_INET, socket.AF_INET6):
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("", port))
            except OSError:
                return False
    return True


def _free_port() -> int:
    # Random order: other sessions and engineers pick from the same range.
    for port in random.sample(list(PORTS), len(PORTS)):
        if _port_is_free(port):
            return port
    pytest.fail(f"no free port in {PORTS.start}-{PORTS.stop - 1}", pytrace=False)


def _server_env(tmp: Path, port: int) -> dict[str, str]:
    """The process environment: fresh settings and the Reflex/bun setup of the Makefile."""
    env = dict(os.environ)
    # Whatever the shell or a developer's .env points at, this server uses its own.
    for name in ("REDIS_URL", "REFLEX_REDIS_URL", "REFLEX_DB_URL", "ENCRYPTION_KEYS_PREVIOUS"):
        env.pop(name, None)
    database_url = f"sqlite:///{tmp / 'e2e.db'}"
    base_url = f"http://localhost:{port}"
    env.update(
        DATABASE_URL=database_url,
        # The migration runs on the same file, not on a MIGRATION_DATABASE_URL from .env.
        MIGRATION_DATABASE_URL=database_url,
        ENVIRONMENT="test",
        JWT_SECRET=secrets.token_urlsafe(48),
        ENCRYPTION_KEY=secrets.token_hex(32),
        PUBLIC_BASE_URL=base_url,
        # Every browser test logs in from 127.0.0.1: only the per-account limit may bite.
        LOGIN_MAX_FAILURES_PER_ADDRESS="100000",
        ALLOWED_ORIGINS=base_url,
        PATH=f"{BUN.parent}{os.pathsep}{env.get('PATH', '')}",
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        # The build bakes the port into the bundle, and the running server serves
        # its files from the web directory: a build of its own, so a `make run`
        # in the same checkout neither breaks nor is broken by this server.
        REFLEX_WEB_WORKDIR=str(tmp / "web"),
        REFLEX_STATES_WORKDIR=str(tmp / "states"),
        REFLEX_UPLOADED_FILES_DIR=str(tmp / "uploaded_files"),
        PYTHONUNBUFFERED="1",
    )
    # CRM_E2E_REDIS_URL: run the same suite with Reflex's Redis state manager and
    # several backend workers, as production does (see .ci/run).
    if redis_url := os.environ.get("CRM_E2E_REDIS_URL"):
        env.update(REDIS_URL=redis_url, GRANIAN_WORKERS=os.environ.get("CRM_E2E_WORKERS", "2"))
    return env


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the whole process group: SIGTERM, then SIGKILL after a grace period."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_GRACE_SECONDS)
    # Workers and bun children can outlive the leader: the group goes either way.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _answers(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=5, follow_redirects=True).status_code
    except httpx.HTTPError:
        return None


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    health = root = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the app exited with code {process.returncode} before it was ready; "
                f"last lines of {log_path}:\n{_tail(log_path)}",
                pytrace=False,
            )
        health = _answers(f"{base_url}/api/health")
        root = _answers(f"{base_url}/") if health == 200 else None
        if health == 200 and root == 200:
            time.sleep(1)
            # A server of someone else's on our port would have made ours exit.
            if process.poll() is None:
                return
            continue
        time.sleep(2)
    pytest.fail(
        f"the app was not ready after {STARTUP_TIMEOUT_SECONDS} s (/api/health: {health}, "
        f"/: {root}); last lines of {log_path}:\n{_tail(log_path)}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app in production mode on a free port, with a fresh SQLite database."""
    tmp = tmp_path_factory.mktemp("e2e-app")
    port = _free_port()
    env = _server_env(tmp, port)
    log_path = tmp / "server.log"
    reflex = Path(sys.executable).parent / "reflex"
    if not reflex.exists():
        pytest.fail(f"no reflex next to {sys.executable}: run the tests with `make test`")
    # Frontend and backend on one port, as `make run` serves them.
    ports = ["--frontend-port", str(port), "--backend-port", str(port)]

    started = time.monotonic()
    with log_path.open("ab") as log:
        migrated = subprocess.run(
            [sys.executable, "-m", "crm_app", "migrate"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
    if migrated.returncode != 0:
        pytest.fail(f"`python -m crm_app migrate` failed:\n{_tail(log_path)}", pytrace=False)

    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(reflex), "run", "--env", "prod", *ports],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base_url = env["PUBLIC_BASE_URL"]
        _wait_until_ready(process, base_url, log_path)
        server = AppServer(
            base_url=base_url,
            port=port,
            log_path=log_path,
            database_url=env["DATABASE_URL"],
            env=env,
            startup_seconds=time.monotonic() - started,
        )
        _started.append(server)
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright's sync API."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


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
