"""Group commit: commands that arrive while a transaction is in flight share the next one.

One command at a time costs a transaction each: BEGIN, its statements, COMMIT, each a round trip
to Postgres. Under load, the commands waiting for the current transaction instead run together in
the next: each still gets its own outcome, but the writes of all of them go in one statement per
table and one COMMIT. With nothing in flight a command starts at once, so a quiet bot answers
exactly as fast as before.

A batch is all or nothing. If it fails for a reason that lies in one command's data (a key or
version conflict, a deadlock with another replica, a row held locked by another transaction for
too long), each of its commands is run again alone, once, so one bad command never costs the others
theirs; how it is run alone depends on the failure (see ``alone_on``). Any other failure (the
database is down) is every command's answer at once, instead of each one timing out in turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")


@dataclass(frozen=True)
class Deferred:
    """A command that must wait for the next batch (an earlier one in this batch changed what it
    depends on, and it must see that change committed first)."""


DEFERRED = Deferred()

# A batch's answer for each of its commands, in order: a result, the exception that is its
# answer, or DEFERRED.
RunBatch = Callable[[Sequence[J]], Awaitable[Sequence[R | BaseException | Deferred]]]
# For a batch's failure: how to run each of its commands alone, or None if the failure is every
# command's answer.
RerunAlone = Callable[[BaseException], RunBatch[J, R] | None]


class GroupCommit(Generic[J, R]):
    def __init__(self, run_batch: RunBatch[J, R], *, max_batch: int, alone_on: RerunAlone[J, R]) -> None:
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._alone_on = alone_on
        self._queue: deque[tuple[J, asyncio.Future[R]]] = deque()
        self._drain: asyncio.Task[None] | None = None

    async def submit(self, job: J) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((job, future))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.create_task(self._drain_queue())
        return await future

    async def _drain_queue(self) -> None:
        try:
            while self._queue:
                batch: list[tuple[J, asyncio.Future[R]]] = []
                while self._queue and len(batch) < self._max_batch:
                    job, future = self._queue.popleft()
                    if not future.cancelled():  # whoever asked has gone: run nothing for nobody
                        batch.append((job, future))
                if batch:
                    self._queue.extendleft(reversed(await self._run(batch)))
        except BaseException:
            for _, future in self._queue:
                future.cancel()
            self._queue.clear()
            raise

    async def _run(
        self, batch: list[tuple[J, asyncio.Future[R]]], alone: RunBatch[J, R] | None = None
    ) -> list[tuple[J, asyncio.Future[R]]]:
        """Run one batch (or, with ``alone``, one command of a failed batch that way) and answer its
        commands; returns those deferred to the next batch."""
        try:
            try:
                outcomes = await (alone or self._run_batch)([job for job, _ in batch])
            except Exception as error:
                rerun = None if alone else self._alone_on(error)
                if rerun is None:
                    for _, future in batch:
                        _answer(future, error)
                    return []
                # Alone, too: a key claimed by a concurrent transaction after this one looked is a
                # duplicate, which a second look sees.
                log.warning("a batch of %d commands failed (%r); running each alone", len(batch), error)
                deferred: list[tuple[J, asyncio.Future[R]]] = []
                for item in batch:
                    if not item[1].cancelled():
                        deferred.extend(await self._run([item], rerun))
                return deferred
        except BaseException as cancelled:
            for _, future in batch:
                future.cancel(str(cancelled))
            raise
        deferred = []
        for item, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Deferred):
                deferred.append(item)
            else:
                _answer(item[1], outcome)
        return deferred


def _answer(future: asyncio.Future[R], outcome: R | BaseException) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
