"""Alerts in through AlertIntake (SPEC §11), on both stores: a new group declares, its later
notifications add to its incident, another group of the service is absorbed within the window (and
only within it), repeats write nothing, each key is taken once, and two notifications of one new
group at the same moment declare one incident."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery.effects import SlackEffects
from bot.delivery.outbox_messages import POST_CARD, REFRESH_CARD, THREAD_MESSAGE
from bot.handler.alert_intake import AlertIntake, AlertsNotReady, IntakeResult
from bot.handler.runner import CommandRunner
from bot.runtime.clock import MutableClock
from domain.alerts import AlertNotification, AlertRoute, AlertRouting
from domain.incident import Incident, IncidentRef
from domain.lifecycle import Status
from domain.severity import Severity
from storage.schema import incidents, outbox
from tests.bot.middle.support import CountingWaker
from tests.builders import RESOLVED, T0, alert, alert_notification
from tests.storage.helpers import count_rows, replayed

ALERTS_CHANNEL = "C0ALERTS"
ROUTING = AlertRouting(
    channel=ALERTS_CHANNEL,
    routes=(AlertRoute(match=(("team", "payments"),), service="payments", channel="C0PAYMENTS"),),
)


class Intake:
    """An AlertIntake on the test's store and workspace, on a clock that moves when told."""

    def __init__(self, engine: AsyncEngine, workspace: str, routing: AlertRouting = ROUTING) -> None:
        self.engine = engine
        self.workspace = workspace
        self.clock = MutableClock(T0)
        self.waker = CountingWaker()
        self.intake = AlertIntake(
            CommandRunner(engine), SlackEffects(), self.clock, self.waker, routing=routing, workspace=lambda: workspace
        )
        self._keys = 0

    async def take(self, notification: AlertNotification, key: str | None = None) -> IntakeResult:
        self._keys += 1
        return await self.intake.take(notification, key=key or f"{self.workspace}:{self._keys}")

    async def incident(self, number: int) -> Incident:
        projected, folded = await replayed(self.engine, IncidentRef(self.workspace, number))
        assert projected == folded
        return projected

    async def queued(self, number: int) -> list[tuple[str, dict[str, Any]]]:
        async with self.engine.connect() as connection:
            incident_id = select(incidents.c.id).where(
                incidents.c.workspace_id == self.workspace, incidents.c.number == number
            )
            rows = await connection.execute(
                select(outbox.c.kind, outbox.c.payload)
                .where(outbox.c.incident_id == incident_id.scalar_subquery())
                .order_by(outbox.c.id)
            )
            return [(row.kind, dict(row.payload)) for row in rows]

    async def counts(self, number: int) -> dict[str, int]:
        async with self.engine.connect() as connection:
            query = select(incidents.c.id).where(
                incidents.c.workspace_id == self.workspace, incidents.c.number == number
            )
            incident_id = (await connection.execute(query)).scalar_one()
        return await count_rows(self.engine, incident_id)


def payments(*fingerprints: str, group_key: str = "payments-latency") -> AlertNotification:
    return alert_notification(
        *(alert(fp, team="payments", severity="critical") for fp in fingerprints), group_key=group_key
    )


async def test_a_new_group_declares_in_its_route_channel_and_later_notifications_add(
    engine: AsyncEngine, workspace: str
) -> None:
    intake = Intake(engine, workspace)
    assert await intake.take(payments("fp1", "fp2")) == IntakeResult(declared=(1,))
    incident = await intake.incident(1)
    assert (incident.title, incident.service, incident.channel_id) == (
        "HighLatency (payments)",
        "payments",
        "C0PAYMENTS",
    )
    assert (incident.severity, incident.reporter, incident.status) == (Severity.SEV1, "alertmanager", Status.DECLARED)
    assert (incident.alerts.firing, incident.alerts.resolved) == (2, 0)
    # The SLA clocks run as for any incident.
    assert incident.clocks.ack_due_at == T0 + timedelta(minutes=5)
    kinds = [kind for kind, _ in await intake.queued(1)]
    assert kinds == [POST_CARD, THREAD_MESSAGE]
    assert (await intake.queued(1))[1][1]["text"] == "🔔 2 alerts firing: HighLatency ×2"

    intake.clock.advance(minutes=1)
    assert await intake.take(payments("fp1", "fp3")) == IntakeResult(updated=(1,))
    assert (await intake.incident(1)).alerts.firing == 3
    assert intake.waker.wakes == 2


