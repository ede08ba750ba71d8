"""What each committed change sends to Slack, as outbox messages written in the same transaction."""

from __future__ import annotations

from dataclasses import fields
from functools import partial

from bot.delivery import outbox_messages as out
from bot.handler.origin import Origin
from bot.handler.runner import Change, Effects
from bot.views.audit import NOTE_REACTION, audit_text
from bot.views.formatting import actor_label
from bot.views.reminders import ack_reminder, resolve_notice, update_reminder
from bot.views.stakeholder import draft_blocks, posted_draft_blocks, published_blocks
from domain import events as ev
from domain.commands import SYSTEM_ACTOR
from domain.incident import Incident, IncidentRef, SlackSource
from domain.sla import ClockKind
from storage.stored import OutboxMessage


class SlackEffects:
    def __init__(self, stakeholder_channel: str | None = None, *, ai_drafts: bool = False) -> None:
        self._stakeholder_channel = stakeholder_channel
        # With an AI configured, an update-due reminder (which carries the template draft so it
        # is never late) is followed by an AI draft, written off the scheduler's path.
        self._ai_drafts = ai_drafts

    def __call__(self, change: Change) -> list[OutboxMessage]:
        """What a change sends when nobody in particular asked for it (the scheduler, a job)."""
        return self._messages(change, None)

    def answering(self, origin: Origin) -> Effects:
        """What a change sends when ``origin`` asked for it: should Slack refuse a card the change
        posts, that person is told (see bot.delivery.card_refusals)."""
        return partial(self._messages, requester=origin)

    def _messages(self, change: Change, requester: Origin | None) -> list[OutboxMessage]:
        if any(isinstance(item.event, ev.Declared) for item in change.events):
            return [out.post_card(change.incident_id, requester)]
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
        line = audit_text(audited, change.after)
        if line:
            messages.append(out.audit_line(change.incident_id, line))
        messages.extend(out.reaction(typed.channel_id, typed.ts, NOTE_REACTION) for typed in seen.values() if typed.ts)
        reminded = _reminded_update(change)
        for item in change.events:
            if item.seq != reminded:
                messages.extend(self._own_messages(change, item.seq, item.event))
        return messages

    def _own_messages(self, change: Change, seq: int, event: ev.Event) -> list[OutboxMessage]:
        ref = change.after.ref
        incident_id = change.incident_id
        if isinstance(event, ev.SlaBreached):
            messages = [out.thread_message(incident_id, *self._reminder(change, event))]
            if event.kind is ClockKind.UPDATE and self._ai_drafts:
                messages.append(out.draft_job(incident_id, SYSTEM_ACTOR))
            return messages
        if isinstance(event, ev.AiDraftCreated):
            blocks = draft_blocks(ref, seq, event.text, ai_written=event.ai_written, model=event.model)
            return [out.thread_message(change.incident_id, f"Draft stakeholder update for {ref}", blocks)]
        if isinstance(event, ev.StakeholderUpdatePosted):
            blocks = published_blocks(ref, event.text, actor_label(event.actor), event.at, event.clocks.update_due_at)
            fallback = f"Stakeholder update for {ref}"
            messages = [out.thread_message(change.incident_id, fallback, blocks)]
            if self._stakeholder_channel:
                messages.append(out.channel_message(self._stakeholder_channel, fallback, blocks))
            return messages + _posted_draft(ref, event)
        return []

    @staticmethod
    def _reminder(change: Change, breach: ev.SlaBreached) -> tuple[str, list[dict[str, object]]]:
        incident = change.after
        # The deadline, not the reminder's time: a snoozed reminder fires after it.
        deadline = incident.deadlines.due(breach.kind) or breach.due_at
        if breach.kind is ClockKind.ACK:
            return ack_reminder(incident, deadline)
        if breach.kind is ClockKind.RESOLVE:
            return resolve_notice(incident, deadline)
        return update_reminder(incident, _draft_after(change, breach))


def _notes_seen_in_thread(change: Change, requester: Origin | None) -> dict[int, SlackSource]:
    """Notes typed as ``@firebreak note …`` in the incident's own thread: everyone there has
    already read them, so a reaction on that message says they are recorded (SPEC §2)."""
    if requester is None or requester.thread_ts is None or requester.thread_ts != change.home_ts:
        return {}
    return {
        item.seq: item.event.source
        for item in change.events
        if isinstance(item.event, ev.NoteAdded)
        and item.event.source is not None
        and item.event.source.ts is not None
        and item.event.source.channel_id == change.after.channel_id
    }


def _posted_draft(ref: IncidentRef, event: ev.StakeholderUpdatePosted) -> list[OutboxMessage]:
    """The draft message whose button posted the update shows that instead of its button."""
    if event.draft_seq is None or event.source is None or event.source.ts is None:
        return []
    blocks = posted_draft_blocks(ref, event.text, model=event.model, posted_by=actor_label(event.actor), at=event.at)
    return [out.edit_message(event.source.channel_id, event.source.ts, f"Stakeholder update for {ref} posted", blocks)]


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


# What the card shows: the whole incident but its version, which every change moves, and whether
# Slack refused it (a card that is shown was not refused).
_SHOWN = tuple(field.name for field in fields(Incident) if field.name not in {"version", "card_refused"})


def _card_changed(change: Change) -> bool:
    """Notes and drafts leave the card as it was; sparing the edit spares Slack's rate limit."""
    before, after = change.before, change.after
    return not isinstance(before, Incident) or any(getattr(before, name) != getattr(after, name) for name in _SHOWN)
