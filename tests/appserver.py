"""The real app built and served in Reflex production mode: for browser tests, drills, benchmarks.

    app = AppProcess(tmp, server_env(tmp, free_port()))
    app.migrate()
    server = app.start()   # builds into tmp/web, serves, waits for /api/health and /
    ...
    app.kill()             # SIGKILL to the whole process group (a crash)
    server = app.start()   # the same port, database and build directory
    app.stop()

Each server builds into a web directory of its own (REFLEX_WEB_WORKDIR): the
build bakes the port into the bundle, and the running server serves its files
from there, so a `make run` in the same checkout neither breaks nor is broken by
it. Failures raise AppServerError with the tail of the log; pytest fixtures turn
that into a failure without a traceback.
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
import tempfile
import time
from pathlib import Path
from typing import IO

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TOOLS_DIR = PROJECT_ROOT / ".tools"
BUN = TOOLS_DIR / "node_modules" / ".bin" / "bun"
PORTS = range(3100, 3200)
# Lock files by which test processes claim ports (see `free_port`): one directory per
# Unix user, as another user's lock file cannot be opened (and so not locked) here. Ports
# another user's tests hold are still passed over once their server is bound.
PORT_CLAIMS = Path(tempfile.gettempdir()) / f"crm_app_test_ports-{os.getuid()}"
_claimed: list[IO[str]] = []
# One line per app server the browser tests started (URL, start time, log), which
# tests/conftest.py lists at the end of the run.
SERVED: list[str] = []
# A first production build (bun install + vite) takes 1.5-2.5 minutes here.
STARTUP_TIMEOUT_SECONDS = 360
STOP_GRACE_SECONDS = 10
LOG_TAIL_LINES = 60
# The browser that drives the app: Debian's Chromium through Playwright (never
# Playwright's own browser download, which fails here), with flags that work here.
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
# Settings a developer's shell or .env may hold that must not leak into a test server.
FOREIGN_SETTINGS = ("REDIS_URL", "REFLEX_REDIS_URL", "REFLEX_DB_URL", "ENCRYPTION_KEYS_PREVIOUS")


class AppServerError(RuntimeError):
    """The app could not be installed, migrated or started; the message carries the log's tail."""


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


def bun_version() -> str:
    """The bun version the Makefile pins."""
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^BUN_VERSION\s*:?=\s*(\S+)", makefile, re.MULTILINE)
    if not match:
        raise AppServerError("no BUN_VERSION in the Makefile")
    return match.group(1)


def ensure_bun() -> str | None:
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
            [npm, "install", *options, f"bun@{bun_version()}"],
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


def port_is_free(port: int) -> bool:
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


def _claim(port: int) -> bool:
    """Hold a lock on the port until this process ends; False if another process holds it.

    A server binds its port only after its build, some 20 s after the port was
    chosen: meanwhile another test process (an xdist worker) would see it free.
    """
    PORT_CLAIMS.mkdir(mode=0o700, exist_ok=True)
    claim = (PORT_CLAIMS / f"{port}.lock").open("w")
    try:
        fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        claim.close()
        return False
    _claimed.append(claim)  # closed, and so released, when the process exits
    return True


def free_port() -> int:
    """A free port in 3100-3199, claimed by this process."""
    # Random order: other sessions and engineers pick from the same range.
    for port in random.sample(list(PORTS), len(PORTS)):
        if port_is_free(port) and _claim(port):
            return port
    raise AppServerError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def server_env(
    tmp: Path,
    port: int,
    *,
    database_url: str | None = None,
    migration_database_url: str | None = None,
) -> dict[str, str]:
    """The process environment: fresh settings and the Reflex/bun setup of the Makefile.

    Without database URLs the server gets its own SQLite file in tmp; on
    Postgres, pass the app role's URL and the owner's (for the migration).
    """
    env = dict(os.environ)
    # Whatever the shell or a developer's .env points at, this server uses its own.
    for name in FOREIGN_SETTINGS:
        env.pop(name, None)
    database_url = database_url or f"sqlite:///{tmp / 'e2e.db'}"
    base_url = f"http://localhost:{port}"
    env.update(
        DATABASE_URL=database_url,
        # The migration runs on this database, not on a MIGRATION_DATABASE_URL from .env.
        MIGRATION_DATABASE_URL=migration_database_url or database_url,
        ENVIRONMENT="test",
        JWT_SECRET=secrets.token_urlsafe(48),
        ENCRYPTION_KEY=secrets.token_hex(32),
        PUBLIC_BASE_URL=base_url,
        # Every browser test logs in, and signs up, from 127.0.0.1: only the per-account
        # limit may bite.
        LOGIN_MAX_FAILURES_PER_ADDRESS="100000",
        SIGNUPS_PER_ADDRESS_PER_HOUR="100000",
        # What is set here, not the developer's .env (its REDIS_URL would start workers).
        CRM_IGNORE_DOTENV="1",
        ALLOWED_ORIGINS=base_url,
        PATH=f"{BUN.parent}{os.pathsep}{env.get('PATH', '')}",
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_WEB_WORKDIR=str(tmp / "web"),
        REFLEX_STATES_WORKDIR=str(tmp / "states"),
        REFLEX_UPLOADED_FILES_DIR=str(tmp / "uploaded_files"),
        PYTHONUNBUFFERED="1",
    )
    return env


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a log file."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def answers(url: str) -> int | None:
    """The status code of a GET (redirects followed), or None when nothing answers."""
    try:
        return httpx.get(url, timeout=5, follow_redirects=True).status_code
    except httpx.HTTPError:
        return None


def signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Send a signal to the process's whole group (workers and bun children included)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def stop(process: subprocess.Popen[bytes]) -> None:
    """End the whole process group: SIGTERM, then SIGKILL after a grace period."""
    signal_group(process, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_GRACE_SECONDS)
    # Workers and bun children can outlive the leader: the group goes either way.
    signal_group(process, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def wait_until_ready(
    process: subprocess.Popen[bytes],
    base_url: str,
    log_path: Path,
    timeout: float = STARTUP_TIMEOUT_SECONDS,
) -> None:
    """Wait for /api/health and / to answer 200; AppServerError if the app exits or never does."""
    deadline = time.monotonic() + timeout
    health = root = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AppServerError(
                f"the app exited with code {process.returncode} before it was ready; "
                f"last lines of {log_path}:\n{tail(log_path)}"
            )
        health = answers(f"{base_url}/api/health")
        root = answers(f"{base_url}/") if health == 200 else None
        if health == 200 and root == 200:
            time.sleep(1)
            # A server of someone else's on our port would have made ours exit.
            if process.poll() is None:
                return
            continue
        time.sleep(2)
    raise AppServerError(
        f"the app was not ready after {timeout:.0f} s (/api/health: {health}, "
        f"/: {root}); last lines of {log_path}:\n{tail(log_path)}"
    )


def resident_kib(pids: list[int]) -> int:
    """VmRSS of these processes, summed, in KiB (pages shared after fork count in each)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def reflex_executable() -> Path:
    reflex = Path(sys.executable).parent / "reflex"
    if not reflex.exists():
        raise AppServerError(f"no reflex next to {sys.executable}: run with `make test`")
    return reflex


class AppProcess:
    """One app server (its port, environment, build directory and log), startable again."""

    def __init__(self, tmp: Path, env: dict[str, str], log_name: str = "server.log") -> None:
        self.env = env
        self.base_url = env["PUBLIC_BASE_URL"]
        self.port = int(self.base_url.rsplit(":", 1)[1])
        self.log_path = tmp / log_name
        self.process: subprocess.Popen[bytes] | None = None
        self._created = time.monotonic()

    def migrate(self) -> None:
        """`python -m crm_app migrate` with the server's settings."""
        with self.log_path.open("ab") as log:
            migrated = subprocess.run(
                [sys.executable, "-m", "crm_app", "migrate"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
        if migrated.returncode != 0:
            raise AppServerError(f"`python -m crm_app migrate` failed:\n{tail(self.log_path)}")

    def launch(self) -> subprocess.Popen[bytes]:
        """Start `reflex run --env prod` in a new process group, without waiting for it."""
        # Frontend and backend on one port, as `make run` serves them.
        ports = ["--frontend-port", str(self.port), "--backend-port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(reflex_executable()), "run", "--env", "prod", *ports],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self.process

    def start(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> AppServer:
        """Launch and wait until it serves; stops it again if it never does."""
        process = self.launch()
        try:
            wait_until_ready(process, self.base_url, self.log_path, timeout)
        except BaseException:
            stop(process)
            raise
        return self.server()

    def server(self) -> AppServer:
        return AppServer(
            base_url=self.base_url,
            port=self.port,
            log_path=self.log_path,
            database_url=self.env["DATABASE_URL"],
            env=self.env,
            startup_seconds=time.monotonic() - self._created,
        )

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as a crash would, and reap it."""
        if self.process is None:
            return
        signal_group(self.process, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL, to the whole process group."""
        if self.process is not None:
            stop(self.process)

    def resident_kib(self) -> int:
        """The resident memory (VmRSS) of the server's process group, summed, in KiB."""
        return resident_kib(self.group_pids())

    def group_pids(self) -> list[int]:
        """Every live process of the server's process group (the server and its workers)."""
        if self.process is None:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # After the command: state, ppid, pgrp.
            if int(fields[2]) == self.process.pid:
                pids.append(int(entry.name))
        return pids
