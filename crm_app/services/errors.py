"""Input a user can correct: the errors services raise, and the field checks they share."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

# Loose on purpose: one @, something on both sides, a dot in the domain, no spaces.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EMAIL_MAX_LENGTH = 320
# A lead or a contact is someone only when one of these is given (the CSV import asks the same).
IDENTITY_FIELDS = ("name", "phone", "email")


class InvalidInput(ValueError):
    """Input a user can correct; `errors` maps each bad field to what is wrong with it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


class RecordClash(InvalidInput):
    """Input refused because of another of the user's records, not for what it says itself:
    editing or deleting that record lets it through."""


class DuplicateLead(RecordClash):
    """Another of the user's leads has this phone number or email; `field` says which.

    The message names that lead, for the person at the form; callers that
    answer someone else (a voice agent's tool call) say less.
    """

    def __init__(self, field: str, holder: str, what: str) -> None:
        self.field = field
        who = f"the lead {holder}" if holder else "another lead"
        super().__init__({field: f"{who} already has this {what}"})


class DuplicateContact(RecordClash):
    """The user already has a contact with this phone number or email; `field` says which.

    The message names that contact when it is known, as DuplicateLead's does.
    `raced`: caught by the unique constraint, not by the check before it (a
    concurrent writer came first); the holder is not known, and the unit of
    work cannot go on: it must roll back.
    """

    def __init__(self, field: str, holder: str = "", *, raced: bool = False) -> None:
        self.field, self.raced = field, raced
        who = f"the contact {holder}" if holder else "another contact"
        what = "phone number" if field == "phone" else field
        super().__init__({field: f"{who} already has this {what}"})


class StatusMovedOn(InvalidInput):
    """A status change asked from a page that showed another status than the lead has now:
    another tab, an import or an automation moved it meanwhile."""

    def __init__(self, current: str) -> None:
        self.current = current
        super().__init__(
            {"status": f"it was moved to {current} meanwhile; move it again if you still mean to"}
        )


def clean_fields(
    values: Mapping[str, Any], cleaners: Mapping[str, Callable[[Any], Any]]
) -> dict[str, Any]:
    """Run each given field through its cleaner; one InvalidInput names every bad field."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, value in values.items():
        try:
            cleaned[field] = cleaners[field](value)
        except InvalidInput as error:
            errors[field] = "; ".join(error.errors.values())
        except ValueError as error:
            errors[field] = str(error)
    if errors:
        raise InvalidInput(errors)
    return cleaned


def require_identity(values: Mapping[str, Any]) -> None:
    """InvalidInput (on the name) unless the cleaned values hold a name, phone or email."""
    if not any(values.get(field) for field in IDENTITY_FIELDS):
        raise InvalidInput({"name": "enter a name, phone or email"})


# Characters no one types on purpose, which only mislead: control characters other than
# tab and line breaks (NUL among them, which Postgres refuses in text), and the Unicode
# controls that reorder the text around them ("\u202eevil" is shown as "live"). Dropped,
# not refused: they are invisible, so an error naming them would puzzle the person, and a
# provider's webhook must not fail over one in a caller's name.
# Lone surrogates too: half a character, which JSON can carry ("\ud800") and no database
# column takes (UTF-8 cannot encode one).
_MISLEADING = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def without_misleading(value: str) -> str:
    """The text without the control characters and direction overrides it should not hold."""
    return _MISLEADING.sub("", value)


def is_encodable(value: str) -> bool:
    """Whether the text can be written as UTF-8 (it holds no lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def looks_like_email(value: str) -> bool:
    """Whether a (normalised) value can be an email address.

    No address holds a control, format or space character: a NUL, which
    Postgres refuses to store, or a zero-width space, which would make
    "ada@example.com" and a look-alike two different addresses.
    """
    return (
        len(value) <= _EMAIL_MAX_LENGTH
        and _EMAIL.match(value) is not None
        and not any(unicodedata.category(char)[0] in "CZ" for char in value)
    )


def text_field(max_length: int, *, default: str = "") -> Callable[[str | None], str]:
    """A cleaner for free text: misleading controls dropped, stripped, at most max_length
    characters, blank -> default."""

    def clean(value: str | None) -> str:
        value = without_misleading(value or "").strip()
        if len(value) > max_length:
            raise ValueError(f"at most {max_length} characters")
        return value or default

    return clean


def canonical_email(raw: str) -> str:
    """An email as stored and looked up: trimmed, composed (NFC) and lower-cased.

    "josé@example.com" typed on one keyboard is é, on another e and a combining
    accent: two strings a person cannot tell apart, one address.
    """
    return unicodedata.normalize("NFC", raw.strip()).lower()


def normalize_email(raw: str | None) -> str | None:
    """An email address in its canonical form (None when blank); loosely validated."""
    value = canonical_email(raw or "")
    if not value:
        return None
    if not looks_like_email(value):
        raise ValueError("not a valid email address")
    return value
