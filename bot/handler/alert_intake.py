"""Alerts in (SPEC §11): a notification from monitoring, routed, grouped and recorded in one
transaction, like any other change: events, projection, outbox rows and its idempotency key, and
the rows of the alerts it named (only those are read and written: storage.incident_alerts).

Where it goes: the open incident its group joined; else an open incident alerts declared for its
service within ``[alerts] window`` (clustering by service and time); else, if an alert fires, a new
incident in the route's channel. The group's row is locked first (storage.alert_groups), so the
notifications of one group are taken one at a time and two of a new group declare one incident.
Repeats of what an incident already knows (a resend, an HA pair's twin) write nothing but the key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.exc import DBAPIError

from bot.handler.runner import Change, CommandRunner, Effects
from bot.handler.service import Waker
from bot.runtime.clock import Clock
from domain.alerts import NO_ALERTS, AlertNotification, AlertRouting, AlertStatus, Routed, route
from domain.commands import Declare, RecordAlerts
from domain.decide import decide
from domain.errors import NothingToChange
from domain.events import Event
from domain.evolve import replay
from domain.incident import Incident, IncidentRef, IncidentState, Undeclared
from domain.text import SERVICE_MAX, TITLE_MAX
from storage.event_store import numbered
from storage.lock_waits import Busy, lock_not_available
from storage.stored import BatchWrites, StoredIncident
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

ACTOR_MAX = 32  # the events' actor column


@dataclass(frozen=True)
class IntakeResult:
    """Which incidents (numbers) a notification declared or changed; both empty when it changed
    nothing; ``duplicate`` when its key was taken already (nothing was even looked at)."""

    declared: tuple[int, ...] = ()
    updated: tuple[int, ...] = ()
    duplicate: bool = False


class AlertsNotReady(Exception):
    """Alerts cannot be placed yet (Slack has not said which workspace the bot is in): nothing was
    stored, and the sender should try again (Alertmanager retries a 503)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AlertIntake:
    def __init__(
        self,
        runner: CommandRunner,
        effects: Effects,
        clock: Clock,
        waker: Waker,
        *,
        routing: AlertRouting,
        workspace: Callable[[], str | None],
    ) -> None:
        self._runner = runner
        self._effects = effects
        self._clock = clock
        self._waker = waker
        self._routing = routing
        self._workspace = workspace

    async def take(self, notification: AlertNotification, *, key: str) -> IntakeResult:
        """Record ``notification`` once per ``key``; raises storage's errors (the database is down)
        unchanged, :class:`AlertsNotReady`, or :class:`~storage.lock_waits.Busy` when its group or
        incident stayed locked by another transaction for all of lock_timeout."""
        workspace_id = self._workspace()
        if not workspace_id:
            raise AlertsNotReady("Slack has not yet said which workspace this bot is in; send the alerts again soon.")
        try:
            async with self._runner.unit_of_work() as uow:
                result = await self._take(uow, workspace_id, notification, key)
        except DBAPIError as error:
            if lock_not_available(error):
                raise Busy("Another notification of this alert group has not finished; send it again.") from error
            raise
        if result.declared or result.updated:
            self._waker.wake()
        return result

    async def _take(
        self, uow: UnitOfWork, workspace_id: str, notification: AlertNotification, key: str
    ) -> IntakeResult:
        now = self._clock.now()
        if not await uow.requests.claim(key, now):
            return IntakeResult(duplicate=True)
        group_key = notification.group_key
        stored = await uow.alert_groups.lock(workspace_id, group_key)
        routed = route(self._routing, notification)
        firing = any(signal.status is AlertStatus.FIRING for signal in notification.alerts)
        if stored is None and firing and routed.service:
            since = now - self._routing.window
            stored = await uow.alert_groups.recent_of_service(workspace_id, routed.service, since)
        record = RecordAlerts(
            actor=notification.source[:ACTOR_MAX],
            group_key=group_key,
            signals=notification.alerts,
            escalate_at=self._routing.escalate_at,
            auto_resolve=self._routing.auto_resolve,
        )
        if stored is not None:
            changed = await self._record(uow, stored, record)
            if changed is None:
                return IntakeResult()
            await uow.alert_groups.join(workspace_id, group_key, stored.id)
            return IntakeResult(updated=(stored.incident.ref.number,))
        if not firing:
            return IntakeResult()  # only resolutions, for no open incident: a person resolved it already
        if routed.channel is None:
            log.warning(
                "firing alerts matched no [[alerts.routes]] with a channel, and [alerts] channel is not set",
                extra={"source": notification.source, "alerts": len(notification.alerts)},
            )
            return IntakeResult()
        incident_id, number = await self._declare(uow, workspace_id, notification, routed, record)
        await uow.alert_groups.join(workspace_id, group_key, incident_id)
        return IntakeResult(declared=(number,))

    async def _record(self, uow: UnitOfWork, stored: StoredIncident, record: RecordAlerts) -> Change | None:
        stored = await uow.incident_alerts.holding(stored, (signal.fingerprint for signal in record.signals))
        before = stored.incident
        now = self._clock.now()
        try:
            events = self._decide(before, record)
        except NothingToChange:
            return None
        change = _change(stored.id, before, _fold(before, events), events, stored)
        writes = BatchWrites(
            projections=[(stored.id, before, change.after)],
            timelines=[(stored.id, change.events)],
            messages=[(self._effects(change), stored.id)],
        )
        await uow.write(writes, now)
        await uow.incident_alerts.save(stored.id, before.alerts, change.after.alerts, now)
        return change

    async def _declare(
        self, uow: UnitOfWork, workspace_id: str, notification: AlertNotification, routed: Routed, record: RecordAlerts
    ) -> tuple[int, int]:
        assert routed.channel is not None
        now = self._clock.now()
        state = Undeclared(IncidentRef(workspace_id, await uow.counters.next_number(workspace_id)))
        declare = Declare(
            actor=record.actor,
            title=_title(notification, routed),
            severity=routed.severity,
            channel_id=routed.channel,
            service=routed.service[:SERVICE_MAX] if routed.service else None,
        )
        declared = self._decide(state, declare)
        events = declared + self._decide(replay(state, declared), record)
        after = _fold(state, events)
        incident_id = await uow.incidents.insert(after, now)
        await uow.incident_alerts.save(incident_id, NO_ALERTS, after.alerts, now)
        change = _change(incident_id, state, after, events, None)
        await uow.events.insert([(incident_id, change.events)])
        await uow.outbox.add(self._effects(change), incident_id, now)
        return incident_id, state.ref.number

    def _decide(self, state: IncidentState, command: Declare | RecordAlerts) -> list[Event]:
        runner = self._runner
        return decide(state, command, self._clock.now(), runner.policy, runner.postmortem)


def _fold(before: IncidentState, events: Sequence[Event]) -> Incident:
    after = replay(before, events)
    assert isinstance(after, Incident), "recorded alerts always leave a declared incident"
    return after


def _change(
    incident_id: int, before: IncidentState, after: Incident, events: Sequence[Event], stored: StoredIncident | None
) -> Change:
    version = before.version if isinstance(before, Incident) else 0
    card_ts, home_ts = (stored.card_ts, stored.home_ts) if stored else (None, None)
    return Change(incident_id, before, after, tuple(numbered(version, events)), card_ts, home_ts)


def _title(notification: AlertNotification, routed: Routed) -> str:
    """``HighLatency (payments)``: the first firing alert's summary, and the service."""
    firing = [signal for signal in notification.alerts if signal.status is AlertStatus.FIRING]
    summary = " ".join(firing[0].summary.split()) if firing else ""
    title = f"{summary or 'alert'} ({routed.service})" if routed.service else summary or "alert"
    return title[:TITLE_MAX]


ALERT_INTAKE = web.AppKey("alert_intake", AlertIntake)
