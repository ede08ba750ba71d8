"""What every benchmark scenario shares: the fake Slack (in this process), the signed-request
builder, the HTTP client, the bot's database, the request mixes and the saturation run.

The fake Slack runs in the orchestrator's own process on ``time.perf_counter``, the clock the load
generator stamps its requests with, so a request's send time and the arrival of the Slack call it
caused (``Call.at``) are on one clock and can be subtracted.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from bench.load import Client, LoadResult, Signed, SlackRequests
from bench.processes import Profiler, ServerProcess, postgres_cpu_seconds
from bot.local_slack import Call, LocalSlack, Message
from storage.scratch_databases import fresh_postgres_database

WORKSPACE = "TBENCH"
SECRET = "bench-signing-secret"  # noqa: S105 - signs the benchmark's own requests
RESULTS = Path(__file__).parent / "results"
DECLARE = "checkout is failing for EU customers sev3"
SEVERITY = "incident.severity"
ACK = "incident.ack"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def server_environment(slack: LocalSlack, database_url: str) -> dict[str, str]:
    """What the bot (and the bare Bolt baseline) needs: the fake Slack, the secret, the database."""
    return {
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
        "DATABASE_URL": database_url,
    }


class Harness:
    """The fake Slack, the request builder, the HTTP client and the database, with the questions
    every scenario asks of them: is the outbox drained, which Slack calls came since a mark."""

    def __init__(self, slack: LocalSlack, client: Client, database_url: str) -> None:
        self.slack = slack
        self.client = client
        self.database_url = database_url
        self.requests = SlackRequests(slack, SECRET, WORKSPACE)
        # One connection for polling the outbox: a new one each poll would start a Postgres backend
        # ten times a second, on the cores the bot is measured on.
        self._connection: Any = None

    async def pending(self) -> int:
        if self._connection is None or self._connection.is_closed():
            self._connection = await asyncpg.connect(self.database_url)
        count = await self._connection.fetchval(
            "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL"
        )
        return int(count)

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    async def settle(self, timeout: float = 300.0) -> float:  # noqa: ASYNC109
        """Wait until everything committed so far has gone to Slack; seconds it took."""
        started = time.perf_counter()
        while await self.pending():
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"the outbox did not drain within {timeout}s")
            await asyncio.sleep(0.1)
        return time.perf_counter() - started

    def calls_since(self, mark: int) -> list[Call]:
        return [call for call in self.slack.calls[mark:] if call.method != "auth.test"]

    async def first_call(self, mark: int, method: str, *, channel: str, ts: str | None = None) -> Call:
        def found(slack: LocalSlack) -> Call | None:
            for call in slack.calls[mark:]:
                same_message = ts is None or call.args.get("ts") == ts
                if call.method == method and call.args.get("channel") == channel and same_message:
                    return call
            return None

        return await self.slack.wait_for(found, timeout=30, what=f"{method} in {channel}")

    async def declare(self, url: str, channel: str, text: str = DECLARE) -> Message:
        """``@firebreak <text>`` in ``channel``; returns the incident's card once it is posted."""
        mark = len(self.slack.calls)
        request, _ = self.requests.mention(channel, text)
        status, _, _ = await self.client.send(url, request)
        if status != 200:
            raise RuntimeError(f"mention answered {status}")
        posted = await self.first_call(mark, "chat.postMessage", channel=channel)
        card = self.slack.message(channel, str(posted.response["ts"]))
        assert card is not None
        return card

    async def event_counts(self) -> dict[str, int]:
        connection = await asyncpg.connect(self.database_url)
        try:
            rows = await connection.fetch("SELECT type, count(*) AS n FROM incident_events GROUP BY type")
        finally:
            await connection.close()
        return {row["type"]: int(row["n"]) for row in rows}


@asynccontextmanager
async def fresh_harness() -> AsyncIterator[Harness]:
    """A harness on a fresh Postgres database, with the fake Slack on the load generator's clock."""
    async with (
        fresh_postgres_database("firebreak_bench") as database_url,
        LocalSlack("xoxb-test", validate_blocks=False, clock=time.perf_counter) as slack,
        Client() as client,
    ):
        harness = Harness(slack, client, database_url)
        try:
            yield harness
        finally:
            await harness.close()


def by_method(calls: list[Call]) -> dict[str, int]:
    return dict(Counter(call.method for call in calls))


def ok(result: LoadResult, what: str) -> None:
    bad = {status: n for status, n in result.statuses.items() if status != 200}
    if bad:
        raise RuntimeError(f"{what}: non-200 answers {bad}")


def brief(result: LoadResult) -> str:
    figures = result.figures()
    return (
        f"n={figures['n']} p50={figures['p50']:.1f} p95={figures['p95']:.1f} p99={figures['p99']:.1f} "
        f"max={figures['max']:.1f} ms, {figures['throughput_per_s']:.0f}/s"
    )


# ---------------------------------------------------------------------- request mixes
def notes(harness: Harness, channels: Sequence[str], count: int, tag: str) -> list[Signed]:
    """``/incident note …`` round-robin over the incidents' channels (one open incident in each)."""
    return [harness.requests.slash(channels[i % len(channels)], f"note {tag} step {i} done") for i in range(count)]


