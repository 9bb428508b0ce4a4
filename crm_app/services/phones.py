"""Phone numbers in one form (E.164), so a number matches itself however it was typed."""

from __future__ import annotations

import phonenumbers

from crm_app.services.errors import InvalidInput

# Longer input is not a phone number; phonenumbers itself gives up at 250.
_MAX_INPUT_LENGTH = 50


def normalize_phone(raw: str | None, region: str) -> str | None:
    """A phone number in E.164 (None when blank); InvalidInput when it is not a valid number."""
    value = (raw or "").strip()
    if not value:
        return None
    hint = f"outside {region.upper()}, start with + and the country code"
    invalid = InvalidInput({"phone": f"not a valid phone number ({hint})"})
    if len(value) > _MAX_INPUT_LENGTH:
        raise invalid
    try:
        number = phonenumbers.parse(value, region.upper())
    except phonenumbers.NumberParseException:
        raise invalid from None
    if not phonenumbers.is_valid_number(number):
        raise invalid
    # E.164 has no extension, and calls and contacts are matched on the number alone:
    # dropping it would lose what the user typed, keeping it would break those matches.
    if number.extension:
        raise InvalidInput(
            {"phone": "enter the number without its extension (put the extension in the notes)"}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
