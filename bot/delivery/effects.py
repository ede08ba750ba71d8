"""What each committed change sends to Slack, as outbox messages written in the same transaction."""

from __future__ import annotations

from dataclasses import fields
from functools import partial

from bot.delivery import outbox_messages as out
from bot.delivery.service_effects import ServiceEffects
from bot.handler.origin import Origin
from bot.handler.runner import Change, Effects
from bot.views.alert_lines import alert_line, all_resolved_message, escalation_message
from bot.views.audit import NOTE_REACTION, audit_text
from bot.views.drafted_postmortem import postmortem_draft_blocks
from bot.views.followup_texts import followup_reminder
from bot.views.formatting import SLACK, actor_label
from bot.views.reminders import ack_reminder, resolve_notice, update_reminder
from bot.views.stakeholder import draft_blocks, posted_draft_blocks, published_blocks
from domain import events as ev
from domain.commands import SYSTEM_ACTOR
from domain.incident import Incident, IncidentRef, SlackSource
from domain.publicity import shown_title
from domain.services import NO_SERVICES, ServiceCatalog
from domain.sla import ClockKind
from storage.stored import OutboxMessage


class SlackEffects:
    def __init__(
        self,
        stakeholder_channel: str | None = None,
        *,
        ai_drafts: bool = False,
        status_mail: bool = False,
        services: ServiceCatalog = NO_SERVICES,
    ) -> None:
        self._stakeholder_channel = stakeholder_channel
        self._services = ServiceEffects(services)
        # With SMTP configured, what a public incident publishes is emailed to the status page's
        # subscribers (bot.delivery.status_mail).
        self._status_mail = status_mail
        # With an AI configured, an update-due reminder (which carries the template draft so it
        # is never late) is followed by an AI draft, written off the scheduler's path.
        self._ai_drafts = ai_drafts

    def __call__(self, change: Change) -> list[OutboxMessage]:
        """What a change sends when nobody in particular asked for it (the scheduler, a job)."""
        return self._messages(change, None)

    def answering(self, origin: Origin) -> Effects:
        """What a change sends when ``origin`` asked for it: should Slack refuse a card the change
        posts, that person is told (see bot.delivery.card_refusals), unless they asked in the web
        console, whose page shows the refusal."""
        return partial(self._messages, requester=None if origin.via_console else origin)

    def _messages(self, change: Change, requester: Origin | None) -> list[OutboxMessage]:
        alerted = alert_line((item.event for item in change.events), change.after, SLACK)
        if any(isinstance(item.event, ev.Declared) for item in change.events):
            # The card first: the thread it starts is where the line about the alerts goes.
            card = out.post_card(change.incident_id, requester)
            return [card, out.audit_line(change.incident_id, alerted)] if alerted else [card]
        messages: list[OutboxMessage] = []
        if any(isinstance(item.event, ev.CardRepostRequested) for item in change.events):
            # First, so the rest of the change has a thread to go to; rendered when posted, the
            # card shows the change too, and no refresh is needed.
            messages.append(out.post_card(change.incident_id, requester))
        elif _card_changed(change):
            messages.append(out.refresh_card(change.incident_id))
        seen = _notes_seen_in_thread(change, requester)
        audited = [
            item.event
            for item in change.events
            if not isinstance(item.event, ev.StakeholderUpdatePosted) and item.seq not in seen
        ]
        paged = self._services.owner_paged_line(change)
        line = "\n".join(filter(None, (alerted, audit_text(audited, change.after), paged)))
        if line:
            messages.append(out.audit_line(change.incident_id, line))
        messages.extend(out.reaction(typed.channel_id, typed.ts, NOTE_REACTION) for typed in seen.values() if typed.ts)
        reminded = _reminded_update(change)
        for item in change.events:
            if item.seq != reminded:
                messages.extend(self._own_messages(change, item.seq, item.event))
        return messages

    def _own_messages(  # noqa: PLR0911 - one branch per event type with a message of its own
        self, change: Change, seq: int, event: ev.Event
    ) -> list[OutboxMessage]:
        ref = change.after.ref
        incident_id = change.incident_id
        if isinstance(event, ev.SlaBreached):
            # An update reminder carries the draft recorded with it, and its Post button.
            carried = _draft_after(change, event) if event.kind is ClockKind.UPDATE else None
            text, blocks = self._reminder(change, event, carried)
            messages = [out.thread_message(incident_id, text, blocks, draft_seq=carried[0] if carried else None)]
            if event.kind is ClockKind.UPDATE and self._ai_drafts:
                messages.append(out.draft_job(incident_id, SYSTEM_ACTOR))
            return messages
        if isinstance(event, ev.AiDraftCreated):
            blocks = draft_blocks(ref, seq, event.text, ai_written=event.ai_written, model=event.model)
            return [
                out.thread_message(change.incident_id, f"Draft stakeholder update for {ref}", blocks, draft_seq=seq)
            ]
        if isinstance(event, ev.StakeholderUpdatePosted):
            blocks = published_blocks(ref, event.text, actor_label(event.actor), event.at, event.clocks.update_due_at)
            fallback = f"Stakeholder update for {ref}"
            messages = [out.thread_message(change.incident_id, fallback, blocks)]
            if self._stakeholder_channel:
                messages.append(out.channel_message(self._stakeholder_channel, fallback, blocks))
            return messages + _posted_draft(ref, event) + self._mailed(change, event.text)
        if isinstance(event, ev.Resolved):
            return self._mailed(change, None)
        if isinstance(event, ev.AlertsAllResolved):
            return [out.thread_message(incident_id, *all_resolved_message(change.after))]
        if isinstance(event, ev.EscalationSuggested):
            return [out.thread_message(incident_id, *escalation_message(change.after, event.firing))]
        if isinstance(event, ev.PostmortemDrafted):
            return [out.thread_message(incident_id, *postmortem_draft_blocks(ref, event))]
        if isinstance(event, ev.RunbookStepDone):
            return self._services.runbook_shown(change, event)
        if isinstance(event, ev.FollowUpReminded):
            followup = change.after.followups[event.number - 1]
            return [out.thread_message(incident_id, *followup_reminder(change.after, followup))]
        if isinstance(event, ev.MessagePinned) and event.text is None:
            # Recorded without its text (a 📌 carries none): Slack is asked for it off the request path.
            pinned_by = event.actor
            return [out.fetch_pinned_message(ref.workspace_id, event.channel_id, event.ts, pinned_by, event.pinned_by)]
        return []

    def _mailed(self, change: Change, text: str | None) -> list[OutboxMessage]:
        """The status page's subscribers are told of a public incident's update (or resolution)."""
        if not (self._status_mail and change.after.public):
            return []
        return [out.status_mail_fanout(change.incident_id, str(change.after.ref), shown_title(change.after), text)]

    @staticmethod
    def _reminder(
        change: Change, breach: ev.SlaBreached, carried: tuple[int, ev.AiDraftCreated] | None
    ) -> tuple[str, list[dict[str, object]]]:
        incident = change.after
        # The deadline, not the reminder's time: a snoozed reminder fires after it.
        deadline = incident.deadlines.due(breach.kind) or breach.due_at
        if breach.kind is ClockKind.ACK:
            return ack_reminder(incident, deadline)
        if breach.kind is ClockKind.RESOLVE:
            return resolve_notice(incident, deadline)
        return update_reminder(incident, carried)


