"""evolve(state, event) -> state: how each fact changes the incident. Total and side-effect free."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import reduce

from domain import events as ev
from domain.alert_rules import alerts_after
from domain.followup_rules import followups_after
from domain.incident import Incident, IncidentState
from domain.lifecycle import Status
from domain.pin_rules import PIN_EVENTS, pinned_after
from domain.services import RunbookMark, marks_after
from domain.sla import STOPPED, ClockKind, next_card_change


def evolve(state: IncidentState, event: ev.Event) -> Incident:
    if isinstance(event, ev.Declared):
        return _declared(state, event)
    if not isinstance(state, Incident):
        raise ValueError(f"{event.type} event for {state.ref}, which was never declared")
    after = _apply(state, event)
    card_due_at = next_card_change(after.deadlines, after.snoozed_until, event.at) if after.is_open else None
    return replace(after, card_due_at=card_due_at, version=state.version + 1)


def replay(initial: IncidentState, history: Iterable[ev.Event]) -> IncidentState:
    """The state a timeline folds to; ``initial`` if the timeline is empty."""
    return reduce(evolve, history, initial)


def _declared(state: IncidentState, event: ev.Declared) -> Incident:
    if isinstance(state, Incident):
        raise ValueError(f"{state.ref} was declared twice")
    return Incident(
        ref=event.ref,
        title=event.title,
        description=event.description,
        severity=event.severity,
        status=Status.DECLARED,
        reporter=event.actor,
        commander=None,
        service=event.service,
        channel_id=event.channel_id,
        thread_ts=event.thread_ts,
        declared_at=event.at,
        clocks=event.clocks,
        deadlines=event.clocks,
        card_due_at=next_card_change(event.clocks, None, event.at),
        version=1,
    )


def _entered(state: Incident, status: Status, event: ev.Event) -> Incident:
    """Moving into a state stamps its first-reached time; later visits keep the first one."""
    identified_at = state.identified_at
    mitigated_at = state.mitigated_at
    if status is Status.IDENTIFIED and identified_at is None:
        identified_at = event.at
    if status is Status.MONITORING and mitigated_at is None:
        mitigated_at = event.at
    return replace(state, status=status, identified_at=identified_at, mitigated_at=mitigated_at)


def _apply(state: Incident, event: ev.Event) -> Incident:  # noqa: PLR0911, PLR0912 - one branch per event type
    if isinstance(event, PIN_EVENTS):
        return replace(state, pinned=pinned_after(state.pinned, event))
    match event:
        case ev.Acknowledged():
            deadlines = state.deadlines.with_due(ClockKind.ACK, None)
            return replace(
                state, acknowledged_at=event.at, acknowledged_by=event.actor, clocks=event.clocks, deadlines=deadlines
            )
        case ev.SeverityChanged():
            # Recomputed clocks are the new deadlines, and no reminder is held back any longer.
            return replace(
                state, severity=event.current, clocks=event.clocks, deadlines=event.clocks, snoozed_until=None
            )
        case ev.Assigned():
            return replace(state, commander=event.current)
        case ev.StatusChanged():
            return _entered(state, event.current, event)
        case ev.StakeholderUpdatePosted():
            deadlines = state.deadlines.with_due(ClockKind.UPDATE, event.clocks.update_due_at)
            return replace(state, last_update_at=event.at, clocks=event.clocks, deadlines=deadlines)
        case ev.Snoozed():
            return replace(state, clocks=event.clocks, snoozed_until=event.until)
        case ev.SlaBreached():
            return replace(state, clocks=event.clocks)
        case ev.Resolved():
            return replace(
                state,
                status=Status.RESOLVED,
                resolved_at=event.at,
                resolution_summary=event.summary,
                clocks=STOPPED,
                deadlines=STOPPED,
                snoozed_until=None,
            )
        case ev.Reopened():
            worked = state.worked_before_reopen
            if state.resolved_at is not None:
                worked += state.resolved_at - state.opened_at
            return replace(
                state,
                worked_before_reopen=worked,
                deadlines=event.clocks,
                status=Status.INVESTIGATING,
                resolved_at=None,
                resolution_summary=None,
                reopened_at=event.at,
                clocks=event.clocks,
            )
        case ev.Closed():
            return replace(state, status=Status.CLOSED, closed_at=event.at, clocks=STOPPED, deadlines=STOPPED)
        case ev.CardPostFailed():
            return replace(state, card_refused=event.error)
        case ev.CardRepostRequested():
            return replace(state, card_refused=None)
        case ev.FollowUpAdded() | ev.FollowUpDone() | ev.FollowUpReminded():
            return replace(state, followups=followups_after(state.followups, event))
        case ev.AlertFired() | ev.AlertResolved() | ev.AlertsAllResolved() | ev.EscalationSuggested():
            return replace(state, alerts=alerts_after(state.alerts, event))
        case ev.PublicityChanged():
            return replace(state, public=event.public, public_title=event.title)
        case ev.RunbookStepDone():
            mark = RunbookMark(step=event.step, text=event.text, by=event.actor, at=event.at)
            return replace(state, runbook=marks_after(state.runbook, mark))
        case ev.PostmortemEdited():
            return replace(state, postmortem=state.postmortem.with_texts(event.changes))
        case ev.NoteAdded() | ev.AiDraftCreated() | ev.ReminderSent() | ev.CardClockPassed() | ev.PostmortemDrafted():
            return state
    raise ValueError(f"unknown event type {type(event).__name__}")
