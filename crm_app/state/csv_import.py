"""The CSV import dialog: upload, match columns to fields, import in the background, summary."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Sequence

import reflex as rx
import sqlalchemy as sa

from crm_app.core.config import get_settings
from crm_app.core.db import tenant_session
from crm_app.services.csv_dates import date_order, read_the_other_way
from crm_app.services.csv_import import (
    EarlierRows,
    ImportResult,
    OnDuplicate,
    batches,
    import_contacts,
    import_leads,
)
from crm_app.services.csv_io import (
    CONTACT_FIELDS,
    LEAD_FIELDS,
    MAX_FILE_BYTES,
    NAME_PARTS,
    CsvFileError,
    CsvRecord,
    import_columns,
    parse_csv,
    plural,
)
from crm_app.services.errors import DuplicateContact, InvalidInput
from crm_app.state import display
from crm_app.state.address_bar import forget_parameters
from crm_app.state.auth import AuthState
from crm_app.state.contacts import ContactsState
from crm_app.state.leads import LeadsState

IGNORE = "ignore"
KINDS = {"leads": LEAD_FIELDS, "contacts": CONTACT_FIELDS}
# How a column choice reads in its menu, where the field's own name would not say enough.
CHOICE_LABELS = {
    IGNORE: "ignore",
    "first_name": "first name (joined into name)",
    "middle_name": "middle name (joined into name)",
    "last_name": "last name (joined into name)",
    "created_at": "date created (else today)",
}
MAX_SHOWN_NOT_IMPORTED = 200
# Longer than any batch takes (a tenth of a second here, seconds on a loaded server).
IMPORT_STALLED_SECONDS = 120
INTERRUPTED = (
    "The import was interrupted (the server restarted) after {done} of {rows}; those were "
    "imported. Import the file again to add the rest: rows already imported count as "
    "duplicates."
)
UNEXPECTED_FAILURE = (
    "The import stopped at an error of ours (it is logged); rows before this point were "
    "imported. Import the file again to add the rest: rows already imported count as duplicates."
)
MAX_FILE_MB = MAX_FILE_BYTES // (1024 * 1024)
# Why the browser refused a chosen file (react-dropzone's error codes), most telling first.
REFUSALS = {
    "too-many-files": "Choose one file at a time.",
    "file-invalid-type": (
        "{name} is not a CSV file. Save it as CSV (in Excel: File > Save As > CSV UTF-8) "
        "and choose that file."
    ),
    "file-too-large": f"{{name}} is larger than {MAX_FILE_MB} MB: split it into parts.",
}


@dataclasses.dataclass
class Rejection:
    """A row that was not imported (rejected, or skipped as a duplicate), and why."""

    row: int = 0
    reason: str = ""


class CsvImportState(AuthState):
    """One import at a time per tab; the file's rows stay on the server (backend vars)."""

    open: bool = False
    # Opened by a click while the page was still arriving: its on_load keeps it open.
    _opened_while_arriving: str = ""
    kind: str = "leads"
    step: str = "upload"  # upload | map | importing | done
    file_name: str = ""
    # How the file was read when it was not UTF-8 (csv_io.WINDOWS_1252_NOTE), else "".
    encoding_note: str = ""
    headers: list[str] = []
    preview: list[list[str]] = []
    mapping: list[str] = []
    on_duplicate: str = "skip"
    rows_total: int = 0
    processed: int = 0
    progress: int = 0
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected_total: int = 0
    # Rejected and skipped rows, in the file's order: the summary's "why not" table.
    not_imported: list[Rejection] = []
    error: str = ""
    reading: bool = False
    _records: list[CsvRecord] = []
    # When the running import last reported (time.time()): the state outlives the worker
    # that ran it, on disk or in Redis, and an import it was running then never ends.
    _import_beat: float = 0.0
    # Which import of this tab is the current one: a run taken for stopped (a batch slower
    # than IMPORT_STALLED_SECONDS) must not write over the next import's dialog.
    _import_run: int = 0

    @rx.var
    def field_options(self) -> list[str]:
        return [IGNORE, *import_columns(KINDS.get(self.kind, LEAD_FIELDS))]

    @rx.var
    def field_labels(self) -> dict[str, str]:
        """Each column choice as its menu shows it."""
        return {option: CHOICE_LABELS.get(option, option) for option in self.field_options}

    @rx.var
    def title(self) -> str:
        return f"Import {self.kind} from CSV"

    @rx.var
    def rows_text(self) -> str:
        """The file's row count in words: "1 row", "2,400 rows"."""
        return plural(self.rows_total, "row")

    @rx.var
    def progress_text(self) -> str:
        """What the progress step says: "Importing… 500 of 2,400 rows"."""
        return f"Importing… {self.processed:,} of {plural(self.rows_total, 'row')}"

    @rx.var
    def summary_counts(self) -> dict[str, str]:
        """The summary's counts as shown: "2,400", thousands separated like the list's counter."""
        counts = {
            "created": self.created,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "rejected": self.rejected_total,
        }
        return {name: f"{count:,}" for name, count in counts.items()}

    def _reset(self, kind: str) -> None:
        self.kind = kind if kind in KINDS else "leads"
        self.step, self.file_name, self.error, self.reading = "upload", "", "", False
        self.headers, self.preview, self.mapping, self._records = [], [], [], []
        self.encoding_note = ""
        self.on_duplicate, self.rows_total, self.processed, self.progress = "skip", 0, 0, 0
        self.created = self.updated = self.duplicates = self.rejected_total = 0
        self.not_imported = []

    def _end_an_import_that_stopped(self) -> bool:
        """An import no one has run for IMPORT_STALLED_SECONDS (its worker restarted) is over:
        the dialog says so, rather than show its progress bar, with no button, for ever."""
        if self.step != "importing" or time.time() - self._import_beat < IMPORT_STALLED_SECONDS:
            return False
        self.step, self._records, self.open = "done", [], True
        rows = plural(self.rows_total, "row")
        self.error = INTERRUPTED.format(done=f"{self.processed:,}", rows=rows)
        return True

    @rx.event
    def open_for(self, kind: str):
        self._end_an_import_that_stopped()
        if self._user_id and self.step != "importing":
            self._reset(kind)
            self.open = True
            self._opened_while_arriving = self._arrival_mark()

    @rx.event
    def open_from_query(self, kind: str):
        """on_load of a list page: ?import=1 opens the dialog (the dashboard's link); otherwise
        one left open on the last visit is closed, unless it shows an import in progress or
        was opened by a click on this page before its on_load ran."""
        if self._end_an_import_that_stopped():
            pass  # its dialog stays open, saying what became of it
        elif self._user_id and self.router.url.query_parameters.get("import") == "1":
            self.open_for(kind)
            # Opened by this on_load: a reconnect keeps it, a visit does not (_kept_on_arrival).
            self._opened_while_arriving = self._socket_mark()
            return forget_parameters("import")  # asked once: Back or a reload does not ask again
        elif self.step != "importing" and not self._kept_on_arrival(self._opened_while_arriving):
            self.open = False
        self._opened_while_arriving = self._mark_if_kept(self.open)

    @rx.event
    def set_open(self, is_open: bool):
        if self._end_an_import_that_stopped():
            return  # open, saying what became of it: the next close closes it
        # An import in progress keeps its dialog: the progress is the point.
        self.open = is_open or self.step == "importing"

    @rx.event
    def choose_another_file(self):
        self._reset(self.kind)

    @rx.event
    async def read_file(self, files: list[rx.UploadFile]):
        """Read the uploaded file, match its columns by header and show the first rows."""
        if not self._user_id or not files:
            return
        upload = files[0]
        self.reading, self.error = True, ""
        data = upload.file.read(MAX_FILE_BYTES + 1)
        fields = KINDS[self.kind]
        try:
            parsed = await asyncio.to_thread(parse_csv, data, fields=fields)
        except CsvFileError as error:
            self.error, self.reading = error.message, False
            return
        self.file_name = (upload.name or "upload.csv")[:200]
        self.headers = [header[:80] for header in parsed.headers]
        self.mapping = [parsed.mapping.get(index, IGNORE) for index in range(len(parsed.headers))]
        self.preview = [
            (row + [""] * len(parsed.headers))[: len(parsed.headers)] for row in parsed.preview()
        ]
        self._records, self.rows_total = parsed.records, len(parsed.records)
        self.encoding_note = parsed.encoding_note
        self.step, self.reading = "map", False

    @rx.event
    def check_session(self):
        """Sent with an upload: a tab whose session ended goes to /login, which says why."""
        if not self._user_id:
            return self._to_login()
        return None

    @rx.event
    def refuse_file(self, file_name: str, codes: list[str]):
        """The browser kept a chosen file back (too large, not CSV): say why in the dialog."""
        if self._user_id and self.step == "upload":
            codes = codes if isinstance(codes, list) else []  # it comes from the browser
            self.error, self.reading = refusal_message(str(file_name or ""), codes), False

    @rx.event
    def set_column(self, index: int, field: str):
        if 0 <= index < len(self.mapping) and field in self.field_options:
            mapping = list(self.mapping)
            if field != IGNORE:  # a field comes from one column: take it from any other
                mapping = [IGNORE if chosen == field else chosen for chosen in mapping]
            mapping[index] = field
            self.mapping = mapping

    @rx.event
    def set_on_duplicate(self, value: str | list[str]):
        chosen = value if isinstance(value, str) else (value or ["skip"])[0]
        self.on_duplicate = "update" if chosen == "update" else "skip"

    @rx.event
    async def start(self):
        """Check the column choices, then hand the rows to the background import."""
        if not self._user_id or self.step != "map":
            return None
        chosen = set(self.mapping) - {IGNORE}
        if not chosen & {"name", *NAME_PARTS, "phone", "email"}:
            self.error = "Match at least one column to name, phone or email."
            return None
        if "created_at" in chosen and (refused := await self._dates_the_other_way()):
            self.error = refused
            return None
        self.error, self.step, self._import_beat = "", "importing", time.time()
        self._import_run += 1
        return CsvImportState.run_import

    async def _dates_the_other_way(self) -> str:
        """Why the date column cannot be read, when its cells prove it written with day and
        month the other way round from this CRM's region; "" otherwise."""
        column = self.mapping.index("created_at")
        region = get_settings().default_phone_region
        cells = [
            (record.number, record.cells[column])
            for record in self._records
            if column < len(record.cells)
        ]
        # Up to 50,000 cells to read: off the event loop, which serves every other tab.
        proof = await asyncio.to_thread(read_the_other_way, cells, region)
        if proof is None:
            return ""
        row, text = proof
        here = date_order(region)
        written = "day/month/year" if here == "month/day/year" else "month/day/year"
        return (
            f"The dates are written {written} (row {row}: {text}), but this CRM reads them "
            f"{here}, so some would be read wrong. Nothing was imported: write the dates "
            f'year first (2026-11-14), or set the date column to "{IGNORE}".'
        )

    @rx.event(background=True)
    async def run_import(self):
        """Import batch by batch (one unit of work each), updating the progress bar."""
        async with self:
            if not self._user_id or self.step != "importing":
                return
            user_id, kind = self.user_uuid, self.kind
            policy: OnDuplicate = "update" if self.on_duplicate == "update" else "skip"
            headers, records = list(self.headers), self._records
            mapping = {i: field for i, field in enumerate(self.mapping) if field != IGNORE}
            self.processed, self.progress = 0, 0
            # Reflex points a running task at whichever socket takes the tab's token.
            started_on, run = self.router.session.session_id, self._import_run
        total, failure = ImportResult(), ""
        earlier = EarlierRows()
        for batch in batches(records):
            try:
                result = await asyncio.to_thread(
                    _import_batch, user_id, kind, headers, batch, mapping, policy, earlier
                )
            except InvalidInput as error:
                failure = str(error)
                break
            except sa.exc.SQLAlchemyError:
                display.log.exception("csv import: a batch failed")
                failure = "The database stopped answering; rows before this point were imported."
                break
            except Exception:
                # A fault of ours: the dialog must still end, or it stays on its progress
                # bar with no button, and the tab cannot start another import.
                display.log.exception("csv import: a batch failed")
                failure = UNEXPECTED_FAILURE
                break
            total.add(result)
            async with self:
                if self._import_run != run or self.step != "importing":
                    return  # the person was told it had stopped: it stops
                self.processed, self._import_beat = total.processed, time.time()
                self.progress = round(total.processed / max(1, self.rows_total) * 100)
        async with self:
            if self._import_run != run or self.step != "importing":
                return  # taken for stopped meanwhile: its dialog says so already
            self.created, self.updated = total.created, total.updated
            self.duplicates, self.rejected_total = total.duplicates, len(total.rejected)
            not_imported = sorted([*total.rejected, *total.skipped], key=lambda r: r.number)
            if self._user_id != str(user_id) or self.router.session.session_id != started_on:
                # The tab's socket closed during the import, and whoever presents its token
                # next would get the reasons, which quote the file's rows and the records
                # they clash with (the counts say what happened all the same).
                not_imported = []
            self.not_imported = [
                Rejection(row=r.number, reason=r.reason[:300])
                for r in not_imported[:MAX_SHOWN_NOT_IMPORTED]
            ]
            self.error, self.step, self._records = failure, "done", []
            self.progress = 100 if not failure else self.progress
        yield LeadsState.refresh if kind == "leads" else ContactsState.refresh


