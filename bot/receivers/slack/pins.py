"""The timeline from Slack (SPEC §10): a 📌 (``pushpin``) or a pin on a message of an incident's thread
puts that message on the incident's timeline; taking it back, editing and deleting the message
are recorded after it. Listeners only parse and commit, as every receiver does: a message's text
that an event does not carry is fetched afterwards, by an outbox job (bot.delivery.pinned_fetch).

Each message is on a timeline once (the domain sees to it, whoever pins it and however often), and
each Slack event is applied once (its event id is the command's key).

The bot's own messages are never pinned: everything it posts in a thread (the card, audit lines,
reminders, drafts, updates) is itself drawn from the timeline, so pinning one would only repeat an
entry; and every edit of its card comes back as a ``message_changed`` that must cost nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Mapping
from typing import Any

from bot.delivery.outbox_messages import fetch_pinned_message
from bot.handler.origin import Origin, UserError
from bot.handler.service import IncidentService, NotAnIncidentThread
from bot.receivers.slack.fields import mapping, request_key, slack_id, slack_ts, user_id, user_text
from bot.receivers.slack.mentions import SlackShouldResend
from domain.commands import SYSTEM_ACTOR, PinMessage, RecordMessageDeletion, RecordMessageEdit, UnpinMessage
from domain.pinned import PinnedBy
from storage.availability import database_unavailable

log = logging.getLogger(__name__)

PUSHPIN = "pushpin"
EDITED, DELETED = "message_changed", "message_deleted"
# The events this receiver answers (Slack's event types).
PIN_EVENTS = re.compile(r"^(reaction_added|reaction_removed|pin_added|pin_removed|message)$")


class PinReceiver:
    def __init__(self, service: IncidentService) -> None:
        self._service = service

    async def __call__(self, body: Mapping[str, Any], event: Mapping[str, Any], context: Mapping[str, Any]) -> None:
        """Handle one of PIN_EVENTS; raises SlackShouldResend when it was not recorded."""
        kind = str(event.get("type"))
        if kind == "message":
            await self._message(body, event, context)
        elif kind.startswith("reaction_"):
            await self._reaction(body, event, context, added=kind == "reaction_added")
        else:
            await self._pin(body, event, context, added=kind == "pin_added")

    async def _reaction(
        self, body: Mapping[str, Any], event: Mapping[str, Any], context: Mapping[str, Any], *, added: bool
    ) -> None:
        """``reaction_added`` / ``reaction_removed``: only the 📌 on a message counts."""
        item = mapping(event.get("item"))
        if event.get("reaction") != PUSHPIN or item.get("type") != "message":
            return
        author = user_id(event.get("item_user"))
        if author is not None and author == _bot_user(context):
            return
        origin = _origin(body, context, event.get("user"), item.get("channel"), item.get("ts"))
        if origin is None:
            log.info("ignored a malformed %s", event.get("type"))
        elif added:
            # The event names no thread: the message may root one, else its thread is asked of Slack.
            await _recorded(self._pinned(origin, author, None, PinnedBy.REACTION, thread_ts=None))
        else:
            await _recorded(self._changed(origin, UnpinMessage(**_about(origin))))

    async def _pin(
        self, body: Mapping[str, Any], event: Mapping[str, Any], context: Mapping[str, Any], *, added: bool
    ) -> None:
        """``pin_added`` / ``pin_removed``: the pinned message comes with the event."""
        item = mapping(event.get("item"))
        message = mapping(item.get("message"))
        if item.get("type") != "message" or _own(message, context):
            return
        channel = item.get("channel") or event.get("channel_id")
        origin = _origin(body, context, event.get("user"), channel, message.get("ts"))
        if origin is None:
            log.info("ignored a malformed %s", event.get("type"))
        elif added:
            # A message without thread_ts is in no thread but its own, if it roots one.
            thread_ts = slack_ts(message.get("thread_ts")) or origin.message_ts
            text = user_text(message.get("text")) or None
            author = user_id(message.get("user"))
            await _recorded(self._pinned(origin, author, text, PinnedBy.PIN, thread_ts=thread_ts))
        else:
            await _recorded(self._changed(origin, UnpinMessage(**_about(origin))))

    async def _message(self, body: Mapping[str, Any], event: Mapping[str, Any], context: Mapping[str, Any]) -> None:
        """Every message in the bot's channels comes here: all but an edit or a deletion of someone's
        message is let go at once, before any database work."""
        subtype = event.get("subtype")
        if subtype == EDITED:
            message, previous = mapping(event.get("message")), mapping(event.get("previous_message"))
            text = user_text(message.get("text"))
            if _own(message, context) or text == user_text(previous.get("text")):
                return  # the bot's card edited, a link unfurled, a reply counted: no new words
            # Another app's message has no user: its edit is the system's to record.
            editor = message.get("user") or SYSTEM_ACTOR
            origin = _origin(body, context, editor, event.get("channel"), message.get("ts"))
            if origin is not None and text:
                await _recorded(self._changed(origin, RecordMessageEdit(**_about(origin), text=text)))
        elif subtype == DELETED:
            previous = mapping(event.get("previous_message"))
            if _own(previous, context):
                return
            # Slack does not say who deleted it (its author, or an admin).
            origin = _origin(body, context, SYSTEM_ACTOR, event.get("channel"), event.get("deleted_ts"))
            if origin is not None:
                await _recorded(self._changed(origin, RecordMessageDeletion(**_about(origin))))

    async def _pinned(
        self, origin: Origin, author: str | None, text: str | None, how: PinnedBy, *, thread_ts: str | None
    ) -> None:
        assert origin.message_ts is not None
        channel, ts = origin.channel_id, origin.message_ts
        command = PinMessage(
            actor=origin.user_id,
            source=origin.source,
            channel_id=channel,
            ts=ts,
            author=author,
            text=text,
            pinned_by=how,
        )
        try:
            await self._service.apply_in_thread(origin, thread_ts or ts, command)
        except NotAnIncidentThread:
            if thread_ts is not None:
                log.debug("ignored a pin outside any incident's thread", extra={"channel": channel, "ts": ts})
                return
            # Which thread the message is in, only Slack can say: the job asks, and pins it there.
            job = fetch_pinned_message(origin.workspace_id, channel, ts, origin.user_id, how)
            await self._service.queue([job], origin.key)

    async def _changed(self, origin: Origin, command: UnpinMessage | RecordMessageEdit | RecordMessageDeletion) -> None:
        """Record ``command`` about a message pinned to an incident; a message pinned to none is let be."""
        stored = await self._service.pinned_incident(origin.workspace_id, command.channel_id, command.ts)
        if stored is None:
            log.debug("ignored a change to a message pinned to no incident", extra={"ts": command.ts})
            return
        await self._service.apply(origin, stored.incident.ref, command)


async def _recorded(pending: Awaitable[object]) -> None:
    """Run a change; what the domain refuses (pinned already, not pinned) is a harmless no-op, and a
    database that is not there makes Slack send the event again (see SlackShouldResend)."""
    try:
        await pending
    except UserError as refused:
        log.debug("a pin event changed nothing", extra={"reason": refused.message})
    except Exception as error:
        if not database_unavailable(error):
            raise
        raise SlackShouldResend("the database is unavailable") from error


def _origin(
    body: Mapping[str, Any], context: Mapping[str, Any], user: object, channel: object, ts: object
) -> Origin | None:
    workspace = slack_id(context.get("team_id") or body.get("team_id"))
    actor = SYSTEM_ACTOR if user == SYSTEM_ACTOR else user_id(user)
    channel_id, message_ts = slack_id(channel), slack_ts(ts)
    event_id = body.get("event_id")
    if workspace is None or actor is None or channel_id is None or message_ts is None or not isinstance(event_id, str):
        return None
    # message_ts is the pinned message's: its events' source, by which an unpin finds its incident.
    return Origin(workspace, actor, channel_id, message_ts=message_ts, key=request_key("event", event_id))


def _about(origin: Origin) -> dict[str, Any]:
    """A command's fields about the message ``origin`` is."""
    return {"actor": origin.user_id, "source": origin.source, "channel_id": origin.channel_id, "ts": origin.message_ts}


def _bot_user(context: Mapping[str, Any]) -> str:
    bot_user = context.get("bot_user_id")
    if not bot_user:
        # Without it the bot's own messages cannot be told apart (see bot.receivers.slack.identity).
        raise SlackShouldResend("the bot's identity is not known yet")
    return str(bot_user)


def _own(message: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """Whether ``message`` is one the bot posted."""
    bot_user = _bot_user(context)
    return message.get("user") == bot_user or (
        bool(message.get("bot_id")) and message.get("bot_id") == context.get("bot_id")
    )
