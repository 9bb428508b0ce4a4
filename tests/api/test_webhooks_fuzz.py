"""Fuzzing the webhook routes from their OpenAPI schema: whatever arrives, never a 500.

Bodies are built from the request schemas in /api/openapi.json, with every
field at times right, wrong in type, missing, huge, full of control
characters or script tags, then signed with the user's real secret, so they
get past verification into parsing and applying (where bugs would hide).
Unsigned and raw-byte bodies and wrong content types are thrown in too.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_app.core.config import get_settings
from tests.webhook_senders import (
    connect,
    make_headers,
    twilio_signature,
    vapi_headers,
)

FUZZ_SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NASTY_TEXT = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "\x00\x01\x1f\x7f",
        "\ud800",
        "' OR 1=1 --",
        "9" * 5000,
        "+1 (415) 555-0123",
        "2026-03-02T14:00:05Z",
        "javascript:alert(1)",
        "x" * 300,
        "",
    ]
)
TEXT = st.one_of(st.text(max_size=40), NASTY_TEXT)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.just(2**31),
    st.just(-1),
    st.just(10**400),  # JSON's integers have no bound; no float holds this one
)
ANY_JSON = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values shaped by a JSON schema, each field sometimes of another type or left out."""
    kind = schema.get("type")
    if "enum" in schema:
        right: st.SearchStrategy[Any] = st.sampled_from(schema["enum"])
    elif "examples" in schema:
        right = st.sampled_from(schema["examples"]) | TEXT
    elif kind == "object":
        properties = schema.get("properties", {})
        required = [name for name in schema.get("required", []) if name in properties]
        fields = {name: from_schema(sub) for name, sub in properties.items()}
        complete = st.fixed_dictionaries(
            {name: fields[name] for name in required},
            optional={name: value for name, value in fields.items() if name not in required},
        )
        # Mostly with the required fields, so that deeper code runs; sometimes without.
        right = st.one_of(complete, complete, st.fixed_dictionaries({}, optional=fields))
    elif kind == "array":
        right = st.lists(from_schema(schema.get("items", {})), max_size=3)
    elif kind in ("integer", "number"):
        right = NUMBERS
    else:
        right = TEXT
    return st.one_of(right, right, right, ANY_JSON)


def _request_schema(client, path: str, content_type: str) -> dict[str, Any]:
    spec = client.get("/api/openapi.json").json()
    return spec["paths"][path]["post"]["requestBody"]["content"][content_type]["schema"]


def _assert_no_server_error(response) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    assert "Traceback" not in response.text


@pytest.fixture
def endpoints(engine, make_user):
    owner = make_user().id
    return {provider: connect(engine, owner, provider) for provider in ("vapi", "twilio", "make")}


def test_vapi_route_never_answers_500(client, endpoints):
    vapi = endpoints["vapi"]
    schema = _request_schema(client, "/api/webhooks/vapi/{token}", "application/json")

    @FUZZ_SETTINGS
    @given(payload=from_schema(schema), content_type=_content_types())
    def run(payload, content_type):
        headers = vapi_headers(vapi.secret) | {"content-type": content_type}
        response = client.post(vapi.path, content=json.dumps(payload).encode(), headers=headers)
        _assert_no_server_error(response)

    run()


def test_make_route_never_answers_500(client, endpoints):
    make = endpoints["make"]
    schema = _request_schema(client, "/api/webhooks/make/{token}", "application/json")

    @FUZZ_SETTINGS
    @given(payload=from_schema(schema), content_type=_content_types())
    def run(payload, content_type):
        body = json.dumps(payload).encode()
        headers = make_headers(make.secret, body) | {"content-type": content_type}
        _assert_no_server_error(client.post(make.path, content=body, headers=headers))

    run()


def test_twilio_route_never_answers_500(client, endpoints):
    twilio = endpoints["twilio"]
    schema = _request_schema(
        client, "/api/webhooks/twilio/{token}", "application/x-www-form-urlencoded"
    )
    names = st.sampled_from(sorted(schema["properties"])) | st.text(max_size=10)
    values = st.one_of(TEXT, NUMBERS.map(str))
    public = get_settings().public_base_url.rstrip("/") + twilio.path

    @FUZZ_SETTINGS
    @given(fields=st.lists(st.tuples(names, values), max_size=12))
    def run(fields):
        fields = [(name, value.replace("\ud800", "")) for name, value in fields]
        fields = [(name.replace("\ud800", ""), value) for name, value in fields]
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": twilio_signature(twilio.secret, public, fields),
        }
        body = urlencode(fields).encode()
        _assert_no_server_error(client.post(twilio.path, content=body, headers=headers))

    run()


def test_raw_bytes_signed_or_not_never_get_a_500(client, endpoints):
    @FUZZ_SETTINGS
    @given(
        provider=st.sampled_from(["vapi", "twilio", "make"]),
        body=st.binary(max_size=300),
        content_type=_content_types(),
        signed=st.booleans(),
    )
    def run(provider, body, content_type, signed):
        endpoint = endpoints[provider]
        headers = {"content-type": content_type}
        if signed and provider == "vapi":
            headers |= {"x-vapi-secret": endpoint.secret}
        elif signed and provider == "make":
            headers |= {"x-make-apikey": endpoint.secret}
        elif signed:
            headers |= {"x-twilio-signature": "bm90IGEgc2lnbmF0dXJl"}
        _assert_no_server_error(client.post(endpoint.path, content=body, headers=headers))

    run()


def _content_types() -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            "application/json",
            "application/json",
            "application/json; charset=utf-8",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "",
        ]
    )
