"""CSV files in and out: reading an upload safely, matching columns to fields, exporting lists.

Spreadsheets run a cell that starts with = + - @ (or a tab or carriage
return) as a formula. Exported cells that start so get an apostrophe in
front (OWASP's advice), which spreadsheets hide and this importer removes.
An imported cell that starts so without the apostrophe is refused with a
message saying how to keep it as text: it came from somewhere that would
have run it.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from crm_app.models import Contact, Lead
from crm_app.services.contacts import select_contacts
from crm_app.services.errors import InvalidInput
from crm_app.services.leads import select_leads

LEAD_FIELDS = ("name", "phone", "email", "status", "source", "notes")
CONTACT_FIELDS = ("name", "phone", "email", "company", "notes")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 100
# csv's own limit; a longer cell is reported, not silently cut.
MAX_CELL_CHARS = 100_000
PREVIEW_ROWS = 5
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A number (a phone number, an amount) may start with + or -: that is not a formula.
_NUMBER_LIKE = re.compile(r"^[+-]?[\d\s().\-/]+$")
_DELIMITERS = (",", ";", "\t")
# Header spellings people use for each field, compared lower-cased without spaces, - and _.
HEADER_ALIASES = {
    "name": {"name", "fullname", "contactname", "leadname", "customername", "customer", "person"},
    "phone": {
        "phone",
        "phonenumber",
        "mobile",
        "mobilenumber",
        "cell",
        "telephone",
        "tel",
        "number",
    },
    "email": {"email", "emailaddress", "mail"},
    "status": {"status", "stage", "leadstatus", "pipelinestage"},
    "source": {"source", "leadsource", "channel", "origin"},
    "company": {"company", "companyname", "organisation", "organization", "business", "account"},
    "notes": {"notes", "note", "comments", "comment", "description"},
}


class CsvFileError(InvalidInput):
    """The file as a whole cannot be read as CSV; the message says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__({"file": message})
        self.message = message


@dataclass(frozen=True)
class CsvRecord:
    """One data row: its number as a spreadsheet shows it (the header is row 1) and its cells."""

    number: int
    cells: list[str]


@dataclass(frozen=True)
class ParsedCsv:
    """A readable CSV: its header, its data rows and the columns matched to fields by header."""

    headers: list[str]
    records: list[CsvRecord]
    mapping: dict[int, str] = field(default_factory=dict)  # column index -> field

    def preview(self, rows: int = PREVIEW_ROWS) -> list[list[str]]:
        """The first rows, each cell cut short for display."""
        return [[cell[:80] for cell in record.cells] for record in self.records[:rows]]


def _normalise_header(header: str) -> str:
    return re.sub(r"[\s_\-.]+", "", header.strip().lower())


def suggest_mapping(headers: Sequence[str], fields: Sequence[str]) -> dict[int, str]:
    """Match columns to fields by header name; the first column wins when two name one field."""
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        key = _normalise_header(header)
        for name in fields:
            if key in HEADER_ALIASES.get(name, {name}) and name not in mapping.values():
                mapping[index] = name
                break
    return mapping


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CsvFileError(
            'The file is UTF-16 text. Save it as "CSV UTF-8" (comma delimited) and upload it again.'
        )
    if b"\x00" in data[:65536]:
        raise CsvFileError("This is not a CSV text file (it contains binary data).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvFileError(
            f"The file is not UTF-8 text (unreadable byte at position {error.start}). "
            'Save it as "CSV UTF-8" and upload it again.'
        ) from None


