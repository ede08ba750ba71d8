"""Modal submissions: the declare form and the resolve summary.

A bad field is answered inline (``response_action: errors``) so the form stays open with what was
typed; a good one commits before the acknowledgement closes the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.origin import Origin, UserError
from bot.receivers.replies import failure_text
from bot.service import IncidentService
from bot.verbs import ref_in
from bot.views import action_ids as ids
from bot.views.modals import declare_channel, parse_declare_submission, parse_resolve_submission, resolve_ref
from domain import commands as cmd

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
            stored = await self._service.target(_origin(body, view, "unknown"), ref.number)
            origin = _origin(body, view, stored.incident.channel_id)
            ref_in(origin, ref)
            await self._service.apply(origin, ref, cmd.Resolve(actor=origin.user_id, summary=summary))
        except (UserError, ValueError) as error:
            await ack(response_action="errors", errors={ids.RESOLVE_SUMMARY_BLOCK: _inline(error)})
            return
        except Exception as error:
            failure = failure_text(_loggable(body, view), "the resolve form", error)
            await ack(response_action="errors", errors={ids.RESOLVE_SUMMARY_BLOCK: failure})
            return
        await ack()


def _values(view: Mapping[str, Any]) -> Mapping[str, Any]:
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    return values if isinstance(values, Mapping) else {}


def _inline(error: Exception) -> str:
    message = error.message if isinstance(error, UserError) else "This form is out of date; close it and start again."
    return message[:_INLINE_ERROR_MAX]


def _origin(body: Mapping[str, Any], view: Mapping[str, Any], channel_id: str) -> Origin:
    user, team = _mapping(body.get("user")), _mapping(body.get("team"))
    workspace = team.get("id") or user.get("team_id") or view.get("team_id")
    user_id = user.get("id")
    if not isinstance(workspace, str) or not isinstance(user_id, str):
        raise UserError("Slack sent this form without a user or workspace; nothing was changed.")
    return Origin(workspace_id=workspace, user_id=user_id, channel_id=channel_id, key=f"view:{view.get('id')}")


def _loggable(body: Mapping[str, Any], view: Mapping[str, Any]) -> Origin:
    """Whatever identifies the submission, for the log of a failure that may stem from the payload."""
    user, team = _mapping(body.get("user")), _mapping(body.get("team"))
    return Origin(str(team.get("id")), str(user.get("id")), "unknown", key=f"view:{view.get('id')}")


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
