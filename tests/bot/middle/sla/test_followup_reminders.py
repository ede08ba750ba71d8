"""An overdue open follow-up's one reminder (SPEC §10, on §5's rules): recorded by the scheduler
tick with its thread message in one transaction, after the incident is closed too, and never for
a follow-up that is done or has no due date."""

from __future__ import annotations

from datetime import timedelta

from bot.delivery import outbox_messages as out
from domain import commands as cmd
from domain import events as ev
from domain.incident import IncidentRef
from domain.severity import Severity
from tests.bot.middle.sla.test_scheduler import scheduler
from tests.bot.middle.support import ALICE, BOB, WORKSPACE, Wired, origin
from tests.builders import T0

INC_1 = IncidentRef(WORKSPACE, 1)
ADDED = T0 + timedelta(minutes=30)
DUE = ADDED + timedelta(days=3)


async def _closed_with_followups(wired: Wired, *followups: cmd.AddFollowUp) -> None:
    await wired.declare(severity=Severity.SEV2)
    wired.clock.set(T0 + timedelta(minutes=10))
    await wired.service.apply(origin(ALICE), INC_1, cmd.Resolve(actor=ALICE))
    await wired.service.apply(origin(ALICE), INC_1, cmd.Close(actor=ALICE))
    wired.clock.set(ADDED)
    for followup in followups:
        await wired.service.apply(origin(ALICE), INC_1, followup)


async def test_an_overdue_follow_up_of_a_closed_incident_is_reminded_once_mentioning_its_owner(wired: Wired) -> None:
    await _closed_with_followups(
        wired, cmd.AddFollowUp(actor=ALICE, text="Alert on queue depth", owner=BOB, due=timedelta(days=3))
    )
    before = len(await wired.queued())
    wired.clock.set(DUE - timedelta(seconds=1))
    assert await scheduler(wired).tick() == 0

    wired.clock.set(DUE + timedelta(seconds=3))
    assert await scheduler(wired).tick() == 1
    assert await scheduler(wired).tick() == 0  # the next tick, or another replica
    assert await scheduler(wired).tick() == 0

    assert (await wired.event_types(1))[-2:] == ["followup_added", "followup_reminded"]
    (reminder,) = (await wired.queued())[before:]  # no card edit: the card does not show follow-ups
    assert (reminder.kind, reminder.payload["text"]) == (out.THREAD_MESSAGE, "Follow-up #1 of INC-1 is overdue")
    assert f"<@{BOB}> *Follow-up #1 of INC-1 is overdue*" in reminder.payload["blocks"][0]["text"]["text"]
    assert (await wired.incident(1)).followups[0].reminded_at == DUE + timedelta(seconds=3)


async def test_done_and_undated_follow_ups_get_no_reminder(wired: Wired) -> None:
    await _closed_with_followups(
        wired,
        cmd.AddFollowUp(actor=ALICE, text="Alert on queue depth", due=timedelta(days=3)),
        cmd.AddFollowUp(actor=ALICE, text="Runbook for failover"),
    )
    await wired.service.apply(origin(BOB), INC_1, cmd.CompleteFollowUp(actor=BOB, number=1))
    wired.clock.set(DUE + timedelta(days=30))

    assert await scheduler(wired).tick() == 0
    assert "followup_reminded" not in await wired.event_types(1)


async def test_each_overdue_follow_up_gets_its_own_reminder(wired: Wired) -> None:
    await _closed_with_followups(
        wired,
        cmd.AddFollowUp(actor=ALICE, text="Alert on queue depth", due=timedelta(days=3)),
        cmd.AddFollowUp(actor=ALICE, text="Retry budget", owner=BOB, due=timedelta(days=1)),
    )
    wired.clock.set(ADDED + timedelta(days=1))
    assert await scheduler(wired).tick() == 1
    wired.clock.set(DUE)
    assert await scheduler(wired).tick() == 1

    reminded = [e.number for e in await wired.events(1) if isinstance(e, ev.FollowUpReminded)]
    assert reminded == [2, 1]
