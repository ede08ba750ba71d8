"""``/incident …``: the reply goes back in the acknowledgement itself, after the commit."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.commands.grammar import ParseError, Verb, parse
from bot.commands.verbs import Verbs
from bot.handler.origin import Origin, UserError
from bot.handler.service import IncidentService
from bot.receivers.slack.fields import request_key, response_url, slack_id, trigger_id, user_text
from bot.receivers.slack.modal_opener import ViewOpener
from bot.receivers.slack.replies import failure_text
from bot.views.listings import error_text
from bot.views.modals import declare_modal


class SlashReceiver:
    def __init__(self, service: IncidentService, verbs: Verbs, views: ViewOpener) -> None:
        self._service = service
        self._verbs = verbs
        self._views = views

    async def __call__(self, ack: AsyncAck, command: dict[str, Any], context: dict[str, Any]) -> None:
        origin = _origin(command, context)
        if origin is None:
            await ack(text=error_text("Slack sent this command without a user or channel; nothing was changed."))
            return
        try:
            parsed = parse(user_text(command.get("text")), slash=True, in_incident_thread=False)
            if parsed.verb is Verb.DECLARE and parsed.title is None:
                await self._open_declare_modal(origin, command)  # before the ack: the trigger expires
                await ack()
                return
            if parsed.verb is Verb.POSTMORTEM and not parsed.draft:
                await self._open_postmortem_modal(origin, parsed.number, command)  # likewise
                await ack()
                return
            result = await self._verbs.run(parsed, origin, slash=True)
        except ParseError as error:
            # error_text escapes what it is given, so it gets the text without the grammar's quoting.
            await ack(text=error_text(error.plain_message, error.plain_usage), response_type="ephemeral")
            return
        except UserError as error:
            await ack(text=error_text(error.message), response_type="ephemeral")
            return
        except Exception as error:
            await ack(text=failure_text(origin, "a slash command", error), response_type="ephemeral")
            return
        reply = result.answer
        if reply is not None:
            await ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
        else:
            await ack(text=result.done or "Done.", response_type="ephemeral")

    async def _open_declare_modal(self, origin: Origin, command: dict[str, Any]) -> None:
        trigger = trigger_id(command.get("trigger_id"))
        if trigger is None:
            raise UserError("Slack sent no trigger to open the declare form: use `/incident declare <title>`.")
        await self._views.open(
            trigger,
            declare_modal(origin.channel_id, self._service.services),
            instead="`/incident declare <title> [sev1-4]`",
        )

    async def _open_postmortem_modal(self, origin: Origin, number: int | None, command: dict[str, Any]) -> None:
        incident, form = await self._verbs.postmortem_form(origin, number)
        instead = f"the Postmortem button on {incident.ref}'s card"
        await self._views.open(command.get("trigger_id"), form, instead=instead)


def _origin(command: dict[str, Any], context: dict[str, Any]) -> Origin | None:
    workspace = slack_id(context.get("team_id") or command.get("team_id"))
    user, channel = slack_id(command.get("user_id")), slack_id(command.get("channel_id"))
    if workspace is None or user is None or channel is None:
        return None
    trigger = command.get("trigger_id")
    return Origin(
        workspace_id=workspace,
        user_id=user,
        channel_id=channel,
        key=request_key("slash", trigger) if isinstance(trigger, str) and trigger else None,
        response_url=response_url(command.get("response_url")),
    )
