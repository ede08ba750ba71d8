"""What Slack POSTs to an app, built from the workspace: the Events API envelope of an
``app_mention``, a slash command's form, a click on a message's control (``block_actions``) and a
modal's submission (``view_submission``). Builders only; sending (signed) is the caller's."""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from typing import Any

from .models import JSON, SlackError
from .state import SlackState

SLASH_COMMAND = "/incident"


def new_trigger_id() -> str:
    return f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"


def event_envelope(state: SlackState, event: JSON) -> JSON:
    return {
        "token": "local",
        "team_id": state.team_id,
        "api_app_id": state.app_id,
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": state.team_id, "user_id": state.bot_user_id, "is_bot": True}],
        "event": event,
    }


def app_mention(user: str, channel: str, text: str, ts: str, thread_ts: str | None) -> JSON:
    event: JSON = {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def slash_form(state: SlackState, user: str, channel: str, text: str, *, response_url: str, trigger_id: str) -> str:
    """``/incident <text>``, urlencoded as Slack sends it."""
    user_name = str(state.users.get(user, {}).get("name", user))
    form = {
        "token": "local",
        "team_id": state.team_id,
        "team_domain": state.team_domain,
        "channel_id": channel,
        "user_id": user,
        "user_name": user_name,
        "command": SLASH_COMMAND,
        "text": text,
        "api_app_id": state.app_id,
        "trigger_id": trigger_id,
        "response_url": response_url,
    }
    return urllib.parse.urlencode(form)


def interaction_form(payload: JSON) -> str:
    """The body Slack POSTs for an interaction: the JSON payload in a ``payload`` form field."""
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def _interaction(state: SlackState, kind: str, user: str, trigger_id: str) -> JSON:
    return {
        "type": kind,
        "team": {"id": state.team_id, "domain": state.team_domain},
        "user": {"id": user, "team_id": state.team_id, "username": state.users.get(user, {}).get("name", user)},
        "api_app_id": state.app_id,
        "token": "local",
        "trigger_id": trigger_id,
    }


def find_element(blocks: list[JSON] | None, block_id: str, action_id: str) -> JSON:
    """The interactive element ``action_id`` of block ``block_id`` (in actions or as an accessory)."""
    for block in blocks or []:
        if block.get("block_id") != block_id:
            continue
        candidates = block.get("elements", []) if block.get("type") == "actions" else [block.get("accessory")]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    raise SlackError("element_not_found")


def chosen_action(element: JSON, block_id: str, choice: str | None) -> JSON:
    """The ``actions[0]`` Slack reports when ``element`` is used; ``choice`` is what was picked."""
    action: JSON = {
        "type": element.get("type"),
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    kind = element.get("type")
    if kind == "button":
        action["text"] = element.get("text")
        if "value" in element:
            action["value"] = element["value"]
    elif kind in ("static_select", "overflow", "radio_buttons"):
        action["selected_option"] = _option(element, choice)
    elif kind == "users_select":
        if not choice:
            raise SlackError("invalid_arguments")
        action["selected_user"] = choice
    return action


def _option(element: JSON, value: str | None) -> JSON:
    options = [o for g in element.get("option_groups", []) for o in g.get("options", [])] + element.get("options", [])
    option = next((o for o in options if o.get("value") == value), None)
    if option is None:
        raise SlackError("invalid_option")
    return dict(option)


def block_actions(
    state: SlackState,
    user: str,
    *,
    channel: str,
    message: JSON | None,
    container: JSON,
    action: JSON,
    response_url: str,
    trigger_id: str,
) -> JSON:
    """A click on a control of a message (``message`` is None for an ephemeral one, as in Slack)."""
    payload = _interaction(state, "block_actions", user, trigger_id) | {
        "container": container,
        "channel": {"id": channel},
        "response_url": response_url,
        "state": {"values": {}},
        "actions": [action],
    }
    if message is not None:
        payload["message"] = message
    return payload


def view_state_values(view: JSON, typed: dict[str, Any]) -> JSON:
    """``view.state.values`` for a modal whose inputs were filled with ``typed``
    (``{block_id: text, option value or user id}``), typed the way each element reports."""
    values: JSON = {}
    for block in view.get("blocks", []):
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, dict):
            continue
        raw = typed.get(str(block.get("block_id")))
        chosen = raw if isinstance(raw, str) and raw != "" else None
        kind = element.get("type")
        entry: JSON = {"type": kind}
        if kind in ("static_select", "radio_buttons"):
            entry["selected_option"] = _option(element, chosen) if chosen is not None else None
        elif kind == "users_select":
            entry["selected_user"] = chosen
        else:
            entry["value"] = chosen
        values[str(block.get("block_id"))] = {str(element.get("action_id")): entry}
    return values


def view_submission(state: SlackState, user: str, view: JSON, values: JSON, trigger_id: str) -> JSON:
    return _interaction(state, "view_submission", user, trigger_id) | {
        "view": {**view, "state": {"values": values}},
        "response_urls": [],
    }


def view_closed(state: SlackState, user: str, view: JSON) -> JSON:
    """A modal dismissed with Cancel or ×, for apps that set ``notify_on_close``."""
    return _interaction(state, "view_closed", user, new_trigger_id()) | {"view": view, "is_cleared": False}
