"""The SLA scheduler (SPEC §5): APScheduler ticks; what is due is decided by Postgres.

Each tick claims due clocks with ``FOR UPDATE SKIP LOCKED`` and records the breach, the reminder
and any draft in the same transaction as the outbox rows that announce them. Replicas may tick at
the same moment: a clock is claimed by one of them, and once recorded it is no longer due.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.handler.runner import Change, CommandRunner, Effects
from bot.handler.service import Waker
from bot.runtime.clock import Clock
from bot.runtime.metrics import REMINDERS_SENT, SCHEDULER_TICK_DURATION
from bot.sla.planning import plan_reminders
from domain.events import Event, FollowUpReminded, ReminderSent
from storage.availability import log_failure

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 200
# Slack retries a request within minutes; a day is ample to recognise any retry.
KEEP_REQUEST_KEYS = timedelta(days=1)
# Keys dropped per transaction: a few milliseconds of work each, whatever the backlog.
PRUNE_CHUNK = 5_000


class SlaScheduler:
    def __init__(
        self,
        runner: CommandRunner,
        effects: Effects,
        clock: Clock,
        waker: Waker,
        *,
        tick: timedelta,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self._runner = runner
        self._effects = effects
        self._clock = clock
        self._waker = waker
        self._tick = tick
        self._batch_size = batch_size
        self._scheduler: AsyncIOScheduler | None = None
        self._ticking = asyncio.Lock()
        self._first_tick: asyncio.Task[None] | None = None

    async def tick(self) -> int:
        """Record everything due now (reminders, and card edits for clocks that passed while
        reminders were snoozed); returns how many incidents got a reminder."""
        total = 0
        while True:
            changes = await self._runner.sweep_due(
                now=self._clock.now(), limit=self._batch_size, plan=plan_reminders, effects=self._effects
            )
            if changes:
                self._waker.wake()
            # A card edited because a deadline passed during a snooze is not a reminder.
            total += sum(1 for change in changes if _reminded(change))
            for clock in (_clock_reminded(item.event) for change in changes for item in change.events):
                if clock is not None:
                    REMINDERS_SENT.labels(clock=clock).inc()
            if len(changes) < self._batch_size:
                return total

    def start(self) -> None:
        # APScheduler drops a run that starts more than its grace time late (a busy start-up, a
        # loaded machine): the first tick is this process's own task, and a late tick still runs.
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self._scheduled_tick,
            IntervalTrigger(seconds=self._tick.total_seconds(), timezone=UTC),
            id="sla-tick",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        scheduler.add_job(
            self._scheduled_housekeeping,
            IntervalTrigger(hours=1, timezone=UTC),
            id="housekeeping",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        scheduler.start()
        self._scheduler = scheduler
        self._first_tick = asyncio.create_task(self._scheduled_tick())
        log.info("SLA scheduler started", extra={"tick_s": self._tick.total_seconds()})

    async def first_tick(self) -> None:
        """Returns once the tick run at start (catching up on what came due while no replica ran) is
        over, done or failed: whoever writes incidents at times of their own (a test seeding its
        history) must not race a tick that reads them at the clock's time."""
        assert self._first_tick is not None, "the scheduler has not started"
        await asyncio.shield(self._first_tick)

    async def stop(self) -> None:
        """No new ticks; the one in flight (if any) finishes first."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self._first_tick is not None:
            await self._first_tick
        async with self._ticking:
            pass

    async def housekeep(self) -> int:
        """Drop idempotency keys past any Slack retry window, a transaction per chunk; returns how
        many were dropped."""
        before, dropped = self._clock.now() - KEEP_REQUEST_KEYS, 0
        while True:
            async with self._runner.unit_of_work() as uow:
                chunk = await uow.requests.prune(before, PRUNE_CHUNK)
            dropped += chunk
            if chunk < PRUNE_CHUNK:
                return dropped

    async def _scheduled_housekeeping(self) -> None:
        try:
            dropped = await self.housekeep()
        except Exception as error:
            log_failure(log, "housekeeping failed; the next run tries again", error)
            return
        # INFO only when something changed: an hourly "nothing to do" is noise to an operator.
        level = logging.INFO if dropped else logging.DEBUG
        log.log(level, "housekeeping done", extra={"request_keys_dropped": dropped})

    async def _scheduled_tick(self) -> None:
        async with self._ticking:
            try:
                with SCHEDULER_TICK_DURATION.time():
                    reminded = await self.tick()
            except Exception as error:
                log_failure(log, "SLA tick failed; the next tick tries again", error)
                return
            # A tick runs every few seconds; only one that recorded something is worth an INFO line.
            if reminded:
                log.info("SLA tick recorded reminders", extra={"incidents": reminded})
            else:
                log.debug("SLA tick: nothing due")


def _reminded(change: Change) -> bool:
    return any(_clock_reminded(item.event) is not None for item in change.events)


def _clock_reminded(event: Event) -> str | None:
    """The clock whose reminder ``event`` records (a follow-up's counts as the "followup" clock)."""
    if isinstance(event, ReminderSent):
        return event.kind.value
    return "followup" if isinstance(event, FollowUpReminded) else None
