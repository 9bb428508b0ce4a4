"""A call transcript as speaker turns, and which recording links are safe to show."""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit

# "AI: ...", "User: ...", "bot: ..." at the start of a line begins a turn (Vapi's format).
_TURN = re.compile(r"^\s*(ai|assistant|bot|agent|user|customer|caller|human)\s*:\s?(.*)$", re.I)
_AGENT = {"ai", "assistant", "bot", "agent"}
# Shown at first: a long call's whole transcript is asked for (CallDetailState).
MAX_TURNS = 500


@dataclasses.dataclass
class Turn:
    """One speaker's turn: who ("Agent" or "Caller"), what they said, and which side it is."""

    speaker: str = ""
    text: str = ""
    is_agent: bool = False


def transcript_turns(transcript: str) -> list[Turn]:
    """Split a transcript into turns (all of them); lines without a speaker continue the
    turn before."""
    turns: list[Turn] = []
    for line in (transcript or "").splitlines():
        match = _TURN.match(line)
        if match:
            is_agent = match.group(1).lower() in _AGENT
            speaker = "Agent" if is_agent else "Caller"
            turns.append(Turn(speaker=speaker, text=match.group(2).strip(), is_agent=is_agent))
        elif line.strip():
            if not turns:
                turns.append(Turn(speaker="", text=line.strip()))
            else:
                turns[-1].text = f"{turns[-1].text}\n{line.strip()}".strip()
    return turns


def safe_link(url: str | None) -> str:
    """The URL when it is http(s) with a host; "" otherwise (never javascript: or data:)."""
    value = (url or "").strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    return value if parts.scheme in ("http", "https") and parts.netloc else ""
