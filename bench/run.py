"""`make bench`: every benchmark beside its baseline, printed and written to docs/performance.md.

    python -m bench.run [--quick] [--only dashboard,lists,browser_lists,csv,vault,webhooks,memory]

--quick seeds a tenth of the data: for trying the harness, not for the report.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

# Settings for a throwaway run, before anything of crm_app reads them.
os.environ.setdefault("JWT_SECRET", secrets.token_urlsafe(48))
os.environ.setdefault("ENCRYPTION_KEY", secrets.token_hex(32))
os.environ.setdefault("ENVIRONMENT", "test")

from bench.timing import Row  # noqa: E402
from crm_app.core.db import create_db_engine  # noqa: E402
from tests.appserver import CHROMIUM  # noqa: E402
from tests.pg import admin_engine, create_postgres_database, drop_postgres_database  # noqa: E402

REPORT = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
NEEDS_BROWSER = {"browser_lists", "memory"}


def machine() -> list[str]:
    """What the figures were measured on."""

    def version(command: list[str]) -> str:
        try:
            return subprocess.run(
                command, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except OSError:
            return "unknown"

    from importlib.metadata import version as package_version

    return [
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        f"- Python {platform.python_version()}, Reflex {package_version('reflex')}, "
        f"SQLAlchemy {package_version('sqlalchemy')}, psycopg {package_version('psycopg')}",
        f"- {version(['psql', '--version'])}",
    ]


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| figure | ours | baseline | ratio | target | met | note |",
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for row in rows:
        baseline = f"{row.baseline:.2f} {row.unit}" if row.baseline is not None else ""
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
        met = {True: "yes", False: "NO", None: ""}[row.met]
        lines.append(
            f"| {row.name} | {row.value:.2f} {row.unit} | {baseline} | {ratio} | {row.target} "
            f"| {met} | {row.note} |"
        )
    return lines


def write_report(sections: dict[str, list[Row]], notes: list[str], elapsed: float) -> None:
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`python -m bench.run`). Every figure is measured beside its",
        "baseline in the same run, interleaved where it can be, so the ratio holds on a noisy",
        "machine; the absolute numbers are this machine's.",
        "",
        *machine(),
        f"- Whole run: {elapsed:.0f} s",
        "",
    ]
    for section, rows in sections.items():
        lines += [f"## {section}", "", *table(rows), ""]
    if notes:
        lines += ["## Notes", "", *notes, ""]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines))


def postgres_benchmarks(quick: bool, only: set[str]) -> dict[str, list[Row]]:
    """Dashboard, list (service and browser) and CSV import figures on a seeded database."""
    from bench import csv_import, dashboard, lists, lists_browser
    from bench.seed import seed

    admin = admin_engine()
    database = create_postgres_database(admin, prefix="crm_bench")
    sections: dict[str, list[Row]] = {}
    try:
        started = time.perf_counter()
        scale = 10 if quick else 1
        tenants = seed(
            database.admin_url,
            users=1000 // scale,
            largest_rows=100_000 // scale,
            total_rows=1_000_000 // scale,
        )
        print(
            f"seeded {tenants.leads:,} leads and {tenants.calls:,} calls for "
            f"{tenants.users:,} users in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        app_engine = create_db_engine(database.app_url)
        try:
            if "dashboard" in only:
                sections["Dashboard"] = dashboard.measure(
                    app_engine,
                    database.admin_url,
                    {"small": tenants.small, "largest": tenants.largest},
                )
            if "lists" in only:
                sections["Lists"] = lists.measure(app_engine, database.admin_url, tenants.largest)
            if "browser_lists" in only:
                sections[lists_browser.SECTION] = lists_browser.measure(
                    app_engine, database, tenants.largest, quick
                )
            if "csv" in only:
                sections["CSV import"] = csv_import.measure(app_engine, database.admin_url)
        finally:
            app_engine.dispose()
    finally:
        drop_postgres_database(admin, database)
        admin.dispose()
    return sections


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="dashboard,lists,browser_lists,csv,vault,webhooks,memory")
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if only & NEEDS_BROWSER and not CHROMIUM.exists():
        # Said before a minute of seeding, not after it.
        print(
            f"{', '.join(sorted(only & NEEDS_BROWSER))} need Chromium at {CHROMIUM} "
            "(Debian: apt-get install chromium), or leave them out with --only",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    sections: dict[str, list[Row]] = {}
    if only & {"dashboard", "lists", "browser_lists", "csv"}:
        sections.update(postgres_benchmarks(args.quick, only))
    if "vault" in only:
        from bench import vault

        sections["Vault"] = vault.measure()
    notes: list[str] = []
    if "browser_lists" in only:
        from bench import lists_browser

        notes.append(lists_browser.NOTE)
    if "webhooks" in only:
        from bench import webhooks

        sections["Webhooks"] = webhooks.measure(args.quick)
        notes.append(webhooks.NOTE)
    if "memory" in only:
        from bench import memory

        sections["Memory"] = memory.measure(args.quick)
        notes.append(memory.NOTE)
    elapsed = time.perf_counter() - started
    for section, rows in sections.items():
        print(f"\n{section}")
        print("\n".join(table(rows)))
    if not args.quick:
        write_report(sections, notes, elapsed)
        print(f"\nwrote {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
