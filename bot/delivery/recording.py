"""Recording what Slack already accepted: retried until the database answers.

Once Slack has a message, giving up on recording it would have it sent again later (its row's
lease runs out, or a card without its ts is posted anew): a duplicate in the thread. So the write
is retried, with backoff, for as long as it takes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 0.2
RETRY_MAX_SECONDS = 5.0


async def until_recorded(write: Callable[[], Awaitable[None]], what: str, context: dict[str, Any]) -> None:
    delay = RETRY_FIRST_SECONDS
    while True:
        try:
            await write()
        except Exception as error:
            log.warning(
                f"could not record {what} Slack accepted; retrying",
                extra=context | {"error": type(error).__name__, "retry_in_s": delay},
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)
            continue
        return
