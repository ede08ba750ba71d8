"""``@firebreak …``: declare on the message's thread, or run a command in an incident thread."""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.grammar import ParseError, parse
from bot.origin import Origin, UserError
from bot.receivers.replies import Replies
from bot.service import IncidentService
from bot.verbs import Verbs

log = logging.getLogger(__name__)

_ANY_MENTION_OF = r"<@{user}(?:\|[^>]*)?>"


class MentionReceiver:
    def __init__(self, service: IncidentService, verbs: Verbs, replies: Replies) -> None:
        self._service = service
        self._verbs = verbs
        self._replies = replies

    async def __call__(self, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
        if event.get("bot_id") or event.get("subtype"):
            return  # another bot, or our own message: answering would start a loop
        origin = _origin(body, event, context)
        if origin is None:
            log.warning("ignored a malformed app_mention", extra={"event_id": body.get("event_id")})
            return
        try:
            in_thread = origin.thread_ts is not None and await self._service.is_incident_thread(origin)
            text = strip_mentions(str(event.get("text") or ""), context.get("bot_user_id"))
            parsed = parse(text, slash=False, in_incident_thread=in_thread)
            result = await self._verbs.run(parsed, origin, slash=False)
            if result.answer is not None:
                await self._replies.tell(origin, result.answer.text, result.answer.blocks)
        except ParseError as error:
            # The reply escapes what it is given, so it gets the text without the grammar's quoting.
            await self._replies.refuse(origin, error.plain_message, error.plain_usage)
        except UserError as error:
            await self._replies.refuse(origin, error.message)
        except Exception as error:
            await self._replies.failed(origin, "a mention", error)


def strip_mentions(text: str, bot_user_id: str | None) -> str:
    """The command is what is left once the bot's own mentions are taken out."""
    if bot_user_id:
        text = re.sub(_ANY_MENTION_OF.format(user=re.escape(bot_user_id)), " ", text)
    return text.strip()


def _origin(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> Origin | None:
    workspace = context.get("team_id") or body.get("team_id")
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if not all(isinstance(value, str) and value for value in (workspace, user, channel, ts)):
        return None
    thread_ts = event.get("thread_ts")
    event_id = body.get("event_id")
    return Origin(
        workspace_id=str(workspace),
        user_id=str(user),
        channel_id=str(channel),
        thread_ts=thread_ts if isinstance(thread_ts, str) and thread_ts else None,
        message_ts=str(ts),
        key=f"event:{event_id}" if isinstance(event_id, str) and event_id else f"mention:{channel}:{ts}",
    )
