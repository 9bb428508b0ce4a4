"""Webhook bodies: strict JSON, secrets redacted and text made storable before anything is kept.

Providers put credentials inside their payloads (Vapi sends the Twilio
account's auth token, API key and secret inside `phoneNumber`), so every
payload is redacted before it is stored or shown: any key named like a token,
secret, password or API key loses its value, as does a name/value pair so
named, and that value, or a secret of the user's for this provider, is cut out
of every string it turns up in too (a transcript that reads the Twilio token
aloud, a summary quoting it). Every header value, and a URL's user and
password, are redacted where they stand.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from typing import Any

from crm_app.services.webhook_types import WebhookRejected

REDACTED = "[redacted]"
# Deeper than any real provider message; deeper structures are refused, not walked.
MAX_DEPTH = 32
# Parts of a key name (lower-cased, punctuation removed) that mark its value as secret.
_SECRET_KEY_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "apikey",
    "privatekey",
    "accesskey",
    "authorization",
    "authkey",
    "signingkey",
    "privkey",
    "bearer",
    "passphrase",
    "credential",
    "cookie",
)
# Whole key names (lower-cased, punctuation removed) too short to look for inside others.
_SECRET_KEY_NAMES = frozenset({"pin", "pwd", "otp"})
# HTTP headers (a Vapi assistant's server.headers, as an object; Make's, as a list of
# {"name": ..., "value": ...} pairs): where credentials go, under whatever name the owner
# gave them ("X-Custom-Key"), so every value in them is redacted. Only the values of those
# named as secrets (Authorization, X-Api-Key) are also cut out of other strings, as a
# secret key's are: most are no secret ("application/json"), and the summary and the
# transcript would lose them.
_HEADER_OBJECTS = frozenset({"headers", "httpheaders", "customheaders"})
# A name/value pair ({"name": "api_key", "value": ...}, as query strings and header lists
# are sent): its value is redacted where it stands when its name marks a secret. Only an
# object with no other keys than these (in any case) is read as one: a lead {"name":
# "Secretariat Ltd", "value": ..., "phone": ...} is not. Its value is not cut out of other
# strings: a form's answers come as pairs too ({"key": "secretary", "value": "Maria
# Gomez"}), and the lead's own name would lose it.
_PAIR_NAME_KEYS = ("name", "key")
_PAIR_KEYS = frozenset(
    {*_PAIR_NAME_KEYS, "value", "type", "description", "enabled", "disabled", "id", "in"}
)
_VALUE_KEYS = ("value", "Value", "VALUE")
# A URL's user information ("https://user:pass@host/hook", "redis://:pass@cache",
# "https://TOKEN@github.com"): redacted whole, up to the last "@" of the authority, as URL
# parsers read it (a password pasted unencoded, "p@ss", has an "@" of its own). A "/" in
# a password ends the authority for every parser, and here too. The scheme begins no
# longer run of scheme characters and is at most 32 long: tried from every letter of a
# long run, the search took time growing with the square of the text's length.
_URL_USER_INFO = re.compile(
    r"(?<![a-z0-9+.\-])([a-z][a-z0-9+.\-]{0,31}://)[^/\s?#]*@", re.IGNORECASE
)
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")
# Known secrets shorter than this are not searched for inside strings (too many false hits).
_MIN_SECRET_LENGTH = 8


def load_json(body: bytes) -> Any:
    """The parsed body; WebhookRejected(400) for anything that is not strict UTF-8 JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRejected(400, "body is not UTF-8") from None
    try:
        # NaN and Infinity are not JSON; Python would accept them by default.
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        # ValueError covers bad syntax and integers too long to convert.
        raise WebhookRejected(400, "body is not valid JSON") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def is_secret_key(key: str, value: Any) -> bool:
    """Whether a payload key names a secret (token counts such as promptTokens do not)."""
    read = _read_key_name_cached if len(key) <= _MAX_CACHED_KEY else _read_key_name
    names_a_secret, may_count_tokens = read(key)
    # "promptTokens": 812 is a count of tokens, not a credential: plural and a number.
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return names_a_secret and not (may_count_tokens and is_number)


def _read_key_name(key: str) -> tuple[bool, bool]:
    """(whether the name marks a secret, whether only as "tokens", which may be a count)."""
    name = _NOT_ALPHANUMERIC.sub("", key.lower())
    matches = [part for part in _SECRET_KEY_PARTS if part in name]
    return bool(matches) or name in _SECRET_KEY_NAMES, matches == ["token"] and "tokens" in name


