"""CSV files in and out: reading an upload safely, matching columns to fields, exporting lists.

Spreadsheets run a cell that starts with = + - @ (or a tab, carriage return,
line feed or NUL) as a formula. The defence sits on export, as OWASP's "CSV
Injection" page advises: such cells get an apostrophe in front, which
spreadsheets hide and this importer removes again. A plain number (an E.164
phone such as +14155550150, or -42) is exported as it is: a sign followed by
digits alone can name no function, cell or command, so it can only evaluate
to itself. Imported text is kept as typed; the pages show it as plain text.
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
# Columns an import may also fill, joined in this order into the name ("Ada" + "King" +
# "Lovelace") when the row has no name of its own: Google Contacts, Outlook and most
# spreadsheets split names, and a middle name left out would be lost.
NAME_PARTS = ("first_name", "middle_name", "last_name")
# A column every import may also fill: when each row was created (csv_dates), kept in place of
# the day of the import. The CRM's own export writes it.
CREATED_AT = "created_at"
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
# Google Contacts writes a column per label of every kind (three phones, two emails, …):
# over a hundred is common. The file's size caps the work anyway.
MAX_COLUMNS = 500
# csv's own limit; a longer cell is reported, not silently cut.
MAX_CELL_CHARS = 100_000
PREVIEW_ROWS = 5
# Rows read to choose between columns whose headers name the same field.
_ROWS_SAMPLED_FOR_MAPPING = 200
# Starts every export: without it Excel reads the file in the local ANSI code page
# ("JosÃ© MÃ¼ller"). Our importer (utf-8-sig) and other CSV readers skip it.
UTF8_BOM = "\ufeff"
# OWASP's list (= + - @ tab, carriage return, line feed), plus NUL from ASVS 5.0 1.2.10.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
# A sign and ASCII digits (an E.164 phone number, an amount): nothing in it can run.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_DELIMITERS = (",", ";", "\t")
# Rows a file may have above its header: a title, a date, blank lines (as spreadsheets export).
LINES_BEFORE_HEADER = 5
# Header spellings people use for each field, compared lower-cased without spaces, - and _.
# Google Contacts writes "E-mail 1 - Value" and "Phone 1 - Value"; Outlook "Mobile Phone".
HEADER_ALIASES = {
    "name": {
        "name",
        "fullname",
        "contactname",
        "leadname",
        "customername",
        "customer",
        "person",
        "client",
        "clientname",
        "displayname",
        # Clinics and practices keep patients ("Patient Name", as UK dental software exports).
        "patient",
        "patientname",
    },
    "first_name": {"firstname", "givenname", "forename", "first"},
    # Google Contacts' older exports call it "Additional Name".
    "middle_name": {"middlename", "additionalname", "middle", "middleinitial"},
    "last_name": {"lastname", "familyname", "surname", "last"},
    "phone": {
        "phone",
        "phonenumber",
        "mobile",
        "mobilenumber",
        "mobilephone",
        "cell",
        "cellphone",
        "telephone",
        "tel",
        "phone#",
        "phone#s",
        "phones",
        "phonenumbers",
        "mainphone",
        "mobilephonenumber",
        "cellnumber",
        "homenumber",
        "worknumber",
        "phone1value",
        "primaryphone",
        "businessphone",
        "homephone",
        "workphone",
        # Jobber's client export lists every number of a kind in one column.
        "mainphone#s",
        "mobilephone#s",
        "workphone#s",
        "homephone#s",
        # How British offices head them: "Tel No.", "Mobile No.", "Home Tel".
        "telno",
        "telephoneno",
        "telephonenumber",
        "mobileno",
        "phoneno",
        "hometel",
        "worktel",
        "daytimetel",
        "contactnumber",
        "landline",
    },
    "email": {
        "email",
        "emailaddress",
        "mail",
        "email1value",
        "emails",
        "emailaddresses",
        "mainemail",
        "primaryemail",
        "workemail",
        "businessemail",
    },
    "status": {"status", "stage", "leadstatus", "pipelinestage"},
    "source": {"source", "leadsource", "channel", "origin"},
    "company": {
        "company",
        "companyname",
        "organisation",
        "organization",
        "organizationname",
        "organization1name",
        "business",
        "account",
    },
    "notes": {"notes", "note", "comments", "comment", "description", "jobnotes", "remarks"},
    CREATED_AT: {
        "createdat",
        "created",
        "createdon",
        "createddate",
        "createdtime",
        "createdate",
        "datecreated",
        "dateadded",
        "added",
        "addedon",
        "createtime",
    },
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
    # How the bytes were read, when not as UTF-8: worth a look at the preview's accents.
    encoding_note: str = ""

    def preview(self, rows: int = PREVIEW_ROWS) -> list[list[str]]:
        """The first rows, each cell cut short for display."""
        return [[cell[:80] for cell in record.cells] for record in self.records[:rows]]


def import_columns(fields: Sequence[str]) -> tuple[str, ...]:
    """What an import's columns may fill: the fields, the name's parts after the name, and
    when the row was created."""
    if "name" not in fields:
        return (*fields, CREATED_AT)
    at = fields.index("name") + 1
    return (*fields[:at], *NAME_PARTS, *fields[at:], CREATED_AT)


def _normalise_header(header: str) -> str:
    return re.sub(r"[\s_\-.]+", "", header.strip().lower())


# Exports number a person's phones and emails: Google's "Phone 2 - Value" and "E-mail 3 -
# Value", Outlook's "E-mail 2 Address".
_NUMBERED = {
    "phone": re.compile(r"phone[0-9]+value"),
    "email": re.compile(r"email[0-9]+(?:value|address)"),
}
# Fields a row may take from another column when its own is blank (fallback_columns).
_FALLBACK_FIELDS = ("phone", "email")


def _names_field(key: str, name: str) -> bool:
    """Whether a normalised header names the field `name`."""
    numbered = _NUMBERED.get(name)
    return key in HEADER_ALIASES.get(name, {name}) or bool(numbered and numbered.fullmatch(key))


def fallback_columns(headers: Sequence[str], mapping: dict[int, str]) -> dict[int, list[int]]:
    """For a column mapped to the phone or the email, the columns matched to nothing whose
    headers name the same field, in file order.

    Exports keep a person's numbers apart (Outlook's Business, Mobile and Home
    Phone; Google's Phone 1, 2 and 3): a row blank in the chosen column takes
    the first of these it has filled, rather than arriving with no number.
    """
    fallbacks: dict[int, list[int]] = {}
    for index, name in mapping.items():
        if name in _FALLBACK_FIELDS:
            others = [
                other
                for other, header in enumerate(headers)
                if other not in mapping and _names_field(_normalise_header(header), name)
            ]
            if others:
                fallbacks[index] = others
    return fallbacks


def suggest_mapping(
    headers: Sequence[str], fields: Sequence[str], records: Sequence[CsvRecord] = ()
) -> dict[int, str]:
    """Match columns to fields (and the name's parts) by header name.

    Where several columns name one field (Outlook's "Business Phone" and "Mobile
    Phone"), the one with the most cells filled in the first rows wins, the
    first of them on a tie: an empty first column would hide the numbers.
    """
    candidates: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        key = _normalise_header(header)
        for name in import_columns(fields):
            if _names_field(key, name):
                candidates.setdefault(name, []).append(index)
                break
    sample = records[:_ROWS_SAMPLED_FOR_MAPPING]

    def filled(index: int) -> int:
        return sum(1 for r in sample if index < len(r.cells) and r.cells[index].strip())

    chosen = {
        max(columns, key=lambda i: (filled(i), -i)): name for name, columns in candidates.items()
    }
    return dict(sorted(chosen.items()))


WINDOWS_1252_NOTE = (
    'Read as Windows text (Windows-1252, what Excel\'s "CSV (Comma delimited)" writes): '
    "check that accented letters look right below."
)


def _decode(data: bytes) -> tuple[str, str]:
    """The file's text, and a note on how it was read when that was not UTF-8.

    UTF-8 (with or without Excel's byte order mark) is the norm. Excel's
    "Unicode Text" is UTF-16 with a byte order mark, which says so. Anything
    else is read as Windows-1252, which Excel writes for "CSV (Comma
    delimited)" on Windows; every other byte sequence is valid in it, so the
    note asks the person to check the preview (a Mac's "CSV" differs in its
    accents only).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), ""
        except UnicodeDecodeError:
            raise CsvFileError("The file starts as UTF-16 text but is not.") from None
    if b"\x00" in data[:65536]:
        raise CsvFileError("This is not a CSV text file (it contains binary data).")
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as error:
        utf8_error = error
    if data.startswith(UTF8_BOM.encode()):
        # It says it is UTF-8: read as Windows-1252 its every accent would be garbled, and
        # its first column, behind the mark's three characters, matched to nothing.
        line = data.count(b"\n", 0, utf8_error.start) + 1
        raise CsvFileError(
            f"The file is marked as UTF-8 but line {line} has a byte that is not "
            f"(at position {utf8_error.start}): two files pasted together, perhaps. Save it "
            'again as "CSV UTF-8" and upload it again.'
        )
    try:
        return data.decode("cp1252"), WINDOWS_1252_NOTE
    except UnicodeDecodeError:
        raise CsvFileError(
            f"The file is not UTF-8 text (unreadable byte at position {utf8_error.start}). "
            'Save it as "CSV UTF-8" and upload it again.'
        ) from None


def _delimiter(text: str) -> str:
    """The separator the header uses most: commas, or semicolons and tabs from some locales.

    Read from the first line that has any: blank lines or a title line
    ("Leads export") may come before the header.
    """
    for line in text.split("\n", LINES_BEFORE_HEADER + 1)[: LINES_BEFORE_HEADER + 1]:
        counts = {delimiter: line.count(delimiter) for delimiter in _DELIMITERS}
        best = max(counts, key=lambda delimiter: counts[delimiter])
        if counts[best]:
            return best
    return ","


def plural(count: int, noun: str) -> str:
    """'1 row', '2 rows', '1,000 rows'."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _malformed(error: csv.Error, number: int, first_line: int, reader: Any) -> CsvFileError:
    """The csv module's complaint about record `number` (starting at first_line), in words."""
    row = f"Row {number}" if number == first_line else f"Row {number} (line {first_line})"
    spans_lines = reader.line_num > first_line  # only a quoted cell runs over a line break
    message = str(error)
    if "field larger than field limit" in message:
        hint = ': check for a quote (") that is never closed' if spans_lines else ""
        return CsvFileError(f"{row} has a cell longer than {MAX_CELL_CHARS:,} characters{hint}.")
    if "unexpected end of data" in message:
        return CsvFileError(
            f'{row}: unclosed quote. A cell opens with a quote (") that is never closed, so '
            "the rest of the file would be read as one cell. Close or remove the quote."
        )
    if "expected after" in message:
        return CsvFileError(
            f'{row}: a cell has text after its closing quote ("). Write a quote inside a '
            'quoted cell twice (""), and check the row for a quote that is never closed.'
        )
    return CsvFileError(f"{row} is not valid CSV ({message}).")


TOO_MANY_ROWS = f"The file has more than {MAX_ROWS:,} rows: split it into parts."


def _read_records(reader: Any) -> list[CsvRecord]:
    """Every row of the file that holds something, numbered as a spreadsheet shows them;
    CsvFileError if malformed.

    Blank rows count for nothing (a spreadsheet saves thousands of empty formatted
    ones), and the limit leaves room for the header and the lines above it: a title
    and 50,000 rows under their header is a file of 50,000 rows.
    """
    rows: list[CsvRecord] = []
    number = 0
    while True:
        number, first_line = number + 1, reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return rows
        except csv.Error as error:
            raise _malformed(error, number, first_line, reader) from None
        if len(cells) > MAX_COLUMNS:
            raise CsvFileError(f"Row {number} has more than {MAX_COLUMNS} columns.")
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS + 1 + LINES_BEFORE_HEADER:
            raise CsvFileError(TOO_MANY_ROWS)
        rows.append(CsvRecord(number=number, cells=cells))


def parse_csv(data: bytes, *, fields: Sequence[str]) -> ParsedCsv:
    """Read an uploaded CSV; CsvFileError with a clear message when the file cannot be used."""
    if not data.strip():
        raise CsvFileError("The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise CsvFileError(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: split it into parts."
        )
    text, encoding_note = _decode(data)
    guess = _delimiter(text)
    try:
        return _parse_text(text, guess, fields, encoding_note)
    except CsvFileError:
        # A title line with another separator in it ("Leads export, March 2026" above a
        # header of semicolons) misled the guess, which then found no header, or met a
        # quoted cell ("Lee; Ann") that reads as malformed: the separator that reads the
        # file and finds a header is it. None does: the guess's complaint stands.
        for other in _DELIMITERS:
            if other != guess:
                try:
                    return _parse_text(text, other, fields, encoding_note)
                except CsvFileError:
                    pass
        raise


def _parse_text(text: str, delimiter: str, fields: Sequence[str], encoding_note: str) -> ParsedCsv:
    # strict: an unclosed quote is an error, not the rest of the file silently made one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows = _read_records(reader)
    filled = [row for row in rows if any(cell.strip() for cell in row.cells)]
    if not filled:
        raise CsvFileError("The file has no rows.")
    # The header is the row among the first few that names the most fields: a title line,
    # or a row of group labels above the header ("Customer,,,Property"), may come first.
    # Not a row of data: its values can be words that name fields too ("Customer", "Phone").
    header, headers, mapping = filled[0], [cell.strip() for cell in filled[0].cells], {}
    for position, row in enumerate(filled[: LINES_BEFORE_HEADER + 1]):
        cells = [cell.strip() for cell in row.cells]
        if mapping and _holds_data(cells):
            break
        below = filled[position + 1 : position + 1 + _ROWS_SAMPLED_FOR_MAPPING]
        found = suggest_mapping(cells, fields, below)
        if len(found) > len(mapping):
            header, headers, mapping = row, cells, found
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
    if len(records) > MAX_ROWS:
        raise CsvFileError(TOO_MANY_ROWS)
    return ParsedCsv(headers=headers, records=records, mapping=mapping, encoding_note=encoding_note)


_PHONE_LIKE = re.compile(r"(?:[^0-9]*[0-9]){7}")


def _holds_data(cells: Sequence[str]) -> bool:
    """Whether a row has a cell no header has: an email address or a phone-length number."""
    return any("@" in cell or _PHONE_LIKE.match(cell) for cell in cells)


def looks_like_formula(value: str) -> bool:
    """True when a spreadsheet could run this cell: a formula start, and not a plain number."""
    return value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value)


