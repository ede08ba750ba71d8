"""Messages pinned to an incident's timeline from Slack (SPEC §10): each message (channel + ts) is
on it once, whoever pinned it and however often, with its own author, time and text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

# A message's text on the timeline: Slack allows 40,000 characters, a timeline line far fewer.
PINNED_TEXT_MAX = 3000
_CLIPPED = "…"


class PinnedBy(Enum):
    """How the message was pinned: the 📌 reaction, or Slack's own pin."""

    REACTION = "reaction"
    PIN = "pin"


@dataclass(frozen=True)
class PinnedMessage:
    """What the timeline knows of one pinned message: whether its text was fetched yet, whether the
    pin was taken back and whether the message is gone from Slack."""

    channel_id: str
    ts: str
    text_known: bool
    removed: bool = False
    deleted: bool = False

    @property
    def on_timeline(self) -> bool:
        return not (self.removed or self.deleted)


def find_pinned(pinned: tuple[PinnedMessage, ...], channel_id: str, ts: str) -> PinnedMessage | None:
    return next((entry for entry in pinned if entry.channel_id == channel_id and entry.ts == ts), None)


def with_pinned(pinned: tuple[PinnedMessage, ...], entry: PinnedMessage) -> tuple[PinnedMessage, ...]:
    """``pinned`` with ``entry`` in its message's place, or added last: the order pins came in."""
    if find_pinned(pinned, entry.channel_id, entry.ts) is None:
        return (*pinned, entry)
    return tuple(entry if (e.channel_id, e.ts) == (entry.channel_id, entry.ts) else e for e in pinned)


def posted_at(ts: str) -> datetime:
    """When a Slack message was posted: its ``ts`` is seconds and microseconds since the epoch. Exact
    (no float), and whole: the date is kept however many days ago it was."""
    seconds, _, fraction = ts.partition(".")
    if not seconds.isdigit() or not (fraction == "" or fraction.isdigit()):
        raise ValueError(f"not a Slack message ts: {ts!r}")
    micros = int(fraction.ljust(6, "0")[:6]) if fraction else 0
    return datetime.fromtimestamp(int(seconds), UTC) + timedelta(microseconds=micros)


def clipped(text: str) -> str:
    """A message's text as the timeline keeps it: whole, unless longer than a timeline line holds."""
    text = text.strip()
    return text if len(text) <= PINNED_TEXT_MAX else text[: PINNED_TEXT_MAX - len(_CLIPPED)] + _CLIPPED