# Payloads repeat the same few dozen key names: each is read once. Only short
# ones are kept, so what a sender puts in keys cannot grow the cache past ~1 MiB.
_MAX_CACHED_KEY = 64
_read_key_name_cached = functools.lru_cache(maxsize=4096)(_read_key_name)


def redact(value: Any, known_secrets: Iterable[str] = ()) -> Any:
    """A copy of a parsed payload with secrets replaced by REDACTED and strings made storable.

    Raises WebhookRejected(422) when the structure is nested deeper than MAX_DEPTH.
    """
    found = _values_of_secret_keys(value, 0)
    secrets = sorted({s for s in (*known_secrets, *found) if len(s) >= _MIN_SECRET_LENGTH}, key=len)
    return _redact(value, secrets[::-1], 0)


def _values_of_secret_keys(value: Any, depth: int) -> list[str]:
    """The strings under secret keys anywhere in the payload, to cut out of other strings."""
    if depth > MAX_DEPTH:
        raise WebhookRejected(422, "payload is nested too deeply")
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                if is_secret_key(key, item):
                    found.append(item)
            elif _is_header_object(key, item):
                found += _values_of_secret_headers(item)
            elif isinstance(item, dict | list):
                found += _values_of_secret_keys(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list):
                found += _values_of_secret_keys(item, depth + 1)
    return found


def _values_of_secret_headers(headers: dict[str, Any] | list[Any]) -> list[str]:
    """The values of the headers named as secrets ("Authorization": "Bearer sk-..."), and
    of a value that is a scheme and a credential, the credential too: it may stand alone."""
    if isinstance(headers, dict):
        pairs = list(headers.items())
    else:
        pairs = [
            (_pair_name(entry), _pair_value(entry))
            if isinstance(entry, dict)
            else tuple(part.strip() for part in entry.partition(":")[::2])
            if isinstance(entry, str)
            else (None, None)
            for entry in headers
        ]
    found = []
    for name, item in pairs:
        if isinstance(name, str) and isinstance(item, str) and is_secret_key(name, item):
            found.append(item)
            scheme, _, credential = item.partition(" ")
            if credential.strip() and scheme.isalpha():
                found.append(credential.strip())
    return found


def _redact(value: Any, secrets: list[str], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WebhookRejected(422, "payload is nested too deeply")
    if isinstance(value, dict):
        secret_value_key = _secret_pair_value_key(value)
        return {
            storable_text(key): REDACTED
            if key == secret_value_key or is_secret_key(key, item)
            else _redacted_headers(item)
            if _is_header_object(key, item)
            else _redact(item, secrets, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact(item, secrets, depth + 1) for item in value]
    if isinstance(value, str):
        text = storable_text(value)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if "://" in text and "@" in text:
            text = _URL_USER_INFO.sub(rf"\g<1>{REDACTED}@", text)
        return text
    return value


def _is_header_object(key: str, value: Any) -> bool:
    return (
        isinstance(value, dict | list) and _NOT_ALPHANUMERIC.sub("", key.lower()) in _HEADER_OBJECTS
    )


def _redacted_headers(headers: dict[str, Any] | list[Any]) -> dict[str, Any] | list[Any]:
    """The header names kept (what the owner configured), every value redacted."""
    if isinstance(headers, dict):
        return {storable_text(str(name)): REDACTED for name in headers}
    return [_redacted_header_pair(pair) for pair in headers]


def _redacted_header_pair(pair: Any) -> Any:
    if not isinstance(pair, dict):
        return REDACTED  # "Authorization: Bearer ...", or anything else: no name to keep
    return {
        storable_text(key): storable_text(item)
        if key.lower() in _PAIR_NAME_KEYS and isinstance(item, str)
        else REDACTED
        for key, item in pair.items()
    }


def _pair_name(pair: dict[str, Any]) -> Any:
    return next((item for key, item in pair.items() if key.lower() in _PAIR_NAME_KEYS), None)


def _pair_value(pair: dict[str, Any]) -> Any:
    return next((pair[key] for key in _VALUE_KEYS if key in pair), None)


def _secret_pair_value_key(pair: dict[str, Any]) -> str | None:
    """The key of the value ("value", "Value") when this object is a name/value pair whose
    name marks a secret, else None."""
    value_key = next((key for key in _VALUE_KEYS if key in pair), None)
    if value_key is None or not all(key.lower() in _PAIR_KEYS for key in pair):
        return None
    name = _pair_name(pair)
    if isinstance(name, str) and is_secret_key(name, pair[value_key]):
        return value_key
    return None


def storable_text(value: str) -> str:
    """The string without NUL characters or lone surrogates, which no database column takes."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def dump_payload(payload: Any) -> str:
    """The redacted payload as stored: compact JSON, non-ASCII kept readable."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
