"""Phone numbers normalise to E.164; anything that is not a valid number is refused."""

from __future__ import annotations

import pytest

from crm_app.services import phones
from crm_app.services.errors import InvalidInput
from crm_app.services.phones import as_written, normalize_phone, split_extension


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("  +1 415 555 2671  ", "US", "+14155552671"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("(415) 555-2671", "us", "+14155552671"),
    ],
)
def test_valid_numbers_become_e164(raw: str, region: str, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_blank_is_none(raw: str | None) -> None:
    assert normalize_phone(raw, "US") is None


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("garbage", "US"),
        ("12", "US"),
        ("+999", "US"),
        ("555-0000-0000-0000", "US"),
        ("020 7946 0958", "US"),  # a British number without its country code
        ("1" * 60, "US"),
        ("<script>", "US"),
    ],
)
def test_invalid_numbers_raise_invalid_input_naming_the_phone(raw: str, region: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        normalize_phone(raw, region)
    assert set(raised.value.errors) == {"phone"}
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    "raw",
    ["+1 (415) 555-0100 ext 1234", "415-555-0100 x12", "+14155550100;ext=12", "(415) 555-0100 #9"],
)
def test_a_number_with_an_extension_is_refused_saying_what_to_do(raw: str) -> None:
    # E.164 cannot hold it and calls match on the number alone: refused rather than lost.
    with pytest.raises(InvalidInput) as raised:
        normalize_phone(raw, "US")
    assert raised.value.errors == {
        "phone": "enter the number without its extension (put the extension in the notes)"
    }


@pytest.mark.parametrize(
    ("raw", "region", "hint"),
    [
        # Too short, or without the area code, for a number of the business's own region.
        ("512 555 01", "US", "too short: a US number has 10 digits with its area code"),
        ("+1 415 555 01", "US", "too short: a US number has 10 digits with its area code"),
        ("12", "US", "too short: a US number has 10 digits with its area code"),
        ("555-1234", "US", "no area code: a US number has 10 digits with its area code"),
        ("01 23 45 67", "FR", "too short: a FR number has 10 digits with its area code"),
        (
            "7946 0958",
            "GB",
            "no area code: a GB number starts with its area code, like 0121 234 5678",
        ),
        # A whole number's length in no range in use: a mistyped digit, or one from elsewhere.
        (
            "07911 12345",
            "GB",
            "no GB number in use has these digits: check them; "
            "outside GB, start with + and the country code",
        ),
        (
            "(555) 123-4567",
            "US",
            "no US number in use has these digits: check them; outside US, "
            "start with + and the country code",
        ),
        # Typed with the country code: only the digits can be wrong.
        ("+44 7700 900123", "GB", "no GB number in use has these digits: check them"),
        # Numbers that look foreign keep the hint about the country code.
        ("020 7946 0958", "US", "outside US, start with + and the country code"),
        ("555-0000-0000-0000", "US", "outside US, start with + and the country code"),
        ("garbage", "US", "outside US, start with + and the country code"),
    ],
)
def test_an_invalid_number_is_refused_saying_what_is_wrong_with_it(
    raw: str, region: str, hint: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        normalize_phone(raw, region)
    assert raised.value.errors == {"phone": f"not a valid phone number ({hint})"}


def test_a_number_longer_than_a_phone_column_is_refused_as_not_a_number() -> None:
    with pytest.raises(InvalidInput) as raised:
        normalize_phone("4" * 30, "US")
    assert raised.value.errors["phone"].startswith("not a valid phone number")


@pytest.mark.parametrize("raw", ["5.12555E+09", "1.5125550143e+10", "5E9", "4,15555E+10"])
def test_a_number_a_spreadsheet_wrote_in_scientific_notation_is_refused_saying_why(
    raw: str,
) -> None:
    with pytest.raises(InvalidInput) as raised:
        normalize_phone(raw, "US")
    message = raised.value.errors["phone"]
    assert "scientific notation" in message and raw in message
    assert "format the phone column as Text" in message
    assert "outside US" not in message


@pytest.mark.parametrize(("raw", "region"), [("6.69055E12", "DE"), ("4.993417E12", "AU")])
def test_scientific_notation_is_refused_even_where_its_digits_would_read_as_a_number(
    raw: str, region: str
) -> None:
    # Without the check first, "6.69055E12" in DE was stored as +4966905512.
    with pytest.raises(InvalidInput, match="scientific notation"):
        normalize_phone(raw, region)
    assert split_extension(f"{raw} x12", region) == (f"{raw} x12", "")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("512-555-0143 ext. 12", ("+15125550143", "12")),
        ("(512) 555-0143 x204", ("+15125550143", "204")),
        ("+44 20 7946 0958 ext 7", ("+442079460958", "7")),
        # Anything else is given back for normalize_phone to judge.
        ("512-555-0143", ("512-555-0143", "")),
        ("not a number ext 12", ("not a number ext 12", "")),
        ("", ("", "")),
    ],
)
def test_split_extension_keeps_the_number_and_the_extension_apart(
    raw: str, expected: tuple[str, str]
) -> None:
    assert split_extension(raw, "US") == expected


def test_a_number_read_again_after_its_extension_was_split_off_still_has_it() -> None:
    # Numbers just read are remembered: splitting off the extension must not change them.
    raw = "512-555-0177 ext. 9"
    for _ in range(2):
        assert split_extension(raw, "US") == ("+15125550177", "9")
        with pytest.raises(InvalidInput, match="without its extension"):
            normalize_phone(raw, "US")


@pytest.mark.parametrize(
    ("stored", "region", "shown"),
    [
        ("+15125550143", "US", "(512) 555-0143"),
        ("+15125550143", "us", "(512) 555-0143"),
        ("+442079460958", "US", "+44 20 7946 0958"),
        ("+442079460958", "GB", "020 7946 0958"),
        ("+15125550143", "GB", "+1 512-555-0143"),
        # One calling code, several countries: dialled, and so written, as at home.
        ("+14165550100", "US", "(416) 555-0100"),
        ("+18765550100", "US", "(876) 555-0100"),
        ("+441534555555", "GB", "01534 555555"),
        ("+14165550100", "GB", "+1 416-555-0100"),
        ("+15125550143", "", "+1 512-555-0143"),  # no region set: international
        # Not a number any plan knows, or not a number: shown as it came.
        ("+1415555", "US", "+1415555"),
        ("+15555550100", "US", "+15555550100"),
        ("anonymous", "US", "anonymous"),
        ("Ada Lovelace", "US", "Ada Lovelace"),
        ("sip:ada@example.com", "US", "sip:ada@example.com"),
        ("", "US", ""),
    ],
)
def test_a_stored_number_is_written_as_people_write_it_where_the_business_is(
    stored: str, region: str, shown: str
) -> None:
    assert as_written(stored, region) == shown


def test_text_too_long_to_be_a_number_is_not_remembered() -> None:
    # A CSV cell may hold 100,000 characters: kept as keys, a thousand would hold ~400 MB.
    before = phones._parsed_valid_number.cache_info().currsize
    with pytest.raises(InvalidInput):
        normalize_phone("4" * 100_000, "US")
    assert phones._parsed_valid_number.cache_info().currsize == before