def next_severity(card: Message, flips: dict[str, int]) -> str:
    """Alternately SEV4 and SEV3 for each card, so that every pick is a change (a card declared at
    SEV3 gets SEV4 first, one declared at SEV2 either)."""
    flips[card.ts] = flips.get(card.ts, 0) + 1
    return "SEV4" if flips[card.ts] % 2 else "SEV3"


def severity_clicks(harness: Harness, cards: Sequence[Message], count: int, flips: dict[str, int]) -> list[Signed]:
    """Severity picked on the card's menu, round-robin over the cards, alternating SEV4 and SEV3
    per card so that every click is a real change."""
    requests = []
    for i in range(count):
        card = cards[i % len(cards)]
        requests.append(harness.requests.click(card, SEVERITY, option_value=next_severity(card, flips)))
    return requests


def severity_shown(blocks: Any) -> str | None:
    """The severity a card's blocks show on its menu (``SEV3``), if they have the menu."""
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict) or block.get("type") != "actions":
            continue
        for element in block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id") == SEVERITY and "initial_option" in element:
                return str(element["initial_option"]["value"]).rsplit(":", 1)[1]
    return None


async def burst(harness: Harness, url: str, changes: int) -> dict[str, Any]:
    """``changes`` severity changes to one incident, evenly spread over one second."""
    channel = "CBURST"
    card = await harness.declare(url, channel)
    await harness.settle()
    await asyncio.sleep(4.0)  # the channel's pacing bucket is full again, as for a real incident
    requests = severity_clicks(harness, [card], changes, {})
    mark = len(harness.slack.calls)
    gap = 1.0 / changes
    started = time.perf_counter()

    async def send_at(index: int) -> int:
        await asyncio.sleep(max(0.0, started + index * gap - time.perf_counter()))
        status, _, _ = await harness.client.send(url, requests[index])
        return status

    statuses = await asyncio.gather(*(send_at(i) for i in range(len(requests))))
    sent_within = time.perf_counter() - started
    drain = await harness.settle()
    calls = [call for call in harness.calls_since(mark) if call.args.get("channel") == channel]
    updates = [call for call in calls if call.method == "chat.update"]
    last_update = max((call.at for call in calls), default=started)
    shown = harness.slack.message(card.channel, card.ts)
    return {
        "changes": len(requests),
        "statuses": dict(Counter(statuses)),
        "sent_within_s": sent_within,
        "chat_update": len(updates),
        "thread_messages": sum(1 for call in calls if call.method == "chat.postMessage"),
        # A change that arrives after the one sent after it finds the card at that severity
        # already: refused as a no-op, and its clicker told so (an ephemeral).
        "refused_out_of_order": sum(1 for call in calls if call.method == "chat.postEphemeral"),
        "slack_calls": by_method(calls),
        "last_call_after_s": last_update - started,
        "drain_s": drain,
        "card_shows_last_change": shown is not None
        and severity_shown(shown.blocks) == ("SEV4" if len(requests) % 2 else "SEV3"),
    }


# ---------------------------------------------------------------------- saturation and servers
async def saturation(
    harness: Harness,
    server: ServerProcess,
    url: str,
    requests: Sequence[Signed],
    concurrency: int,
    *,
    profile_to: Path | None = None,
    drains: bool = True,
) -> dict[str, Any]:
    """Write commands with ``concurrency`` in flight: throughput, and the CPU it cost the server
    (during the run, and until the outbox drained, unless the server ``drains`` nothing: bare Bolt),
    Postgres and this process."""
    mark = len(harness.slack.calls)
    cpu_before = server.cpu_seconds()
    others_before = postgres_cpu_seconds(), time.process_time()
    if profile_to is not None:
        async with Profiler(server.pid, profile_to):
            result = await harness.client.run(url, requests, concurrency)
    else:
        result = await harness.client.run(url, requests, concurrency)
    ok(result, "saturation")
    cpu = server.cpu_seconds() - cpu_before
    postgres_cpu, harness_cpu = postgres_cpu_seconds() - others_before[0], time.process_time() - others_before[1]
    drain = await harness.settle() if drains else 0.0
    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / len(requests)
    calls = harness.calls_since(mark)
    log(
        f"saturation: {brief(result)}; drained in {drain:.1f}s; {cpu_ms:.2f} ms CPU per command; CPU s during the"
        f" run: server {cpu:.2f}, Postgres {postgres_cpu:.2f}, load generator and fake Slack {harness_cpu:.2f}"
    )
    return result.figures() | {
        "concurrency": concurrency,
        "bot_cpu_s_during_run": cpu,
        "postgres_cpu_s_during_run": postgres_cpu,
        "harness_cpu_s_during_run": harness_cpu,
        "cpu_ms_per_command": cpu_ms,
        "drain_s": drain,
        "slack_calls": by_method(calls),
        "slack_calls_per_command": len(calls) / len(requests),
    }


async def with_server(
    module: str, env: dict[str, str], log_path: Path, body: Callable[[ServerProcess], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    server = ServerProcess(module, env, log_path)
    try:
        await server.start()
        return await body(server)
    finally:
        await server.stop()
