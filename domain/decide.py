"""decide(state, command, now) -> events: whether a command is allowed and what it means.

Refusals raise a DomainError whose message is shown to the person as it is. Nothing here reads a
clock or talks to anything; ``now`` and the SLA policy come in as arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain import alert_rules, followup_rules, pin_rules, postmortem_drafts, postmortem_rules, publicity, runbook_rules
from domain import commands as cmd
from domain import events as ev
from domain.errors import (
    ChangedMeanwhile,
    InvalidTransition,
    InvalidValue,
    NothingToChange,
    StaleClock,
    UnknownIncident,
)
from domain.incident import Incident, IncidentState, Undeclared
from domain.lifecycle import Status, allowed_next, can_move
from domain.postmortem import NONE_REQUIRED, PostmortemPolicy
from domain.sla import (
    DEFAULT_POLICY,
    ClockKind,
    SlaPolicy,
    after_breach,
    format_duration,
    recompute_clocks,
    snoozed,
    start_clocks,
)
from domain.text import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    REASON_MAX,
    SERVICE_MAX,
    SLACK_ERROR_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    UPDATE_MAX,
    clean_line,
    clean_optional,
    clean_text,
)

MAX_SNOOZE = timedelta(hours=24)


@dataclass(frozen=True)
class _Context:
    now: datetime
    policy: SlaPolicy
    postmortem: PostmortemPolicy

    def stamp(self, command: cmd.Command) -> dict[str, Any]:
        """The fields every event takes from the command that caused it."""
        return {"actor": command.actor, "at": self.now, "source": command.source}


def decide(
    state: IncidentState,
    command: cmd.AnyCommand,
    now: datetime,
    policy: SlaPolicy = DEFAULT_POLICY,
    postmortem: PostmortemPolicy = NONE_REQUIRED,
) -> list[ev.Event]:
    """``postmortem`` names the severities closed only with a postmortem: the deployment's config
    says which (bot.runtime.config_file; SEV1 and SEV2 unless it says otherwise)."""
    if now.tzinfo is None:
        raise ValueError("decide needs an aware datetime for now")
    context = _Context(now, policy, postmortem)
    if isinstance(command, cmd.Declare):
        return [_declare(state, command, context)]
    if isinstance(state, Undeclared):
        raise UnknownIncident(f"{state.ref} does not exist.")
    if command.expected_version is not None and command.expected_version != state.version:
        raise ChangedMeanwhile(f"{state.ref} changed since you last saw it. Nothing was changed: review and try again.")
    handler = _HANDLERS[type(command)]
    return _card_owed(state, command, context) + handler(state, command, context)


def _card_owed(state: Incident, command: cmd.IncidentCommand, context: _Context) -> list[ev.Event]:
    """Any change to an incident whose card Slack refused asks for the card again first, so the
    incident finds its way back into Slack by itself once the refusal is fixed (the bot invited)."""
    if state.card_refused is None or isinstance(command, cmd.RecordCardRefusal | cmd.RepostCard):
        return []
    return [ev.CardRepostRequested(**context.stamp(command))]


def _declare(state: IncidentState, command: cmd.Declare, context: _Context) -> ev.Declared:
    if isinstance(state, Incident):
        raise NothingToChange(f"{state.ref} is already declared.")
    return ev.Declared(
        **context.stamp(command),
        ref=state.ref,
        title=clean_line(command.title, "title", TITLE_MAX),
        description=clean_optional(command.description, "description", DESCRIPTION_MAX) or "",
        severity=command.severity,
        service=clean_optional(command.service, "service", SERVICE_MAX, multiline=False),
        channel_id=command.channel_id,
        thread_ts=command.thread_ts,
        clocks=start_clocks(context.policy, command.severity, context.now, command.service),
    )


def _refuse_unless_open(state: Incident) -> None:
    if state.status is Status.RESOLVED:
        raise InvalidTransition(f"{state.ref} is resolved; you can reopen or close it.")
    _refuse_if_closed(state)


def _refuse_if_closed(state: Incident) -> None:
    if state.status is Status.CLOSED:
        raise InvalidTransition(
            f"{state.ref} is closed; nothing more can change. Declare a new incident if the problem is back."
        )


def _acknowledge(state: Incident, command: cmd.Acknowledge, context: _Context) -> list[ev.Event]:
    _refuse_unless_open(state)
    if state.acknowledged_at is not None:
        raise NothingToChange(f"{state.ref} is already acknowledged.")
    return _move(state, Status.INVESTIGATING, command, context)


def _acknowledgement(state: Incident, command: cmd.Command, context: _Context) -> list[ev.Event]:
    """Any move out of ``declared`` acknowledges the incident first (SPEC §1)."""
    if state.acknowledged_at is not None:
        return []
    return [ev.Acknowledged(**context.stamp(command), clocks=state.clocks.with_due(ClockKind.ACK, None))]


def _move(
    state: Incident,
    target: Status,
    command: cmd.Command,
    context: _Context,
    *,
    summary: str | None = None,
    reason: str | None = None,
) -> list[ev.Event]:
    if target is state.status:
        raise NothingToChange(f"{state.ref} is already {target}.")
    if not can_move(state.status, target):
        _refuse_if_closed(state)
        if state.status is Status.RESOLVED:
            raise InvalidTransition(f"{state.ref} is resolved; you can reopen or close it.")
        allowed = ", ".join(allowed_next(state.status))
        raise InvalidTransition(f"{state.ref} can't move from {state.status} to {target}; allowed next: {allowed}.")
    postmortem_rules.refuse_close_without_postmortem(state, target, context.postmortem)
    stamp = context.stamp(command)
    events = _acknowledgement(state, command, context)
    if target is Status.RESOLVED:
        events.append(ev.Resolved(**stamp, summary=clean_optional(summary, "summary", SUMMARY_MAX)))
    elif target is Status.CLOSED:
        events.append(ev.Closed(**stamp))
    elif state.status is Status.RESOLVED:
        clocks = recompute_clocks(
            context.policy,
            state.severity,
            opened_at=context.now,
            acknowledged=True,
            last_update_at=None,
            service=state.service,
        )
        events.append(ev.Reopened(**stamp, reason=clean_optional(reason, "reason", REASON_MAX), clocks=clocks))
    else:
        events.append(ev.StatusChanged(**stamp, previous=state.status, current=target))
    return events


def _change_status(state: Incident, command: cmd.ChangeStatus, context: _Context) -> list[ev.Event]:
    return _move(state, command.status, command, context, summary=command.summary)


def _resolve(state: Incident, command: cmd.Resolve, context: _Context) -> list[ev.Event]:
    return _move(state, Status.RESOLVED, command, context, summary=command.summary)


def _reopen(state: Incident, command: cmd.Reopen, context: _Context) -> list[ev.Event]:
    _refuse_if_closed(state)
    if state.status is not Status.RESOLVED:
        raise NothingToChange(f"{state.ref} is still open ({state.status}); only a resolved incident can be reopened.")
    return _move(state, Status.INVESTIGATING, command, context, reason=command.reason)


def _close(state: Incident, command: cmd.Close, context: _Context) -> list[ev.Event]:
    if state.is_open:
        raise InvalidTransition(f"{state.ref} is still {state.status}; resolve it before closing it.")
    return _move(state, Status.CLOSED, command, context)


def _change_severity(state: Incident, command: cmd.ChangeSeverity, context: _Context) -> list[ev.Event]:
    _refuse_unless_open(state)
    if command.severity is state.severity:
        raise NothingToChange(f"{state.ref} is already {state.severity.label}.")
    clocks = recompute_clocks(
        context.policy,
        command.severity,
        opened_at=state.opened_at,
        acknowledged=state.acknowledged_at is not None,
        last_update_at=state.last_update_at,
        service=state.service,
    )
    stamp = context.stamp(command)
    return [ev.SeverityChanged(**stamp, previous=state.severity, current=command.severity, clocks=clocks)]


def _assign(state: Incident, command: cmd.Assign, context: _Context) -> list[ev.Event]:
    _refuse_unless_open(state)
    if not command.commander.strip():
        raise InvalidValue("Say who should lead the incident: assign @someone.")
    if command.commander == state.commander:
        raise NothingToChange(f"They are already the commander of {state.ref}.")
    return [ev.Assigned(**context.stamp(command), previous=state.commander, current=command.commander)]


def _add_note(state: Incident, command: cmd.AddNote, context: _Context) -> list[ev.Event]:
    _refuse_if_closed(state)
    return [ev.NoteAdded(**context.stamp(command), text=clean_text(command.text, "note", NOTE_MAX))]


def _post_update(state: Incident, command: cmd.PostStakeholderUpdate, context: _Context) -> list[ev.Event]:
    _refuse_if_closed(state)
    clocks = state.clocks
    window = context.policy.for_severity(state.severity, state.service).update
    if state.is_open:
        clocks = clocks.with_due(ClockKind.UPDATE, None if window is None else context.now + window)
    text = clean_text(command.text, "stakeholder update", UPDATE_MAX)
    return [
        ev.StakeholderUpdatePosted(
            **context.stamp(command),
            text=text,
            model=command.model,
            clocks=clocks,
            draft_seq=command.draft_seq,
            draft_message=command.draft_message,
        )
    ]


def _record_ai_draft(state: Incident, command: cmd.RecordAiDraft, context: _Context) -> list[ev.Event]:
    _refuse_if_closed(state)
    unknown = [seq for seq in command.based_on if not 1 <= seq <= state.version]
    if unknown:
        raise InvalidValue(f"The draft cites events {unknown} that {state.ref} does not have.")
    return [
        ev.AiDraftCreated(
            **context.stamp(command),
            text=clean_text(command.text, "draft", UPDATE_MAX),
            model=command.model,
            based_on=tuple(command.based_on),
            ai_written=command.ai_written,
        )
    ]


def _record_breach(state: Incident, command: cmd.RecordSlaBreach, context: _Context) -> list[ev.Event]:
    if not state.is_open:
        raise StaleClock(f"{state.ref} is {state.status}; its clocks are stopped.")
    due = state.clocks.due(command.kind)
    if due != command.due_at:
        raise StaleClock(f"{state.ref}'s {command.kind} clock is no longer due at {command.due_at.isoformat()}.")
    if context.now < due:
        raise StaleClock(f"{state.ref}'s {command.kind} clock is not due until {due.isoformat()}.")
    service = state.service
    clocks = after_breach(context.policy, state.severity, state.clocks, command.kind, context.now, service=service)
    stamp = context.stamp(command)
    return [
        ev.SlaBreached(**stamp, kind=command.kind, due_at=due, clocks=clocks),
        ev.ReminderSent(**stamp, kind=command.kind, due_at=due),
    ]


def _record_card_clock(state: Incident, command: cmd.RecordCardClock, context: _Context) -> list[ev.Event]:
    if not state.is_open:
        raise StaleClock(f"{state.ref} is {state.status}; its clocks are stopped.")
    due = state.card_due_at
    if due != command.due_at or due is None:
        raise StaleClock(f"{state.ref}'s card is no longer due for an edit at {command.due_at.isoformat()}.")
    if context.now < due:
        raise StaleClock(f"{state.ref}'s card is not due for an edit until {due.isoformat()}.")
    kind = next((kind for kind, when in state.deadlines.running() if when == due), None)
    return [ev.CardClockPassed(**context.stamp(command), kind=kind, due_at=due)]


def _snooze(state: Incident, command: cmd.Snooze, context: _Context) -> list[ev.Event]:
    _refuse_unless_open(state)
    if command.duration <= timedelta(0):
        raise InvalidValue("Snooze for a positive duration, e.g. snooze 30m.")
    if command.duration > MAX_SNOOZE:
        raise InvalidValue(f"You can snooze for at most {format_duration(MAX_SNOOZE)}.")
    running = state.clocks.running()
    if not running:
        raise NothingToChange(f"{state.ref} has no reminders to snooze.")
    until = context.now + command.duration
    clocks = snoozed(state.clocks, until)
    if clocks == state.clocks:
        next_in = format_duration(running[0][1] - context.now)
        raise NothingToChange(f"No reminder of {state.ref} comes before then; the next one is in {next_in}.")
    return [ev.Snoozed(**context.stamp(command), until=until, clocks=clocks)]


def _record_card_refusal(state: Incident, command: cmd.RecordCardRefusal, context: _Context) -> list[ev.Event]:
    error = clean_line(command.error, "Slack error", SLACK_ERROR_MAX)
    return [ev.CardPostFailed(**context.stamp(command), error=error, channel_id=state.channel_id)]


def _repost_card(state: Incident, command: cmd.RepostCard, context: _Context) -> list[ev.Event]:
    if state.card_refused is None:
        raise NothingToChange(f"Slack has not refused {state.ref}'s card, so there is nothing to post again.")
    return [ev.CardRepostRequested(**context.stamp(command))]


def _add_followup(state: Incident, command: cmd.AddFollowUp, context: _Context) -> list[ev.Event]:
    return [followup_rules.add(state, command, context.now, context.stamp(command))]


def _complete_followup(state: Incident, command: cmd.CompleteFollowUp, context: _Context) -> list[ev.Event]:
    return [followup_rules.complete(state, command, context.stamp(command))]


def _remind_followup(state: Incident, command: cmd.RemindFollowUp, context: _Context) -> list[ev.Event]:
    return [followup_rules.remind(state, command, context.now, context.stamp(command))]


def _record_alerts(state: Incident, command: cmd.RecordAlerts, context: _Context) -> list[ev.Event]:
    events, resolve = alert_rules.record(state, command, context.stamp(command))
    if resolve:
        # Configured to (``[alerts] auto_resolve``): the bot resolves, and its summary says why.
        resolving = cmd.Resolve(actor=cmd.SYSTEM_ACTOR, source=command.source)
        events += _move(state, Status.RESOLVED, resolving, context, summary=alert_rules.AUTO_RESOLVED_SUMMARY)
    return events


_Handler = Callable[[Incident, Any, _Context], list[ev.Event]]


def _stamped(rule: Callable[[Incident, Any, dict[str, Any]], list[ev.Event]]) -> _Handler:
    """A rule that needs only the command's stamp, not the clock or the policy."""
    return lambda state, command, context: rule(state, command, context.stamp(command))


