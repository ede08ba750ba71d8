"""Carrying out a parsed command, the same way for ``@firebreak <verb>`` and ``/incident <verb>``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.commands.grammar import Parsed, Verb, declare_command, help_text, to_command
from bot.delivery.outbox_messages import catch_up_job, draft_job, postmortem_draft_job
from bot.handler.origin import Origin, UserError
from bot.handler.runner import Change, Duplicate
from bot.handler.service import IncidentService
from bot.views.audit import audit_text
from bot.views.blocks import Block
from bot.views.card import card_fallback_text
from bot.views.card_refusal import card_shown_text
from bot.views.drafted_postmortem import latest_postmortem_draft
from bot.views.escaping import channel_link, escape_mrkdwn
from bot.views.incident_report import report_link_text
from bot.views.listings import followup_list, incident_list, incident_summary, timeline_text
from bot.views.modals import postmortem_modal
from bot.views.postmortem_form import postmortem_prompt
from domain.errors import DomainError
from domain.followup_rules import FollowUpAlreadyDone
from domain.incident import Incident, IncidentRef
from domain.lifecycle import Status
from domain.postmortem_rules import refuse_while_open


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
    def __init__(self, service: IncidentService, *, console_on: bool = False, console_url: str | None = None) -> None:
        self._service = service
        self._console_on = console_on
        self._console_url = console_url
        self._readers: dict[Verb, Callable[[Parsed, Origin, bool], Awaitable[VerbResult]]] = {
            Verb.LIST: self._list,
            Verb.SHOW: self._show,
            Verb.TIMELINE: self._timeline,
            Verb.FOLLOWUPS: self._followups,
            Verb.POSTMORTEM: self._postmortem,
            Verb.CATCHUP: self._catch_up,
            Verb.REPORT: self._report,
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
        if parsed.verb in (Verb.FOLLOWUP, Verb.PUBLIC):
            # Open or resolved alike: follow-ups come of reviews, and the status page's history
            # shows resolved incidents too.
            return await self._open_or_resolved(parsed, origin)
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

    async def _open_or_resolved(self, parsed: Parsed, origin: Origin) -> VerbResult:
        command = to_command(parsed, actor=origin.user_id, source=origin.source)
        try:
            return _confirmation(await self._service.apply_to_either(origin, parsed.number, command))
        except UserError as refused:
            # Done twice is what was asked for already: an answer, not an error.
            if isinstance(refused.__cause__, FollowUpAlreadyDone):
                return VerbResult(answer=Reply(refused.message))
            raise

    async def _followups(self, parsed: Parsed, origin: Origin, slash: bool) -> VerbResult:
        incident = (await self._service.target_either(origin, parsed.number)).incident
        return VerbResult(answer=Reply(followup_list(incident, self._service.clock.now())))

    async def postmortem_of(self, origin: Origin, number: int | None) -> Incident:
        """The incident whose postmortem is asked for; refused while it is open, before anyone
        starts writing in a form that could not be saved."""
        incident = (await self._service.target(origin, number, resolved=True)).incident
        try:
            refuse_while_open(incident)
        except DomainError as refused:
            raise UserError(refused.message) from refused
        return incident

    async def postmortem_form(self, origin: Origin, number: int | None) -> tuple[Incident, Block]:
        """The incident and its postmortem form, the empty fields filled from its latest draft."""
        incident = await self.postmortem_of(origin, number)
        stored = await self._service.target(origin, incident.ref.number, resolved=True)
        draft = latest_postmortem_draft(item.event for item in await self._service.history(stored.id))
        return incident, postmortem_modal(incident, draft)

    async def _postmortem(self, parsed: Parsed, origin: Origin, slash: bool) -> VerbResult:
        """A mention has no trigger to open the form with (``/incident postmortem`` opens it
        directly): the answer is a button that does."""
        if parsed.draft:
            return await self._draft_postmortem(parsed, origin)
        prompt = postmortem_prompt(await self.postmortem_of(origin, parsed.number))
        return VerbResult(answer=Reply(prompt.text, prompt.blocks))

    async def _draft_postmortem(self, parsed: Parsed, origin: Origin) -> VerbResult:
        """Written off the request path, from the timeline only, and posted in the thread for a
        person to review and save (from the AI, or the template if the AI cannot help)."""
        incident = await self.postmortem_of(origin, parsed.number)
        stored = await self._service.target(origin, incident.ref.number, resolved=True)
        if not await self._service.queue([postmortem_draft_job(stored.id, origin.user_id)], origin.key):
            return VerbResult(done=DUPLICATE_NOTE)
        done = f"Drafting the postmortem of {incident.ref} from its timeline; the draft will appear in its thread."
        return VerbResult(done=done, pending=True)

    async def _catch_up(self, parsed: Parsed, origin: Origin, slash: bool) -> VerbResult:
        """Written off the request path and sent to the asker alone, where they asked."""
        stored = await self._service.target_either(origin, parsed.number)
        if not await self._service.queue([catch_up_job(stored.id, origin)], origin.key):
            return VerbResult(done=DUPLICATE_NOTE)
        return VerbResult(done=f"Catching you up on {stored.incident.ref}; only you will see it.", pending=True)

    async def _report(self, parsed: Parsed, origin: Origin, slash: bool) -> VerbResult:
        ref = (await self._service.target_either(origin, parsed.number)).incident.ref
        text = report_link_text(ref, console_on=self._console_on, console_url=self._console_url)
        return VerbResult(answer=Reply(text))

    async def _list(self, parsed: Parsed, origin: Origin, slash: bool) -> VerbResult:
        finder = self._service.recent_incidents if parsed.show_all else self._service.open_incidents
        incidents = [stored.incident for stored in await finder(origin.workspace_id)]
        return VerbResult(answer=Reply(incident_list(incidents, self._service.clock.now(), all=parsed.show_all)))

    async def _show(self, parsed: Parsed, origin: Origin, slash: bool) -> VerbResult:
        incident = (await self._service.target_either(origin, parsed.number)).incident
        blocks = incident_summary(incident, self._service.clock.now())
        return VerbResult(answer=Reply(card_fallback_text(incident), blocks))

    async def _timeline(self, parsed: Parsed, origin: Origin, slash: bool) -> VerbResult:
        stored = await self._service.target_either(origin, parsed.number)
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
