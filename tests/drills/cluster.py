"""A throwaway PostgreSQL cluster a test owns: initdb into a temporary directory, start, stop.

Not the shared server on 5432: a drill may stop this one. initdb and pg_ctl
refuse to run as root, and tests run as root in CI, so they run as the
`postgres` system user (runuser) when we are root. Trust authentication on
127.0.0.1, a free port, no fsync (nothing here needs to survive the machine).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("CRM_PG_BIN", "/usr/lib/postgresql/15/bin"))
SYSTEM_USER = "postgres"


class ClusterUnavailable(RuntimeError):
    """This machine cannot run a private cluster (no binaries, no postgres user)."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    """A private cluster: its directory, port and admin URL."""

    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "postgres.log"

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", SYSTEM_USER, "--"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(command[0]).name} failed ({result.returncode}): "
                f"{(result.stdout + result.stderr).strip()[-2000:]}"
            )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: disconnect everyone, roll back open transactions)."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


def create_cluster() -> Cluster:
    """initdb a new cluster in a fresh directory (not started yet)."""
    if not (PG_BIN / "initdb").exists():
        raise ClusterUnavailable(f"no initdb in {PG_BIN} (set CRM_PG_BIN)")
    try:
        owner = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise ClusterUnavailable(f"no {SYSTEM_USER!r} system user to run the cluster as") from None
    directory = Path(tempfile.mkdtemp(prefix="crm-drill-pg-"))
    if os.geteuid() == 0:
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    cluster = Cluster(directory=directory, port=_free_port())
    cluster._run(
        str(PG_BIN / "initdb"), "-D", str(cluster.data), "-U", "postgres",
        "-A", "trust", "-E", "UTF8", "--no-sync",
    )  # fmt: skip
    return cluster


def remove_cluster(cluster: Cluster) -> None:
    """Stop it if it runs (immediately) and delete its files."""
    if cluster.is_running():
        with contextlib.suppress(Exception):
            cluster.stop("immediate")
    shutil.rmtree(cluster.directory, ignore_errors=True)
