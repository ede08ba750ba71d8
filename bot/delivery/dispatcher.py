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
_CARD_KINDS = frozenset({kinds.POST_CARD, kinds.REFRESH_CARD})


class Sender(Protocol):
    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None: ...

    def lock_card(self, incident_id: int) -> AbstractAsyncContextManager[None]: ...


def backoff(attempts: int) -> float:
    """1 s, 2 s, 4 s … capped at five minutes, with jitter so replicas do not retry in step."""
    base = min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, attempts - 1))
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

    async def stop(self) -> None:
        """Finish the batch in flight, then stop; what is left waits in the outbox for the next start."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before the sweep, so a commit that lands during it wakes the next one at once.
            self._wakeup.clear()
            try:
                claimed = await self.deliver_due()
            except Exception:
                log.exception("outbox sweep failed; retrying")
                claimed = 0
            if claimed >= self._batch_size or self._stopping:
                continue
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._sweep_interval)

    async def deliver_due(self) -> int:
        """Claim one batch of due rows and deliver it; returns how many rows were claimed."""
        async with UnitOfWork(self._engine) as uow:
            rows = await uow.outbox.claim_due(self._clock.now(), limit=self._batch_size, lease=self._lease)
        by_incident = groupby(sorted(rows, key=lambda r: (r.incident_id or 0, r.id)), key=lambda r: r.incident_id)
        await asyncio.gather(*(self._deliver_in_order(list(group)) for _, group in by_incident))
        return len(rows)

    async def _deliver_in_order(self, rows: list[PendingDelivery]) -> None:
        async with self._parallel:
            for row in rows:
                if not await self._deliver(row) and row.incident_id is not None:
                    return  # the rest of this incident waits behind the row that failed

    async def _deliver(self, row: PendingDelivery) -> bool:
        """Send one row and settle it; False if it is to be retried later."""
        context = {"delivery_id": row.id, "kind": row.kind, "incident_id": row.incident_id, "attempt": row.attempts}
        try:
            if row.kind in _CARD_KINDS and row.incident_id is not None:
                async with self._sender.lock_card(row.incident_id):
                    result = await self._send_card(row)
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
            if row.coalesce_key:
                await uow.outbox.supersede(row.coalesce_key, row.id, self._clock.now())
        log.info("delivered", extra=context)
        return True

    async def _send_card(self, row: PendingDelivery) -> Mapping[str, Any] | None:
        """A card refresh with a newer one queued behind it is skipped: the newer one shows more."""
        if row.kind == kinds.REFRESH_CARD and row.coalesce_key:
            async with UnitOfWork(self._engine) as uow:
                newest = await uow.outbox.newest_pending(row.coalesce_key)
            if newest is not None and newest > row.id:
                return {"superseded_by": newest}
        return await self._sender.send(row)

    async def _retry(self, row: PendingDelivery, error: str, delay: float | None, context: dict[str, Any]) -> None:
        wait = delay if delay is not None else backoff(row.attempts)
        retry_at = self._clock.now() + timedelta(seconds=wait)
        log.warning("delivery will be retried", extra=context | {"error": error, "retry_in_s": round(wait, 2)})
        async with UnitOfWork(self._engine) as uow:
            await uow.outbox.mark_retry(row.id, retry_at, error)
            if row.incident_id is not None:
                await uow.outbox.hold_incident(row.incident_id, retry_at)
