"""Carrying out a parsed command, the same way for ``@firebreak <verb>`` and ``/incident <verb>``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.commands.grammar import Parsed, Verb, declare_command, help_text, to_command
from bot.delivery.outbox_messages import draft_job
from bot.handler.origin import Origin, UserError
from bot.handler.runner import Change, Duplicate
from bot.handler.service import IncidentService
from bot.views.audit import audit_text
from bot.views.card import card_fallback_text
from bot.views.card_refusal import card_shown_text
from bot.views.escaping import channel_link, escape_mrkdwn
from bot.views.listings import incident_list, incident_summary, timeline_text
from domain.incident import IncidentRef
from domain.lifecycle import Status


@dataclass(frozen=True)
class Reply:
    """Something only the person who asked needs to see."""

    text: str
    blocks: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class VerbResult:
    answer: Reply | None = None  # what they asked to see (list, show, help…)
    done: str | None = None  # a one-line confirmation of a change; the thread has the audit line
    # The work happens after the ack (a draft being written): nothing shows in the thread yet,
    # so the confirmation is the only sign the request was heard, whatever the entry point.
    pending: bool = False

    @property
    def to_tell(self) -> Reply | None:
        """What a mention or a click should tell its author (a slash command shows ``done`` too)."""
        if self.answer is not None:
            return self.answer
        return Reply(self.done) if self.pending and self.done else None


DUPLICATE_NOTE = "Already done: Slack delivered this request twice, and it was applied once."


class Verbs:
    def __init__(self, service: IncidentService) -> None:
        self._service = service
        self._readers: dict[Verb, Callable[[Parsed, Origin, bool], Awaitable[VerbResult]]] = {
            Verb.LIST: self._list,
            Verb.SHOW: self._show,
            Verb.TIMELINE: self._timeline,
            Verb.HELP: self._help,
        }

    async def run(self, parsed: Parsed, origin: Origin, *, slash: bool) -> VerbResult:
        reader = self._readers.get(parsed.verb)
        if reader is not None:
            return await reader(parsed, origin, slash)
        if parsed.verb is Verb.DECLARE:
            return await self._declare(parsed, origin, slash)
        if parsed.verb is Verb.UPDATE and parsed.text is None:
            return await self.draft_update(origin, parsed.number)
        if parsed.verb is Verb.REPOST:
            return await self._repost(parsed, origin)
        after_resolution = parsed.verb in (Verb.REOPEN, Verb.CLOSE)
        command = to_command(parsed, actor=origin.user_id, source=origin.source)
        return _confirmation(await self._service.apply_to(origin, parsed.number, command, resolved=after_resolution))

    async def draft_update(self, origin: Origin, number: int | None) -> VerbResult:
        """Ask for a draft stakeholder update; it is written off the request path and posted in
        the incident's thread when ready (from the AI, or the template if the AI cannot help)."""
        stored = await self._service.target(origin, number)
        ref = stored.incident.ref
        if stored.incident.status is Status.CLOSED:
            raise UserError(f"{ref} is closed; there is nothing left to tell stakeholders.")
        if not await self._service.queue([draft_job(stored.id, origin.user_id)], origin.key):
            return VerbResult(done=DUPLICATE_NOTE)
        return VerbResult(
            done=f"Drafting a stakeholder update for {ref}; it will appear in its thread shortly.", pending=True
        )

    async def _declare(self, parsed: Parsed, origin: Origin, slash: bool) -> VerbResult:
        if parsed.title is None:
            raise UserError("Give the incident a title: `/incident declare <title> [sev1-4]`.")
        # A mention declares on its own thread; the slash command has no message, so the card
        # goes to the channel's top level and its own thread becomes the incident's.
        thread = None if slash else (origin.thread_ts or origin.message_ts)
        command = declare_command(
            parsed, actor=origin.user_id, source=origin.source, channel_id=origin.channel_id, thread_ts=thread
        )
        result = await self._service.declare(origin, command)
        if isinstance(result, Duplicate):
            return VerbResult(done=DUPLICATE_NOTE)
        incident = result.after
        where = "this thread" if thread else channel_link(incident.channel_id)
        return VerbResult(done=f"Declared {incident.ref} ({incident.severity.label}); its card is in {where}.")

    async def _repost(self, parsed: Parsed, origin: Origin) -> VerbResult:
        """Post a card Slack refused, once that is fixed; a card already in Slack stays as it is."""
        stored = await self._service.target(origin, parsed.number)
        incident = stored.incident
        if stored.card_ts is not None:
            return VerbResult(answer=Reply(card_shown_text(incident, stored.card_ts)))
        command = to_command(parsed, actor=origin.user_id, source=origin.source)
        if isinstance(await self._service.apply(origin, incident.ref, command), Duplicate):
            return VerbResult(done=DUPLICATE_NOTE)
        where = channel_link(incident.channel_id)
        return VerbResult(done=f"Posting {incident.ref}'s card in {where} again.", pending=True)

    async def _list(self, parsed: Parsed, origin: Origin, slash: bool) -> VerbResult:
        finder = self._service.recent_incidents if parsed.show_all else self._service.open_incidents
        incidents = [stored.incident for stored in await finder(origin.workspace_id)]
        return VerbResult(answer=Reply(incident_list(incidents, self._service.clock.now(), all=parsed.show_all)))

    async def _show(self, parsed: Parsed, origin: Origin, slash: bool) -> VerbResult:
        incident = (await self._service.target(origin, parsed.number)).incident
        blocks = incident_summary(incident, self._service.clock.now())
        return VerbResult(answer=Reply(card_fallback_text(incident), blocks))

    async def _timeline(self, parsed: Parsed, origin: Origin, slash: bool) -> VerbResult:
        stored = await self._service.target(origin, parsed.number)
        history = [(item.seq, item.event) for item in await self._service.history(stored.id)]
        return VerbResult(answer=Reply(timeline_text(stored.incident, history, self._service.clock.now())))

    async def _help(self, parsed: Parsed, origin: Origin, slash: bool) -> VerbResult:
        # Escaped as error replies escape their usage: Slack would take "<title>" for a token.
        return VerbResult(answer=Reply(escape_mrkdwn(help_text(slash=slash))))


def _confirmation(result: Change | Duplicate) -> VerbResult:
    if isinstance(result, Duplicate):
        return VerbResult(done=DUPLICATE_NOTE)
    return VerbResult(done=audit_text([item.event for item in result.events], result.after) or "Done.")


def ref_in(origin: Origin, ref: IncidentRef) -> IncidentRef:
    """Refuse a control that names an incident of another workspace (a forged or misrouted payload)."""
    if ref.workspace_id != origin.workspace_id:
        raise UserError("That control belongs to another workspace's incident; nothing was changed.")
    return ref
