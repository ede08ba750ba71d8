"""The circuit breaker: N failures in a row stop AI requests for a cool-down; then one trial request
decides whether the AI is back (closed) or not (open for another cool-down)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.ai.breaker import CircuitBreaker
from bot.runtime.clock import MutableClock
from tests.builders import T0

COOL_DOWN = timedelta(minutes=2)


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock(T0)


@pytest.fixture
def breaker(clock: MutableClock) -> CircuitBreaker:
    return CircuitBreaker(clock, failures_to_open=3, cool_down=COOL_DOWN)


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert breaker.allows_request()
        breaker.record_failure()


def test_a_new_breaker_is_closed(breaker: CircuitBreaker) -> None:
    assert not breaker.is_open
    assert breaker.allows_request()
    assert breaker.allows_request(), "closed: every request goes through"


def test_it_opens_after_n_failures_in_a_row(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    assert breaker.allows_request(), "two failures are not three"
    breaker.record_failure()
    assert breaker.is_open
    assert not breaker.allows_request()


def test_a_success_resets_the_count(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    breaker.record_success()
    fail(breaker, 2)
    assert not breaker.is_open, "only failures in a row count"
    assert breaker.allows_request()


def test_it_stays_open_for_the_cool_down(breaker: CircuitBreaker, clock: MutableClock) -> None:
    fail(breaker, 3)
    clock.advance(seconds=COOL_DOWN.total_seconds() - 1)
    assert breaker.is_open
    assert not breaker.allows_request()
    clock.advance(seconds=1)
    assert breaker.allows_request(), "the cool-down is over"


def test_after_the_cool_down_one_request_goes_through(breaker: CircuitBreaker, clock: MutableClock) -> None:
    fail(breaker, 3)
    clock.advance(seconds=COOL_DOWN.total_seconds())
    assert breaker.allows_request(), "the trial request"
    assert not breaker.allows_request(), "the others wait for the trial's outcome"


def test_a_successful_trial_closes_it(breaker: CircuitBreaker, clock: MutableClock) -> None:
    fail(breaker, 3)
    clock.advance(seconds=COOL_DOWN.total_seconds())
    assert breaker.allows_request()
    breaker.record_success()
    assert not breaker.is_open
    assert breaker.allows_request()
    assert breaker.allows_request()
    fail(breaker, 2)
    assert not breaker.is_open, "closed afresh: it takes three new failures to open again"


def test_a_failed_trial_reopens_it_for_another_cool_down(breaker: CircuitBreaker, clock: MutableClock) -> None:
    fail(breaker, 3)
    clock.advance(seconds=COOL_DOWN.total_seconds())
    fail(breaker, 1)
    assert breaker.is_open, "one failed trial is enough"
    clock.advance(seconds=COOL_DOWN.total_seconds() - 1)
    assert not breaker.allows_request()
    clock.advance(seconds=1)
    assert breaker.allows_request()


def test_a_trial_that_never_reports_does_not_wedge_it(breaker: CircuitBreaker, clock: MutableClock) -> None:
    fail(breaker, 3)
    clock.advance(seconds=COOL_DOWN.total_seconds())
    assert breaker.allows_request()  # …and that request is cancelled: neither success nor failure
    clock.advance(seconds=COOL_DOWN.total_seconds())
    assert breaker.allows_request(), "after another cool-down, another trial"
