"""Modal submissions: the declare form, the resolve summary and the postmortem.

A bad field is answered inline (``response_action: errors``) so the form stays open with what was
typed; a good one commits before the acknowledgement closes the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.commands.verbs import ref_in
from bot.handler.origin import Origin, UserError
from bot.handler.service import IncidentService
from bot.receivers.slack.fields import mapping, request_key, slack_id
from bot.receivers.slack.replies import failure_text
from bot.views import action_ids as ids
from bot.views.modals import (
    declare_channel,
    parse_declare_submission,
    parse_postmortem_submission,
    parse_resolve_submission,
    postmortem_block,
    resolve_ref,
)
from domain import commands as cmd
from domain.incident import IncidentRef
from domain.postmortem import PostmortemField

# An inline error is shown under one field and Slack cuts it short; keep ours readable.
_INLINE_ERROR_MAX = 150


class ViewReceiver:
    def __init__(self, service: IncidentService) -> None:
        self._service = service

    async def declare(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        form, errors = parse_declare_submission(_values(view))
        if form is None:
            await ack(response_action="errors", errors=errors)
            return
        try:
            origin = _origin(body, view, declare_channel(str(view.get("private_metadata") or "")))
            command = cmd.Declare(
                actor=origin.user_id,
                title=form.title,
                severity=form.severity,
                channel_id=origin.channel_id,
                description=form.description,
                service=form.service,
            )
            await self._service.declare(origin, command)
        except (UserError, ValueError) as error:
            await ack(response_action="errors", errors={ids.DECLARE_TITLE_BLOCK: _inline(error)})
            return
        except Exception as error:
            failure = failure_text(_loggable(body, view), "the declare form", error)
            await ack(response_action="errors", errors={ids.DECLARE_TITLE_BLOCK: failure})
            return
        await ack()

    async def resolve(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        summary, errors = parse_resolve_submission(_values(view))
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        try:
            ref = resolve_ref(str(view.get("private_metadata") or ""))
            origin = await self._incident_origin(body, view, ref)
            await self._service.apply(origin, ref, cmd.Resolve(actor=origin.user_id, summary=summary))
        except (UserError, ValueError) as error:
            await ack(response_action="errors", errors={ids.RESOLVE_SUMMARY_BLOCK: _inline(error)})
            return
        except Exception as error:
            failure = failure_text(_loggable(body, view), "the resolve form", error)
            await ack(response_action="errors", errors={ids.RESOLVE_SUMMARY_BLOCK: failure})
            return
        await ack()

    async def postmortem(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        first_block = postmortem_block(PostmortemField.SUMMARY)
        try:
            form, errors = parse_postmortem_submission(_values(view), str(view.get("private_metadata") or ""))
            if form is None:
                await ack(response_action="errors", errors=errors)
                return
            if form.texts:  # left as it was shown, the form has nothing to save
                origin = await self._incident_origin(body, view, form.ref)
                await self._service.apply(origin, form.ref, cmd.EditPostmortem(actor=origin.user_id, texts=form.texts))
        except (UserError, ValueError) as error:
            await ack(response_action="errors", errors={first_block: _inline(error)})
            return
        except Exception as error:
            failure = failure_text(_loggable(body, view), "the postmortem form", error)
            await ack(response_action="errors", errors={first_block: failure})
            return
        await ack()

    async def _incident_origin(self, body: Mapping[str, Any], view: Mapping[str, Any], ref: IncidentRef) -> Origin:
        """Whoever submitted a form about ``ref``, in that incident's channel (a modal has none)."""
        # Finding the incident by its number needs no channel; its own is used from then on.
        stored = await self._service.target(_origin(body, view, "C0UNKNOWN"), ref.number)
        origin = _origin(body, view, stored.incident.channel_id)
        ref_in(origin, ref)
        return origin


def _values(view: Mapping[str, Any]) -> Mapping[str, Any]:
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    return values if isinstance(values, Mapping) else {}


def _inline(error: Exception) -> str:
    message = error.message if isinstance(error, UserError) else "This form is out of date; close it and start again."
    return message[:_INLINE_ERROR_MAX]


def _origin(body: Mapping[str, Any], view: Mapping[str, Any], channel_id: str) -> Origin:
    user, team = mapping(body.get("user")), mapping(body.get("team"))
    workspace = slack_id(team.get("id") or user.get("team_id") or view.get("team_id"))
    user_id = slack_id(user.get("id"))
    if workspace is None or user_id is None:
        raise UserError("Slack sent this form without a user or workspace; nothing was changed.")
    if slack_id(channel_id) is None:
        raise ValueError(f"not a channel id: {channel_id[:40]!r}")
    return Origin(workspace_id=workspace, user_id=user_id, channel_id=channel_id, key=_key(view))


def _key(view: Mapping[str, Any]) -> str | None:
    """A submission's idempotency key: its view's id (a view is submitted once)."""
    view_id = view.get("id")
    return request_key("view", view_id) if isinstance(view_id, str) and view_id else None


def _loggable(body: Mapping[str, Any], view: Mapping[str, Any]) -> Origin:
    """Whatever identifies the submission, for the log of a failure that may stem from the payload."""
    user, team = mapping(body.get("user")), mapping(body.get("team"))
    return Origin(str(team.get("id"))[:40], str(user.get("id"))[:40], "unknown", key=_key(view))
