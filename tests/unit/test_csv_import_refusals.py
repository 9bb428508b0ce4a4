"""What the import dialog says when the browser keeps a chosen file back."""

from __future__ import annotations

import pytest

from crm_app.state.csv_import import refusal_message


def test_a_file_over_the_size_limit_is_called_too_large_with_the_limit() -> None:
    message = refusal_message("huge.csv", ["file-too-large"])

    assert message == "huge.csv is larger than 5 MB: split it into parts."


def test_a_spreadsheet_is_called_not_a_csv_file_with_how_to_make_one() -> None:
    message = refusal_message("leads.xlsx", ["file-invalid-type"])

    assert message.startswith("leads.xlsx is not a CSV file.")
    assert "Save it as CSV" in message


def test_a_large_spreadsheet_is_told_first_that_it_is_not_csv() -> None:
    message = refusal_message("big.xlsx", ["file-too-large", "file-invalid-type"])

    assert "not a CSV file" in message
    assert "5 MB" not in message


def test_several_files_at_once_are_asked_for_one_at_a_time() -> None:
    assert refusal_message("a.csv", ["too-many-files"]) == "Choose one file at a time."


@pytest.mark.parametrize("codes", [[], ["file-too-small"], ["something-new"]])
def test_an_unknown_reason_still_says_what_the_dialog_takes(codes: list[str]) -> None:
    message = refusal_message("odd.csv", codes)

    assert message == "odd.csv could not be read: choose a CSV file of up to 5 MB."


def test_a_file_without_a_name_is_called_the_file() -> None:
    assert refusal_message("", ["file-too-large"]).startswith("The file is larger than 5 MB")
