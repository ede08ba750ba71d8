"""Live updates for the page: every change to the local Slack is pushed as a server-sent event."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from aiohttp import web

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
_QUEUE_MAX = 200


class Live:
    """Fans changes out to every open event stream; each stream has a queue of its own."""

    def __init__(self) -> None:
        self.version = 0
        self._queues: set[asyncio.Queue[str | None]] = set()

    def changed(self, what: str) -> None:
        self.version += 1
        for queue in self._queues:
            with contextlib.suppress(asyncio.QueueFull):  # a stalled page refetches on the next one
                queue.put_nowait(what)

    def close(self) -> None:
        for queue in self._queues:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """``GET /playground/events``: ``event: change`` with ``{"version", "what"}`` per change."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        queue: asyncio.Queue[str | None] = asyncio.Queue(_QUEUE_MAX)
        self._queues.add(queue)
        try:
            await response.write(_event("hello", {"version": self.version}))
            while True:
                try:
                    what = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                if what is None:
                    break
                await response.write(_event("change", {"version": self.version, "what": what}))
        except (ConnectionResetError, RuntimeError) as error:  # the page went away
            log.debug("event stream closed", extra={"reason": type(error).__name__})
        finally:
            self._queues.discard(queue)
        return response


def _event(name: str, data: dict[str, object]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
