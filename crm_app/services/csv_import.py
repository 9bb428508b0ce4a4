"""Importing CSV rows as leads or contacts, one batch per unit of work.

Each batch: validate every row, find the user's existing rows with the same
phone or email in one query, then insert the new ones with one multi-row
INSERT (Postgres refuses COPY under row-level security). A row whose phone
or email is already taken, by a stored row or an earlier row of the file, is
a duplicate: skipped, or with on_duplicate="update" used to fill in the
stored row. Bad rows are rejected with their row number and reason.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from crm_app.core.config import get_settings
from crm_app.core.prebuilt import run_prebuilt_many
from crm_app.models import Contact, ContactUpdate, Lead, LeadUpdate
from crm_app.models.base import utcnow
from crm_app.services.contacts import clean_contact_fields, get_contact, update_contact
from crm_app.services.csv_dates import created_at_from
from crm_app.services.csv_io import (
    CONTACT_FIELDS,
    CREATED_AT,
    LEAD_FIELDS,
    NAME_PARTS,
    CsvRecord,
    fallback_columns,
    import_columns,
    names_in_part,
    record_values,
)
from crm_app.services.errors import IDENTITY_FIELDS, InvalidInput
from crm_app.services.leads import clean_lead_fields, get_lead, update_lead
from crm_app.services.phones import as_written_here, split_extension
from crm_app.services.record_locks import lock_contact_details

BATCH_SIZE = 500
OnDuplicate = Literal["skip", "update"]
# Defaults of the columns a CSV may leave out; the database has no defaults of its own.
_LEAD_DEFAULTS = {"name": "", "phone": None, "email": None, "status": "new", "source": "import"}
_CONTACT_DEFAULTS = {"name": "", "phone": None, "email": None, "company": ""}


@dataclass
class EarlierRows:
    """The phones and emails of a file's rows so far, with the row each first came in.

    One per file, passed to each of its batches: a row repeating an earlier
    row's phone or email is a duplicate of that row wherever the two fall.
    Without it, a repeat in the same batch was skipped while one in a later
    batch "updated" the lead its first row had just created.
    """

    numbers: dict[tuple[str, str], int] = field(default_factory=dict)

    def copy(self) -> EarlierRows:
        """As they are now: what a batch that has to go again starts from."""
        return EarlierRows(dict(self.numbers))


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not imported, and why."""

    number: int
    reason: str


@dataclass
class ImportResult:
    """What an import did, added up batch by batch."""

    created: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    # The duplicates skipped, each with what it duplicates (a row that lost a race with
    # another writer is counted, not listed).
    skipped: list[RejectedRow] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.duplicates + len(self.rejected)

    def add(self, other: ImportResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)
        self.skipped.extend(other.skipped)

    def skip(self, row: _Row, reason: str) -> None:
        self.duplicates += 1
        self.skipped.append(RejectedRow(row.number, reason))


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    # The phone's extension ("512-555-0143 ext. 12"): a created row keeps it in its notes.
    extension: str = ""
    # When the file says the row was created; a row created here keeps it (an update, the
    # record's own).
    created_at: datetime | None = None
    # Its name was built from its parts with one left blank (csv_io.names_in_part): an update
    # keeps a stored name.
    name_in_part: bool = False


def _reason(error: InvalidInput) -> str:
    return "; ".join(f"{name}: {message}" for name, message in error.errors.items())


def _cleaned_rows(
    records: Sequence[CsvRecord],
    headers: Sequence[str],
    mapping: dict[int, str],
    clean: Any,
    result: ImportResult,
) -> list[_Row]:
    rows = []
    region, now = get_settings().default_phone_region, utcnow()
    fallbacks = fallback_columns(headers, mapping)
    for record in records:
        try:
            raw = record_values(record, headers, mapping, fallbacks)
            # Calls and contacts match on the number alone; the extension is kept apart.
            raw["phone"], extension = split_extension(raw.get("phone", ""), region)
            dated = raw.pop(CREATED_AT, "")
            created_at = created_at_from(dated, region, now) if dated else None
            # A blank cell means "not given": the defaults (or, on update, the stored value) hold.
            values = clean({name: value for name, value in raw.items() if value != ""})
            row = _Row(record.number, values, extension, created_at, names_in_part(record, mapping))
        except InvalidInput as error:
            result.rejected.append(RejectedRow(record.number, _reason(error)))
            continue
        if not any(values.get(name) for name in IDENTITY_FIELDS):
            result.rejected.append(RejectedRow(record.number, "needs a name, phone or email"))
            continue
        rows.append(row)
    return rows


_EXTENSION_LINE = "Phone extension: "


def _notes_with_extension(row: _Row, stored_notes: str = "") -> str:
    """The notes a row leaves: its own (or, updating, the stored ones when it has none), with
    its phone's extension on the last line, in place of one an earlier import wrote."""
    notes = row.values.get("notes") or stored_notes
    if not row.extension:
        return notes
    kept = [line for line in notes.splitlines() if not line.startswith(_EXTENSION_LINE)]
    return "\n".join([*kept, f"{_EXTENSION_LINE}{row.extension}"])


