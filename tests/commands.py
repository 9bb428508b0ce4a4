"""Running `python -m crm_app <command>` as an operator would, against a test database."""

from __future__ import annotations

import os
import subprocess
import sys

from crm_app.core.config import PROJECT_ROOT


def run_command(database_url: str, *args: str, stdin: str) -> subprocess.CompletedProcess:
    """The command's exit code and output; `stdin` is what it reads (a password, say)."""
    return subprocess.run(
        [sys.executable, "-m", "crm_app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
        cwd=PROJECT_ROOT,
        timeout=60,
    )
