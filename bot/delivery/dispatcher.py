"""Delivers the outbox to Slack: woken right after each commit, and sweeping for anything left over.

Each incident's rows go out one after another, in the order they were written, so its thread reads
in order; different incidents go out side by side. A row Slack refused for now is retried with
backoff (or after Slack's Retry-After) and holds back the rest of its incident until then.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager, suppress
from dataclasses import replace
from datetime import timedelta
from itertools import groupby
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.delivery import messages as kinds
from bot.delivery.outcomes import PermanentFailure, RetryLater
from storage.outbox import PendingDelivery
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0
# One Slack message holds 4,000 characters of text; merged audit lines stay well inside it.
MERGED_TEXT_MAX = 3000
# Shutdown waits this long for sends in flight (Slack's client timeout is longer).
STOP_TIMEOUT_SECONDS = 5.0
_CARD_KINDS = frozenset({kinds.POST_CARD, kinds.REFRESH_CARD})


class Sender(Protocol):
    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None: ...

    def lock_card(self, incident_id: int) -> AbstractAsyncContextManager[None]: ...


def _coalesce_key(row: PendingDelivery) -> str | None:
    """The key under which a row may be collapsed into a newer one: card refreshes only."""
    return row.coalesce_key if row.kind == kinds.REFRESH_CARD else None


def merge_audit_lines(rows: list[PendingDelivery]) -> list[tuple[PendingDelivery, list[PendingDelivery]]]:
    """Consecutive audit lines of one incident become one thread message (SPEC §7 under load).

    While Slack throttles, changes keep coming; posting each line on its own would only lengthen
    the queue. The first row carries the joined text; the others are settled with it once it is
    sent (or handed back with it if it is not).
    """
    units: list[tuple[PendingDelivery, list[PendingDelivery]]] = []
    for row in rows:
        if units and _mergeable(units[-1][0], row):
            lead, absorbed = units[-1]
            text = f"{lead.payload['text']}\n{row.payload['text']}"
            units[-1] = (replace(lead, payload={**lead.payload, "text": text}), [*absorbed, row])
        else:
            units.append((row, []))
    return units


def _mergeable(lead: PendingDelivery, row: PendingDelivery) -> bool:
    return (
        lead.kind == row.kind == kinds.THREAD_MESSAGE
        and lead.incident_id is not None
        and lead.incident_id == row.incident_id
        and kinds.is_audit_line(lead.payload)
        and kinds.is_audit_line(row.payload)
        and len(lead.payload["text"]) + len(row.payload["text"]) < MERGED_TEXT_MAX
    )


def _order_key(row: PendingDelivery) -> int:
    return row.incident_id if row.incident_id is not None else -row.id


def backoff(attempts: int) -> float:
    """1 s, 2 s, 4 s … capped at five minutes, with jitter so replicas do not retry in step."""
    # The exponent is bounded too: 2.0 ** 1024 overflows, and a row may be retried for days.
    base = min(MAX_BACKOFF_SECONDS, 2.0 ** min(max(0, attempts - 1), 32))
    return base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        sender: Sender,
        clock: Clock,
        *,
        batch_size: int = 100,
        sweep_interval: float = 1.0,
        lease: timedelta = timedelta(seconds=60),
        parallel_incidents: int = 8,
    ) -> None:
        self._engine = engine
        self._sender = sender
        self._clock = clock
        self._batch_size = batch_size
        self._sweep_interval = sweep_interval
        self._lease = lease
        self._parallel = asyncio.Semaphore(parallel_incidents)
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

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
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            log.warning("outbox delivery still in flight at shutdown; it resumes on the next start")
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before the sweep, so a commit that lands during it wakes the next one at once.
            self._wakeup.clear()
            try:
                claimed = await self.deliver_due()
            except Exception:
                log.exception("outbox sweep failed; retrying")
                claimed = 0
            # A round that delivered something may have queued more (a drafting job records its
            # draft), so look again at once; only an empty round waits for a wake or the sweep.
            if claimed or self._stopping:
                continue
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._sweep_interval)

    async def deliver_due(self) -> int:
        """Claim one batch of due rows and deliver it; returns how many rows were claimed."""
        async with UnitOfWork(self._engine) as uow:
            rows = await uow.outbox.claim_due(self._clock.now(), limit=self._batch_size, lease=self._lease)
        # An incident's rows go out in order; rows that belong to no incident (replies, AI jobs)
        # each go their own way, so a slow one holds up nothing else.
        by_incident = groupby(sorted(rows, key=lambda r: (_order_key(r), r.id)), key=_order_key)
        await asyncio.gather(*(self._deliver_in_order(list(group)) for _, group in by_incident))
        return len(rows)

    async def _deliver_in_order(self, rows: list[PendingDelivery]) -> None:
        async with self._parallel:
            units = merge_audit_lines(rows)
            for index, (row, absorbed) in enumerate(units):
                if await self._deliver(row):
                    if absorbed:
                        async with UnitOfWork(self._engine) as uow:
                            await uow.outbox.absorb([a.id for a in absorbed], row.id, self._clock.now())
                    continue
                if row.incident_id is not None:
                    # The rest of this incident waits behind the row that failed. They were claimed
                    # but not tried: hand them back at once (not when their lease runs out), and
                    # the claim does not count as an attempt.
                    later = [r.id for lead, merged in units[index + 1 :] for r in (lead, *merged)]
                    untried = [a.id for a in absorbed] + later
                    if untried:
                        async with UnitOfWork(self._engine) as uow:
                            await uow.outbox.release(untried, self._clock.now())
                    return

    async def _deliver(self, row: PendingDelivery) -> bool:
        """Send one row and settle it; False if it is to be retried later."""
        context = {"delivery_id": row.id, "kind": row.kind, "incident_id": row.incident_id, "attempt": row.attempts}
        if await self._superseded(row):
            log.info("superseded by a newer card update", extra=context)
            return True
        try:
            if row.kind in _CARD_KINDS and row.incident_id is not None:
                async with self._sender.lock_card(row.incident_id):
                    result = await self._sender.send(row)
            else:
                result = await self._sender.send(row)
        except RetryLater as retry:
            await self._retry(row, retry.error, retry.delay, context)
            return False
        except PermanentFailure as failure:
            log.error("delivery failed for good", extra=context | {"error": failure.error})
            async with UnitOfWork(self._engine) as uow:
                await uow.outbox.mark_failed(row.id, self._clock.now(), failure.error)
            return True
        except Exception as error:  # a bug in a sender must not stall the outbox
            log.exception("delivery raised unexpectedly", extra=context)
            await self._retry(row, f"{type(error).__name__}: {error}", None, context)
            return False
        async with UnitOfWork(self._engine) as uow:
            await uow.outbox.mark_delivered(row.id, self._clock.now(), result)
            key = _coalesce_key(row)
            if key is not None:
                await uow.outbox.supersede(key, row.id, self._clock.now())
        log.info("delivered", extra=context)
        return True

    async def _superseded(self, row: PendingDelivery) -> bool:
        """A card refresh with a newer one queued behind it is settled unsent: the newer one shows
        more. Only refreshes coalesce; posting the card is never redundant."""
        key = _coalesce_key(row)
        if key is None:
            return False
        async with UnitOfWork(self._engine) as uow:
            newest = await uow.outbox.newest_pending(key)
            if newest is None or newest <= row.id:
                return False
            await uow.outbox.supersede(key, newest, self._clock.now())
        return True

    async def _retry(self, row: PendingDelivery, error: str, delay: float | None, context: dict[str, Any]) -> None:
        wait = delay if delay is not None else backoff(row.attempts)
        retry_at = self._clock.now() + timedelta(seconds=wait)
        log.warning("delivery will be retried", extra=context | {"error": error, "retry_in_s": round(wait, 2)})
        async with UnitOfWork(self._engine) as uow:
            await uow.outbox.mark_retry(row.id, retry_at, error)
            if row.incident_id is not None:
                await uow.outbox.hold_incident(row.incident_id, retry_at)