def _notes_seen_in_thread(change: Change, requester: Origin | None) -> dict[int, SlackSource]:
    """Notes typed as ``@firebreak note …`` in the incident's own thread: everyone there has
    already read them, so a reaction on that message says they are recorded (SPEC §2)."""
    if requester is None or requester.thread_ts is None or requester.thread_ts != change.home_ts:
        return {}
    return {
        item.seq: item.event.source
        for item in change.events
        if isinstance(item.event, ev.NoteAdded)
        and isinstance(item.event.source, SlackSource)
        and item.event.source.ts is not None
        and item.event.source.channel_id == change.after.channel_id
    }


def _posted_draft(ref: IncidentRef, event: ev.StakeholderUpdatePosted) -> list[OutboxMessage]:
    """The message of the draft that was posted shows that instead of its button."""
    shown = event.draft_message
    if event.draft_seq is None or shown is None or shown.ts is None:
        return []
    blocks = posted_draft_blocks(ref, event.text, model=event.model, posted_by=actor_label(event.actor), at=event.at)
    return [out.edit_message(shown.channel_id, shown.ts, f"Stakeholder update for {ref} posted", blocks)]


def _draft_after(change: Change, breach: ev.SlaBreached) -> tuple[int, ev.AiDraftCreated] | None:
    """The draft recorded with an update-due breach: the reminder carries it, so it is not sent twice."""
    seen = False
    for item in change.events:
        if item.event is breach:
            seen = True
        elif seen and isinstance(item.event, ev.AiDraftCreated):
            return item.seq, item.event
    return None


def _reminded_update(change: Change) -> int | None:
    for item in change.events:
        if isinstance(item.event, ev.SlaBreached) and item.event.kind is ClockKind.UPDATE:
            draft = _draft_after(change, item.event)
            return draft[0] if draft else None
    return None


# What the card shows: the whole incident but its version, which every change moves, whether Slack
# refused it (a card that is shown was not refused), the messages pinned to its timeline, its
# follow-ups and whether it is on the status page.
_SHOWN = tuple(
    field.name
    for field in fields(Incident)
    if field.name not in {"version", "card_refused", "pinned", "followups", "runbook", "public", "public_title"}
)


def _card_changed(change: Change) -> bool:
    """Notes and drafts leave the card as it was; sparing the edit spares Slack's rate limit."""
    before, after = change.before, change.after
    return not isinstance(before, Incident) or any(getattr(before, name) != getattr(after, name) for name in _SHOWN)
