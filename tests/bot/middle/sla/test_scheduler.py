"""SlaScheduler.tick and housekeeping, called directly (APScheduler only decides when): a due clock's
reminder is recorded exactly once, with its outbox rows, and old request keys are dropped."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import pytest

from bot.delivery import outbox_messages as out
from bot.sla.scheduler import KEEP_REQUEST_KEYS, SlaScheduler
from domain import commands as cmd
from domain.incident import IncidentRef
from domain.severity import Severity
from tests.bot.middle.support import BOB, WORKSPACE, Wired, origin
from tests.builders import CHANNEL, T0

ACK_DUE = T0 + timedelta(minutes=15)  # SEV2's ack window in the default policy


def scheduler(wired: Wired, batch_size: int = 200, tick: timedelta = timedelta(seconds=5)) -> SlaScheduler:
    return SlaScheduler(wired.runner, wired.effects, wired.clock, wired.waker, tick=tick, batch_size=batch_size)


async def test_a_tick_with_nothing_due_records_nothing_and_wakes_nobody(wired: Wired) -> None:
    await wired.declare(severity=Severity.SEV2)
    wakes, queued = wired.waker.wakes, await wired.queued()
    wired.clock.set(ACK_DUE - timedelta(seconds=1))

    assert await scheduler(wired).tick() == 0

    assert await wired.event_types(1) == ["declared"]
    assert await wired.queued() == queued
    assert wired.waker.wakes == wakes


async def test_a_due_clock_is_reminded_of_once_however_often_the_scheduler_ticks(wired: Wired) -> None:
    await wired.declare(severity=Severity.SEV2)
    before = len(await wired.queued())
    wakes = wired.waker.wakes
    wired.clock.set(ACK_DUE + timedelta(seconds=2))

    assert await scheduler(wired).tick() == 1
    assert await scheduler(wired).tick() == 0  # another replica, or the next tick
    assert await scheduler(wired).tick() == 0

    assert await wired.event_types(1) == ["declared", "sla_breached", "reminder_sent"]
    refresh, reminder = (await wired.queued())[before:]
    assert refresh.kind == out.REFRESH_CARD  # the card shows the SLA, which the breach moved on
    assert (reminder.kind, reminder.payload["text"]) == (out.THREAD_MESSAGE, "INC-1 is not acknowledged yet")
    assert wired.waker.wakes == wakes + 1


async def test_a_tick_works_through_every_due_incident_a_batch_at_a_time(wired: Wired) -> None:
    for n in range(5):
        await wired.declare(f"Incident {n}", Severity.SEV2)
    wakes = wired.waker.wakes
    wired.clock.set(ACK_DUE)

    assert await scheduler(wired, batch_size=2).tick() == 5

    for number in range(1, 6):
        assert (await wired.event_types(number))[1:] == ["sla_breached", "reminder_sent"]
    assert wired.waker.wakes == wakes + 3  # batches of 2, 2 and 1


async def test_an_incident_resolved_before_its_clock_came_due_is_not_reminded_of(wired: Wired) -> None:
    await wired.declare(severity=Severity.SEV2)
    await wired.service.apply(origin(BOB), IncidentRef(WORKSPACE, 1), cmd.Resolve(actor=BOB))
    wired.clock.set(T0 + timedelta(days=2))

    assert await scheduler(wired).tick() == 0

    assert "sla_breached" not in await wired.event_types(1)


async def test_housekeeping_drops_request_keys_past_slack_s_retry_window_only(wired: Wired) -> None:
    reply = out.ephemeral(CHANNEL, BOB, "hello")
    await wired.service.queue([reply], "old:reply")
    wired.clock.advance(seconds=KEEP_REQUEST_KEYS.total_seconds())
    await wired.service.queue([reply], "recent:reply")
    wired.clock.advance(seconds=1)

    assert await scheduler(wired).housekeep() == 1

    assert await wired.service.queue([reply], "old:reply")  # forgotten: a new request may use it
    assert not await wired.service.queue([reply], "recent:reply")


async def test_a_routine_tick_or_housekeeping_logs_at_debug(wired: Wired, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.sla.scheduler")
    await wired.declare(severity=Severity.SEV2)
    quiet = scheduler(wired)

    await quiet._scheduled_tick()
    await quiet._scheduled_housekeeping()

    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.DEBUG, "SLA tick: nothing due"),
        (logging.DEBUG, "housekeeping done"),
    ]


async def test_a_tick_that_recorded_reminders_logs_at_info(wired: Wired, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.sla.scheduler")
    await wired.declare(severity=Severity.SEV2)
    wired.clock.set(ACK_DUE)

    await scheduler(wired)._scheduled_tick()

    [record] = caplog.records
    assert (record.levelno, record.getMessage(), record.__dict__["incidents"]) == (
        logging.INFO,
        "SLA tick recorded reminders",
        1,
    )


async def test_a_deadline_passing_while_its_reminder_is_snoozed_edits_the_card_once(wired: Wired) -> None:
    """The card must say "ack overdue since …" at the deadline even though the reminder waits."""
    await wired.declare(severity=Severity.SEV2)
    snooze = cmd.Snooze(actor=BOB, duration=timedelta(minutes=30))
    await wired.service.apply(origin(BOB), IncidentRef(WORKSPACE, 1), snooze)
    before = len(await wired.queued())
    wakes = wired.waker.wakes
    wired.clock.set(ACK_DUE + timedelta(seconds=1))

    assert await scheduler(wired).tick() == 0, "no reminder while snoozed"
    assert await scheduler(wired).tick() == 0  # another replica, or the next tick
    wired.clock.set(ACK_DUE + timedelta(minutes=1))
    assert await scheduler(wired).tick() == 0

    assert (await wired.event_types(1))[-1:] == ["card_clock_passed"]
    assert (await wired.event_types(1)).count("card_clock_passed") == 1, "once per passing"
    assert [message.kind for message in (await wired.queued())[before:]] == [out.REFRESH_CARD]
    assert wired.waker.wakes == wakes + 1
    incident = await wired.incident(1)
    assert incident.deadlines.ack_due_at == ACK_DUE, "the deadline does not move"
    assert incident.clocks.ack_due_at == T0 + timedelta(minutes=30), "the reminder still waits for the snooze"


async def test_at_start_it_ticks_at_once_even_if_late_and_says_when_that_tick_is_over(wired: Wired) -> None:
    await wired.declare(severity=Severity.SEV2)
    wired.clock.set(ACK_DUE)  # came due while no replica ran
    started = scheduler(wired, tick=timedelta(hours=1))  # no second tick to make up for a lost first

    started.start()
    # A busy start-up: the loop is not free for longer than APScheduler's grace for a late run.
    time.sleep(1.5)  # noqa: ASYNC251
    try:
        async with asyncio.timeout(10):
            await started.first_tick()
        assert await wired.event_types(1) == ["declared", "sla_breached", "reminder_sent"]
    finally:
        await started.stop()
