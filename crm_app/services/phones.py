"""Phone numbers in one form (E.164), so a number matches itself however it was typed."""

from __future__ import annotations

import copy
import functools
import re

import phonenumbers

from crm_app.core.config import get_settings
from crm_app.services.errors import InvalidInput

# Longer input is not a phone number; phonenumbers itself gives up at 250.
_MAX_INPUT_LENGTH = 50
# How a spreadsheet writes a long number in a "General" cell (5.12555E+09): the digits
# past the sixth or so are gone, so the number cannot be read back from it.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_INTERNATIONAL = phonenumbers.PhoneNumberFormat.INTERNATIONAL
_SCIENTIFIC_NOTATION = re.compile(r"[0-9](?:[.,][0-9]+)?[eE]\+?[0-9]+")


def normalize_phone(raw: str | None, region: str) -> str | None:
    """A phone number in E.164 (None when blank); InvalidInput when it is not a valid number."""
    value = (raw or "").strip()
    if not value:
        return None
    # Before parsing: phonenumbers drops the letter and the dot, and "6.69055E12" can then
    # read as a valid (wrong) number.
    if _SCIENTIFIC_NOTATION.match(value):
        raise InvalidInput(
            {
                "phone": f"a spreadsheet wrote this number in scientific notation ({value}), "
                "which can lose its last digits: format the phone column as Text in the "
                "spreadsheet and type the numbers again"
            }
        )
    number = _valid_number(value, region)
    if number is None:
        raise InvalidInput({"phone": f"not a valid phone number ({_invalid_hint(value, region)})"})
    # E.164 has no extension, and calls and contacts are matched on the number alone:
    # dropping it would lose what the user typed, keeping it would break those matches.
    if number.extension:
        raise InvalidInput(
            {"phone": "enter the number without its extension (put the extension in the notes)"}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def split_extension(raw: str, region: str) -> tuple[str, str]:
    """(the number in E.164, its extension) for a valid number written with an extension
    ("512-555-0143 ext. 12"); (raw, "") for anything else, which normalize_phone judges."""
    text = raw.strip()
    # "6.69055E12 x12" would otherwise give a (wrong) number: normalize_phone refuses it whole.
    number = None if _SCIENTIFIC_NOTATION.match(text) else _valid_number(text, region)
    if number is None or not number.extension:
        return raw, ""
    without = copy.copy(number)
    without.extension = None
    return phonenumbers.format_number(without, phonenumbers.PhoneNumberFormat.E164), str(
        number.extension
    )


def as_international_digits(text: str, region: str) -> str | None:
    """The digits of E.164 for text that is a whole valid number as typed locally, or None.

    "020 7946 0958" in GB is 442079460958: what a search must look for in the
    stored numbers, where the national prefix (the 0) is not.
    """
    number = _valid_number(text, region)
    return f"{number.country_code}{number.national_number}" if number is not None else None


def international_start(text: str, region: str) -> str | None:
    """The digits of E.164 that a number typed the way it is dialled at home begins with,
    when text starts with the region's trunk prefix: "0161 496" in GB begins 44161496,
    as stored numbers (+441614960000) hold no trunk 0. None for anything else, "+" and
    "00" starts included, and for fewer than three digits after the prefix."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper())
    prefix = metadata.national_prefix if metadata is not None else None
    digits = re.sub(r"\D", "", text)
    if not prefix or text.lstrip().startswith(("+", "00")) or not digits.startswith(prefix):
        return None
    rest = digits[len(prefix) :]
    return f"{metadata.country_code}{rest}" if len(rest) >= 3 else None


def _valid_number(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    """The number text writes (national numbers in region), or None unless it is a valid one."""
    # Measured before anything is remembered: a 100,000-character cell is no number, and
    # a thousand of them kept as keys would hold hundreds of MB.
    if len(text) > _MAX_INPUT_LENGTH:
        return None
    return _parsed_valid_number(text, region)


# A CSV row's phone is read twice (for an extension, then to store it): remembering the
# last numbers read halves an import's parsing, most of its CPU. Callers share the
# objects returned, so none may change one (split_extension copies before it does).
@functools.lru_cache(maxsize=1024)
def _parsed_valid_number(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _invalid_hint(text: str, region: str) -> str:
    """Why text is not a valid number, as far as can be told: too short, without its area
    code, or in no range in use, for a number of the region's own calling code; otherwise,
    that a number from elsewhere needs its country code."""
    region = region.upper()
    foreign = f"outside {region}, start with + and the country code"
    if len(text) > _MAX_INPUT_LENGTH:
        return foreign
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return foreign
    if number.country_code != phonenumbers.country_code_for_region(region):
        return foreign
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == phonenumbers.ValidationResult.TOO_SHORT:
        return f"too short: {_with_area_code(region)}"
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return f"no area code: {_with_area_code(region)}"
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE:
        # The length of one of the region's numbers, in no range in use: a mistyped digit
        # or area code, or (typed without a +) a number from elsewhere of the same length.
        unused = f"no {region} number in use has these digits: check them"
        return unused if text.lstrip().startswith(("+", "00")) else f"{unused}; {foreign}"
    return foreign  # too long: a number from elsewhere missing its + and code


def _with_area_code(region: str) -> str:
    """What a whole number of the region looks like: its digit count when it has one, as
    typed at home (trunk prefix included), else an example."""
    example = phonenumbers.example_number(region)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if example is None or metadata is None:
        return f"a {region} number starts with its area code"
    written = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    if len(metadata.general_desc.possible_length) == 1:
        digits = sum(character.isdigit() for character in written)
        return f"a {region} number has {digits} digits with its area code"
    return f"a {region} number starts with its area code, like {written}"


def as_written(stored: str, region: str) -> str:
    """A stored E.164 number as people write it: national within region's calling code
    ("(512) 555-0143"), international elsewhere ("+44 20 7946 0958"); any other text as it is.

    The calling code, not the country, decides: a US business dials Toronto and Jamaica
    without "+1", a British one Jersey with "01534", as their own national format writes.
    For display only: links and searches use the stored form.
    """
    if not _E164.fullmatch(stored):
        return stored
    try:
        number = phonenumbers.parse(stored, None)
    except phonenumbers.NumberParseException:
        return stored
    if not phonenumbers.is_valid_number(number):
        return stored  # a number no plan knows is shown as sent, not half-formatted
    national = number.country_code == phonenumbers.country_code_for_region(region.upper())
    style = phonenumbers.PhoneNumberFormat.NATIONAL if national else _INTERNATIONAL
    return phonenumbers.format_number(number, style)


def as_written_here(stored: str) -> str:
    """as_written in the business's region (DEFAULT_PHONE_REGION): how the pages, and the
    messages that name a lead or contact going by its number, write it."""
    return as_written(stored, get_settings().default_phone_region)
