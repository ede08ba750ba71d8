"""What people do to messages, and the events Slack sends an app about it (``reaction_added`` /
``reaction_removed``, ``pin_added`` / ``pin_removed``, ``message`` with the ``message_changed`` or
``message_deleted`` subtype), in Slack's shapes: each builder changes the workspace as the Slack
client would, then returns the event (put it in :func:`~.payloads.event_envelope` to send it).
"""

from __future__ import annotations

import time

from .models import JSON, Message
from .state import SlackState


def message_event(message: Message) -> JSON:
    """A message posted in a channel the app is in: Slack sends every one (``message.channels``)."""
    event: JSON = {
        "type": "message",
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
        "channel": message.channel,
        "event_ts": message.ts,
        "channel_type": "channel",
    }
    if message.thread_ts:
        event["thread_ts"] = message.thread_ts
    return event


def reaction_event(state: SlackState, user: str, message: Message, name: str, *, added: bool = True) -> JSON:
    """``user`` adds (or takes back) emoji ``name`` on ``message``. Slack names the message only,
    not its thread nor its text."""
    if added:
        state.add_reaction(message.channel, message.ts, name, user)
    else:
        state.remove_reaction(message.channel, message.ts, name, user)
    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": name,
        "item": {"type": "message", "channel": message.channel, "ts": message.ts},
        "item_user": message.user,
        "event_ts": state.next_ts(),
    }


def pin_event(state: SlackState, user: str, message: Message, *, added: bool = True) -> JSON:
    """``user`` pins ``message`` to its channel (or unpins it); the event carries the message."""
    state.pin(message.channel, message.ts, user if added else None)
    now = int(time.time())
    pinned = sum(1 for m in state.messages(message.channel) if m.pinned_by is not None)
    item_message = state.message_dict(message) | {"permalink": state.permalink(message.channel, message.ts)}
    event: JSON = {
        "type": "pin_added" if added else "pin_removed",
        "user": user,
        "channel_id": message.channel,
        "item": {
            "type": "message",
            "created": now,
            "created_by": user,
            "channel": message.channel,
            "message": item_message,
        },
        "item_user": message.user,
        "pin_count": pinned,
        "pinned_info": {"channel": message.channel, "pinned_by": user, "pinned_ts": now},
        "event_ts": state.next_ts(),
    }
    if not added:
        event["has_pins"] = pinned > 0
    return event


def message_changed_event(state: SlackState, message: Message, text: str) -> JSON:
    """``message``'s author edits it to say ``text``: the event holds it before and after."""
    previous = state.message_dict(message)
    state.update_message(message.channel, message.ts, text=text)
    event_ts = message.edited_ts or state.next_ts()
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": state.message_dict(message),
        "previous_message": previous,
        "channel": message.channel,
        "hidden": True,
        "ts": event_ts,
        "event_ts": event_ts,
        "channel_type": "channel",
    }


def message_deleted_event(state: SlackState, message: Message) -> JSON:
    """``message`` deleted (by its author or an admin: Slack does not say which)."""
    previous = state.message_dict(message)
    state.delete_message(message.channel, message.ts)
    event_ts = state.next_ts()
    return {
        "type": "message",
        "subtype": "message_deleted",
        "previous_message": previous,
        "channel": message.channel,
        "hidden": True,
        "deleted_ts": message.ts,
        "ts": event_ts,
        "event_ts": event_ts,
        "channel_type": "channel",
    }
