"""Command line: `python -m crm_app COMMAND`. Run with no arguments for the list."""

from __future__ import annotations

import argparse
import sys

from crm_app.core.config import SettingsError, get_settings, redact_url


def _migrate(_args: argparse.Namespace) -> int:
    from crm_app.core.migrations import migrate

    settings = get_settings()
    head = migrate(settings)
    print(f"database {redact_url(settings.migration_url)} is at migration {head}")
    return 0


def _check(_args: argparse.Namespace) -> int:
    from crm_app.services.checks import run_checks

    failures = 0
    for name, ok, detail in run_checks(get_settings()):
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    return 1 if failures else 0


COMMANDS = {
    "migrate": (_migrate, "apply migrations (as MIGRATION_DATABASE_URL) and grant the app role"),
    "check": (_check, "check settings, database, migration head and, on Postgres, roles and RLS"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm_app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (handler, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text)
        sub.set_defaults(handler=handler)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except SettingsError as error:
        print(f"crm_app: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
