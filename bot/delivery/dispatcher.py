"""Delivers the outbox to Slack: woken right after each commit, and sweeping for anything left over.

Each incident's rows go out one after another, in the order they were written, so its thread reads
in order, except its card edits, which go ahead of queued thread messages (see bot.delivery.units).
Different incidents go out side by side, each lane at its own pace: a round is not waited for, so
one slow Slack call holds up its own incident only. A row Slack refused for now is retried with
backoff (or after Slack's Retry-After) and holds back the rest of its incident until then.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext, suppress
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import outbox_messages as kinds
from bot.delivery.outcomes import PermanentFailure, RetryLater
from bot.delivery.pacing import CardEditSpacing
from bot.delivery.recording import until_recorded
from bot.delivery.units import CARD_EDITS_OVERTAKE, coalesce_key, delivery_lanes, delivery_units
from bot.runtime.clock import Clock
from bot.runtime.metrics import DELIVERIES
from storage.availability import log_failure
from storage.outbox import settled_in_one_statement
from storage.stored import PendingDelivery, Settlement
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0
# Rows claimed per round. Enough that under load each incident's queued audit lines come in the
# same claim, and so go out merged, instead of a hundred claims of one line from each incident.
CLAIM_BATCH = 500
# Shutdown waits this long for sends in flight (Slack's client timeout is longer).
STOP_TIMEOUT_SECONDS = 5.0
# The least time between two claims (see Dispatcher._run).
CLAIM_INTERVAL_SECONDS = 0.015
# Card edits sent at once. Each holds a pooled database connection (its lock) while it is sent, so
# they stay well inside the pool. Other lanes hold no connection while they wait for Slack: they
# are bounded where they call it, after their channel's pace (see SlackSender), so a lane waiting
# its turn in a busy channel holds up no other channel's.
PARALLEL_LANES = 8
# The least time between two edits of one card (see bot.delivery.pacing.CardEditSpacing).
CARD_EDIT_SPACING_SECONDS = 1.0
_CARD_KINDS = frozenset({kinds.POST_CARD, kinds.REFRESH_CARD})
# What only goes to Slack: delivering it never queues anything more.
_SLACK_KINDS = frozenset(
    {
        kinds.POST_CARD,
        kinds.REFRESH_CARD,
        kinds.THREAD_MESSAGE,
        kinds.EPHEMERAL,
        kinds.RESPOND,
        kinds.CHANNEL_MESSAGE,
        kinds.EDIT_MESSAGE,
        kinds.DIRECT_MESSAGE,
        kinds.REACTION,
    }
)
# Told of a row Slack refused for good before it is settled, to record what that means (a refused
# card goes on the incident's timeline); if it raises, the row is tried again later.
FailureHandler = Callable[[PendingDelivery, PermanentFailure], Awaitable[None]]


class Sender(Protocol):
    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None: ...

    def lock_card(self, incident_id: int) -> AbstractAsyncContextManager[None]: ...


def backoff(attempts: int) -> float:
    """1 s, 2 s, 4 s … capped at five minutes, with jitter so replicas do not retry in step."""
    # The exponent is bounded too: 2.0 ** 1024 overflows, and a row may be retried for days.
    base = min(MAX_BACKOFF_SECONDS, 2.0 ** min(max(0, attempts - 1), 32))
    return base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


class Settler:
    """Records deliveries in shared transactions (a group commit).

    A delivery waits until its row is recorded as settled, as before; but deliveries that finish
    while a write is in flight are recorded together by the next one, so under load several rows
    cost one transaction instead of one each. Alone, a delivery is written at once.
    """

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._waiting: list[tuple[Settlement, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def settle(self, settlement: Settlement) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((settlement, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="outbox-settler")
        await future

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            await self._record(batch)
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def _record(self, batch: list[tuple[Settlement, asyncio.Future[None]]]) -> None:
        """Slack already has these messages: recording that is retried until the database answers.

        Giving up would leave the rows leased, and when the lease ran out they would be sent again.
        """

        settlements = [settlement for settlement, _ in batch]

        async def write() -> None:
            async with UnitOfWork(self._engine, autocommit=settled_in_one_statement(settlements)) as uow:
                await uow.outbox.settle_delivered(settlements, self._clock.now())

        await until_recorded(write, "deliveries", {"rows": len(batch)})

    async def drain(self) -> None:
        if self._writer is not None:
            with suppress(Exception):
                await self._writer


class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        sender: Sender,
        clock: Clock,
        *,
        batch_size: int = CLAIM_BATCH,
        sweep_interval: float = 1.0,
        lease: timedelta = timedelta(seconds=60),
        parallel_lanes: int = PARALLEL_LANES,
        card_edit_spacing: float = CARD_EDIT_SPACING_SECONDS,
        background_kinds: frozenset[str] = frozenset(),
        on_failure: FailureHandler | None = None,
    ) -> None:
        self._engine = engine
        self._on_failure = on_failure
        # Slow jobs (drafting with an AI) run beside the sweeps instead of inside one, so a
        # reminder or a card edit never waits for a model to answer. Their lease outlasts them.
        self._background_kinds = background_kinds
        self._background: set[asyncio.Task[bool]] = set()
        self._sender = sender
        self._clock = clock
        self._batch_size = batch_size
        self._sweep_interval = sweep_interval
        self._lease = lease
        self._parallel_edits = asyncio.Semaphore(parallel_lanes)
        self._card_edits = CardEditSpacing(card_edit_spacing)
        # Lanes under way (see bot.delivery.units): each goes at its own pace, so one slow Slack call
        # holds up its own incident only, while the next rounds are claimed and started beside it.
        self._lanes: set[asyncio.Task[None]] = set()
        self._claims = 0  # claims made so far: a lane that ends after another claim wakes the next
        self._last_claim = 0.0
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._settler = Settler(engine, clock)
        self._queued_more = False

    def wake(self) -> None:
        """Deliver now: called right after a commit that wrote outbox rows."""
        self._wakeup.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="outbox-dispatcher")

    async def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:  # noqa: ASYNC109
        """Finish the batch in flight, then stop; what is left waits in the outbox for the next start.

        A batch stuck on Slack (a send waits out the client timeout) is cut off after ``timeout``
        so that shutdown stays prompt; its rows go out after their lease, from whichever process
        is running then.
        """
        self._stopping = True
        self._wakeup.set()
        task, self._task = self._task, None
        if task is None:
            return
        pending = {task, *self._background, *self._lanes}
        _, unfinished = await asyncio.wait(pending, timeout=timeout)
        if unfinished:
            log.warning("outbox delivery still in flight at shutdown; it resumes on the next start")
            for left in unfinished:
                left.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
        await self._settler.drain()

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before the sweep, so a commit that lands during it wakes the next one at once.
            self._wakeup.clear()
            try:
                claimed, _ = await self._claim_and_start()
            except Exception as error:
                log_failure(log, "outbox sweep failed; retrying", error)
                claimed = 0
            # Look again at once when the batch was full, or when it held work that may have queued
            # more (a drafting job records its draft). Messages to Slack queue nothing: after them,
            # an empty claim would only cost a transaction, and any commit meanwhile has woken us.
            if claimed >= self._batch_size or self._queued_more or self._stopping:
                continue
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._sweep_interval)
            # Under load commits come every few milliseconds: claiming after each would cost a
            # transaction per commit and split what could go out merged. At most one claim per
            # CLAIM_INTERVAL_SECONDS; a quiet bot, whose last claim is long past, claims at once.
            await asyncio.sleep(max(0.0, self._last_claim + CLAIM_INTERVAL_SECONDS - time.monotonic()))

    async def deliver_due(self) -> int:
        """Claim one batch of due rows and deliver it all; returns how many rows were claimed."""
        claimed, lanes = await self._claim_and_start()
        await asyncio.gather(*lanes)
        return claimed

    async def _claim_and_start(self) -> tuple[int, list[asyncio.Task[None]]]:
        """Claim one batch of due rows and start delivering it, lane by lane; the rows claimed, and
        the lanes started."""
        # Each statement on its own: the claim's lease is what holds the rows, and their incidents
        # need not be read in the claim's snapshot. Two round trips fewer a claim.
        async with UnitOfWork(self._engine, autocommit=True) as uow:
            rows = await uow.outbox.claim_due(
                self._clock.now(), limit=self._batch_size, lease=self._lease, overtaking=CARD_EDITS_OVERTAKE
            )
            # Their incidents, all in one query: what a thread message needs (channel, thread) is
            # set once and never changes; cards are still rendered from a fresh read when sent.
            incidents = await uow.incidents.get_many([r.incident_id for r in rows if r.incident_id is not None])
        rows = [replace(r, incident=incidents.get(r.incident_id)) if r.incident_id is not None else r for r in rows]
        self._queued_more = any(row.kind not in _SLACK_KINDS for row in rows)
        self._claims += 1
        self._last_claim = time.monotonic()
        for job in (row for row in rows if row.kind in self._background_kinds):
            task = asyncio.create_task(self._deliver(job), name=f"outbox-job-{job.id}")
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            task.add_done_callback(lambda _: self.wake())  # a finished job usually queued messages
        claimed = len(rows)
        rows = [row for row in rows if row.kind not in self._background_kinds]
        return claimed, [self._start_lane(lane) for lane in delivery_lanes(rows)]

    def _start_lane(self, rows: list[PendingDelivery]) -> asyncio.Task[None]:
        task = asyncio.create_task(self._deliver_in_order(rows, self._claims), name=f"outbox-lane-{rows[0].id}")
        self._lanes.add(task)
        task.add_done_callback(self._lanes.discard)
        return task

    async def _deliver_in_order(self, rows: list[PendingDelivery], claim: int) -> None:
        try:
            await self._deliver_lane(rows)
        finally:
            # A claim made while this lane was under way left its incident's later rows behind
            # (they wait for these): look again now that they can go.
            if self._claims != claim:
                self.wake()

    async def _deliver_lane(self, rows: list[PendingDelivery]) -> None:
        edits = rows[0].kind == kinds.REFRESH_CARD  # a lane of card edits holds nothing else
        places = self._parallel_edits if edits else None
        if edits and rows[0].incident_id is not None and await self._card_edits.turn(rows[0].incident_id):
            # The incident loaded with the claim is a second old: the sender reads it afresh.
            rows = [replace(row, incident=None) for row in rows]
        units = delivery_units(rows)
        for index, (row, absorbed) in enumerate(units):
            if await self._deliver(row, absorbed, places):
                continue
            if row.incident_id is not None:
                # The rest of this incident waits behind the row that failed. They were claimed but
                # not tried: hand them back at once (not when their lease runs out), and the claim
                # does not count as an attempt.
                later = [r.id for lead, merged in units[index + 1 :] for r in (lead, *merged)]
                untried = [a.id for a in absorbed] + later
                if untried:
                    async with UnitOfWork(self._engine) as uow:
                        await uow.outbox.release(untried, self._clock.now())
                return

    async def _deliver(
        self,
        row: PendingDelivery,
        absorbed: Sequence[PendingDelivery] = (),
        places: AbstractAsyncContextManager[Any] | None = None,
    ) -> bool:
        """Send one row and settle it with the rows it stands for; False if it is to be retried later.

        The send takes one of ``places``, if given; settling it does not, so the next lane's send
        goes while this one's is written down (the settler writes many together).
        A card refresh with a newer one claimed with it never gets here (see
        :func:`collapse_refreshes`); one committed after the claim is sent after it, and the sender
        skips it if the card already shows that version.
        """
        context = {"delivery_id": row.id, "kind": row.kind, "incident_id": row.incident_id, "attempt": row.attempts}
        try:
            async with places or nullcontext():
                result = await self._send(row)
        except RetryLater as retry:
            await self._retry(row, retry.error, retry.delay, context)
            return False
        except PermanentFailure as failure:
            log.error("delivery failed for good", extra=context | {"error": failure.error})
            if not await self._handle_failure(row, failure, context):
                return False
            DELIVERIES.labels(kind=row.kind, result="failed").inc()
            async with UnitOfWork(self._engine) as uow:
                await uow.outbox.mark_failed([row.id, *(a.id for a in absorbed)], self._clock.now(), failure.error)
            return True
        except Exception as error:  # a bug in a sender must not stall the outbox
            log.exception("delivery raised unexpectedly", extra=context)
            await self._retry(row, f"{type(error).__name__}: {error}", None, context)
            return False
        if row.kind == kinds.REFRESH_CARD and row.incident_id is not None and not (result or {}).get("skipped"):
            self._card_edits.edited(row.incident_id)
        await self._settler.settle(Settlement(row.id, result, [a.id for a in absorbed], coalesce_key(row)))
        DELIVERIES.labels(kind=row.kind, result="delivered").inc()
        log.info("delivered", extra=context)
        return True

    async def _send(self, row: PendingDelivery) -> Mapping[str, Any] | None:
        if row.kind in _CARD_KINDS and row.incident_id is not None:
            async with self._sender.lock_card(row.incident_id):
                return await self._sender.send(row)
        return await self._sender.send(row)

    async def _handle_failure(self, row: PendingDelivery, failure: PermanentFailure, context: dict[str, Any]) -> bool:
        """Tell the failure handler; False if it could not be told, and the row is to be retried."""
        if self._on_failure is None:
            return True
        try:
            await self._on_failure(row, failure)
        except Exception as error:
            log.exception("could not record a delivery that failed for good", extra=context)
            await self._retry(row, f"{failure.error}; not recorded: {type(error).__name__}", None, context)
            return False
        self.wake()  # what it recorded may have queued messages (the person to tell)
        return True

    async def _retry(self, row: PendingDelivery, error: str, delay: float | None, context: dict[str, Any]) -> None:
        DELIVERIES.labels(kind=row.kind, result="retried").inc()
        wait = delay if delay is not None else backoff(row.attempts)
        retry_at = self._clock.now() + timedelta(seconds=wait)
        log.warning("delivery will be retried", extra=context | {"error": error, "retry_in_s": round(wait, 2)})
        async with UnitOfWork(self._engine) as uow:
            await uow.outbox.mark_retry(row.id, retry_at, error)
            if row.incident_id is not None:
                await uow.outbox.hold_incident(row.incident_id, retry_at)
