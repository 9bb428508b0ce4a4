"""The local `.env` writer: fresh secrets that pass the settings checks, written once, private."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from dotenv import dotenv_values

from crm_app.core.config import load_settings
from crm_app.core.envfile import write_env_file


def _values(path: Path) -> dict[str, str | None]:
    return dotenv_values(path)


def test_written_file_holds_a_hex_encryption_key_and_a_long_jwt_secret(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    assert write_env_file(path) is True
    values = _values(path)
    assert re.fullmatch(r"[0-9a-f]{64}", values["ENCRYPTION_KEY"] or "")
    assert len(values["JWT_SECRET"] or "") >= 48


def test_written_file_loads_as_settings(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / ".env"
    write_env_file(path)
    # Only the file may supply the secrets here, not the test session's environment.
    monkeypatch.delenv("ENCRYPTION_KEY")
    monkeypatch.delenv("JWT_SECRET")
    settings = load_settings(_env_file=path)
    values = _values(path)
    assert settings.encryption_key == values["ENCRYPTION_KEY"]
    assert settings.jwt_secret == values["JWT_SECRET"]


def test_written_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    write_env_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_written_file_is_private_from_creation_not_only_after_chmod(
    tmp_path: Path, monkeypatch
) -> None:
    # With the final chmod disabled and the loosest umask, what remains is the
    # mode the file was created with: it must never have been world-readable.
    monkeypatch.setattr(Path, "chmod", lambda self, mode: None)
    previous = os.umask(0)
    try:
        write_env_file(tmp_path / ".env")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


def test_second_call_leaves_the_file_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    write_env_file(path)
    before = path.read_bytes()
    assert write_env_file(path) is False
    assert path.read_bytes() == before


def test_existing_file_of_someone_else_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("DATABASE_URL=sqlite:///mine.db\n", encoding="utf-8")
    assert write_env_file(path) is False
    assert path.read_text(encoding="utf-8") == "DATABASE_URL=sqlite:///mine.db\n"


def test_two_files_get_different_secrets(tmp_path: Path) -> None:
    first, second = tmp_path / "one.env", tmp_path / "two.env"
    write_env_file(first)
    write_env_file(second)
    a, b = _values(first), _values(second)
    assert a["ENCRYPTION_KEY"] != b["ENCRYPTION_KEY"]
    assert a["JWT_SECRET"] != b["JWT_SECRET"]
