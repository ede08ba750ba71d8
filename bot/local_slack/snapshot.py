"""The workspace as a file: what a restarted local Slack needs to show the same conversations.

Kept: the workspace's identity, its people, every channel's messages as they are now, and where
``ts`` values and ids had got to (so that new ones never repeat old ones). Not kept, as Slack does
not keep them across a reload either: ephemerals, open modals, edit history and the call log.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from .models import JSON, Message
from .state import SlackState

FORMAT = 1
_MESSAGE_FIELDS = {f.name for f in fields(Message)} - {"revisions"}


class UnreadableSnapshot(Exception):
    """The file is not a workspace this local Slack wrote; the message says why."""


def snapshot(state: SlackState) -> JSON:
    seq, last_micros = state.position()
    return {
        "format": FORMAT,
        "team_id": state.team_id,
        "team_domain": state.team_domain,
        "users": list(state.users.values()),
        "messages": [
            {k: v for k, v in asdict(m).items() if k in _MESSAGE_FIELDS}
            for channel in state.channels.values()
            for m in channel
        ],
        "seq": seq,
        "last_micros": last_micros,
    }


def restore(state: SlackState, data: Any) -> None:
    """Make ``state`` the workspace ``data`` describes; on a malformed ``data``, change nothing."""
    try:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise UnreadableSnapshot(f"not a format {FORMAT} workspace")
        if data["team_id"] != state.team_id:
            raise UnreadableSnapshot(f"it is workspace {data['team_id']}, not {state.team_id}")
        users = {str(u["id"]): dict(u) for u in data["users"]}
        messages = [Message(**{k: v for k, v in m.items() if k in _MESSAGE_FIELDS}) for m in data["messages"]]
        seq, last_micros = int(data["seq"]), int(data["last_micros"])
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableSnapshot(f"{type(error).__name__}: {error}") from None
    state.clear()
    state.users |= users
    for message in messages:
        state.channels.setdefault(message.channel, []).append(message)
    state.resume(seq, last_micros)


def save(state: SlackState, path: Path) -> None:
    """Write the workspace to ``path`` atomically: a crash mid-write leaves the previous file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(snapshot(state), separators=(",", ":")), encoding="utf-8")
    os.replace(partial, path)


def load(state: SlackState, path: Path) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UnreadableSnapshot(f"{type(error).__name__}: {error}") from None
    restore(state, data)
