"""How many Slack requests the listeners are handling right now, so that delivery can give way to them.

An acknowledgement has a deadline (Slack gives up after 3 s); a delivery has none, and Slack paces
each channel to about a message a second anyway. While requests are coming in, the dispatcher
waits for a quiet moment, for a bounded time, before its next round; the audit lines queued
meanwhile then go out merged instead of one by one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class RequestsInFlight:
    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        return self._count

    @contextmanager
    def track(self) -> Iterator[None]:
        self._count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._count -= 1
            if self._count == 0:
                self._idle.set()

    async def quiet(self, within: float) -> None:
        """Return once no request is in flight, or after ``within`` seconds at the latest."""
        if self._count:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), within)
