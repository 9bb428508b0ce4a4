"""What the account and log-in forms say for each verdict the auth endpoints put in the query."""

from __future__ import annotations

import pytest

from crm_app.services.users import MAX_PASSWORD_LENGTH, InvalidSignup, validate_password
from crm_app.state.account import account_message
from crm_app.state.login import MESSAGES as LOGIN_MESSAGES
from crm_app.state.login import throttled_message


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "short-password"),
        ("x" * 1100, "long-password"),
        (" " * 8, "blank-password"),
        # Half a character (a lone surrogate), which JSON can carry and UTF-8 cannot encode.
        ("password\ud800", "broken-password"),
    ],
)
def test_each_refused_password_has_a_message_on_both_forms(password, code):
    with pytest.raises(InvalidSignup) as refused:
        validate_password(password)
    assert refused.value.code == code
    assert account_message({"error": code})
    assert LOGIN_MESSAGES[code]


def test_a_too_long_password_is_called_too_long_with_the_maximum():
    message = account_message({"error": "long-password"})
    assert f"at most {MAX_PASSWORD_LENGTH}" in message
    assert "at least" not in message


@pytest.mark.parametrize(
    ("retry", "wait"),
    [("900", "Wait 15 minutes"), ("61", "Wait 2 minutes"), ("5", "Wait 1 minute ")],
)
def test_a_throttled_form_says_how_many_minutes_to_wait(retry, wait):
    assert wait in account_message({"error": "throttled", "retry": retry})
    assert wait in throttled_message(retry)


@pytest.mark.parametrize("retry", ["", "soon", "-5", "9" * 40])
def test_a_throttled_form_without_a_usable_wait_still_says_to_wait(retry):
    assert "Wait a few minutes" in throttled_message(retry)
