"""Which incidents changed, as soon as the change commits, for whoever watches (the console's live
pages), whichever replica made it.

On Postgres a trigger on ``incidents`` (migration 0007) sends ``NOTIFY firebreak_changes`` with the
row's id; Postgres delivers it when the transaction commits, to every replica that listens, and
never for a transaction rolled back. :class:`PostgresListener` listens on a connection of its own
and hands what it hears to the engine's :class:`ChangeHub`. SQLite serves one process, so its unit
of work hands the incidents it changed to the hub itself after it commits (storage.sqlite).

A watcher that may have missed a change (the listening connection dropped, or it fell behind) is
told that anything may have changed, and looks again at what it shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import weakref
from collections import deque
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

CHANNEL = "firebreak_changes"
# What a subscriber may fall behind by before it is told to look again instead.
QUEUE_SIZE = 256
# What a reconnecting watcher can be given from memory; older than that, it looks again.
REPLAYABLE = 1024
FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class Changed:
    """The ``seq``-th notice of this hub: these incidents changed. No ids: anything may have."""

    seq: int
    incident_ids: frozenset[int]

    @property
    def anything(self) -> bool:
        return not self.incident_ids


class ChangeHub:
    """Fans notices out to subscribers, each with a bounded queue of its own; ``None`` in a queue
    means the hub closed."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[Changed | None]] = set()
        self._recent: deque[Changed] = deque(maxlen=REPLAYABLE)
        self._seq = 0
        # Notice numbers of another hub (another process: a restart, a replica) are not ours.
        self.boot = secrets.token_hex(4)

    @property
    def seq(self) -> int:
        """The latest notice's number."""
        return self._seq

    @property
    def mark(self) -> str:
        """Where a watcher starting now starts from, as it gives it back to :meth:`subscribe` later
        (see :meth:`after`)."""
        return f"{self.boot}:{self._seq}"

    def after(self, mark: str) -> int | None:
        """The notice number in ``mark``, if it is this hub's; None otherwise."""
        boot, _, seq = mark.partition(":")
        return int(seq) if boot == self.boot and seq.isdigit() else None

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    @contextlib.contextmanager
    def subscribe(self, after: int | None = None) -> Iterator[asyncio.Queue[Changed | None]]:
        """A queue of the notices from now on; with ``after`` (the last one a watcher saw, from an
        earlier subscription), first those it missed, or one "anything" if they are not all kept."""
        queue: asyncio.Queue[Changed | None] = asyncio.Queue(maxsize=QUEUE_SIZE)
        if after is not None and after < self._seq:
            missed = [changed for changed in self._recent if changed.seq > after]
            if len(missed) == self._seq - after and len(missed) < QUEUE_SIZE:
                for changed in missed:
                    queue.put_nowait(changed)
            else:
                queue.put_nowait(Changed(self._seq, frozenset()))
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    def publish(self, incident_ids: Collection[int]) -> None:
        """Tell every subscriber; an empty ``incident_ids`` says anything may have changed."""
        self._seq += 1
        changed = Changed(self._seq, frozenset(incident_ids))
        self._recent.append(changed)
        for queue in self._queues:
            if queue.full():
                # Too far behind to be told piece by piece: one notice that covers everything.
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(Changed(self._seq, frozenset()))
            else:
                queue.put_nowait(changed)

    def close(self) -> None:
        for queue in self._queues:
            while queue.full():
                queue.get_nowait()
            queue.put_nowait(None)


_HUBS: weakref.WeakKeyDictionary[Any, ChangeHub] = weakref.WeakKeyDictionary()


def hub_of(engine: AsyncEngine) -> ChangeHub:
    """The one hub of the database ``engine`` reaches, in this process."""
    key = engine.sync_engine
    if key not in _HUBS:
        _HUBS[key] = ChangeHub()
    return _HUBS[key]


class PostgresListener:
    """``LISTEN firebreak_changes`` on a connection outside the pool, kept open until stopped.

    Notices of one turn of the event loop reach the hub together. When the connection drops, it
    connects again (0.5 s, 1 s, 2 s … 5 s apart) and then tells the hub that anything may have
    changed meanwhile.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        # asyncpg's own URL: without SQLAlchemy's driver name.
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._hub = hub_of(engine)
        self._task: asyncio.Task[None] | None = None
        self._heard: set[int] = set()
        self._passing_on = False
        self.listening = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="change-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        delay = FIRST_RETRY_SECONDS
        first = True
        while True:
            try:
                connection = await asyncpg.connect(self._dsn, timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError) as error:
                log.warning("cannot listen for changes yet: %s", type(error).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)
                continue
            delay = FIRST_RETRY_SECONDS
            try:
                await self._listen(connection, resumed=not first)
                log.warning("the connection listening for changes was lost; listening again")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("listening for changes failed: %s", type(error).__name__)
            finally:
                self.listening.clear()
                await _close(connection)
            first = False

    async def _listen(self, connection: asyncpg.Connection, *, resumed: bool) -> None:
        """Until ``connection`` is lost."""
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(CHANNEL, self._heard_of)
        if resumed:
            self._hub.publish(())  # what changed while nobody listened is not known
        self.listening.set()
        await lost.wait()

    def _heard_of(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if not payload.isdigit():
            return  # not ours
        self._heard.add(int(payload))
        if not self._passing_on:
            self._passing_on = True
            asyncio.get_running_loop().call_soon(self._pass_on)

    def _pass_on(self) -> None:
        heard, self._heard, self._passing_on = self._heard, set(), False
        self._hub.publish(heard)


async def _close(connection: asyncpg.Connection) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(connection.close(), timeout=1)
    if not connection.is_closed():
        connection.terminate()
