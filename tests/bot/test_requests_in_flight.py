"""RequestsInFlight: counting the Slack requests being handled, and waiting (bounded) for none.

Fake requests are tasks held open by events, so each test decides when a request ends; what is
asserted is the order things happened in, never how long they took.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from bot.requests_in_flight import RequestsInFlight

LONG = 3600.0  # a bound no test waits out
GENEROUS = 5.0  # how long a test waits for something that should happen at once


class FakeRequest:
    """A request being handled until the test says it is answered (or makes it fail)."""

    def __init__(self, in_flight: RequestsInFlight, name: str, log: list[str]) -> None:
        self._in_flight = in_flight
        self._name = name
        self._log = log
        self._started = asyncio.Event()
        self._answer = asyncio.Event()
        self._failure: Exception | None = None
        self.task = asyncio.create_task(self._handle(), name=f"fake-request-{name}")

    async def _handle(self) -> None:
        try:
            with self._in_flight.track():
                self._started.set()
                await self._answer.wait()
                if self._failure is not None:
                    raise self._failure
        finally:
            self._log.append(f"{self._name} ended")

    async def started(self) -> FakeRequest:
        async with asyncio.timeout(GENEROUS):
            await self._started.wait()
        return self

    async def end(self, failure: Exception | None = None) -> None:
        """Answer the request (or fail it) and wait until its handler is done."""
        self._failure = failure
        self._answer.set()
        async with asyncio.timeout(GENEROUS):
            await asyncio.wait({self.task})


async def start(in_flight: RequestsInFlight, name: str, log: list[str]) -> FakeRequest:
    return await FakeRequest(in_flight, name, log).started()


def quiet_task(in_flight: RequestsInFlight, log: list[str], within: float = LONG) -> asyncio.Task[None]:
    async def wait() -> None:
        await in_flight.quiet(within)
        log.append("quiet")

    return asyncio.create_task(wait(), name="quiet")


async def still_waiting(task: asyncio.Task[None]) -> bool:
    """True if ``task`` has not finished after the loop had a moment to run it.

    Only ever expected True: a correct ``quiet`` cannot return in this window, so how long the
    window really lasts on a busy machine does not matter."""
    done, _ = await asyncio.wait({task}, timeout=0.05)
    return not done


def returns_without_waiting(quiet: Coroutine[Any, Any, None]) -> bool:
    """True if the coroutine finishes on its first step, without ever suspending."""
    try:
        quiet.send(None)
    except StopIteration:
        return True
    quiet.close()
    return False


@pytest.fixture
def in_flight() -> RequestsInFlight:
    return RequestsInFlight()


@pytest.fixture
def log() -> list[str]:
    """What happened, in order: requests ending, waits for quiet returning."""
    return []


def test_quiet_returns_at_once_when_nothing_is_in_flight(in_flight: RequestsInFlight) -> None:
    assert in_flight.count == 0
    assert returns_without_waiting(in_flight.quiet(LONG))


async def test_quiet_returns_as_soon_as_the_last_request_in_flight_ends(
    in_flight: RequestsInFlight, log: list[str]
) -> None:
    first, second = await start(in_flight, "first", log), await start(in_flight, "second", log)
    assert in_flight.count == 2
    quiet = quiet_task(in_flight, log)

    await first.end()
    assert in_flight.count == 1
    assert await still_waiting(quiet), "one request is still in flight"

    await second.end()
    async with asyncio.timeout(GENEROUS):  # the bound is an hour: only the request ending releases it
        await quiet
    assert log == ["first ended", "second ended", "quiet"]
    assert in_flight.count == 0


async def test_every_waiter_is_released_when_the_requests_end(in_flight: RequestsInFlight, log: list[str]) -> None:
    request = await start(in_flight, "request", log)
    waiters = [quiet_task(in_flight, log) for _ in range(3)]

    await request.end()
    async with asyncio.timeout(GENEROUS):
        await asyncio.gather(*waiters)
    assert log == ["request ended", "quiet", "quiet", "quiet"]


async def test_quiet_gives_up_after_within_while_a_request_never_ends(
    in_flight: RequestsInFlight, log: list[str]
) -> None:
    stuck = await start(in_flight, "stuck", log)
    try:
        async with asyncio.timeout(GENEROUS):
            await in_flight.quiet(0.05)
        log.append("quiet")
        assert in_flight.count == 1, "returned while the request was still in flight"
        assert not stuck.task.done()
    finally:
        await stuck.end()
    assert log == ["quiet", "stuck ended"]
    assert in_flight.count == 0


async def test_quiet_after_giving_up_still_waits_for_the_next_quiet_moment(
    in_flight: RequestsInFlight, log: list[str]
) -> None:
    """Giving up once leaves nothing behind: the next wait is released by the request ending."""
    request = await start(in_flight, "request", log)
    async with asyncio.timeout(GENEROUS):
        await in_flight.quiet(0.01)
    quiet = quiet_task(in_flight, log)
    assert await still_waiting(quiet)

    await request.end()
    async with asyncio.timeout(GENEROUS):
        await quiet
    assert log == ["request ended", "quiet"]


async def test_nested_tracks_count_each_request_until_the_outermost_ends(
    in_flight: RequestsInFlight, log: list[str]
) -> None:
    with in_flight.track():
        with in_flight.track():
            assert in_flight.count == 2
        assert in_flight.count == 1
        quiet = quiet_task(in_flight, log)
        assert await still_waiting(quiet), "the outer request is still in flight"
    assert in_flight.count == 0
    async with asyncio.timeout(GENEROUS):
        await quiet
    assert returns_without_waiting(in_flight.quiet(LONG))


async def test_overlapping_requests_keep_it_busy_until_none_is_left(
    in_flight: RequestsInFlight, log: list[str]
) -> None:
    """Requests that start and end in turn, never all at once: busy throughout."""
    first = await start(in_flight, "first", log)
    quiet = quiet_task(in_flight, log)
    second = await start(in_flight, "second", log)
    await first.end()
    third = await start(in_flight, "third", log)
    await second.end()
    assert in_flight.count == 1
    assert await still_waiting(quiet)

    await third.end()
    async with asyncio.timeout(GENEROUS):
        await quiet
    assert log == ["first ended", "second ended", "third ended", "quiet"]


async def test_a_request_that_raises_is_no_longer_in_flight(in_flight: RequestsInFlight, log: list[str]) -> None:
    request = await start(in_flight, "failing", log)
    quiet = quiet_task(in_flight, log)

    await request.end(failure=RuntimeError("handler crashed"))

    with pytest.raises(RuntimeError, match="handler crashed"):
        request.task.result()
    assert in_flight.count == 0
    async with asyncio.timeout(GENEROUS):
        await quiet
    assert log == ["failing ended", "quiet"]
    assert returns_without_waiting(in_flight.quiet(LONG))


def test_an_exception_inside_track_still_decrements(in_flight: RequestsInFlight) -> None:
    seen: list[int] = []

    def handle() -> None:
        with in_flight.track():
            seen.append(in_flight.count)
            raise ValueError("bad payload")

    with pytest.raises(ValueError, match="bad payload"):
        handle()
    assert seen == [1]
    assert in_flight.count == 0
    assert returns_without_waiting(in_flight.quiet(LONG))


async def test_a_cancelled_request_is_no_longer_in_flight(in_flight: RequestsInFlight, log: list[str]) -> None:
    """aiohttp cancels a handler whose client went away: that request is over too."""
    request = await start(in_flight, "abandoned", log)
    quiet = quiet_task(in_flight, log)

    request.task.cancel()
    async with asyncio.timeout(GENEROUS):
        await asyncio.wait({request.task})
        await quiet
    assert request.task.cancelled()
    assert in_flight.count == 0
    assert log == ["abandoned ended", "quiet"]
