"""Issue 17's console benchmark (``python -m bench --console``): a workspace with 100,000 incidents
and their timelines in Postgres (bench/console_seed.py), the real bot (``python -m bot``) with the
console on, signed in through the local Slack's Sign in with Slack over HTTP, and then:

- page latency, one request at a time: the list's first page, a filtered page and a deep page
  (reached by following "Older incidents" links), an incident's page, insights (HTML and JSON, as
  the page opens: the 12 weeks shown; and over all of history);
- live updates: 200 browsers' worth of ``GET /events`` streams open; a note is sent to the bot
  through Slack, and the time from sending it to its event at each stream is taken.

Targets (SPEC §12, issue 17): list and detail p95 ≤ 50 ms, insights ≤ 200 ms, live update p99 ≤ 1 s.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin

import aiohttp

from bench.console_seed import seed
from bench.harness import RESULTS, SECRET, WORKSPACE, log, server_environment
from bench.live_streams import LiveStreams
from bench.load import SlackRequests, summarize
from bench.processes import ServerProcess
from bot.handler.runner import CommandRunner
from bot.local_slack import LocalSlack, SlackState
from domain import commands as cmd
from domain.incident import IncidentRef
from storage.database import create_engine, database_config
from storage.migrate import upgrade
from storage.scratch_databases import fresh_postgres_database

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "bench-console-client-secret"  # noqa: S105 - the benchmark's own local Slack app
SESSION_SECRET = "yF4lbS2mZPq3nQ1m0Gv0oQ6b8a2s9WcJx7K5uTg3dEw="  # noqa: S105 - a throwaway key
SIGNED_IN_AS = "U0ALICE"
DEEP_PAGES = 100  # "Older incidents" followed this many times: 5,000 incidents in
_NEXT = re.compile(r'<a href="([^"]+)" id="next-page"')


async def run(incidents: int, samples: int, live_clients: int, live_changes: int) -> dict[str, Any]:
    async with fresh_postgres_database("firebreak_console_bench") as url:
        engine = create_engine(database_config(url))
        await upgrade(engine)
        await engine.dispose()
        started = time.perf_counter()
        await seed(url.replace("postgresql+asyncpg://", "postgresql://", 1), WORKSPACE, incidents)
        log(f"seeded {incidents} incidents in {time.perf_counter() - started:.0f} s")
        async with LocalSlack("xoxb-bench", state=SlackState(team_id=WORKSPACE)) as slack:
            slack.sign_in.register(CLIENT_ID, CLIENT_SECRET)
            environment = server_environment(slack, url) | {
                "SLACK_CLIENT_ID": CLIENT_ID,
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "SLACK_OAUTH_URL": slack.authorize_url,
                "SESSION_SECRET": SESSION_SECRET,
                "LOG_LEVEL": "WARNING",
            }
            server = ServerProcess("bot", environment, RESULTS / "console-bot.log")
            server.env["CONSOLE_URL"] = server.url
            await server.start(timeout=120)
            try:
                # No connection limit: each stream holds a connection of its own, as a browser does.
                async with aiohttp.ClientSession(
                    cookie_jar=aiohttp.CookieJar(unsafe=True), connector=aiohttp.TCPConnector(limit=0)
                ) as session:
                    await _sign_in(session, server.url)
                    pages = await _pages(session, server.url, incidents, samples)
                    pages["report_5000_entries"] = await _report(session, server.url, url, incidents, samples)
                    # The newest incident is still open, so a note is taken.
                    live = await _live(
                        session, server.url, slack, number=incidents, clients=live_clients, changes=live_changes
                    )
            finally:
                await server.stop()
    return {"incidents": incidents, "samples": samples, "pages": pages, "live": live}


async def _sign_in(session: aiohttp.ClientSession, base: str) -> None:
    """What a person does: /login, their name on the local Slack's page, back to the console."""
    async with session.get(f"{base}/login", allow_redirects=False) as login:
        authorize = login.headers["Location"]
    fields = dict(parse_qsl(authorize.split("?", 1)[1])) | {"user": SIGNED_IN_AS}
    async with session.post(authorize.split("?", 1)[0], data=fields, allow_redirects=False) as chosen:
        callback = chosen.headers["Location"]
    async with session.get(callback, allow_redirects=False) as signed_in:
        assert signed_in.status == 302, f"sign-in failed: {signed_in.status}"


async def _timed(session: aiohttp.ClientSession, url: str) -> tuple[float, str]:
    started = time.perf_counter()
    async with session.get(url, allow_redirects=False) as response:
        body = await response.text()
        assert response.status == 200, f"{url} answered {response.status}: {body[:200]}"
    return (time.perf_counter() - started) * 1000, body


async def _latencies(session: aiohttp.ClientSession, urls: list[str]) -> dict[str, Any]:
    for url in urls[:5]:  # warm: first requests prepare statements and fill the members cache
        await _timed(session, url)
    return summarize([(await _timed(session, url))[0] for url in urls])


