"""Many open pages at once, each reading a server-sent event stream (the console's ``/events``, the
status page's ``/status/events``): when each read an event that counts, and how long after a change
every one of them had read one."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from types import TracebackType

import aiohttp

CONNECT_SECONDS = 60
# A stream that has not read a change within this long counts as having missed it.
HEAR_SECONDS = 10


class LiveStreams:
    """``clients`` streams of ``url`` open for the ``async with`` block (entered once all are
    connected); ``counts(line)`` says which lines of a stream are the events to time."""

    def __init__(self, session: aiohttp.ClientSession, url: str, clients: int, counts: Callable[[bytes], bool]) -> None:
        self._session = session
        self._url = url
        self._counts = counts
        self.times: list[list[float]] = [[] for _ in range(clients)]
        self._since = float("inf")
        self._everyone = asyncio.Event()
        self._connected = 0
        self._all_connected = asyncio.Event()
        self._readers: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> LiveStreams:
        self._readers = [asyncio.create_task(self._read(index)) for index in range(len(self.times))]
        await asyncio.wait_for(self._all_connected.wait(), CONNECT_SECONDS)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)

    async def delays_after(self, send: Callable[[], Awaitable[float]]) -> list[float]:
        """Milliseconds from when ``send()`` says it sent a change (a ``time.perf_counter()``) to each
        stream's first event after it was called; a stream that read none within HEAR_SECONDS is
        left out (it missed the change)."""
        self._since = time.perf_counter()
        self._everyone.clear()
        sent = await send()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._everyone.wait(), HEAR_SECONDS)
        return [(at - sent) * 1000 for times in self.times if (at := self._first_since(times)) is not None]

    async def _read(self, index: int) -> None:
        async with self._session.get(self._url, timeout=aiohttp.ClientTimeout(total=None)) as stream:
            self._connected += 1
            if self._connected == len(self.times):
                self._all_connected.set()
            async for line in stream.content:
                if self._counts(line):
                    self.times[index].append(time.perf_counter())
                    if all(self._first_since(times) is not None for times in self.times):
                        self._everyone.set()

    def _first_since(self, times: list[float]) -> float | None:
        return next((at for at in times if at >= self._since), None)
