"""What a notification's alerts mean for an incident (SPEC §11): per alert (fingerprint), firing and
resolved are timeline events, and a repeat of the state an alert is in changes nothing (Alertmanager
resends a group's whole state; an HA pair sends everything twice). Humans decide: when the last
alert resolves, the thread asks once whether to resolve; past ``escalate_at`` firing alerts it
suggests a higher severity once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from domain import commands as cmd
from domain import events as ev
from domain.alerts import AlertSignal, AlertStatus, IncidentAlerts, TrackedAlert
from domain.errors import InvalidTransition, NothingToChange
from domain.incident import Incident
from domain.lifecycle import Status
from domain.severity import Severity

AUTO_RESOLVED_SUMMARY = "All alerts resolved; resolved automatically ([alerts] auto_resolve = true)"
# What an alert's summary and labels may take of an event: a payload's values are not bounded.
ALERT_TEXT_MAX = 300
ALERT_LABELS_MAX = 30


def record(state: Incident, command: cmd.RecordAlerts, stamp: Mapping[str, Any]) -> tuple[list[ev.Event], bool]:
    """The alert events of one notification, the nudge or suggestion they call for, and whether
    ``auto_resolve`` resolves the incident now (every alert has resolved)."""
    if state.status is Status.CLOSED:
        raise InvalidTransition(f"{state.ref} is closed; its alerts are no longer recorded.")
    latest = {signal.fingerprint: signal for signal in command.signals}  # a payload's repeats: the last says
    events: list[ev.Event] = []
    alerts = state.alerts
    for signal in latest.values():
        event = _changed(alerts, signal, command.group_key, stamp)
        if event is not None:
            events.append(event)
            alerts = alerts_after(alerts, event)
    if not events:
        raise NothingToChange(f"{state.ref} already knows these alerts in these states.")
    system = {**stamp, "actor": cmd.SYSTEM_ACTOR}
    all_resolved = state.is_open and alerts.firing == 0 and state.alerts.firing > 0
    if all_resolved and command.auto_resolve:
        return events, True
    if all_resolved and not alerts.nudged:
        events.append(ev.AlertsAllResolved(**system, resolved=alerts.resolved))
    suggest = state.is_open and state.severity is not Severity.SEV1 and not alerts.escalation_suggested
    if suggest and alerts.firing >= command.escalate_at:
        events.append(ev.EscalationSuggested(**system, firing=alerts.firing))
    return events, False


def _changed(
    alerts: IncidentAlerts, signal: AlertSignal, group_key: str, stamp: Mapping[str, Any]
) -> ev.AlertFired | ev.AlertResolved | None:
    known = alerts.find(signal.fingerprint)
    if signal.status is AlertStatus.RESOLVED:
        # A resolution of an alert never seen firing here says nothing about this incident.
        return ev.AlertResolved(**stamp, fingerprint=signal.fingerprint) if known and _firing(known) else None
    if known is not None and _firing(known):
        return None
    return ev.AlertFired(
        **stamp,
        fingerprint=signal.fingerprint,
        group_key=group_key,
        summary=signal.summary.strip()[:ALERT_TEXT_MAX] or "alert",
        labels=tuple((name[:ALERT_TEXT_MAX], value[:ALERT_TEXT_MAX]) for name, value in signal.labels)[
            :ALERT_LABELS_MAX
        ],
        links=tuple(replace(link, text=link.text[:ALERT_TEXT_MAX]) for link in signal.links)[:ALERT_LABELS_MAX],
    )


def _firing(alert: TrackedAlert) -> bool:
    return alert.status is AlertStatus.FIRING


AlertEvent = ev.AlertFired | ev.AlertResolved | ev.AlertsAllResolved | ev.EscalationSuggested


def alerts_after(alerts: IncidentAlerts, event: AlertEvent) -> IncidentAlerts:
    """What ``event`` makes of an incident's alerts."""
    match event:
        case ev.AlertFired():
            fired = TrackedAlert(
                event.fingerprint, AlertStatus.FIRING, event.summary, event.group_key, event.labels, event.links
            )
            return replace(alerts.with_alert(fired), nudged=False)
        case ev.AlertResolved():
            known = alerts.find(event.fingerprint)
            if known is None:
                raise ValueError(f"alert {event.fingerprint} resolved, which never fired")
            return alerts.with_alert(replace(known, status=AlertStatus.RESOLVED))
        case ev.AlertsAllResolved():
            return replace(alerts, nudged=True)
    return replace(alerts, escalation_suggested=True)