async def _deep_page(session: aiohttp.ClientSession, base: str) -> str:
    url = f"{base}/incidents?status=all"
    for _ in range(DEEP_PAGES):
        _, body = await _timed(session, url)
        found = _NEXT.search(body)
        assert found is not None, "the list ended before the deep page"
        url = urljoin(base, found.group(1).replace("&amp;", "&"))
    return url


async def _pages(session: aiohttp.ClientSession, base: str, incidents: int, samples: int) -> dict[str, Any]:
    rng = random.Random(17)  # noqa: S311 - which incidents to open, not a secret
    deep = await _deep_page(session, base)
    filtered = f"{base}/incidents?status=all&severity=SEV1&service=service-03"
    figures = {
        "list_first_page": await _latencies(session, [f"{base}/incidents?status=all"] * samples),
        "list_open": await _latencies(session, [f"{base}/incidents"] * samples),
        "list_filtered": await _latencies(session, [filtered] * samples),
        "list_title_search": await _latencies(session, [f"{base}/incidents?status=all&q=payments"] * samples),
        "list_deep_page": await _latencies(session, [deep] * samples),
        "detail": await _latencies(
            session, [f"{base}/incidents/INC-{rng.randint(1, incidents)}" for _ in range(samples)]
        ),
        "insights": await _latencies(session, [f"{base}/insights"] * max(20, samples // 4)),
        "insights_json": await _latencies(session, [f"{base}/insights.json"] * max(20, samples // 4)),
        "insights_all_history": await _latencies(session, [f"{base}/insights?from="] * max(20, samples // 4)),
    }
    for name, summary in figures.items():
        log(f"{name}: p50 {summary['p50']:.1f} ms, p95 {summary['p95']:.1f} ms")
    return figures


async def _report(
    session: aiohttp.ClientSession, base: str, database_url: str, number: int, samples: int
) -> dict[str, Any]:
    """Issue 18: GET /incidents/INC-n/report.md once the newest (open) incident's timeline has
    5,000 entries (notes added through the handler, as Slack's would be; target p95 ≤ 200 ms)."""
    engine = create_engine(database_config(database_url))
    runner = CommandRunner(engine)
    ref, at = IncidentRef(WORKSPACE, number), datetime.now(UTC)
    try:
        for start in range(0, 5000, 100):  # side by side, so they share group commits
            notes = [
                cmd.AddNote(actor=SIGNED_IN_AS, text=f"checked host-{n % 40} | `ok` #{n}")
                for n in range(start, start + 100)
            ]
            await asyncio.gather(*(runner.execute(ref, note, now=at) for note in notes))
    finally:
        await engine.dispose()
    summary = await _latencies(session, [f"{base}/incidents/INC-{number}/report.md"] * samples)
    log(f"report.md, 5,000 entries: p50 {summary['p50']:.1f} ms, p95 {summary['p95']:.1f} ms")
    return summary


async def _live(
    session: aiohttp.ClientSession, base: str, slack: LocalSlack, *, number: int, clients: int, changes: int
) -> dict[str, Any]:
    """Each change's delay to each open stream: from sending a note through Slack to reading the
    event that names its incident."""
    _, page = await _timed(session, f"{base}/incidents/INC-{number}")
    found = re.search(r'data-live="incident:(\d+)"', page)
    assert found is not None, "the incident page says nothing of what it follows"
    watched = int(found.group(1))
    requests = SlackRequests(slack, SECRET, WORKSPACE)

    def names_it(line: bytes) -> bool:
        return line.startswith(b"data: ") and watched in json.loads(line[6:]).get("incidents", ())

    async def send_note(change: int) -> float:
        note = requests.slash("C0BENCH00", f"note INC-{number} live update {change}")
        sent = time.perf_counter()
        async with session.post(f"{base}/slack/events", data=note.body, headers=note.headers) as answer:
            assert answer.status == 200
        return sent

    delays: list[float] = []
    async with LiveStreams(session, f"{base}/events", clients, names_it) as streams:
        for change in range(changes):
            delays += await streams.delays_after(functools.partial(send_note, change))
            await asyncio.sleep(0.25)
    missed = clients * changes - len(delays)
    summary = summarize(delays) | {"clients": clients, "changes": changes, "missed": missed}
    log(f"live update: p50 {summary['p50']:.0f} ms, p99 {summary['p99']:.0f} ms, missed {missed}")
    return summary


async def main(quick: bool) -> Path:
    result = await run(
        incidents=10_000 if quick else 100_000,
        samples=50 if quick else 200,
        live_clients=200,
        live_changes=10 if quick else 30,
    )
    path = RESULTS / ("console-quick.json" if quick else "console.json")
    path.write_text(json.dumps(result, indent=2))
    return path