def _with_extension(row: _Row, stored_notes: str, clean: Any) -> dict[str, Any]:
    """The row's values for an update: its extension kept in the notes, which must still fit
    (InvalidInput: the row is rejected, saying so)."""
    if not row.extension:
        return row.values
    notes = _notes_with_extension(row, stored_notes)
    return {**row.values, **clean({"notes": notes})}


def _stored_matches(
    session: Session, model: Any, user_id: uuid.UUID, rows: list[_Row]
) -> dict[tuple[str, str], tuple[uuid.UUID, str]]:
    """The user's stored rows sharing a phone or email with the batch: (id, name) by
    (field, value); of older records sharing one, the newest, which calls and Make's
    upserts also take (webhook_records), so an import updates the record they do."""
    phones = {row.values["phone"] for row in rows if row.values.get("phone")}
    emails = {row.values["email"] for row in rows if row.values.get("email")}
    dialect = session.get_bind().dialect.name
    conditions = []
    if phones:
        conditions.append(_one_of(model.phone, phones, dialect))
    if emails:
        conditions.append(_one_of(model.email, emails, dialect))
    if not conditions:
        return {}
    found: dict[tuple[str, str], tuple[uuid.UUID, str]] = {}
    statement = select(model.id, model.name, model.phone, model.email).where(
        model.user_id == user_id, sa.or_(*conditions)
    )
    newest_first = statement.order_by(model.created_at.desc(), model.id.desc())
    for row_id, name, phone, email in session.exec(newest_first).all():
        if phone:
            found.setdefault(("phone", phone), (row_id, name))
        if email:
            found.setdefault(("email", email), (row_id, name))
    return found


def _one_of(column: Any, values: set[str], dialect: str) -> sa.ColumnElement[bool]:
    """column IN (values); on Postgres `= ANY(array)`, one parameter rather than one per value.

    A batch looks up a thousand phones and emails: as IN (...) the statement
    had a thousand placeholders for psycopg to parse and send, a third of
    the lookup's time.
    """
    if dialect == "postgresql":
        array = sa.bindparam(None, sorted(values), type_=postgresql.ARRAY(sa.String))
        return column == sa.any_(array)
    return column.in_(values)


_FIELD_NAMES = {"phone": "phone number", "email": "email"}


def _split(
    rows: list[_Row],
    stored: dict[tuple[str, str], tuple[uuid.UUID, str]],
    result: ImportResult,
    kind: str,
    earlier: EarlierRows,
    update: Callable[[uuid.UUID, _Row], None] | None,
    clean: Any,
) -> list[_Row]:
    """The rows to insert, in file order; each row matching a stored one is skipped, or given
    to `update` to fill in the stored row (InvalidInput: the row is rejected, with why).

    A row's phone and email count as the file's once the row is taken: an update refused
    (its email belongs to another lead) leaves them free for a later row with the same phone.
    """
    fresh: list[_Row] = []
    seen = earlier.numbers
    for row in rows:
        keys = [(name, row.values[name]) for name in ("phone", "email") if row.values.get(name)]
        repeated = next((key for key in keys if key in seen), None)
        if repeated is not None:
            what = _FIELD_NAMES[repeated[0]]
            result.skip(row, f"skipped: the same {what} as row {seen[repeated]}")
            continue
        match = next((key for key in keys if key in stored), None)
        if match is None:
            try:
                row.values = _with_extension(row, "", clean)
            except InvalidInput as error:  # no room left in its notes for the extension
                result.rejected.append(RejectedRow(row.number, _reason(error)))
                continue
            fresh.append(row)
        else:
            stored_id, name = stored[match]
            # "Smith" does not replace the stored "John Smith", but names a lead that has no
            # name of its own (blank, or the caller's number a call named it by).
            if row.name_in_part and any(character.isalpha() for character in name or ""):
                row.values = {k: v for k, v in row.values.items() if k != "name"}
            if update is None:
                holder = f"the {kind} {as_written_here(name)}" if name else f"a {kind}"
                result.skip(row, f"skipped: {holder} already has this {_FIELD_NAMES[match[0]]}")
            else:
                try:
                    update(stored_id, row)
                except InvalidInput as error:  # e.g. its email belongs to another one
                    if getattr(error, "raced", False):
                        raise  # the unit of work is spoilt: the batch goes again (its caller)
                    result.rejected.append(RejectedRow(row.number, _reason(error)))
                    continue
                result.updated += 1
        seen.update((key, row.number) for key in keys)
    return fresh


