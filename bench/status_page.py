"""Issue 21's status page benchmark (``python -m bench --status``): 1,000 public incidents in the
last 90 days (each with three published updates; the newest still open) among 10,000 others in
Postgres, the real bot (``python -m bot``), and then:

- ``GET /status`` (and ``/status.json``, ``/status/feed.atom``) one request at a time while 500
  live readers hold ``GET /status/events`` streams open: steady, and while an update is published
  on one of the open public incidents every 250 ms (each change makes the page be read again);
- live updates: an update published through Slack, and the time from sending it to its ``status``
  event at each of the 500 streams.

Target (issue 21): ``/status`` p95 ≤ 50 ms with 1,000 public incidents and 500 live clients.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.console_seed import PEOPLE, Story, seed, stories
from bench.harness import RESULTS, SECRET, WORKSPACE, log, server_environment
from bench.live_streams import LiveStreams
from bench.load import SlackRequests, summarize
from bench.processes import ServerProcess
from bot.local_slack import LocalSlack, SlackState
from domain import commands as cmd
from domain.incident import Incident, IncidentRef, Undeclared
from domain.severity import Severity
from storage.database import create_engine, database_config
from storage.migrate import upgrade
from storage.scratch_databases import fresh_postgres_database
from storage.stored import RecordedEvent

PUBLIC = 1_000
PRIVATE = 10_000
STILL_OPEN = 5
CHANNEL = "C0BENCH00"
RECENT = timedelta(days=85)


def public_stories(workspace: str, count: int, end: datetime) -> Iterator[tuple[Incident, list[RecordedEvent]]]:
    """The older private history first (console_seed's), then ``PUBLIC`` public incidents over the
    last 85 days: declared, made public, three updates, resolved (but the newest few)."""
    yield from stories(workspace, count - PUBLIC, end - RECENT)
    for offset in range(PUBLIC):
        number = count - PUBLIC + offset + 1
        declared_at = end - RECENT + RECENT * (offset / PUBLIC)
        who = PEOPLE[offset % len(PEOPLE)]
        story = Story(Undeclared(IncidentRef(workspace, number)), declared_at)
        title = f"Checkout errors for EU card payments #{number}"
        severity = Severity(1 + offset % 4)
        story.do(cmd.Declare(actor=who, title=title, severity=severity, channel_id=CHANNEL), timedelta(0))
        story.do(cmd.SetPublic(actor=who, public=True), timedelta(minutes=1))
        for step, text in enumerate(("We are investigating.", "A fix is being deployed.", "Recovering.")):
            update = f"{text} Card payments in the EU may fail; retrying usually works. (update {step + 1})"
            story.do(cmd.PostStakeholderUpdate(actor=who, text=update, model=None), timedelta(minutes=20))
        if offset < PUBLIC - STILL_OPEN:
            story.do(cmd.Resolve(actor=who, summary="rolled back"), timedelta(minutes=30))
        assert isinstance(story.state, Incident)
        yield story.state, story.history


async def run(samples: int, live_clients: int, live_changes: int) -> dict[str, Any]:
    async with fresh_postgres_database("firebreak_status_bench") as url:
        engine = create_engine(database_config(url))
        await upgrade(engine)
        await engine.dispose()
        started = time.perf_counter()
        raw_url = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        await seed(raw_url, WORKSPACE, PRIVATE + PUBLIC, made=public_stories)
        log(f"seeded {PRIVATE + PUBLIC} incidents ({PUBLIC} public) in {time.perf_counter() - started:.0f} s")
        async with LocalSlack("xoxb-bench", state=SlackState(team_id=WORKSPACE)) as slack:
            environment = server_environment(slack, url) | {"LOG_LEVEL": "WARNING"}
            server = ServerProcess("bot", environment, RESULTS / "status-bot.log")
            await server.start(timeout=120)
            try:
                # No connection limit: each stream holds a connection of its own, as a browser does. An
                # event is one line, as long as the open incidents' updates make it.
                connector = aiohttp.TCPConnector(limit=0)
                async with aiohttp.ClientSession(connector=connector, read_bufsize=2**22) as session:
                    requests = SlackRequests(slack, SECRET, WORKSPACE)
                    figures = await _with_readers(
                        session, server.url, requests, samples=samples, clients=live_clients, changes=live_changes
                    )
                figures["bytes_sent"] = await _sizes(server.url)
            finally:
                await server.stop()
    return {"public_incidents": PUBLIC, "incidents": PRIVATE + PUBLIC, "samples": samples} | figures


async def _sizes(base: str) -> dict[str, dict[str, int]]:
    """Each document's bytes as sent to a client that takes only identity, and to one that takes gzip."""
    sizes: dict[str, dict[str, int]] = {}
    async with aiohttp.ClientSession(auto_decompress=False) as raw:
        for path in ("/status", "/status.json", "/status/feed.atom"):
            sizes[path] = {}
            for coding in ("identity", "gzip"):
                async with raw.get(base + path, headers={"Accept-Encoding": coding}) as response:
                    sizes[path][coding] = len(await response.read())
    log(f"bytes sent: {sizes}")
    return sizes


async def _timed(session: aiohttp.ClientSession, url: str) -> float:
    started = time.perf_counter()
    async with session.get(url) as response:
        body = await response.read()
        assert response.status == 200, f"{url} answered {response.status}: {body[:200]!r}"
    return (time.perf_counter() - started) * 1000


async def _latencies(session: aiohttp.ClientSession, url: str, samples: int, pause: float = 0.0) -> dict[str, Any]:
    """One request at a time, ``pause`` seconds apart, after 5 to warm up."""
    for _ in range(5):
        await _timed(session, url)
    times = []
    for _ in range(samples):
        times.append(await _timed(session, url))
        await asyncio.sleep(pause)
    return summarize(times)


async def _publish(
    session: aiohttp.ClientSession, base: str, requests: SlackRequests, text: str, newest: int = 0
) -> float:
    """An update published through Slack on an open public incident (the ``newest``-th newest, 0:
    the newest); when it was sent."""
    update = requests.slash(CHANNEL, f"update INC-{PRIVATE + PUBLIC - newest} {text}")
    sent = time.perf_counter()
    async with session.post(f"{base}/slack/events", data=update.body, headers=update.headers) as answer:
        assert answer.status == 200
    return sent


async def _with_readers(
    session: aiohttp.ClientSession, base: str, requests: SlackRequests, *, samples: int, clients: int, changes: int
) -> dict[str, Any]:
    streams = LiveStreams(session, f"{base}/status/events", clients, lambda line: line.startswith(b"event: status"))
    async with streams:
        pages = {
            "status": await _latencies(session, f"{base}/status", samples),
            "status_json": await _latencies(session, f"{base}/status.json", samples),
            "feed_atom": await _latencies(session, f"{base}/status/feed.atom", max(20, samples // 4)),
        }
        pages["status_while_changing"] = await _while_changing(session, base, requests, samples)
        live = await _live(session, base, requests, streams, changes)
    for name, summary in pages.items():
        log(f"{name}: p50 {summary['p50']:.1f} ms, p95 {summary['p95']:.1f} ms")
    return {"pages": pages, "live": live | {"clients": clients}}


async def _while_changing(
    session: aiohttp.ClientSession, base: str, requests: SlackRequests, samples: int
) -> dict[str, Any]:
    """``GET /status`` every 50 ms while an update is published every 250 ms on one of the open
    incidents in turn: each change is followed by a read of the database and a new rendering,
    which one request in five or so waits for (or is served the page of a moment before)."""
    stop = asyncio.Event()

    async def publishing() -> None:
        step = 0
        while not stop.is_set():
            step += 1
            await _publish(session, base, requests, f"Still recovering ({step}).", newest=step % STILL_OPEN)
            await asyncio.sleep(0.25)

    task = asyncio.create_task(publishing())
    try:
        return await _latencies(session, f"{base}/status", samples, pause=0.05)
    finally:
        stop.set()
        await task


async def _live(
    session: aiohttp.ClientSession, base: str, requests: SlackRequests, streams: LiveStreams, changes: int
) -> dict[str, Any]:
    """Each published update's delay to each stream: from sending it to the first event after it
    (nothing else changes the page meanwhile)."""
    delays: list[float] = []
    await asyncio.sleep(2)  # the updates of the run before have reached every stream
    for change in range(changes):
        delays += await streams.delays_after(
            functools.partial(_publish, session, base, requests, f"Live check {change}.")
        )
        await asyncio.sleep(0.5)
    missed = len(streams.times) * changes - len(delays)
    summary = summarize(delays) | {"changes": changes, "missed": missed}
    log(f"live update: p50 {summary['p50']:.0f} ms, p99 {summary['p99']:.0f} ms, missed {missed}")
    return summary


async def main(quick: bool) -> Path:
    result = await run(samples=50 if quick else 300, live_clients=500, live_changes=5 if quick else 20)
    path = RESULTS / ("status-quick.json" if quick else "status.json")
    path.write_text(json.dumps(result, indent=2))
    return path
