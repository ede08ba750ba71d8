"""What the outbox dispatcher's tests share: a clock of the test's own, a recording sender standing
in for Slack, and the rows they write and read back."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import outbox_messages as kinds
from bot.delivery.dispatcher import Dispatcher, Sender
from bot.handler.runner import Change, CommandRunner
from domain.commands import Declare
from domain.severity import Severity
from storage.schema import outbox
from storage.stored import OutboxMessage, PendingDelivery
from storage.unit_of_work import UnitOfWork

CHANNEL = "C0DISPATCH"
LONG = 3600.0  # a sweep interval no test waits for
SHORT_TIMEOUT = 1  # seconds, of the Slack client in the real sender's tests (it takes an int)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


Outcome = Mapping[str, Any] | Exception | None


@dataclass
class RecordingSender:
    """A Sender that records what it was asked to send and answers as scripted.

    ``script[delivery_id]`` (or ``script[kind]``) is a list of outcomes used one per attempt: an
    exception is raised, anything else is returned. Unscripted sends succeed."""

    script: dict[int | str, list[Outcome]] = field(default_factory=dict)
    gate: asyncio.Event | None = None  # when given, sends wait for it: Slack not answering
    held: Callable[[PendingDelivery], bool] = lambda _: True  # which sends the gate holds
    sent: list[PendingDelivery] = field(default_factory=list)
    locked: list[int] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, delivery: PendingDelivery) -> Mapping[str, Any] | None:
        self.sent.append(delivery)
        self._arrived.set()
        if self.gate is not None and self.held(delivery):
            await self.gate.wait()
        outcomes = self.script.get(delivery.id) or self.script.get(delivery.kind)
        outcome: Outcome = outcomes.pop(0) if outcomes else {"ok": True, "id": delivery.id}
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def lock_card(self, incident_id: int) -> AbstractAsyncContextManager[None]:
        @asynccontextmanager
        async def held() -> AsyncIterator[None]:
            self.locked.append(incident_id)
            yield

        return held()

    @property
    def sent_ids(self) -> list[int]:
        return [delivery.id for delivery in self.sent]

    async def wait_for(self, count: int, timeout: float = 2.0) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while len(self.sent) < count:
                self._arrived.clear()
                await self._arrived.wait()


def _conforms(sender: RecordingSender) -> Sender:
    return sender  # mypy checks that the stub implements the Sender protocol


@dataclass(frozen=True)
class Row:
    id: int
    incident_id: int | None
    kind: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    result: Any
    delivered_at: datetime | None
    failed_at: datetime | None
    superseded_by: int | None


async def rows(engine: AsyncEngine, ids: Sequence[int]) -> list[Row]:
    async with engine.connect() as connection:
        found = (
            await connection.execute(select(outbox).where(outbox.c.id.in_(list(ids))).order_by(outbox.c.id))
        ).mappings()
        return [Row(**{name: mapping[name] for name in Row.__dataclass_fields__}) for mapping in found]


async def row(engine: AsyncEngine, delivery_id: int) -> Row:
    [found] = await rows(engine, [delivery_id])
    return found


async def declare(engine: AsyncEngine, workspace: str, clock: Clock, title: str = "Checkout is down") -> int:
    command = Declare(actor="U0ALICE", title=title, severity=Severity.SEV2, channel_id=CHANNEL)
    change = await CommandRunner(engine).declare(workspace, command, now=clock.now())
    assert isinstance(change, Change)
    return change.incident_id


async def write(engine: AsyncEngine, clock: Clock, incident_id: int | None, *messages: OutboxMessage) -> list[int]:
    async with UnitOfWork(engine) as uow:
        return await uow.outbox.add(messages, incident_id, clock.now())


def note(incident_id: int, text: str) -> OutboxMessage:
    return kinds.thread_message(incident_id, text)


class CountingDispatcher(Dispatcher):
    """The real dispatcher, counting its claims (a sweep, or a wake) so a test knows when the
    start-up one is done."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sweeps = 0
        self._swept = asyncio.Event()

    async def _claim_and_start(self) -> tuple[int, list[asyncio.Task[None]]]:
        started = await super()._claim_and_start()
        self.sweeps += 1
        self._swept.set()
        return started

    async def swept(self, times: int = 1) -> None:
        async with asyncio.timeout(2.0):
            while self.sweeps < times:
                self._swept.clear()
                await self._swept.wait()


def dispatcher(engine: AsyncEngine, sender: Sender, clock: Clock, **options: Any) -> CountingDispatcher:
    return CountingDispatcher(engine, sender, clock, **({"sweep_interval": LONG} | options))


def own_clock() -> Clock:
    """A clock of the test's own far in the past (each test's earlier than the last's): only rows
    this test wrote are ever due for it, and rows it leaves behind are never due for a later one."""
    return Clock(datetime(2000, 1, 1, 12, 0, tzinfo=UTC) - timedelta(days=next(_DAYS_BACK)))


_DAYS_BACK = itertools.count(1)