def _marked(value: str) -> bool:
    """Whether unescape_cell takes an apostrophe off: one before a formula start, or before
    more apostrophes and then one (spreadsheets mark text "'+14155552671" the same way)."""
    return value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS)


def escape_cell(value: str) -> str:
    """A cell safe to open in a spreadsheet: formula starts get an apostrophe in front.

    So does a cell that already looks marked ("'=already quoted" as typed), so
    that an export read back by the import gives it back as it was.
    """
    return "'" + value if looks_like_formula(value) or _marked(value) else value


def unescape_cell(value: str) -> str:
    """Undo escape_cell: the apostrophe in front of a formula start is dropped."""
    return value[1:] if _marked(value) else value


# Lead statuses as other CRMs export them (HubSpot's defaults, Salesforce's, Pipedrive's),
# compared lower-cased with single spaces: each read as the status that means the same.
STATUS_SYNONYMS = {
    "open": "new",
    "open - not contacted": "new",
    "not contacted": "new",
    "new lead": "new",
    "attempted to contact": "contacted",
    "in progress": "contacted",
    "connected": "contacted",
    "working": "contacted",
    "working - contacted": "contacted",
    "open deal": "qualified",
    "closed won": "won",
    "closed - converted": "won",
    "converted": "won",
    "customer": "won",
    "closed lost": "lost",
    "closed - not converted": "lost",
    "unqualified": "lost",
    "not interested": "lost",
}
# What spreadsheets hold in a phone or email cell that has none: read as a blank cell.
_PLACEHOLDERS = frozenset({"n/a", "na", "none", "-", "–", "—", "tbd", "unknown", "null", "?"})
# ...and in a name cell, all but "Na", a common Korean surname ("Na Hye-won").
_NAME_PLACEHOLDERS = _PLACEHOLDERS - {"na"}


