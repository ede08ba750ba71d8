"""The timeline from Slack's rules (SPEC §10): a message is pinned once, whoever pins it and however
often; taking the pin back, editing and deleting the message are new events, never changes to old
ones. Accepted in any status: a closed incident's review is when most messages get pinned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from domain import commands as cmd
from domain import events as ev
from domain.errors import NothingToChange
from domain.incident import Incident
from domain.pinned import PinnedMessage, clipped, find_pinned, posted_at, with_pinned

PinEvent = (
    ev.MessagePinned | ev.PinnedMessageFetched | ev.MessageUnpinned | ev.PinnedMessageEdited | ev.PinnedMessageDeleted
)
# The same, for isinstance (mypy narrows to PinEvent by it).
PIN_EVENTS = (
    ev.MessagePinned,
    ev.PinnedMessageFetched,
    ev.MessageUnpinned,
    ev.PinnedMessageEdited,
    ev.PinnedMessageDeleted,
)


class NotPinned(NothingToChange):
    """The message is not on the incident's timeline (never pinned, taken off, or deleted): there is
    nothing to record about it."""


def pin(state: Incident, command: cmd.PinMessage, stamp: Mapping[str, Any]) -> list[ev.Event]:
    entry = find_pinned(state.pinned, command.channel_id, command.ts)
    text = clipped(command.text) if command.text is not None else None
    where: dict[str, Any] = {"channel_id": command.channel_id, "ts": command.ts}
    if entry is None or (entry.removed and not entry.deleted):
        return [
            ev.MessagePinned(
                **stamp,
                **where,
                author=command.author,
                posted_at=posted_at(command.ts),
                text=text,
                pinned_by=command.pinned_by,
            )
        ]
    if entry.deleted:
        raise NothingToChange(f"That message was deleted from Slack; {state.ref}'s timeline keeps what it said.")
    if not entry.text_known and text is not None:
        # The bot's doing: it asked Slack for the text once the pin was recorded.
        fetched = {**stamp, "actor": cmd.SYSTEM_ACTOR}
        return [ev.PinnedMessageFetched(**fetched, **where, author=command.author, text=text)]
    raise NothingToChange(f"That message is already on {state.ref}'s timeline.")


def unpin(state: Incident, command: cmd.UnpinMessage, stamp: Mapping[str, Any]) -> list[ev.Event]:
    _on_timeline(state, command.channel_id, command.ts)
    return [ev.MessageUnpinned(**stamp, channel_id=command.channel_id, ts=command.ts)]


def edit(state: Incident, command: cmd.RecordMessageEdit, stamp: Mapping[str, Any]) -> list[ev.Event]:
    _on_timeline(state, command.channel_id, command.ts)
    return [ev.PinnedMessageEdited(**stamp, channel_id=command.channel_id, ts=command.ts, text=clipped(command.text))]


def delete(state: Incident, command: cmd.RecordMessageDeletion, stamp: Mapping[str, Any]) -> list[ev.Event]:
    _on_timeline(state, command.channel_id, command.ts)
    return [ev.PinnedMessageDeleted(**stamp, channel_id=command.channel_id, ts=command.ts)]


def _on_timeline(state: Incident, channel_id: str, ts: str) -> PinnedMessage:
    entry = find_pinned(state.pinned, channel_id, ts)
    if entry is None or not entry.on_timeline:
        raise NotPinned(f"That message is not pinned to {state.ref}'s timeline.")
    return entry


def pinned_after(pinned: tuple[PinnedMessage, ...], event: PinEvent) -> tuple[PinnedMessage, ...]:
    """What ``event`` makes of the incident's pinned messages."""
    if isinstance(event, ev.MessagePinned):
        return with_pinned(pinned, PinnedMessage(event.channel_id, event.ts, text_known=event.text is not None))
    entry = find_pinned(pinned, event.channel_id, event.ts)
    if entry is None:
        raise ValueError(f"{event.type} for message {event.channel_id}/{event.ts}, which was never pinned")
    match event:
        case ev.MessageUnpinned():
            return with_pinned(pinned, replace(entry, removed=True))
        case ev.PinnedMessageDeleted():
            return with_pinned(pinned, replace(entry, deleted=True))
    return with_pinned(pinned, replace(entry, text_known=True))
