"""Writes a local `.env` with fresh secrets, once: `python -m crm_app.core.envfile .env`."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

TEMPLATE = """\
# Written by `make run` on first start; never overwritten. Keep it out of git.
# JWT_SECRET signs session cookies; ENCRYPTION_KEY (64 hex chars) encrypts API keys.
JWT_SECRET={jwt_secret}
ENCRYPTION_KEY={encryption_key}
"""


def write_env_file(path: Path) -> bool:
    """Create the file with generated secrets unless it exists; True when written."""
    try:
        # O_EXCL: fail rather than overwrite, even if another process raced us here;
        # mode 0600 from the start, so the secrets are never readable by others.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(descriptor, "w", encoding="utf-8") as handle:
            handle.write(
                TEMPLATE.format(
                    jwt_secret=secrets.token_urlsafe(48),
                    encryption_key=secrets.token_hex(32),
                )
            )
    except FileExistsError:
        return False
    path.chmod(0o600)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    if write_env_file(target):
        print(f"wrote {target} with freshly generated JWT_SECRET and ENCRYPTION_KEY")
    else:
        print(f"{target} exists; left as it is")
