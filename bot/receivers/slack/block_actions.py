"""Clicks on the incident card and on drafts: each control becomes one domain command.

The click is acknowledged only after its command committed; a refusal (a double click, a stale
card) is explained to the clicker alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.commands.runbooks import mark_done, post_runbook
from bot.commands.verbs import Verbs, ref_in
from bot.handler.origin import Origin, UserError, draft_publication_key
from bot.handler.runner import Duplicate
from bot.handler.service import IncidentService
from bot.receivers.slack.fields import mapping, request_key, slack_id, slack_ts, trigger_id, user_id
from bot.receivers.slack.modal_opener import ViewOpener
from bot.receivers.slack.replies import Replies
from bot.views import action_ids as ids
from bot.views.modals import resolve_modal
from domain import commands as cmd
from domain import events as ev
from domain.durations import parse_duration
from domain.errors import DomainError
from domain.lifecycle import parse_status
from domain.severity import parse_severity


class ActionReceiver:
    def __init__(self, service: IncidentService, verbs: Verbs, replies: Replies, views: ViewOpener) -> None:
        self._service = service
        self._verbs = verbs
        self._replies = replies
        self._views = views

    async def __call__(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        origin = _origin(body, action)
        if origin is None:
            await ack()
            return
        try:
            await self._handle(origin, action, body)
        except (UserError, DomainError) as error:
            await self._replies.refuse(origin, error.message)
        except ValueError:
            await self._replies.refuse(origin, "That control is not one I recognise; nothing was changed.")
        except Exception as error:
            await self._replies.failed(origin, f"card action {action.get('action_id')}", error)
        await ack()

    async def _handle(self, origin: Origin, action: Mapping[str, Any], body: Mapping[str, Any]) -> None:
        action_id = action.get("action_id")
        if action_id == ids.POST_UPDATE:
            await self._publish_draft(origin, action)
            return
        ref = ref_in(origin, ids.action_ref(action))
        if action_id == ids.RUNBOOK:
            await post_runbook(self._service, origin, ref)
            return
        if action_id == ids.RUNBOOK_DONE:  # on the runbook message clicked, which then shows it
            await mark_done(self._service, origin, ref, int(_choice_value(action)), origin.message)
            return
        if action_id == ids.STAKEHOLDER_UPDATE:
            reply = (await self._verbs.draft_update(origin, ref.number)).to_tell
            if reply is not None:
                await self._replies.tell(origin, reply.text)
            return
        if action_id == ids.RESOLVE:
            # Refused at the click, not after someone has typed a summary into the form.
            incident = (await self._service.target(origin, ref.number)).incident
            if not incident.is_open:
                raise UserError(f"{incident.ref} is already {incident.status}; there is nothing to resolve.")
            trigger = trigger_id(body.get("trigger_id"))
            if trigger is None:
                raise UserError("Slack sent no trigger to open the resolve form: use `/incident resolve`.")
            await self._views.open(trigger, resolve_modal(ref), instead=f"`/incident resolve {ref} [summary]`")
            return
        if action_id == ids.POSTMORTEM:
            _, form = await self._verbs.postmortem_form(origin, ref.number)
            instead = f"`/incident postmortem {ref}`"
            await self._views.open(body.get("trigger_id"), form, instead=instead)
            return
        await self._service.apply(origin, ref, self._command(origin, action_id, action))

    def _command(  # noqa: PLR0911 - one branch per card control
        self, origin: Origin, action_id: object, action: Mapping[str, Any]
    ) -> cmd.IncidentCommand:
        actor, source = origin.user_id, origin.source
        if action_id == ids.ACK:
            return cmd.Acknowledge(actor=actor, source=source)
        if action_id == ids.REOPEN:
            return cmd.Reopen(actor=actor, source=source)
        if action_id == ids.CLOSE:
            return cmd.Close(actor=actor, source=source)
        if action_id == ids.SEVERITY:
            return cmd.ChangeSeverity(actor=actor, source=source, severity=parse_severity(_choice(action)))
        if action_id == ids.STATUS:
            return cmd.ChangeStatus(actor=actor, source=source, status=parse_status(_choice(action)))
        if action_id == ids.SNOOZE:
            return cmd.Snooze(actor=actor, source=source, duration=parse_duration(_choice_value(action)))
        if action_id == ids.COMMANDER:
            user = user_id(action.get("selected_user"))
            if user is None:
                raise UserError("Pick someone to lead the incident.")
            return cmd.Assign(actor=actor, source=source, commander=user)
        raise ValueError(f"unknown action {action_id!r}")

    async def _publish_draft(self, origin: Origin, action: Mapping[str, Any]) -> None:
        ref, seq_text = ids.decode_choice(str(action.get("value") or ""))
        ref_in(origin, ref)
        stored = await self._service.target(origin, ref.number)
        history = await self._service.history(stored.id)
        draft = next((item.event for item in history if item.seq == int(seq_text)), None)
        if not isinstance(draft, ev.AiDraftCreated):
            raise UserError(f"That draft is not part of {ref}'s timeline; nothing was posted.")
        command = cmd.PostStakeholderUpdate(
            actor=origin.user_id,
            source=origin.source,
            text=draft.text,
            model=draft.model if draft.ai_written else None,
            draft_seq=int(seq_text),
            draft_message=origin.message,
        )
        # Keyed by the draft, not the click: a second click on the same draft posts nothing.
        published = replace(origin, key=draft_publication_key(ref, int(seq_text)))
        result = await self._service.apply(published, ref, command)
        if isinstance(result, Duplicate):
            raise UserError(f"This draft was already posted as {ref}'s stakeholder update.")


def _choice_value(action: Mapping[str, Any]) -> str:
    """A button's choice, carried with its incident in the button's value (``T1:42:30m``)."""
    return ids.decode_choice(str(action.get("value") or ""))[1]


def _choice(action: Mapping[str, Any]) -> str:
    option = action.get("selected_option")
    if not isinstance(option, Mapping):
        raise ValueError("a menu action without a selected option")
    return ids.decode_choice(str(option.get("value") or ""))[1]


def _origin(body: Mapping[str, Any], action: Mapping[str, Any]) -> Origin | None:
    user_info, container, message = (
        mapping(body.get("user")),
        mapping(body.get("container")),
        mapping(body.get("message")),
    )
    team = slack_id(mapping(body.get("team")).get("id") or user_info.get("team_id"))
    user = slack_id(user_info.get("id"))
    channel = slack_id(mapping(body.get("channel")).get("id") or container.get("channel_id"))
    if team is None or user is None or channel is None:
        return None
    action_ts = action.get("action_ts")
    return Origin(
        workspace_id=team,
        user_id=user,
        channel_id=channel,
        thread_ts=slack_ts(container.get("thread_ts") or message.get("thread_ts")),
        message_ts=slack_ts(container.get("message_ts") or message.get("ts")),
        key=request_key(
            "action", team, user, str(action.get("action_id")), action_ts if isinstance(action_ts, str) else ""
        ),
    )
