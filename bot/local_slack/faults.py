"""Failures and rate limits on request: the local Slack answers the way Slack does when it is down,
slow, throttling or refusing, so tests and the benchmark can see what the app does then (the
playground never asks for any)."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .models import JSON

FaultKind = Literal["fail", "rate_limit", "hang", "error"]
ANY_METHOD = "*"
RATE_LIMITED_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.delete"})
Reply = tuple[int, JSON, dict[str, str]]


@dataclass
class Fault:
    """One scripted failure; ``remaining=None`` means "until cleared"."""

    kind: FaultKind
    method: str
    remaining: int | None = 1
    status: int = 200
    error: str = ""
    retry_after: int = 0
    seconds: float = 0.0
    process: bool = False  # hang only: handle the request normally once the delay is over
    channel: str | None = None  # only calls about this channel (e.g. the bot is not in it)

    def matches(self, method: str, channel: str | None) -> bool:
        return (
            self.remaining != 0
            and self.method in (ANY_METHOD, method)
            and (self.channel is None or self.channel == channel)
        )


class FaultPlan:
    """Faults in the order they were scripted; each call consumes the first one that matches."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be >= 1 (or None for 'until cleared')")
        self._faults.append(fault)
        return fault

    def take(self, method: str, channel: str | None = None) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, channel):
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    def clear(self, method: str | None = None) -> None:
        self._faults = [f for f in self._faults if method is not None and f.method != method]

    @property
    def pending(self) -> list[Fault]:
        return [f for f in self._faults if f.remaining != 0]


class ChannelRateLimiter:
    """Token bucket per channel: ``per_second`` refill, ``burst`` capacity (Slack: ~1 msg/s/channel)."""

    def __init__(self, per_second: float, burst: int, clock: Callable[[], float]) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("per_second must be > 0 and burst >= 1")
        self.per_second = per_second
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, updated_at)

    def acquire(self, channel: str) -> int | None:
        """Take a token for ``channel``; ``None`` if allowed, else the Retry-After in whole seconds."""
        now = self._clock()
        tokens, updated = self._buckets.get(channel, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - updated) * self.per_second)
        if tokens >= 1.0:
            self._buckets[channel] = (tokens - 1.0, now)
            return None
        self._buckets[channel] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.per_second))


class FaultControls:
    """The fault-injection API of the local Slack. ``times=None`` keeps a fault until cleared;
    ``method="*"`` matches every method (and response_url posts, scripted as ``"response_url"``)."""

    faults: FaultPlan
    _limiter: ChannelRateLimiter | None
    _clock: Callable[[], float]
    _closing: asyncio.Event  # set when the server shuts down: a hung answer ends then

    def fail(self, method: str = ANY_METHOD, status: int = 500, times: int | None = 1) -> Fault:
        """Answer ``status`` (5xx) with ``{"ok": false, "error": "internal_error"}``; nothing changes."""
        return self.faults.add(Fault("fail", method, times, status=status, error="internal_error"))

    def rate_limit(self, method: str = ANY_METHOD, retry_after: int = 1, times: int | None = 1) -> Fault:
        """Answer HTTP 429, ``Retry-After: retry_after`` and ``{"ok": false, "error": "ratelimited"}``."""
        fault = Fault("rate_limit", method, times, status=429, error="ratelimited", retry_after=retry_after)
        return self.faults.add(fault)

    def hang(
        self,
        method: str = ANY_METHOD,
        seconds: float = 30.0,
        times: int | None = 1,
        *,
        process: bool = False,
        channel: str | None = None,
    ) -> Fault:
        """Delay the answer by ``seconds``; then 504 ``request_timeout`` and no state change, or with
        ``process=True`` handle it normally (Slack acted but the client had given up: a lost response).
        With ``channel``, only calls about that channel."""
        fault = Fault(
            "hang",
            method,
            times,
            status=504,
            error="request_timeout",
            seconds=seconds,
            process=process,
            channel=channel,
        )
        return self.faults.add(fault)

    def error(self, method: str, error: str, times: int | None = 1, *, channel: str | None = None) -> Fault:
        """Answer HTTP 200 ``{"ok": false, "error": error}``; nothing changes. With ``channel``, only
        calls about that channel: ``error("*", "not_in_channel", None, channel="C1")`` is a channel
        the bot was never invited to, until :meth:`clear_faults` invites it."""
        return self.faults.add(Fault("error", method, times, status=200, error=error, channel=channel))

    def clear_faults(self, method: str | None = None) -> None:
        self.faults.clear(method)

    def per_channel_limit(self, per_second: float | None = 1.0, burst: int = 1) -> None:
        """429 (``ratelimited`` + Retry-After) for chat.postMessage/update/postEphemeral/delete beyond
        ``per_second`` per channel with bursts of ``burst``; ``None`` turns it off (the default)."""
        self._limiter = None if per_second is None else ChannelRateLimiter(per_second, burst, self._clock)

    # ------------------------------------------------------------------ used by the server
    async def intercept(self, method: str, args: JSON) -> Reply | None:
        """The scripted answer to ``method`` with ``args`` (or a response_url post with its
        body) instead of handling it; None: handle it."""
        channel = args.get("channel")
        fault = self.faults.take(method, channel if isinstance(channel, str) else None)
        return None if fault is None else await self._fault_reply(fault)

    def admit(self, method: str, args: JSON) -> Reply | None:
        """The rate limit's refusal of an authenticated call; None: go ahead."""
        channel = args.get("channel")
        if self._limiter and method in RATE_LIMITED_METHODS and isinstance(channel, str) and channel:
            retry_after = self._limiter.acquire(channel)
            if retry_after is not None:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        return None

    async def _fault_reply(self, fault: Fault) -> Reply | None:
        body: JSON = {"ok": False, "error": fault.error}
        if fault.kind == "rate_limit":
            return 429, body, {"Retry-After": str(fault.retry_after)}
        if fault.kind != "hang":
            return fault.status, body, {}
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), fault.seconds)
        return None if fault.process and not self._closing.is_set() else (fault.status, body, {})
