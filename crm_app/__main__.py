"""Command line: `python -m crm_app COMMAND`. Run with no arguments for the list."""

from __future__ import annotations

import argparse
import sys

from crm_app.core.config import SettingsError, get_settings, redact_url


def _migrate(_args: argparse.Namespace) -> int:
    from crm_app.services.schema import migrate

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


def _create_user(args: argparse.Namespace) -> int:
    import getpass

    from crm_app.core.db import global_session
    from crm_app.services.users import InvalidSignup, create_user

    get_settings()  # a clear line about a bad setting before any prompt
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            print("crm_app: the passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        with global_session() as session:
            user = create_user(session=session, email=args.email, password=password, name=args.name)
            print(f"created user {user.email} ({user.id})")
    except InvalidSignup as error:
        print(f"crm_app: {error}", file=sys.stderr)
        return 1
    return 0


COMMANDS = {
    "migrate": (_migrate, "apply migrations (as MIGRATION_DATABASE_URL) and grant the app role"),
    "create-user": (_create_user, "create an account; the password is asked for, or read from stdin"),
    "check": (_check, "check settings, database, migration head and, on Postgres, roles and RLS"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm_app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (handler, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text)
        sub.set_defaults(handler=handler)
        if name == "create-user":
            sub.add_argument("email")
            sub.add_argument("--name", default="")
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except SettingsError as error:
        print(f"crm_app: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
