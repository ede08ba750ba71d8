"""Web API methods as pure functions over :class:`SlackState`: ``(state, args) -> response body``.

Args arrive as Slack receives them (query string, form fields or JSON merged; form values are
strings and structured fields may be JSON strings). Errors are raised as :class:`SlackError`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

from .block_limits import MAX_MESSAGE_TEXT, block_errors, view_errors
from .models import JSON, SlackError
from .state import SlackState

Handler = Callable[[SlackState, JSON], JSON]


def _str(args: JSON, key: str) -> str | None:
    value = args.get(key)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _require(args: JSON, key: str, error: str = "invalid_arguments") -> str:
    value = _str(args, key)
    if value is None:
        raise SlackError(error)
    return value


def _structured(args: JSON, key: str, expected: type, error: str) -> Any:
    """A list/dict argument that form-encoded clients send as a JSON string."""
    value = args.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SlackError(error) from None
    if not isinstance(value, expected):
        raise SlackError(error)
    return value


def _blocks(args: JSON, validate: bool) -> list[JSON] | None:
    blocks: list[JSON] | None = _structured(args, "blocks", list, "invalid_blocks_format")
    if blocks is not None and validate:
        errors = block_errors(blocks)
        if errors:
            raise SlackError("invalid_blocks", errors=errors, response_metadata={"messages": errors})
    return blocks


def _content(args: JSON, validate: bool, *, required: bool = True) -> tuple[str | None, list[JSON] | None, Any]:
    text = _str(args, "text")
    blocks = _blocks(args, validate)
    attachments = _structured(args, "attachments", list, "invalid_attachments")
    if required and not (text or blocks or attachments):
        raise SlackError("no_text")
    if text is not None and len(text) > MAX_MESSAGE_TEXT:
        raise SlackError("msg_too_long")
    return text, blocks, attachments


def _view(args: JSON, validate: bool) -> JSON:
    view: JSON | None = _structured(args, "view", dict, "invalid_arguments")
    if view is None:
        raise SlackError("invalid_arguments")
    errors = view_errors(view) if validate else []
    if errors:
        messages = [f"[ERROR] {e}" for e in errors]
        raise SlackError("invalid_arguments", response_metadata={"messages": messages})
    return view


def auth_test(state: SlackState, args: JSON) -> JSON:
    return {
        "url": f"https://{state.team_domain}.slack.com/",
        "team": "Firebreak Test",
        "user": "firebreak",
        "team_id": state.team_id,
        "user_id": state.bot_user_id,
        "bot_id": state.bot_id,
        "is_enterprise_install": False,
    }


def chat_post_message(state: SlackState, args: JSON, *, validate: bool = True) -> JSON:
    channel = state.conversation(_require(args, "channel", "channel_not_found"))
    text, blocks, attachments = _content(args, validate)
    metadata = _structured(args, "metadata", dict, "invalid_metadata_format")
    msg = state.post_message(
        channel,
        text=text or "",
        blocks=blocks,
        attachments=attachments,
        thread_ts=_str(args, "thread_ts"),
        metadata=metadata,
    )
    return {"channel": channel, "ts": msg.ts, "message": state.message_dict(msg)}


def chat_update(state: SlackState, args: JSON, *, validate: bool = True) -> JSON:
    channel = _require(args, "channel", "channel_not_found")
    ts = _require(args, "ts", "message_not_found")
    text, blocks, attachments = _content(args, validate, required=False)
    if text is None and blocks is None and attachments is None:
        raise SlackError("no_text")
    msg = state.update_message(channel, ts, text=text, blocks=blocks, attachments=attachments)
    return {"channel": channel, "ts": msg.ts, "text": msg.text, "message": state.message_dict(msg)}


def chat_post_ephemeral(state: SlackState, args: JSON, *, validate: bool = True) -> JSON:
    channel = _require(args, "channel", "channel_not_found")
    user = _require(args, "user", "user_not_found")
    text, blocks, attachments = _content(args, validate)
    eph = state.post_ephemeral(
        channel, user, text=text or "", blocks=blocks, attachments=attachments, thread_ts=_str(args, "thread_ts")
    )
    return {"message_ts": eph.message_ts}


def chat_get_permalink(state: SlackState, args: JSON) -> JSON:
    channel = _require(args, "channel", "channel_not_found")
    ts = _require(args, "message_ts", "message_not_found")
    return {"channel": channel, "permalink": state.permalink(channel, ts)}


def views_open(state: SlackState, args: JSON, *, validate: bool = True) -> JSON:
    trigger_id = _require(args, "trigger_id")
    if trigger_id.startswith("expired"):
        raise SlackError("expired_trigger_id")
    view = state.open_view(trigger_id, _view(args, validate))
    return {"view": state.view_dict(view)}


def views_update(state: SlackState, args: JSON, *, validate: bool = True) -> JSON:
    view_id, external_id = _str(args, "view_id"), _str(args, "external_id")
    if view_id is None and external_id is None:
        raise SlackError("invalid_arguments")
    payload = _view(args, validate)
    view = state.update_view(payload, view_id=view_id, external_id=external_id, expected_hash=_str(args, "hash"))
    return {"view": state.view_dict(view)}


def views_publish(state: SlackState, args: JSON, *, validate: bool = True) -> JSON:
    user_id = _require(args, "user_id")
    view = state.publish_view(user_id, _view(args, validate), expected_hash=_str(args, "hash"))
    return {"view": state.view_dict(view)}


_EMOJI_NAME = re.compile(r"[a-z0-9_+'-]{1,100}")


def reactions_add(state: SlackState, args: JSON) -> JSON:
    """The caller (the bot) reacts to a message; names are given without colons, as Slack wants."""
    channel = _require(args, "channel", "channel_not_found")
    ts = _require(args, "timestamp", "no_item_specified")
    name = _require(args, "name", "invalid_name")
    if not _EMOJI_NAME.fullmatch(name):
        raise SlackError("invalid_name")
    state.add_reaction(channel, ts, name, state.bot_user_id)
    return {}


def conversations_replies(state: SlackState, args: JSON) -> JSON:
    """The thread message ``ts`` is in (its root, or a reply in it): root first, then the replies,
    within ``oldest``/``latest`` (``inclusive`` keeps those two), ``limit`` at most."""
    channel = _require(args, "channel", "channel_not_found")
    ts = _require(args, "ts", "thread_not_found")
    message = state.find_message(channel, ts)
    if message is None:
        raise SlackError("thread_not_found")
    thread = state.thread(channel, message.thread_ts or message.ts)
    oldest, latest = _str(args, "oldest"), _str(args, "latest")
    inclusive = (_str(args, "inclusive") or "").lower() in ("1", "true")
    within = [m for m in thread if _after(m.ts, oldest, inclusive) and _after(latest, m.ts, inclusive)]
    limit_text = _str(args, "limit") or "1000"
    if not limit_text.isdigit():
        raise SlackError("invalid_limit")
    page = within[: int(limit_text) or 1000]
    return {
        "messages": [state.message_dict(m) for m in page],
        "has_more": len(page) < len(within),
        "response_metadata": {"next_cursor": ""},
    }


def _after(later: str | None, earlier: str | None, inclusive: bool) -> bool:
    """Whether ts ``later`` comes after ``earlier`` (None: no bound); equal counts with ``inclusive``."""
    if later is None or earlier is None:
        return True
    a, b = _ts_key(later), _ts_key(earlier)
    return a > b or (inclusive and a == b)


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    if not seconds.isdigit() or not (micros == "" or micros.isdigit()):
        raise SlackError("invalid_ts_latest")
    return int(seconds), int(micros.ljust(6, "0")[:6] or 0)


def users_info(state: SlackState, args: JSON) -> JSON:
    user = state.users.get(_require(args, "user", "user_not_found"))
    if user is None:
        raise SlackError("user_not_found")
    return {"user": dict(user)}


# What a listing method returns a page of when the caller gives no limit.
PAGE_LIMIT = 200


def users_list(state: SlackState, args: JSON) -> JSON:
    """The workspace's users (bots and deactivated accounts too, as Slack lists them), a page at a
    time: ``limit`` per page and an opaque ``cursor`` for the next."""
    page, next_cursor = _page(args, list(state.users.values()))
    return {"members": [dict(user) for user in page], "response_metadata": {"next_cursor": next_cursor}}


def usergroups_list(state: SlackState, _args: JSON) -> JSON:
    """The workspace's user groups (a service's owner may be one: SPEC §13)."""
    return {"usergroups": [dict(group) for group in state.usergroups]}


def conversations_list(state: SlackState, args: JSON) -> JSON:
    """The channels the bot is in, a page at a time as :func:`users_list` (``types`` and
    ``exclude_archived`` are accepted; the local Slack has public, unarchived channels only)."""
    page, next_cursor = _page(args, state.conversations())
    return {"channels": page, "response_metadata": {"next_cursor": next_cursor}}


def _page(args: JSON, items: list[JSON]) -> tuple[list[JSON], str]:
    """The page of ``items`` that ``limit`` and ``cursor`` ask for, and the cursor of the next ("" at the end)."""
    limit_text = _str(args, "limit") or str(PAGE_LIMIT)
    if not limit_text.isdigit():
        raise SlackError("invalid_limit")
    limit = min(int(limit_text), 1000) or PAGE_LIMIT
    cursor = _str(args, "cursor")
    try:
        start = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("offset:")) if cursor else 0
    except ValueError:
        raise SlackError("invalid_cursor") from None
    after = start + limit
    next_cursor = base64.urlsafe_b64encode(f"offset:{after}".encode()).decode() if after < len(items) else ""
    return items[start:after], next_cursor


def method_table(*, validate_blocks: bool = True) -> dict[str, Handler]:
    """Method name -> handler; ``validate_blocks=False`` turns Block Kit limit checks off."""

    def checked(fn: Callable[..., JSON]) -> Handler:
        return lambda state, args: fn(state, args, validate=validate_blocks)

    return {
        "auth.test": auth_test,
        "chat.postMessage": checked(chat_post_message),
        "chat.update": checked(chat_update),
        "chat.postEphemeral": checked(chat_post_ephemeral),
        "chat.getPermalink": chat_get_permalink,
        "views.open": checked(views_open),
        "views.update": checked(views_update),
        "views.publish": checked(views_publish),
        "users.info": users_info,
        "users.list": users_list,
        "usergroups.list": usergroups_list,
        "conversations.list": conversations_list,
        "conversations.replies": conversations_replies,
        "reactions.add": reactions_add,
    }