@functools.cache
def _insert_skipping_taken(table: sa.Table, dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once per table and dialect."""
    if dialect == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing()
    else:
        statement = sa.insert(table)
    return statement.returning(table.c.id)


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> int:
    """The rows in one round of inserts; rows a concurrent writer took first are skipped."""
    statement = _insert_skipping_taken(model.__table__, session.get_bind().dialect.name)
    return len(run_prebuilt_many(session, statement, rows))


def _created_at(batch_start: datetime, row_number: int) -> datetime:
    """When a row of the file counts as created: later rows of the file are newer.

    With one timestamp for a whole batch, "Newest first" fell back on the
    random id and showed the rows shuffled. One microsecond per row number
    (not per position in the batch) also orders rows across batches, since
    a later batch never starts at an earlier time.
    """
    return batch_start + timedelta(microseconds=row_number)


def _row_dicts(
    user_id: uuid.UUID, rows: list[_Row], defaults: dict[str, Any]
) -> list[dict[str, Any]]:
    now = utcnow()
    dicts = []
    for row in rows:
        imported_at = _created_at(now, row.number)
        dicts.append(
            {
                **defaults,
                "notes": "",
                **row.values,
                "user_id": user_id,
                "id": uuid.uuid4(),
                "created_at": row.created_at or imported_at,
                "updated_at": imported_at,
            }
        )
    return dicts


def import_leads(
    *,
    session: Session,
    user_id: uuid.UUID,
    headers: Sequence[str],
    records: Sequence[CsvRecord],
    mapping: dict[int, str],
    on_duplicate: OnDuplicate = "skip",
    earlier: EarlierRows | None = None,
) -> ImportResult:
    """Import one batch of CSV records as the user's leads (matched by phone or email)."""
    _check_mapping(mapping, LEAD_FIELDS, on_duplicate)
    result = ImportResult()
    rows = _cleaned_rows(records, headers, mapping, clean_lead_fields, result)
    # Leads have no unique constraint to skip a concurrent writer's row: hold the batch's
    # phones and emails, so a lead a webhook or the form makes meanwhile is found below.
    lock_contact_details(
        session=session,
        user_id=user_id,
        values=[row.values.get(name) for row in rows for name in ("phone", "email")],
    )
    stored = _stored_matches(session, Lead, user_id, rows)

    def update(lead_id: uuid.UUID, row: _Row) -> None:
        lead = (
            get_lead(session=session, user_id=user_id, lead_id=lead_id) if row.extension else None
        )
        values = _with_extension(row, lead.notes if lead else "", clean_lead_fields)
        lead_in = LeadUpdate(**values)
        update_lead(session=session, user_id=user_id, lead_id=lead_id, lead_in=lead_in)

    fresh = _split(
        rows,
        stored,
        result,
        "lead",
        earlier or EarlierRows(),
        update if on_duplicate == "update" else None,
        clean_lead_fields,
    )
    result.created = _insert(session, Lead, _row_dicts(user_id, fresh, _LEAD_DEFAULTS))
    return result


def import_contacts(
    *,
    session: Session,
    user_id: uuid.UUID,
    headers: Sequence[str],
    records: Sequence[CsvRecord],
    mapping: dict[int, str],
    on_duplicate: OnDuplicate = "skip",
    earlier: EarlierRows | None = None,
) -> ImportResult:
    """Import one batch of CSV records as the user's contacts (unique by phone and by email)."""
    _check_mapping(mapping, CONTACT_FIELDS, on_duplicate)
    result = ImportResult()
    rows = _cleaned_rows(records, headers, mapping, clean_contact_fields, result)
    stored = _stored_matches(session, Contact, user_id, rows)

    def update(contact_id: uuid.UUID, row: _Row) -> None:
        contact = (
            get_contact(session=session, user_id=user_id, contact_id=contact_id)
            if row.extension
            else None
        )
        values = _with_extension(row, contact.notes if contact else "", clean_contact_fields)
        contact_in = ContactUpdate(**values)
        update_contact(
            session=session, user_id=user_id, contact_id=contact_id, contact_in=contact_in
        )

    fresh = _split(
        rows,
        stored,
        result,
        "contact",
        earlier or EarlierRows(),
        update if on_duplicate == "update" else None,
        clean_contact_fields,
    )
    created = _insert(session, Contact, _row_dicts(user_id, fresh, _CONTACT_DEFAULTS))
    result.created = created
    result.duplicates += len(fresh) - created  # lost a race with another writer
    return result


def _check_mapping(mapping: dict[int, str], fields: Sequence[str], on_duplicate: str) -> None:
    unknown = sorted(set(mapping.values()) - set(import_columns(fields)))
    if unknown:
        raise InvalidInput({"mapping": f"unknown fields: {', '.join(unknown)}"})
    if len(set(mapping.values())) != len(mapping):
        raise InvalidInput({"mapping": "each field can come from one column only"})
    if not set(mapping.values()) & {*IDENTITY_FIELDS, *NAME_PARTS}:
        raise InvalidInput({"mapping": "match a column to name, phone or email"})
    if on_duplicate not in ("skip", "update"):
        raise InvalidInput({"on_duplicate": "skip or update"})


def batches(records: Sequence[CsvRecord], size: int = BATCH_SIZE) -> list[Sequence[CsvRecord]]:
    """The records in import-sized slices, in file order."""
    return [records[start : start + size] for start in range(0, len(records), size)]
