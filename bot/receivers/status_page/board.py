"""The status page as it stands, read once per change and shared by every request and live client.

Hundreds of people watch a status page during an outage; they must not cost a query each. The
board keeps the last view with the change notice it was read after (storage.change_feed: any
replica's change to any incident moves it) and reads again only when a notice has come since, or a
minute has passed (the 90 days move on). Live clients wait for the board's next version, so one
change costs one read and one JSON encoding however many watch.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.runtime.clock import Clock
from bot.views.public_status import (
    HISTORY,
    MOST_SHOWN,
    PublicEntry,
    StatusView,
    history_json,
    live_json,
    status_json,
    status_view,
)
from storage.change_feed import hub_of
from storage.public_incidents import public_incidents

REREAD_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class Snapshot:
    seq: int
    read_at: datetime
    view: StatusView
    document: str
    """The view as ``/status.json`` gives it, encoded once."""
    version: str
    """Names what the page shows (a digest of ``document``): a page rendered from it passes it to
    its live stream."""
    live: str
    """What a live update carries: the overall state and the open incidents' headlines, not their
    updates nor the 90 days of history (a page reads itself again when told of a change): hundreds
    of readers are sent a few hundred bytes each."""


class StatusBoard:
    def __init__(self, engine: AsyncEngine, clock: Clock, title: str) -> None:
        self._engine = engine
        self._clock = clock
        self._title = title
        self._hub = hub_of(engine)
        self._snapshot: Snapshot | None = None
        self._reading = asyncio.Lock()
        # The history as last encoded: it is most of the document, and most changes leave it be.
        self._history: tuple[tuple[PublicEntry, ...], str] = ((), "[]")

    async def current(self, *, fresh: bool = False) -> Snapshot:
        """The page as it stands; while it is being read again after a change, the page as it was
        a moment before (a read takes tens of milliseconds), unless ``fresh`` asks to wait for it."""
        snapshot = self._snapshot
        if snapshot is not None and (self._fresh(snapshot) or (self._reading.locked() and not fresh)):
            return snapshot
        async with self._reading:  # one read for everyone who asked meanwhile
            snapshot = self._snapshot
            if snapshot is not None and self._fresh(snapshot):
                return snapshot
            seq, now = self._hub.seq, self._clock.now()
            async with self._engine.connect() as connection:
                records = await public_incidents(connection, now - HISTORY, MOST_SHOWN)
            view = status_view(self._title, records)
            if self._history[0] != view.history:
                self._history = (view.history, history_json(view))
            document = status_json(view, self._history[1])
            version = hashlib.sha256(document.encode()).hexdigest()[:16]
            self._snapshot = Snapshot(seq, now, view, document, version, live_json(view))
            return self._snapshot

    def _fresh(self, snapshot: Snapshot) -> bool:
        return snapshot.seq == self._hub.seq and self._clock.now() - snapshot.read_at < REREAD_AFTER

    async def changes(self, shown: str | None, quiet_after: float) -> AsyncIterator[Snapshot | None]:
        """Each new state of the page, from the first whose version is not ``shown`` (what the
        reader has), or None when nothing changed for ``quiet_after`` seconds (a stream then says
        it is alive); ends when the bot stops."""
        with self._hub.subscribe() as queue:
            while True:
                snapshot = await self.current(fresh=True)
                if snapshot.version != shown:
                    shown = snapshot.version
                    yield snapshot
                try:
                    if await asyncio.wait_for(queue.get(), timeout=quiet_after) is None:
                        return
                except TimeoutError:
                    yield None
