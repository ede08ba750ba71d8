"""A circuit breaker: after N failures in a row the AI is not asked again for a cool-down.

While it is open every draft is the template at once, so a struggling API costs nobody a wait.
After the cool-down one request is let through; its success closes the breaker again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.runtime.clock import Clock


class CircuitBreaker:
    def __init__(self, clock: Clock, *, failures_to_open: int = 3, cool_down: timedelta = timedelta(minutes=1)) -> None:
        self._clock = clock
        self._failures_to_open = failures_to_open
        self._cool_down = cool_down
        self._failures = 0
        self._open_until: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self._open_until is not None and self._clock.now() < self._open_until

    def allows_request(self) -> bool:
        if self._open_until is None:
            return True
        now = self._clock.now()
        if now < self._open_until:
            return False
        # Half-open: this request is the one trial. The others are refused until it reports; should
        # it never report (cancelled), another trial is let through after one more cool-down.
        self._open_until = now + self._cool_down
        return True

    def record_success(self) -> None:
        self._failures = 0
        self._open_until = None

    def record_failure(self) -> None:
        self._failures += 1
        if self._failures >= self._failures_to_open:
            self._open_until = self._clock.now() + self._cool_down