_HANDLERS: dict[type[cmd.Command], _Handler] = {
    cmd.Acknowledge: _acknowledge,
    cmd.ChangeSeverity: _change_severity,
    cmd.Assign: _assign,
    cmd.ChangeStatus: _change_status,
    cmd.Resolve: _resolve,
    cmd.Reopen: _reopen,
    cmd.Close: _close,
    cmd.AddNote: _add_note,
    cmd.PostStakeholderUpdate: _post_update,
    cmd.RecordAiDraft: _record_ai_draft,
    cmd.RecordSlaBreach: _record_breach,
    cmd.RecordCardClock: _record_card_clock,
    cmd.Snooze: _snooze,
    cmd.RecordCardRefusal: _record_card_refusal,
    cmd.RepostCard: _repost_card,
    cmd.AddFollowUp: _add_followup,
    cmd.CompleteFollowUp: _complete_followup,
    cmd.RemindFollowUp: _remind_followup,
    cmd.PinMessage: _stamped(pin_rules.pin),
    cmd.UnpinMessage: _stamped(pin_rules.unpin),
    cmd.RecordMessageEdit: _stamped(pin_rules.edit),
    cmd.RecordMessageDeletion: _stamped(pin_rules.delete),
    cmd.EditPostmortem: _stamped(postmortem_rules.edit),
    cmd.RecordPostmortemDraft: _stamped(postmortem_drafts.record),
    cmd.RecordAlerts: _record_alerts,
    cmd.SetPublic: _stamped(publicity.set_public),
    cmd.CompleteRunbookStep: _stamped(runbook_rules.done),
}
