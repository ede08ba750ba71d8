"""Alerts from monitoring, normalised whatever sent them, and where they go (SPEC §11).

The receivers turn Alertmanager, Grafana and generic payloads into an ``AlertNotification``; the
routing config (``[alerts]`` in the TOML file) decides its service, channel and severity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from domain.severity import Severity


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class AlertLink:
    href: str
    text: str


@dataclass(frozen=True)
class AlertSignal:
    """One alert's state as a notification reports it."""

    # One alert's identity: Alertmanager's or Grafana's fingerprint, a generic payload's dedup_key.
    fingerprint: str
    status: AlertStatus
    labels: tuple[tuple[str, str], ...]  # sorted (name, value) pairs
    summary: str  # annotations.summary, else labels.alertname, else "alert"
    starts_at: datetime | None
    ends_at: datetime | None
    links: tuple[AlertLink, ...] = ()

    def label(self, name: str) -> str | None:
        return dict(self.labels).get(name)


@dataclass(frozen=True)
class AlertNotification:
    """One webhook delivery: the alerts of one group, as its source last saw them."""

    source: str  # "alertmanager" | "grafana" | "generic"
    group_key: str  # Alertmanager's or Grafana's groupKey, a generic payload's dedup_key
    alerts: tuple[AlertSignal, ...]
    truncated: int = 0  # Alertmanager's truncatedAlerts: alerts the payload left out
    service: str | None = None  # generic payloads name it; otherwise routing decides
    severity: Severity | None = None  # generic payloads give it; otherwise routing maps labels


DEFAULT_SEVERITY_LABEL = "severity"
DEFAULT_SEVERITY_VALUES: tuple[tuple[str, Severity], ...] = (
    ("critical", Severity.SEV1),
    ("error", Severity.SEV2),
    ("high", Severity.SEV2),
    ("warning", Severity.SEV3),
)


@dataclass(frozen=True)
class SeverityMapping:
    """How an alert's labels give a severity: the value of ``label``, looked up in ``values``
    (case-insensitive), else ``otherwise``. ``fixed`` gives every alert one severity."""

    label: str = DEFAULT_SEVERITY_LABEL
    values: tuple[tuple[str, Severity], ...] = DEFAULT_SEVERITY_VALUES
    otherwise: Severity = Severity.SEV4
    fixed: Severity | None = None

    def of(self, signal: AlertSignal) -> Severity:
        if self.fixed is not None:
            return self.fixed
        value = (signal.label(self.label) or "").strip().lower()
        return dict(self.values).get(value, self.otherwise)


DEFAULT_SEVERITY_MAPPING = SeverityMapping()


@dataclass(frozen=True)
class AlertRoute:
    """``[[alerts.routes]]``: alerts whose labels carry every ``match`` pair go to ``service``
    in ``channel`` (the default channel when None), with their severity read by ``severity``
    (the default mapping when None)."""

    match: tuple[tuple[str, str], ...]
    service: str | None = None
    channel: str | None = None
    severity: SeverityMapping | None = None

    def matches(self, signal: AlertSignal) -> bool:
        labels = dict(signal.labels)
        return all(labels.get(name) == value for name, value in self.match)


DEFAULT_ALERT_WINDOW = timedelta(minutes=30)
DEFAULT_ESCALATE_AT = 20


@dataclass(frozen=True)
class AlertRouting:
    """``[alerts]``: where alerts declare incidents and how alert-declared incidents behave."""

    channel: str | None = None  # the default channel; None: only routes with a channel declare
    routes: tuple[AlertRoute, ...] = ()
    severity: SeverityMapping = DEFAULT_SEVERITY_MAPPING
    window: timedelta = DEFAULT_ALERT_WINDOW  # an open alert-declared incident of a service absorbs new groups
    auto_resolve: bool = False
    escalate_at: int = DEFAULT_ESCALATE_AT  # firing alerts past which a raise in severity is suggested


DEFAULT_ALERT_ROUTING = AlertRouting()

# The sources the receivers name; an incident one of them reported was declared by alerts.
ALERT_SOURCES = frozenset({"alertmanager", "grafana", "generic"})


@dataclass(frozen=True)
class Routed:
    """Where a notification's alerts go: what routing made of it."""

    service: str | None
    channel: str | None
    severity: Severity


def route(routing: AlertRouting, notification: AlertNotification) -> Routed:
    """The first route whose ``match`` the notification's first firing alert (else its first alert)
    carries decides; the worst severity among its firing alerts is the incident's. A generic
    payload's own service and severity win."""
    firing = [signal for signal in notification.alerts if signal.status is AlertStatus.FIRING]
    considered = firing or list(notification.alerts)
    leading = considered[0] if considered else None
    chosen = next((r for r in routing.routes if leading is not None and r.matches(leading)), None)
    mapping = (chosen.severity if chosen else None) or routing.severity
    severity = notification.severity or min((mapping.of(signal) for signal in considered), default=mapping.otherwise)
    service = notification.service or (chosen.service if chosen else None)
    if service is None and leading is not None:
        service = leading.label("service")
    return Routed(service, (chosen.channel if chosen else None) or routing.channel, severity)


@dataclass(frozen=True)
class TrackedAlert:
    """One alert (by fingerprint) as an incident last recorded it."""

    fingerprint: str
    status: AlertStatus
    summary: str
    group_key: str
    labels: tuple[tuple[str, str], ...] = ()
    links: tuple[AlertLink, ...] = ()


@dataclass(frozen=True)
class IncidentAlerts:
    """An incident's alerts: how many fire and have resolved, the groups that brought them, and
    the alerts by fingerprint a reader holds, in the order they first fired.

    A replay holds every alert; storage holds only those a notification names (it keeps each alert
    in a row of its own, storage.incident_alerts), which is all that deciding on it needs: an
    incident of hundreds of alerts is not read and written whole for each notification.
    """

    alerts: tuple[TrackedAlert, ...] = ()
    firing: int = 0
    resolved: int = 0
    groups: tuple[str, ...] = ()
    # "All alerts resolved — resolve?" is out; a new firing alert takes it back (re-arms it).
    nudged: bool = False
    # The suggestion to raise the severity is out (said once per incident).
    escalation_suggested: bool = False

    def find(self, fingerprint: str) -> TrackedAlert | None:
        return next((alert for alert in self.alerts if alert.fingerprint == fingerprint), None)

    @property
    def any(self) -> bool:
        """Whether an alert ever reached the incident."""
        return self.firing + self.resolved > 0

    def with_alert(self, alert: TrackedAlert) -> IncidentAlerts:
        """``alert`` in its new state, the counts moved with it."""
        known = self.find(alert.fingerprint)
        if known is None:
            alerts = (*self.alerts, alert)
        else:
            alerts = tuple(alert if held.fingerprint == alert.fingerprint else held for held in self.alerts)
        was_firing = known is not None and known.status is AlertStatus.FIRING
        now_firing = alert.status is AlertStatus.FIRING
        firing = self.firing - was_firing + now_firing
        resolved = self.resolved - (known is not None and not was_firing) + (not now_firing)
        groups = self.groups if alert.group_key in self.groups else (*self.groups, alert.group_key)
        return replace(self, alerts=alerts, firing=firing, resolved=resolved, groups=groups)


NO_ALERTS = IncidentAlerts()
