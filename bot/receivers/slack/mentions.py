"""``@firebreak …``: declare on the message's thread, or run a command in an incident thread."""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.commands.grammar import ParseError, parse
from bot.commands.verbs import Verbs
from bot.handler.origin import Origin, UserError
from bot.handler.service import IncidentService
from bot.receivers.slack.fields import request_key, slack_id, slack_ts, user_text
from bot.receivers.slack.replies import Replies
from storage.availability import database_unavailable

log = logging.getLogger(__name__)

_ANY_MENTION_OF = r"<@{user}(?:\|[^>]*)?>"


class SlackShouldResend(Exception):
    """The event was not recorded, for a reason that passes (the database, the bot's identity):
    answered with a 5xx, so that Slack sends it again instead of taking it as handled."""


class MentionReceiver:
    def __init__(self, service: IncidentService, verbs: Verbs, replies: Replies) -> None:
        self._service = service
        self._verbs = verbs
        self._replies = replies

    async def __call__(
        self, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any], *, retry_num: int = 0
    ) -> None:
        """Handle one ``app_mention``; raises :class:`SlackShouldResend` when it was not recorded."""
        if event.get("bot_id") or event.get("subtype"):
            return  # another bot, or our own message: answering would start a loop
        origin = _origin(body, event, context)
        if origin is None:
            log.warning("ignored a malformed app_mention", extra={"event_id": str(body.get("event_id"))[:80]})
            return
        bot_user_id = context.get("bot_user_id")
        if not bot_user_id:
            # Without it the command cannot be told from the mention (see bot.receivers.slack.identity).
            log.warning("a mention arrived before the bot's identity is known; Slack will send it again")
            raise SlackShouldResend("the bot's identity is not known yet")
        try:
            in_thread = origin.thread_ts is not None and await self._service.is_incident_thread(origin)
            text = strip_mentions(user_text(event.get("text")), bot_user_id)
            parsed = parse(text, slash=False, in_incident_thread=in_thread)
            result = await self._verbs.run(parsed, origin, slash=False)
            reply = result.to_tell
            if reply is not None:
                await self._replies.tell(origin, reply.text, reply.blocks)
        except ParseError as error:
            # The reply escapes what it is given, so it gets the text without the grammar's quoting.
            await self._replies.refuse(origin, error.plain_message, error.plain_usage)
        except UserError as error:
            await self._replies.refuse(origin, error.message)
        except Exception as error:
            if not database_unavailable(error):
                await self._replies.failed(origin, "a mention", error)
                return
            await self._replies.not_recorded(origin, "a mention", error, retry_num)
            raise SlackShouldResend("the database is unavailable") from error


def strip_mentions(text: str, bot_user_id: str) -> str:
    """The command is what is left once the bot's own mentions are taken out."""
    return re.sub(_ANY_MENTION_OF.format(user=re.escape(bot_user_id)), " ", text).strip()


def _origin(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> Origin | None:
    workspace = slack_id(context.get("team_id") or body.get("team_id"))
    user, channel, ts = slack_id(event.get("user")), slack_id(event.get("channel")), slack_ts(event.get("ts"))
    if workspace is None or user is None or channel is None or ts is None:
        return None
    thread_ts = event.get("thread_ts")
    if thread_ts is not None and thread_ts != "" and slack_ts(thread_ts) is None:
        return None  # in a thread, but which? Answering at the top level would be wrong
    event_id = body.get("event_id")
    return Origin(
        workspace_id=workspace,
        user_id=user,
        channel_id=channel,
        thread_ts=thread_ts or None,
        message_ts=ts,
        key=request_key("event", event_id) if isinstance(event_id, str) and event_id else f"mention:{channel}:{ts}",
    )