async def test_repeats_write_nothing_and_a_key_is_taken_once(engine: AsyncEngine, workspace: str) -> None:
    intake = Intake(engine, workspace)
    await intake.take(payments("fp1"), key=f"{workspace}:same")
    before = await intake.counts(1)
    assert await intake.take(payments("fp1"), key=f"{workspace}:same") == IntakeResult(duplicate=True)
    # An HA pair's twin, or Alertmanager's resend: another key, the same state.
    assert await intake.take(payments("fp1")) == IntakeResult()
    assert await intake.counts(1) == before
    assert intake.waker.wakes == 1


async def test_all_resolved_asks_once_with_the_resolve_button(engine: AsyncEngine, workspace: str) -> None:
    intake = Intake(engine, workspace)
    await intake.take(payments("fp1", "fp2"))
    await intake.take(alert_notification(alert("fp1", RESOLVED), alert("fp2", RESOLVED), group_key="payments-latency"))
    await intake.take(alert_notification(alert("fp1", RESOLVED), group_key="payments-latency"))
    incident = await intake.incident(1)
    assert (incident.alerts.firing, incident.alerts.resolved, incident.status) == (0, 2, Status.DECLARED)
    queued = await intake.queued(1)
    asked = [payload for kind, payload in queued if payload.get("text") == "All alerts resolved — resolve INC-1?"]
    assert len(asked) == 1
    assert [kind for kind, _ in queued[2:]] == [REFRESH_CARD, THREAD_MESSAGE, THREAD_MESSAGE]
    # Only resolutions for a group with no open incident: nothing is declared.
    assert await intake.take(alert_notification(alert("fp7", RESOLVED), group_key="other")) == IntakeResult()


async def test_another_group_of_the_service_is_absorbed_within_the_window_only(
    engine: AsyncEngine, workspace: str
) -> None:
    intake = Intake(engine, workspace)
    await intake.take(payments("fp1", group_key="latency"))
    intake.clock.advance(minutes=30)  # the window's last moment: still absorbed
    assert await intake.take(payments("fp2", group_key="errors")) == IntakeResult(updated=(1,))
    assert (await intake.incident(1)).alerts.groups == ("latency", "errors")
    intake.clock.advance(seconds=1)
    assert await intake.take(payments("fp3", group_key="saturation")) == IntakeResult(declared=(2,))
    # A group that joined an incident keeps going to it, past the window too.
    intake.clock.advance(hours=2)
    assert await intake.take(payments("fp4", group_key="errors")) == IntakeResult(updated=(1,))
    # Another service is another incident, in the default channel.
    other = alert_notification(alert("fp5", service="search"), group_key="search")
    assert await intake.take(other) == IntakeResult(declared=(3,))
    assert (await intake.incident(3)).channel_id == ALERTS_CHANNEL


async def test_a_group_whose_incident_was_resolved_declares_again(engine: AsyncEngine, workspace: str) -> None:
    intake = Intake(engine, workspace, AlertRouting(channel=ALERTS_CHANNEL, auto_resolve=True))
    await intake.take(payments("fp1"))
    await intake.take(alert_notification(alert("fp1", RESOLVED), group_key="payments-latency"))
    resolved = await intake.incident(1)
    assert (resolved.status, resolved.acknowledged_by) == (Status.RESOLVED, "system")
    assert await intake.take(payments("fp1")) == IntakeResult(declared=(2,))


async def test_two_notifications_of_one_new_group_at_once_declare_one_incident(
    engine: AsyncEngine, workspace: str
) -> None:
    intake = Intake(engine, workspace)
    results = await asyncio.gather(*(intake.take(payments("fp1", f"fp{n}")) for n in range(2, 10)))
    assert sorted(result.declared for result in results) == [()] * 7 + [(1,)]
    incident = await intake.incident(1)
    assert incident.alerts.firing == 9
    async with engine.connect() as connection:
        count = select(incidents.c.id).where(incidents.c.workspace_id == workspace)
        assert len((await connection.execute(count)).all()) == 1


async def test_nothing_is_taken_before_the_workspace_is_known(engine: AsyncEngine) -> None:
    intake = AlertIntake(
        CommandRunner(engine),
        SlackEffects(),
        MutableClock(T0),
        CountingWaker(),
        routing=ROUTING,
        workspace=lambda: None,
    )
    with pytest.raises(AlertsNotReady):
        await intake.take(payments("fp1"), key="unknown-workspace")


async def test_alerts_routed_to_no_channel_declare_nothing(engine: AsyncEngine, workspace: str) -> None:
    intake = Intake(engine, workspace, AlertRouting(routes=ROUTING.routes))
    assert await intake.take(alert_notification(alert("fp1", team="ads"), group_key="ads")) == IntakeResult()
    assert await intake.take(payments("fp1")) == IntakeResult(declared=(1,))
