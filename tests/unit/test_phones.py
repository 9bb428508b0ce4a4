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