# Between the numbers of a cell that holds several (Jobber's "Main Phone #s").
_NUMBERS_APART = re.compile(r"\s*[,;/\n]\s*")
_HOLDS_A_SEPARATOR = re.compile(r"[,;/\n]")


def _first_of_several_numbers(value: str) -> str:
    """The first number of a cell holding several ("512-555-1800, 512-555-1802"); the cell
    as it is when it holds one, an extension ("512-555-1800, ext. 12") included."""
    if not _HOLDS_A_SEPARATOR.search(value):
        return value  # the common cell, at no more than one scan
    parts = _NUMBERS_APART.split(value)
    numbers = [part for part in parts if sum(c.isdigit() for c in part) >= 7]
    return numbers[0] if len(numbers) > 1 else value


_EMAILS_APART = re.compile(r"[\s,;]+")


def _first_of_several_emails(value: str) -> str:
    """The first address of a cell holding several ("lee@ames.com, lee@work.com", as an
    "E-mails" column does); the cell as it is when it holds one."""
    if value.count("@") < 2:
        return value
    addresses = [part for part in _EMAILS_APART.split(value) if "@" in part]
    return addresses[0] if len(addresses) > 1 else value


def _contact_detail(name: str, value: str) -> str:
    """A cell as the import reads it: in a phone or email, a placeholder is blank, and an
    email copied from a link loses its "mailto:"; another CRM's status is ours."""
    if name == "status":
        return STATUS_SYNONYMS.get(" ".join(value.lower().replace("_", " ").split()), value)
    if name in ("name", *NAME_PARTS) and value.lower() in _NAME_PLACEHOLDERS:
        return ""  # "N/A" names no one: a row with nothing else is refused, saying why
    if name not in ("phone", "email"):
        return value
    # Google Contacts writes a label's several values in one cell: the first is the one.
    value = value.split(" ::: ")[0].strip()
    first_of_several = _first_of_several_numbers if name == "phone" else _first_of_several_emails
    value = first_of_several(value)
    if value.lower() in _PLACEHOLDERS:
        return ""
    if name == "email" and value[:7].lower() == "mailto:":
        return value[7:].strip()
    return value


