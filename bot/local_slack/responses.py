"""What a POST to a response_url does in Slack: an ephemeral reply to the person who acted, a
message in the channel (``response_type: in_channel``), or an edit of the message acted on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import JSON, SlackError
from .state import SlackState


@dataclass(frozen=True)
class ResponseTarget:
    """Where a response_url's replies go: who acted, in which channel and thread, on which message."""

    channel: str
    user: str
    thread_ts: str | None = None
    message_ts: str | None = None


def _list(value: Any) -> list[JSON] | None:
    return value if isinstance(value, list) else None


def apply_response(state: SlackState, target: ResponseTarget, body: JSON) -> None:
    text = body.get("text")
    text = text if isinstance(text, str) else ""
    blocks = _list(body.get("blocks"))
    if not text and blocks is None and not body.get("delete_original"):
        raise SlackError("no_text")
    if body.get("delete_original") or body.get("replace_original") in (True, "true"):
        if target.message_ts is None:
            raise SlackError("message_not_found")
        if body.get("delete_original"):
            state.update_message(target.channel, target.message_ts, text="This message was deleted.", blocks=[])
        else:
            state.update_message(target.channel, target.message_ts, text=text, blocks=blocks)
        return
    if body.get("response_type") == "in_channel":
        state.post_message(target.channel, text=text, blocks=blocks, thread_ts=target.thread_ts)
        return
    state.post_ephemeral(target.channel, target.user, text=text, blocks=blocks, thread_ts=target.thread_ts)
