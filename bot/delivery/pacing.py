"""Keeping within Slack's per-channel rate instead of hammering it.

Slack takes about one message a second per channel, with short bursts; past that it answers 429.
A token bucket per channel spaces the bot's writes, and a 429's Retry-After blocks that channel
for every incident in it, not only the one whose call was refused. Pacing runs on the real
monotonic clock: it is about Slack's wall-clock limits, not about incident time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot.delivery.outcomes import RetryLater
from bot.runtime.metrics import SLACK_RATE_LIMIT_WAIT, SLACK_RATE_LIMITED

# Waits up to this long are slept through in place; longer ones go back to the outbox.
MAX_INLINE_WAIT_SECONDS = 2.0
# Cards whose last edit time is kept before the ones edited over a second ago are forgotten.
SPACED_CARDS_MAX = 10_000


class ChannelPacer:
    # No burst by default: the audit lines queued while a message waits its turn go out merged in
    # the next one (see bot.delivery.units), so a busy channel gets one message a second holding
    # them all, instead of a burst of single lines and then the same wait. Edits are not paced.
    def __init__(
        self, per_second: float = 1.0, burst: int = 1, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = per_second
        self._burst = float(burst)
        self._monotonic = monotonic
        self._tokens: dict[str, float] = {}
        self._updated: dict[str, float] = {}
        self._blocked_until: dict[str, float] = {}

    def take(self, channel: str) -> float:
        """Use a slot now and return 0, or return how many seconds until one is free."""
        now = self._monotonic()
        blocked = self._blocked_until.get(channel, 0.0) - now
        if blocked > 0:
            return blocked
        tokens = min(
            self._burst, self._tokens.get(channel, self._burst) + (now - self._updated.get(channel, now)) * self._rate
        )
        self._updated[channel] = now
        if tokens >= 1.0:
            self._tokens[channel] = tokens - 1.0
            return 0.0
        self._tokens[channel] = tokens
        return (1.0 - tokens) / self._rate

    def block(self, channel: str, seconds: float) -> None:
        """Slack said 429: nothing more goes to this channel until Retry-After has passed."""
        SLACK_RATE_LIMITED.inc()
        SLACK_RATE_LIMIT_WAIT.inc(seconds)
        until = self._monotonic() + seconds
        self._blocked_until[channel] = max(until, self._blocked_until.get(channel, 0.0))

    def blocked(self, channel: str) -> bool:
        return self._blocked_until.get(channel, 0.0) > self._monotonic()

    async def unblocked(self, channel: str) -> None:
        """Wait out a 429's Retry-After for ``channel`` without taking a slot: Slack paces new
        messages, not edits of one already posted (SPEC §2 "Card updates come first")."""
        wait = self._blocked_until.get(channel, 0.0) - self._monotonic()
        if wait <= 0:
            return
        if wait > MAX_INLINE_WAIT_SECONDS:
            raise RetryLater(f"channel {channel} blocked by Slack", delay=wait)
        await asyncio.sleep(wait)

    async def acquire(self, channel: str) -> None:
        wait = self.take(channel)
        if wait <= 0:
            return
        if wait > MAX_INLINE_WAIT_SECONDS:
            raise RetryLater(f"pacing channel {channel}", delay=wait)
        await asyncio.sleep(wait)
        # The slot this wait was for is now ours; not asking again also means a clock that does
        # not move (a test's) cannot keep a sender waiting forever.
        self._tokens[channel] = 0.0
        self._updated[channel] = self._monotonic()


class CardEditSpacing:
    """A card is edited at most once a second.

    Each click used to edit its card at once, so twenty changes in a second cost twenty
    ``chat.update`` calls on one message. The first edit still goes at once; one asked for within
    the second after it waits out the rest of that second, and is then rendered from the incident
    as it is by then, so it shows every change made meanwhile (the edits queued behind it find the
    card already showing their version, and cost no Slack call). A change is on screen within a
    second of its ack either way (SPEC §2).
    """

    def __init__(self, seconds: float = 1.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._monotonic = monotonic
        self._edited: dict[int, float] = {}  # incident id → when its card was last edited

    async def turn(self, incident_id: int) -> bool:
        """Wait for the card's next edit; True if it had to, and so is to be rendered afresh."""
        wait = self._edited.get(incident_id, -self._seconds) + self._seconds - self._monotonic()
        if wait <= 0:
            return False
        await asyncio.sleep(wait)
        return True

    def edited(self, incident_id: int) -> None:
        now = self._monotonic()
        if len(self._edited) >= SPACED_CARDS_MAX:
            # Only cards edited within the last second still need spacing.
            self._edited = {key: at for key, at in self._edited.items() if now - at < self._seconds}
        self._edited[incident_id] = now