def record_values(
    record: CsvRecord,
    headers: Sequence[str],
    mapping: dict[int, str],
    fallbacks: dict[int, list[int]] | None = None,
) -> dict[str, str]:
    """A record's mapped cells as field -> text; InvalidInput names what is wrong with the row.

    `fallbacks` (fallback_columns) fill a blank phone or email from another column.
    """
    extra = [cell for cell in record.cells[len(headers) :] if cell.strip()]
    if extra:
        raise InvalidInput(
            {
                "row": f"has {plural(len(record.cells), 'cell')} but the header has "
                f"{plural(len(headers), 'column')}"
            }
        )
    values: dict[str, str] = {}
    for index, name in mapping.items():
        for column in [index, *(fallbacks or {}).get(index, [])]:
            raw = record.cells[column] if column < len(record.cells) else ""
            if len(raw) > MAX_CELL_CHARS:
                raise InvalidInput({name: f"longer than {MAX_CELL_CHARS:,} characters"})
            # Kept as typed, = + - @ included: the pages show it as text and export escapes it.
            values[name] = _contact_detail(name, unescape_cell(raw.strip()))
            if values[name]:
                break
    parts = [values.pop(part, "") for part in NAME_PARTS]
    if not values.get("name") and any(parts):
        values["name"] = " ".join(part for part in parts if part)
    return values


