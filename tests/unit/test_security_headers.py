"""The headers every answer carries: HSTS only where the app is served over https."""

from __future__ import annotations

import pytest

from crm_app.api.security_headers import HEADERS, HSTS, headers_for


@pytest.mark.parametrize(
    ("public_base_url", "hsts"),
    [
        ("https://crm.example.com", True),
        ("HTTPS://crm.example.com/", True),
        ("http://localhost:3000", False),
        ("http://crm.example.com", False),
    ],
)
def test_hsts_is_sent_only_when_the_public_url_is_https(public_base_url: str, hsts: bool) -> None:
    sent = headers_for(public_base_url)
    assert (HSTS in sent) is hsts
    assert set(HEADERS) <= set(sent)


def test_the_policy_keeps_injected_markup_from_plugins_base_urls_and_foreign_forms() -> None:
    policy = dict(HEADERS)[b"content-security-policy"].decode()
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives == {
        "frame-ancestors": "'none'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
    }
