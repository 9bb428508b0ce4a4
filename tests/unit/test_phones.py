"""Phone numbers normalise to E.164; anything that is not a valid number is refused."""

from __future__ import annotations

import pytest

from crm_app.services.errors import InvalidInput
from crm_app.services.phones import normalize_phone


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


def test_a_number_longer_than_a_phone_column_is_refused_as_not_a_number() -> None:
    with pytest.raises(InvalidInput) as raised:
        normalize_phone("4" * 30, "US")
    assert raised.value.errors["phone"].startswith("not a valid phone number")