def names_in_part(record: CsvRecord, mapping: dict[int, str]) -> bool:
    """Whether the row's name is built from its parts with a first or last name blank ("Smith"
    of a row whose first-name cell is empty), having no name cell of its own.

    A new record takes that name; an update keeps the stored one ("John Smith"), as
    for any blank cell. A blank middle name is the common case, and names in full.
    """
    cells = {
        field: _contact_detail(field, unescape_cell(record.cells[index].strip()))
        for index, field in mapping.items()
        if field in ("name", *NAME_PARTS) and index < len(record.cells)
    }
    if cells.get("name") or not any(cells.get(part) for part in NAME_PARTS):
        return False
    mapped = set(mapping.values())
    return not all(cells.get(part) for part in ("first_name", "last_name") if part in mapped)


# --- export


def _csv_text(header: Sequence[str], rows: Iterator[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    buffer.write(UTF8_BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([escape_cell("" if value is None else str(value)) for value in row])
    return buffer.getvalue()


def _iso(value: datetime | None) -> str:
    # Fractions of a second when it has them: records made within one second (an import's,
    # a burst of calls') then come back from their export in their order.
    return value.isoformat() if value else ""


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
    """The user's leads matching the list's filters, in the list's order, as CSV file text."""
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
    """The user's contacts matching the list's filters, in the list's order, as CSV file text."""
    statement = select_contacts(
        user_id=user_id,
        search=search,
        created_from=created_from,
        created_to=created_to,
        sort=sort,
        descending=descending,
    )
    return _export_rows(session, statement, Contact, CONTACT_FIELDS)
