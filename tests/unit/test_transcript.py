"""Transcripts become speaker turns; only http(s) recording links are shown."""

from __future__ import annotations

import pytest

from crm_app.state.transcript import Turn, safe_link, transcript_turns


def test_transcript_turns_follow_vapis_speaker_prefixes() -> None:
    text = "AI: Hello, this is Ava.\nUser: Hi! I need a quote.\nfor two rooms\n\nAssistant: Sure."
    assert transcript_turns(text) == [
        Turn("Agent", "Hello, this is Ava.", True),
        Turn("Caller", "Hi! I need a quote.\nfor two rooms", False),
        Turn("Agent", "Sure.", True),
    ]


def test_text_before_any_speaker_is_kept_as_an_unnamed_turn() -> None:
    assert transcript_turns("call started\nbot: hi") == [
        Turn("", "call started", False),
        Turn("Agent", "hi", True),
    ]


def test_an_empty_transcript_has_no_turns() -> None:
    assert transcript_turns("") == [] and transcript_turns("  \n ") == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://storage.vapi.ai/rec.wav", "https://storage.vapi.ai/rec.wav"),
        ("http://example.com/a.mp3", "http://example.com/a.mp3"),
        ("javascript:alert(1)", ""),
        ("JAVASCRIPT:alert(1)", ""),
        ("data:text/html,<script>alert(1)</script>", ""),
        ("//evil.example/x", ""),
        ("https://", ""),
        ("http://[::1", ""),
        (None, ""),
    ],
)
def test_safe_link_allows_only_http_and_https(url, shown) -> None:
    assert safe_link(url) == shown
