"""``GET /events``: the console's pages follow changes live, made anywhere (Slack, the console,
the scheduler) on any replica, through server-sent events fed by storage.change_feed.

Each event names the incidents that changed (``changed``) or says that anything may have
(``resync``); the page decides whether it shows one of them and fetches itself again
(static/live.js). Event ids are the hub's marks: a browser that reconnects with ``Last-Event-ID``
is given what it missed, or one ``resync`` when this replica cannot tell (it restarted, the browser
came back to another replica, or the gap is too old). A page passes the mark it was rendered at
(``data-live-after``) as ``?after=`` when it first connects, so that a change between rendering and
connecting is not missed either.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress

from aiohttp import web

from bot.receivers.console.context import CONSOLE, console_of
from bot.receivers.console.signed_in import api
from storage.change_feed import Changed, ChangeHub, hub_of

routes = web.RouteTableDef()

# A comment line this often keeps proxies and load balancers from closing an idle stream.
KEEPALIVE_SECONDS = 15.0
# How soon a browser tries again after the stream ends.
RETRY_MILLISECONDS = 1000


@routes.get("/events")
@api
async def events(request: web.Request) -> web.StreamResponse:
    hub = hub_of(console_of(request).engine)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # nginx would otherwise hold events back
        }
    )
    await response.prepare(request)
    await response.write(f"retry: {RETRY_MILLISECONDS}\n\n".encode())
    mark = request.headers.get("Last-Event-ID") or request.query.get("after", "")
    last_seen = hub.after(mark)
    with hub.subscribe(after=last_seen) as queue, suppress(ConnectionResetError):  # the browser left
        if mark and last_seen is None:
            await response.write(_frame(hub, None))
        while (frame := await _next_frame(hub, queue)) is not None:
            await response.write(frame)
        await response.write_eof()  # the bot is stopping
    return response


async def _next_frame(hub: ChangeHub, queue: asyncio.Queue[Changed | None]) -> bytes | None:
    try:
        changed = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
    except TimeoutError:
        return b": keepalive\n\n"
    return None if changed is None else _frame(hub, changed)


async def end_streams(app: web.Application) -> None:
    """At shutdown: every open stream ends now (browsers reconnect to another replica), rather
    than holding the shutdown up until it times out."""
    console = app.get(CONSOLE)
    if console is not None:
        hub_of(console.engine).close()


def _frame(hub: ChangeHub, changed: Changed | None) -> bytes:
    """``None``: the browser's mark is not this replica's, so it may have missed anything."""
    if changed is None:
        return f"id: {hub.mark}\nevent: resync\ndata: {{}}\n\n".encode()
    event_id = f"id: {hub.boot}:{changed.seq}\n"
    if changed.anything:
        return f"{event_id}event: resync\ndata: {{}}\n\n".encode()
    data = json.dumps({"incidents": sorted(changed.incident_ids)})
    return f"{event_id}event: changed\ndata: {data}\n\n".encode()
