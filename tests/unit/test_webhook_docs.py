"""The webhook docs stay true: the signed Make.com example verifies, the tools are JSON."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from pathlib import Path

from crm_app.services.webhook_parse import MAKE_EVENTS
from crm_app.services.webhook_verify import make_signing_key

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _header(text: str, name: str) -> str:
    return re.search(rf"^{name}: (.+)$", text, re.MULTILINE).group(1).strip()


def test_the_signed_make_example_carries_a_valid_signature():
    text = (DOCS / "make-events.md").read_text(encoding="utf-8")
    secret = re.search(r"Endpoint secret \(an example, never use it\): `([^`]+)`", text).group(1)
    whsec = re.search(r"`(whsec_[A-Za-z0-9+/=]+)`", text).group(1)
    request = re.search(r"```http\n(.*?)```", text, re.DOTALL).group(1)
    body = request.split("\n\n", 1)[1].strip().encode()
    message_id, stamp = _header(request, "webhook-id"), _header(request, "webhook-timestamp")
    signature = _header(request, "webhook-signature").removeprefix("v1,")
    assert make_signing_key(secret) == make_signing_key(whsec)
    expected = hmac.new(
        make_signing_key(secret), f"{message_id}.{stamp}.".encode() + body, hashlib.sha256
    ).digest()
    assert base64.b64decode(signature) == expected
    assert json.loads(body)["event"] in MAKE_EVENTS


def test_the_vapi_tool_definitions_are_json_naming_the_built_in_tools():
    text = (DOCS / "vapi-tools.md").read_text(encoding="utf-8")
    blocks = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.DOTALL)]
    tools = {block["function"]["name"]: block for block in blocks if "function" in block}
    assert set(tools) == {"lookup_contact", "create_lead"}
    for tool in tools.values():
        assert tool["type"] == "function"
        assert tool["function"]["parameters"]["type"] == "object"
        assert "/api/webhooks/vapi/" in tool["server"]["url"]