def _delimiter(first_line: str) -> str:
    """The separator the header uses most: commas, or semicolons and tabs from some locales."""
    counts = {delimiter: first_line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def parse_csv(data: bytes, *, fields: Sequence[str]) -> ParsedCsv:
    """Read an uploaded CSV; CsvFileError with a clear message when the file cannot be used."""
    if not data.strip():
        raise CsvFileError("The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise CsvFileError(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: split it into parts."
        )
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    rows: list[CsvRecord] = []
    try:
        for number, cells in enumerate(reader, start=1):
            if len(cells) > MAX_COLUMNS:
                raise CsvFileError(f"Row {number} has more than {MAX_COLUMNS} columns.")
            if number > MAX_ROWS + 1:
                raise CsvFileError(
                    f"The file has more than {MAX_ROWS:,} rows: split it into parts."
                )
            rows.append(CsvRecord(number=number, cells=cells))
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise CsvFileError(
                f"Row {reader.line_num} has a cell longer than {MAX_CELL_CHARS:,} characters."
            ) from None
        raise CsvFileError(f"The file is not valid CSV near line {reader.line_num}.") from None
    header = next((row for row in rows if any(cell.strip() for cell in row.cells)), None)
    if header is None:
        raise CsvFileError("The file has no rows.")
    headers = [cell.strip() for cell in header.cells]
    mapping = suggest_mapping(headers, fields)
    if not mapping:
        raise CsvFileError(
            "The first row must be a header naming the columns, for example "
            f"{','.join(fields[:3])}. None of its cells names a field "
            f"({', '.join(fields)})."
        )
    records = [
        row for row in rows if row.number > header.number and any(c.strip() for c in row.cells)
    ]
    if not records:
        raise CsvFileError("The file has a header but no rows.")
    return ParsedCsv(headers=headers, records=records, mapping=mapping)


def looks_like_formula(value: str) -> bool:
    """True when a spreadsheet would run this cell as a formula."""
    return value.startswith(FORMULA_STARTS) and not _NUMBER_LIKE.match(value)


def escape_cell(value: str) -> str:
    """A cell safe to open in a spreadsheet: formula starts get an apostrophe in front."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def unescape_cell(value: str) -> str:
    """Undo escape_cell: an apostrophe before a formula start is dropped."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def record_values(
    record: CsvRecord, headers: Sequence[str], mapping: dict[int, str]
) -> dict[str, str]:
    """A record's mapped cells as field -> text; InvalidInput names what is wrong with the row."""
    extra = [cell for cell in record.cells[len(headers) :] if cell.strip()]
    if extra:
        raise InvalidInput(
            {"row": f"has {len(record.cells)} cells but the header has {len(headers)} columns"}
        )
    values: dict[str, str] = {}
    for index, name in mapping.items():
        raw = record.cells[index] if index < len(record.cells) else ""
        if len(raw) > MAX_CELL_CHARS:
            raise InvalidInput({name: f"longer than {MAX_CELL_CHARS:,} characters"})
        if looks_like_formula(raw.lstrip(" ")):
            raise InvalidInput(
                {
                    name: f"starts with {raw.lstrip(' ')[0]!r}, which a spreadsheet runs as a "
                    "formula; put an apostrophe (') in front to keep it as text"
                }
            )
        values[name] = unescape_cell(raw.strip())
    return values


# --- export


def _csv_text(header: Sequence[str], rows: Iterator[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([escape_cell("" if value is None else str(value)) for value in row])
    return buffer.getvalue()


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def _export_rows(session: Session, statement: Any, model: Any, fields: Sequence[str]) -> str:
    """The statement's rows as CSV: the fields, then created_at; streamed, not loaded whole."""
    columns = [getattr(model, name) for name in fields] + [model.created_at]
    rows = session.execute(statement.with_only_columns(*columns).execution_options(yield_per=1000))
    return _csv_text([*fields, "created_at"], ([*row[:-1], _iso(row[-1])] for row in rows))


def export_leads_csv(
    *,
    session: Session,
    user_id: uuid.UUID,
    search: str | None = None,
    status: str | None = None,
    source: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    sort: str = "created_at",
    descending: bool = True,
) -> str:
    """The user's leads matching the list's filters, in the list's order, as CSV text."""
    statement = select_leads(
        user_id=user_id,
        search=search,
        status=status,
        source=source,
        created_from=created_from,
        created_to=created_to,
        sort=sort,
        descending=descending,
    )
    return _export_rows(session, statement, Lead, LEAD_FIELDS)


def export_contacts_csv(
    *,
    session: Session,
    user_id: uuid.UUID,
    search: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    sort: str = "created_at",
    descending: bool = True,
) -> str:
    """The user's contacts matching the list's filters, in the list's order, as CSV text."""
    statement = select_contacts(
        user_id=user_id,
        search=search,
        created_from=created_from,
        created_to=created_to,
        sort=sort,
        descending=descending,
    )
    return _export_rows(session, statement, Contact, CONTACT_FIELDS)
