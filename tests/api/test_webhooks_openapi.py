"""The webhook routes as /api/openapi.json describes them: bodies, answers and status codes."""

from __future__ import annotations

import pytest

ROUTES = {
    "vapi": "application/json",
    "twilio": "application/x-www-form-urlencoded",
    "make": "application/json",
}


@pytest.mark.parametrize(("provider", "content_type"), sorted(ROUTES.items()))
def test_each_webhook_route_documents_its_body_and_every_answer(client, provider, content_type):
    spec = client.get("/api/openapi.json").json()
    operation = spec["paths"][f"/api/webhooks/{provider}/{{token}}"]["post"]
    body = operation["requestBody"]
    assert body["required"] is True
    assert body["content"][content_type]["schema"]["type"] == "object"
    assert {"200", "400", "401", "403", "404", "413", "415", "422", "503"} <= set(
        operation["responses"]
    )
    [token] = operation["parameters"]
    assert (token["name"], token["in"], token["required"]) == ("token", "path", True)


def test_the_make_schema_lists_the_documented_events(client):
    spec = client.get("/api/openapi.json").json()
    operation = spec["paths"]["/api/webhooks/make/{token}"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["event"]["enum"] == [
        "lead.upsert",
        "contact.upsert",
        "automation.run",
    ]
    assert schema["required"] == ["event", "data"]
