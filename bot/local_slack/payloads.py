"""What Slack POSTs to an app, built from the workspace: the Events API envelope of an
``app_mention``, a slash command's form, a click on a message's control (``block_actions``) and a
modal's submission (``view_submission``), with every field Slack sends. Builders only; sending
(signed) is the caller's. The playground, the tests and the benchmark all build their requests
here, so they send the app the same thing.

``team_id`` (where a builder takes it) is the workspace the request comes from when it is not the
local Slack's own: an app serves every workspace it is installed in, and tests give each test a
workspace of its own while sharing one local Slack.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from typing import Any

from .models import JSON, Message, SlackError
from .state import SlackState

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
SLASH_COMMAND = "/incident"
# The deprecated verification token Slack still puts in every request; apps check the signature.
VERIFICATION_TOKEN = "local"  # noqa: S105 - a placeholder, not a secret


def new_event_id() -> str:
    return f"Ev{uuid.uuid4().hex[:12].upper()}"


def new_trigger_id() -> str:
    return f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"


# ---------------------------------------------------------------------- Events API
def event_envelope(state: SlackState, event: JSON, *, team_id: str | None = None, event_id: str | None = None) -> JSON:
    """The ``event_callback`` envelope around ``event``; a new event_id unless one is given."""
    team = team_id or state.team_id
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team,
        "api_app_id": state.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team,
                "user_id": state.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


def app_mention(user: str, channel: str, text: str, ts: str, thread_ts: str | None) -> JSON:
    event: JSON = {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def mention_event(
    state: SlackState, *, user: str, channel: str, text: str, thread_ts: str | None = None
) -> tuple[JSON, Message]:
    """A person types ``@bot <text>``: the message now exists in the workspace (a real mention is
    of a message that exists); the ``app_mention`` event about it, and the message."""
    typed = f"<@{state.bot_user_id}> {text}"
    message = state.post_user_message(channel, user, typed, thread_ts=thread_ts)
    return app_mention(user, channel, typed, message.ts, thread_ts), message


def mention(
    state: SlackState,
    *,
    user: str,
    channel: str,
    text: str,
    thread_ts: str | None = None,
    team_id: str | None = None,
    event_id: str | None = None,
) -> tuple[JSON, Message]:
    """:func:`mention_event` in its envelope, as Slack delivers it; and the message."""
    event, message = mention_event(state, user=user, channel=channel, text=text, thread_ts=thread_ts)
    return event_envelope(state, event, team_id=team_id, event_id=event_id), message


# ---------------------------------------------------------------------- slash commands
def slash_form(
    state: SlackState,
    user: str,
    channel: str,
    text: str,
    *,
    response_url: str,
    trigger_id: str | None = None,
    team_id: str | None = None,
) -> str:
    """``/incident <text>``, urlencoded as Slack POSTs it (see :func:`form_fields` for Socket Mode)."""
    form = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id or state.team_id,
        "team_domain": state.team_domain,
        "channel_id": channel,
        "channel_name": channel.lower(),
        "user_id": user,
        "user_name": _user_name(state, user),
        "command": SLASH_COMMAND,
        "text": text,
        "api_app_id": state.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return urllib.parse.urlencode(form)


def form_fields(form: str) -> dict[str, str]:
    """A urlencoded body's fields: a slash command as a Socket Mode envelope's payload carries it."""
    return dict(urllib.parse.parse_qsl(form, keep_blank_values=True))


# ---------------------------------------------------------------------- interactivity
def interaction_form(payload: JSON) -> str:
    """The body Slack POSTs for an interaction: the JSON payload in a ``payload`` form field."""
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def _user_name(state: SlackState, user: str) -> str:
    return str(state.users.get(user, {}).get("name", user))


def _interaction(state: SlackState, kind: str, user: str, trigger_id: str | None, team_id: str | None) -> JSON:
    team = team_id or state.team_id
    return {
        "type": kind,
        "team": {"id": team, "domain": state.team_domain},
        "user": {"id": user, "team_id": team, "username": _user_name(state, user), "name": _user_name(state, user)},
        "api_app_id": state.app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "enterprise": None,
        "is_enterprise_install": False,
    }


def find_control(blocks: list[JSON] | None, action_id: str, block_id: str | None = None) -> tuple[JSON, JSON]:
    """The block holding interactive element ``action_id`` (in an actions block or as an
    accessory; in block ``block_id`` if given), and the element."""
    for block in blocks or []:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        candidates = block.get("elements", []) if block.get("type") == "actions" else [block.get("accessory")]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return block, element
    raise SlackError("element_not_found")


def chosen_action(element: JSON, block_id: str, choice: str | None, *, action_ts: str | None = None) -> JSON:
    """The ``actions[0]`` Slack reports when ``element`` is used; ``choice`` is what was picked."""
    action: JSON = {
        "type": element.get("type"),
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "action_ts": action_ts or f"{time.time():.6f}",
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
    """The option ``value`` picks: the one with that value, else the one whose value ends with
    ``:value`` (an app's values often carry a reference, ``T0:1:SEV1``, that a person picking from
    the menu never sees)."""
    options = [o for g in element.get("option_groups", []) for o in g.get("options", [])] + element.get("options", [])
    option = next((o for o in options if o.get("value") == value), None)
    if option is None and value:
        option = next((o for o in options if str(o.get("value", "")).endswith(f":{value}")), None)
    if option is None:
        raise SlackError("invalid_option")
    return dict(option)


def message_container(channel: str, message_ts: str, thread_ts: str | None, *, ephemeral: bool) -> JSON:
    """Where a clicked control is, as ``block_actions.container`` reports it."""
    container: JSON = {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": ephemeral}
    if thread_ts:
        container["thread_ts"] = thread_ts
    return container


def block_actions(
    state: SlackState,
    user: str,
    *,
    channel: str,
    message: JSON | None,
    container: JSON,
    action: JSON,
    response_url: str,
    trigger_id: str | None = None,
    team_id: str | None = None,
) -> JSON:
    """A click on a control of a message (``message`` is None for an ephemeral one, as in Slack)."""
    payload = _interaction(state, "block_actions", user, trigger_id, team_id) | {
        "container": container,
        "channel": {"id": channel, "name": channel.lower()},
        "response_url": response_url,
        "state": {"values": {}},
        "actions": [action],
    }
    if message is not None:
        payload["message"] = message
    return payload


def click(
    state: SlackState,
    user: str,
    message: Message,
    action_id: str,
    *,
    response_url: str,
    choice: str | None = None,
    team_id: str | None = None,
    action_ts: str | None = None,
) -> JSON:
    """``block_actions`` for control ``action_id`` of ``message`` as it was when seen (an older copy
    is clicked as shown then); ``choice``: the option's value (see :func:`_option`) or the user."""
    block, element = find_control(message.blocks, action_id)
    block_id = str(block.get("block_id"))
    return block_actions(
        state,
        user,
        channel=message.channel,
        message=state.message_dict(message),
        container=message_container(message.channel, message.ts, message.thread_ts, ephemeral=False),
        action=chosen_action(element, block_id, choice, action_ts=action_ts),
        response_url=response_url,
        team_id=team_id,
    )


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


def view_submission(
    state: SlackState,
    user: str,
    view: JSON,
    values: JSON,
    *,
    trigger_id: str | None = None,
    team_id: str | None = None,
    view_id: str | None = None,
) -> JSON:
    """A modal (``view`` as shown, or as the app opened it with ``view_id``) submitted with
    ``values`` as ``view.state.values``."""
    shown = {"team_id": team_id or state.team_id, "app_id": state.app_id, "bot_id": state.bot_id, **view}
    if view_id is not None:
        shown["id"] = view_id
    return _interaction(state, "view_submission", user, trigger_id, team_id) | {
        "view": {**shown, "state": {"values": values}},
        "response_urls": [],
    }


def view_closed(state: SlackState, user: str, view: JSON) -> JSON:
    """A modal dismissed with Cancel or ×, for apps that set ``notify_on_close``."""
    return _interaction(state, "view_closed", user, None, None) | {"view": view, "is_cleared": False}
