"""What Slack POSTs to the bot, each shape written once: the Events API envelope (an ``app_mention``),
a slash command's form, a click on a message's control (``block_actions``) and a modal's submission
(``view_submission``). Builders only: they return the payload and send nothing, so the in-process
harness, the request-signing tests and the ``python -m bot`` tests all send the same thing.
:func:`mention_event` and :func:`mention` also post the typed message into the fake Slack, because a
real mention is of a message that exists."""

from __future__ import annotations

import itertools
import json
import time
import urllib.parse
import uuid
from typing import Any

from tests.fake_slack.models import Message
from tests.fake_slack.state import SlackState

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
API_APP_ID = "A0FIREBREAK"
BOT_USER = "U0FIREBOT"
_action_ts = itertools.count(1)


def new_event_id() -> str:
    return f"Ev{uuid.uuid4().hex[:10]}"


def new_trigger_id() -> str:
    return f"trigger.{uuid.uuid4().hex}"


# ---------------------------------------------------------------------- Events API
def event_envelope(team_id: str, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """The ``event_callback`` envelope around ``event``; a new event_id unless one is given."""
    return {
        "token": "legacy",
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(time.time()),
        "event": event,
    }


def mention_event(
    state: SlackState, *, user: str, channel: str, text: str, thread_ts: str | None = None
) -> tuple[dict[str, Any], Message]:
    """A person types ``@firebreak <text>``: the message now exists in Slack; the ``app_mention``
    event about it, and the message."""
    typed = f"<@{BOT_USER}> {text}"
    message = state.post_user_message(channel, user, typed, thread_ts=thread_ts)
    event = {"type": "app_mention", "user": user, "text": typed, "ts": message.ts, "channel": channel}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event, message


def mention(
    state: SlackState,
    *,
    team_id: str,
    user: str,
    channel: str,
    text: str,
    thread_ts: str | None = None,
    event_id: str | None = None,
) -> tuple[dict[str, Any], Message]:
    """:func:`mention_event` in its envelope, as Slack delivers it; and the message."""
    event, message = mention_event(state, user=user, channel=channel, text=text, thread_ts=thread_ts)
    return event_envelope(team_id, event, event_id=event_id), message


# ---------------------------------------------------------------------- slash commands
def slash_form(
    team_id: str, user: str, channel: str, text: str, response_url: str, *, trigger_id: str | None = None
) -> dict[str, str]:
    """``/incident <text>`` as Slack's form fields (urlencode them to send)."""
    return {
        "token": "legacy",
        "team_id": team_id,
        "channel_id": channel,
        "user_id": user,
        "command": "/incident",
        "text": text,
        "trigger_id": trigger_id or new_trigger_id(),
        "response_url": response_url,
    }


# ---------------------------------------------------------------------- interactivity
def interaction_form(payload: dict[str, Any]) -> str:
    """The body Slack POSTs for an interaction: the JSON payload in a ``payload`` form field."""
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def _interaction(kind: str, team_id: str, user: str) -> dict[str, Any]:
    return {
        "type": kind,
        "team": {"id": team_id, "domain": "test"},
        "user": {"id": user, "team_id": team_id},
        "api_app_id": API_APP_ID,
        "trigger_id": new_trigger_id(),
    }


def block_actions(
    team_id: str,
    user: str,
    message: Message,
    action_id: str,
    response_url: str,
    *,
    action_ts: str | None = None,
    **chosen: Any,
) -> dict[str, Any]:
    """A control of a posted message used exactly as Slack reports it: the element from the
    message's own blocks, plus what was chosen (``option_value``: the select option whose value
    ends with it; ``selected_user``). A new action_ts unless one is given."""
    block, element = find_control(message, action_id)
    action: dict[str, Any] = {
        "type": element["type"],
        "action_id": action_id,
        "block_id": block["block_id"],
        "action_ts": action_ts or f"{1700000000 + next(_action_ts)}.000001",
    }
    if "value" in element:
        action["value"] = element["value"]
    if "option_value" in chosen:
        option = next(o for o in element["options"] if o["value"].endswith(":" + chosen["option_value"]))
        action["selected_option"] = option
    if "selected_user" in chosen:
        action["selected_user"] = chosen["selected_user"]
    container = {"type": "message", "message_ts": message.ts, "channel_id": message.channel, "is_ephemeral": False}
    if message.thread_ts:
        container["thread_ts"] = message.thread_ts
    return _interaction("block_actions", team_id, user) | {
        "container": container,
        "channel": {"id": message.channel},
        "message": {"ts": message.ts, "thread_ts": message.thread_ts, "blocks": message.blocks, "text": message.text},
        "response_url": response_url,
        "actions": [action],
    }


def view_submission(
    team_id: str, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]], view_id: str
) -> dict[str, Any]:
    """A modal submitted with ``values`` as ``view.state.values``."""
    return _interaction("view_submission", team_id, user) | {
        "view": {**view, "id": view_id, "team_id": team_id, "state": {"values": values}},
    }


# ---------------------------------------------------------------------- a message's controls
def find_control(message: Message, action_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The actions block of ``message`` holding control ``action_id``, and the control."""
    for block in message.blocks or []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == action_id:
                return block, element
    raise AssertionError(f"no control {action_id!r} on message {message.ts}: {controls(message)}")


def controls(message: Message) -> list[str]:
    """The action_ids of ``message``'s controls, in order."""
    return [
        element["action_id"]
        for block in message.blocks or []
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]
