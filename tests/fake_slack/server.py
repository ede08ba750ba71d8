"""FakeSlack: the local Slack server of :mod:`bot.local_slack` plus scripted faults and rate limits."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from bot.local_slack import LocalSlack, Reply, SlackState
from bot.local_slack.models import JSON
from bot.local_slack.server import RESPONSE_URL

from .faults import ChannelRateLimiter, Fault, FaultControls, FaultPlan

RATE_LIMITED_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.delete"})

__all__ = ["RATE_LIMITED_METHODS", "RESPONSE_URL", "FakeSlack"]


class FakeSlack(FaultControls, LocalSlack):
    """Fake Slack for tests: point ``AsyncWebClient(base_url=slack.base_url)`` at it."""

    def __init__(
        self,
        token: str = "xoxb-test",
        *,
        state: SlackState | None = None,
        validate_blocks: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(token, state=state, validate_blocks=validate_blocks, host=host, port=port, clock=clock)
        self.faults = FaultPlan()
        self._limiter: ChannelRateLimiter | None = None

    def reset(self) -> None:
        """Forget calls, posts, Slack state, faults and the per-channel limit (ts stay unique)."""
        self.faults.clear()
        self._limiter = None
        super().reset()

    async def intercept(self, method: str, args: JSON) -> Reply | None:
        channel = args.get("channel")
        fault = self.faults.take(method, channel if isinstance(channel, str) else None)
        return None if fault is None else await self._fault_reply(fault)

    def admit(self, method: str, args: JSON) -> Reply | None:
        channel = args.get("channel")
        if self._limiter and method in RATE_LIMITED_METHODS and isinstance(channel, str) and channel:
            retry_after = self._limiter.acquire(channel)
            if retry_after is not None:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        return None

    def state_report(self) -> str:
        return f"{super().state_report()}; pending faults: {self.faults.pending}"

    async def _fault_reply(self, fault: Fault) -> Reply | None:
        body: JSON = {"ok": False, "error": fault.error}
        if fault.kind == "rate_limit":
            return 429, body, {"Retry-After": str(fault.retry_after)}
        if fault.kind != "hang":
            return fault.status, body, {}
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.closing.wait(), fault.seconds)
        return None if fault.process and not self.closing.is_set() else (fault.status, body, {})
