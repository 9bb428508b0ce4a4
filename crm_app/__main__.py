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


def _read_password(prompt: str) -> str | None:
    """A password asked for twice without echo, or one line of stdin when it is not a terminal;
    None (and a line on stderr) when the two typed differ."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass(f"{prompt}: ")
    if getpass.getpass(f"Repeat {prompt.lower()}: ") != password:
        print("crm_app: the passwords differ", file=sys.stderr)
        return None
    return password


def _create_user(args: argparse.Namespace) -> int:
    from crm_app.core.db import global_session
    from crm_app.services.users import InvalidSignup, create_user

    get_settings()  # a clear line about a bad setting before any prompt
    password = _read_password("Password")
    if password is None:
        return 1
    try:
        with global_session() as session:
            user = create_user(session=session, email=args.email, password=password, name=args.name)
            print(f"created user {user.email} ({user.id})")
    except InvalidSignup as error:
        print(f"crm_app: {error}", file=sys.stderr)
        return 1
    return 0


def _reset_password(args: argparse.Namespace) -> int:
    from crm_app.core.db import global_session, tenant_session
    from crm_app.services.sessions import revoke_all_sessions
    from crm_app.services.users import InvalidSignup, get_user_by_email, reset_password

    get_settings()  # a clear line about a bad setting before any prompt
    with global_session() as session:
        user = get_user_by_email(session=session, email=args.email)
        found = (user.id, user.email) if user is not None else None
    if found is None:  # said before the password is asked for
        print(f"crm_app: no account has the email {args.email!r}", file=sys.stderr)
        return 1
    user_id, email = found
    password = _read_password("New password")
    if password is None:
        return 1
    try:
        # One tenant unit of work, as a password change: the new hash and every session ended.
        with tenant_session(user_id) as session:
            if not reset_password(session=session, user_id=user_id, new_password=password):
                print(f"crm_app: the account {email} is gone", file=sys.stderr)
                return 1
            ended = revoke_all_sessions(session=session, user_id=user_id)
    except InvalidSignup as error:
        print(f"crm_app: {error}", file=sys.stderr)
        return 1
    print(f"new password set for {email}")
    print(
        f"{ended} session{'' if ended == 1 else 's'} ended: "
        "every browser logged in to this account must log in again"
    )
    # Failures count against the password they guessed (services/login_throttle.py).
    print("failed log-ins against the old password no longer count: the new one can log in now")
    return 0


def _rotate_keys(args: argparse.Namespace) -> int:
    from crm_app.services.vault import RotationProgress, rotate_keys, secrets_on_older_keys

    verb = "to re-encrypt" if args.dry_run else "re-encrypted"

    def report(progress: RotationProgress) -> None:
        # Counts and key ids only: never a secret.
        print(
            f"batch {progress.batches}: {progress.rewrapped} {verb}, {progress.failed} unreadable "
            f"(user {progress.users_done + 1} of {progress.users_total})",
            flush=True,
        )

    done = rotate_keys(batch_size=args.batch_size, dry_run=args.dry_run, on_progress=report)
    print(
        f"{'dry run: ' if args.dry_run else ''}{done.rewrapped} {verb}, {done.failed} unreadable, "
        f"{done.up_to_date} already on key {done.current_version}, {done.users_total} users"
    )
    if done.failed:
        print("crm_app: some keys cannot be opened (see log); keep the old keys", file=sys.stderr)
        return 1
    if args.dry_run:
        return 0
    if older := secrets_on_older_keys():
        print(
            f"crm_app: {older} secret{'' if older == 1 else 's'} were saved under an older key "
            "while this ran: a running app has the old ENCRYPTION_KEY still. Restart it with "
            "the new key (the old one in ENCRYPTION_KEYS_PREVIOUS), run rotate-keys again, and "
            "keep the old keys until it says they may go",
            file=sys.stderr,
        )
        return 1
    print("every stored secret is on the current key: ENCRYPTION_KEYS_PREVIOUS may go")
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from crm_app.services.demo import create_demo_account

    get_settings()  # a clear line about a bad setting first
    try:
        email, password, counts = create_demo_account(
            email=args.email, password=args.password, name=args.name, seed=args.seed
        )
    except ValueError as error:
        print(f"crm_app: {error}", file=sys.stderr)
        return 1
    print(
        f"demo data: {counts.leads} leads, {counts.contacts} contacts, {counts.calls} calls, "
        f"{counts.automation_runs} automation runs, {counts.activities} timeline entries"
    )
    print(f"log in at {get_settings().public_base_url}/login as {email} with password {password}")
    return 0


COMMANDS = {
    "migrate": (_migrate, "apply migrations (as MIGRATION_DATABASE_URL) and grant the app role"),
    "create-user": (
        _create_user,
        "create an account; the password is asked for, or read from stdin",
    ),
    "reset-password": (
        _reset_password,
        "set a new password for an account (forgotten password); ends its sessions",
    ),
    "check": (_check, "check settings, database, migration head and, on Postgres, roles and RLS"),
    "seed-demo": (_seed_demo, "create a demo account with 90 days of leads, calls and runs"),
    "rotate-keys": (_rotate_keys, "re-encrypt every stored secret with the current ENCRYPTION_KEY"),
}


def _positive_int(text: str) -> int:
    value = int(text) if text.strip().isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm_app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (handler, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text)
        sub.set_defaults(handler=handler)
        if name == "create-user":
            sub.add_argument("email")
            sub.add_argument("--name", default="")
        if name == "reset-password":
            sub.add_argument("email", help="the account's log-in email")
        if name == "seed-demo":
            sub.add_argument("--email", default="demo@example.com", help="the demo account's email")
            sub.add_argument("--password", default=None, help="default: a random one, printed")
            sub.add_argument("--name", default="Demo User")
            sub.add_argument("--seed", type=int, default=None, help="repeatable random data")
        if name == "rotate-keys":
            sub.add_argument("--dry-run", action="store_true", help="count, change nothing")
            sub.add_argument("--batch-size", type=_positive_int, default=100, help="rows a commit")
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except SettingsError as error:
        print(f"crm_app: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
