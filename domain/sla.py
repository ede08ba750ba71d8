"""SLA policy arithmetic: when each clock is due, and what becomes of it after each change.

The clocks an event leaves behind are carried *in* the event, so replaying a timeline never
depends on the policy in force today: a config change does not rewrite history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from domain.severity import Severity


class ClockKind(StrEnum):
    ACK = "ack"
    UPDATE = "update"
    RESOLVE = "resolve"


@dataclass(frozen=True)
class SlaWindows:
    """How long each obligation may take at one severity; ``None`` means the clock is off."""

    ack: timedelta | None
    update: timedelta | None
    resolve: timedelta | None

    def window(self, kind: ClockKind) -> timedelta | None:
        return getattr(self, kind.value)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class SlaPolicy:
    windows: Mapping[Severity, SlaWindows]
    # A catalog service's own windows (SPEC §13), by service key and severity: they replace
    # ``windows`` for that service's incidents.
    services: Mapping[str, Mapping[Severity, SlaWindows]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [s.label for s in Severity if s not in self.windows]
        if missing:
            raise ValueError(f"SLA policy has no windows for {', '.join(missing)}")
        object.__setattr__(self, "windows", MappingProxyType(dict(self.windows)))
        services = {key: MappingProxyType(dict(windows)) for key, windows in self.services.items()}
        object.__setattr__(self, "services", MappingProxyType(services))

    def for_severity(self, severity: Severity, service: str | None = None) -> SlaWindows:
        """The windows at ``severity`` for an incident of ``service`` (a catalog key, free text or None)."""
        own = self.services.get(service.strip().lower(), {}) if service else {}
        return own.get(severity) or self.windows[severity]


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


DEFAULT_POLICY = SlaPolicy(
    {
        Severity.SEV1: SlaWindows(ack=_minutes(5), update=_minutes(30), resolve=timedelta(hours=4)),
        Severity.SEV2: SlaWindows(ack=_minutes(15), update=timedelta(hours=1), resolve=timedelta(hours=8)),
        Severity.SEV3: SlaWindows(ack=timedelta(hours=1), update=timedelta(hours=4), resolve=timedelta(days=3)),
        Severity.SEV4: SlaWindows(ack=timedelta(hours=4), update=None, resolve=timedelta(days=7)),
    }
)


@dataclass(frozen=True)
class SlaClocks:
    ack_due_at: datetime | None = None
    update_due_at: datetime | None = None
    resolve_due_at: datetime | None = None

    def due(self, kind: ClockKind) -> datetime | None:
        return getattr(self, f"{kind.value}_due_at")  # type: ignore[no-any-return]

    def with_due(self, kind: ClockKind, when: datetime | None) -> SlaClocks:
        return replace(self, **{f"{kind.value}_due_at": when})

    def running(self) -> list[tuple[ClockKind, datetime]]:
        """The running clocks, earliest first."""
        pairs = [(kind, self.due(kind)) for kind in ClockKind]
        return sorted(((k, d) for k, d in pairs if d is not None), key=lambda pair: pair[1])

    @property
    def next_due_at(self) -> datetime | None:
        due = (self.ack_due_at, self.update_due_at, self.resolve_due_at)
        return min((when for when in due if when is not None), default=None)


STOPPED = SlaClocks()


def _after(start: datetime, window: timedelta | None) -> datetime | None:
    return None if window is None else start + window


def start_clocks(policy: SlaPolicy, severity: Severity, now: datetime, service: str | None = None) -> SlaClocks:
    windows = policy.for_severity(severity, service)
    return SlaClocks(
        ack_due_at=_after(now, windows.ack),
        update_due_at=_after(now, windows.update),
        resolve_due_at=_after(now, windows.resolve),
    )


def recompute_clocks(
    policy: SlaPolicy,
    severity: Severity,
    *,
    opened_at: datetime,
    acknowledged: bool,
    last_update_at: datetime | None,
    service: str | None = None,
) -> SlaClocks:
    """Clocks as the policy for ``severity`` would have set them from the incident's anchors.

    A move to a stricter severity can put a clock in the past; it is then due at once, which is
    right: a SEV1 unacknowledged for ten minutes is already in breach.
    """
    windows = policy.for_severity(severity, service)
    return SlaClocks(
        ack_due_at=None if acknowledged else _after(opened_at, windows.ack),
        # An update from before a reopening does not count for the new stretch of work.
        update_due_at=_after(max(last_update_at or opened_at, opened_at), windows.update),
        resolve_due_at=_after(opened_at, windows.resolve),
    )


def after_breach(
    policy: SlaPolicy,
    severity: Severity,
    clocks: SlaClocks,
    kind: ClockKind,
    now: datetime,
    *,
    service: str | None = None,
) -> SlaClocks:
    """Ack and update reminders repeat every window; the resolve target is noticed once."""
    if kind is ClockKind.RESOLVE:
        return clocks.with_due(kind, None)
    return clocks.with_due(kind, _after(now, policy.for_severity(severity, service).window(kind)))


def snoozed(clocks: SlaClocks, until: datetime) -> SlaClocks:
    """Hold every reminder that would fire before ``until`` back to ``until``."""
    result = clocks
    for kind, due in clocks.running():
        if due < until:
            result = result.with_due(kind, until)
    return result


def next_card_change(deadlines: SlaClocks, snoozed_until: datetime | None, after: datetime) -> datetime | None:
    """The first moment after ``after`` when an SLA field reads differently with nothing else
    happening: a deadline becomes overdue, or a snooze ends."""
    moments = [due for _, due in deadlines.running()]
    if snoozed_until is not None:
        moments.append(snoozed_until)
    return min((when for when in moments if when > after), default=None)


def format_duration(span: timedelta) -> str:
    """Round a span for people: ``45 s``, ``4 min``, ``2 h 5 min``, ``3 d 4 h``."""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