def refusal_message(file_name: str, codes: list[str]) -> str:
    """What the dialog says when the browser refused a file before sending it."""
    name = file_name[:200] or "The file"
    for code, message in REFUSALS.items():
        if code in codes:
            return message.format(name=name)
    return f"{name} could not be read: choose a CSV file of up to {MAX_FILE_MB} MB."


def _import_batch(
    user_id: uuid.UUID,
    kind: str,
    headers: list[str],
    batch: Sequence[CsvRecord],
    mapping: dict[int, str],
    policy: OnDuplicate,
    earlier: EarlierRows,
) -> ImportResult:
    """One batch in its own unit of work (run in a worker thread).

    A row's update that met a contact another writer (a Make upsert) saved
    meanwhile spoils the unit of work: the batch goes again, once, from the
    file's rows as they were before it, and then sees that contact.
    """
    importer = import_leads if kind == "leads" else import_contacts

    def in_one_unit_of_work() -> ImportResult:
        with tenant_session(user_id) as session:
            return importer(
                session=session,
                user_id=user_id,
                headers=headers,
                records=batch,
                mapping=mapping,
                on_duplicate=policy,
                earlier=earlier,
            )

    before = earlier.copy()
    try:
        return in_one_unit_of_work()
    except DuplicateContact as error:
        if not error.raced:
            raise
    earlier.numbers = before.numbers
    return in_one_unit_of_work()
