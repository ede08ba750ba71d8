"""The benchmark suite, one command:

    .venv/bin/python -m bench            # the full run: bench/results/latest.json and bench/RESULTS.md
    .venv/bin/python -m bench --quick    # a development run: fewer requests, bench/results/quick.json

On one machine: a fresh Postgres database, the fake Slack Web API (in this process), the real bot
(``python -m bot``) and then the bare Bolt baseline (``python -m bench.bare_bolt``), each a child
process driven over HTTP with signed Slack requests by the load generator here. Needs Postgres on
127.0.0.1:5432 (or FIREBREAK_TEST_PG). ``--profile`` also attaches py-spy to the bot during the
saturation run (collapsed stacks in bench/results/).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench import report, scheduler_tick
from bench.load import Client, LoadResult, SlackRequests, summarize
from bench.processes import Profiler, ServerProcess, postgres_cpu_seconds
from tests.databases import fresh_postgres_database
from tests.fake_slack import Call, FakeSlack
from tests.fake_slack.models import Message

WORKSPACE = "TBENCH"
SECRET = "bench-signing-secret"  # noqa: S105 - signs the benchmark's own requests
RESULTS = Path(__file__).parent / "results"
DECLARE = "checkout is failing for EU customers sev3"
SEVERITY = "incident.severity"
ACK = "incident.ack"


@dataclass(frozen=True)
class Plan:
    e2e: int  # mentions measured end to end (one new channel each), then one button click on each card
    ack_c1: int  # requests per kind at concurrency 1
    ack_c32: int  # requests per kind at concurrency 32
    saturation: int  # write commands sent for the saturation throughput
    saturation_concurrency: int
    burst: int  # changes to one incident within one second
    memory_incidents: int  # incidents in the database when peak RSS is read
    scheduler_closed: int
    scheduler_open: int


FULL = Plan(
    e2e=200,
    ack_c1=300,
    ack_c32=3000,
    saturation=5000,
    saturation_concurrency=64,
    burst=20,
    memory_incidents=10_000,
    scheduler_closed=100_000,
    scheduler_open=1_000,
)
QUICK = Plan(
    e2e=40,
    ack_c1=100,
    ack_c32=600,
    saturation=1000,
    saturation_concurrency=64,
    burst=20,
    memory_incidents=1_000,
    scheduler_closed=10_000,
    scheduler_open=1_000,
)


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Bench:
    """What every phase shares: the fake Slack, the request builder, the HTTP client, the database."""

    def __init__(self, plan: Plan, slack: FakeSlack, client: Client, database_url: str, workdir: Path) -> None:
        self.plan = plan
        self.slack = slack
        self.client = client
        self.database_url = database_url
        self.workdir = workdir
        self.requests = SlackRequests(slack, SECRET, WORKSPACE)
        self.cards: list[Message] = []  # the cards of the incidents declared by mention, one per channel
        self.new_cards: list[Message] = []  # the same cards as first posted (with their Acknowledge button)

    # ------------------------------------------------------------------ the outbox and Slack's log
    async def pending(self) -> int:
        connection = await asyncpg.connect(self.database_url)
        try:
            count = await connection.fetchval(
                "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL"
            )
        finally:
            await connection.close()
        return int(count)

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
        def found(slack: FakeSlack) -> Call | None:
            for call in slack.calls[mark:]:
                same_message = ts is None or call.args.get("ts") == ts
                if call.method == method and call.args.get("channel") == channel and same_message:
                    return call
            return None

        return await self.slack.wait_for(found, timeout=30, what=f"{method} in {channel}")

    async def event_counts(self) -> dict[str, int]:
        connection = await asyncpg.connect(self.database_url)
        try:
            rows = await connection.fetch("SELECT type, count(*) AS n FROM incident_events GROUP BY type")
        finally:
            await connection.close()
        return {row["type"]: int(row["n"]) for row in rows}


def _by_method(calls: list[Call]) -> dict[str, int]:
    return dict(Counter(call.method for call in calls))


def _ok(result: LoadResult, what: str) -> None:
    bad = {status: n for status, n in result.statuses.items() if status != 200}
    if bad:
        raise RuntimeError(f"{what}: non-200 answers {bad}")


# ---------------------------------------------------------------------- request mixes
def notes(bench: Bench, channels: list[str], count: int, tag: str) -> list[Any]:
    """``/incident note …`` round-robin over the incidents' channels (one open incident in each)."""
    return [bench.requests.slash(channels[i % len(channels)], f"note {tag} step {i} done") for i in range(count)]


def severity_clicks(bench: Bench, cards: list[Message], count: int, flips: dict[str, int]) -> list[Any]:
    """Severity picked on the card's menu, round-robin over the cards, alternating SEV4 and SEV3
    per card so that every click is a real change."""
    requests = []
    for i in range(count):
        card = cards[i % len(cards)]
        flips[card.ts] = flips.get(card.ts, 0) + 1
        choice = "SEV4" if flips[card.ts] % 2 else "SEV3"
        requests.append(bench.requests.click(card, SEVERITY, option_value=choice))
    return requests


async def ack_latencies(
    bench: Bench, url: str, *, cards: list[Message], flips: dict[str, int], tag: str
) -> dict[str, Any]:
    """Item 1: ack latency of a write slash command and of a block action, at concurrency 1 and 32."""
    plan = bench.plan
    channels = [card.channel for card in cards]
    figures: dict[str, Any] = {}
    for concurrency, count in ((1, plan.ack_c1), (32, plan.ack_c32)):
        mark = len(bench.slack.calls)
        result = await bench.client.run(url, notes(bench, channels, count, f"{tag}-c{concurrency}"), concurrency)
        _ok(result, f"note c{concurrency}")
        drain = await bench.settle()
        calls = bench.calls_since(mark)
        figures[f"note_c{concurrency}"] = result.figures() | {
            "slack_calls": _by_method(calls),
            "slack_calls_per_command": len(calls) / count,
            "drain_s": drain,
        }
        _log(f"{tag} note c{concurrency}: {_brief(result)}")
        mark = len(bench.slack.calls)
        result = await bench.client.run(url, severity_clicks(bench, cards, count, flips), concurrency)
        _ok(result, f"click c{concurrency}")
        drain = await bench.settle()
        calls = bench.calls_since(mark)
        figures[f"action_c{concurrency}"] = result.figures() | {
            "slack_calls": _by_method(calls),
            "slack_calls_per_command": len(calls) / count,
            "drain_s": drain,
        }
        _log(f"{tag} action c{concurrency}: {_brief(result)}")
    return figures


def _brief(result: LoadResult) -> str:
    figures = result.figures()
    return (
        f"n={figures['n']} p50={figures['p50']:.1f} p95={figures['p95']:.1f} p99={figures['p99']:.1f} "
        f"max={figures['max']:.1f} ms, {figures['throughput_per_s']:.0f}/s"
    )


# ---------------------------------------------------------------------- the bot
async def bot_phases(bench: Bench, bot: ServerProcess, profile: bool) -> dict[str, Any]:
    url = f"{bot.url}/slack/events"
    await warm_up(bench, url)
    figures: dict[str, Any] = await mention_to_card(bench, url)
    figures |= await button_to_card_update(bench, url)
    figures["ack"] = await ack_latencies(bench, url, cards=bench.cards, flips={}, tag="bot")
    figures["saturation"] = await saturation(bench, bot, url, profile)
    figures["burst"] = await burst(bench, url)
    _log(f"burst: {figures['burst']}")
    figures["memory"] = await memory(bench, bot, url, already=8 + bench.plan.e2e + 1)
    _log(f"memory: {figures['memory']}")
    figures["events_recorded"] = await bench.event_counts()
    return figures


async def mention_to_card(bench: Bench, url: str) -> dict[str, Any]:
    """Item 2a: mention → card posted, one new channel per incident, one request at a time."""
    slack, plan = bench.slack, bench.plan
    mark = len(slack.calls)
    acks: list[float] = []
    e2e: list[float] = []
    cards: list[Message] = []
    for i in range(plan.e2e):
        channel = f"CE{i:05d}"
        request, _ = bench.requests.mention(channel, DECLARE)
        before = len(slack.calls)
        started = time.perf_counter()
        status, ack_ms, _ = await bench.client.send(url, request)
        if status != 200:
            raise RuntimeError(f"mention answered {status}")
        posted = await bench.first_call(before, "chat.postMessage", channel=channel)
        acks.append(ack_ms)
        e2e.append((posted.at - started) * 1000)
        card = slack.message(channel, str(posted.response["ts"]))
        assert card is not None
        cards.append(card)
    await bench.settle()
    bench.cards = cards
    bench.new_cards = copy.deepcopy(cards)
    calls = bench.calls_since(mark)
    _log(f"mention → card: {summarize(e2e)}")
    return {
        "mention_ack_c1": summarize(acks),
        "mention_to_card": summarize(e2e)
        | {"slack_calls": _by_method(calls), "slack_calls_per_command": len(calls) / plan.e2e},
    }


async def button_to_card_update(bench: Bench, url: str) -> dict[str, Any]:
    """Item 2b: button → card updated: the Acknowledge button on each card, one at a time."""
    slack = bench.slack
    mark = len(slack.calls)
    acks: list[float] = []
    e2e: list[float] = []
    for card in bench.cards:
        request = bench.requests.click(card, ACK)
        before = len(slack.calls)
        started = time.perf_counter()
        status, ack_ms, _ = await bench.client.send(url, request)
        if status != 200:
            raise RuntimeError(f"click answered {status}")
        updated = await bench.first_call(before, "chat.update", channel=card.channel, ts=card.ts)
        acks.append(ack_ms)
        e2e.append((updated.at - started) * 1000)
    await bench.settle()
    calls = bench.calls_since(mark)
    _log(f"button → card update: {summarize(e2e)}")
    return {
        "button_ack_c1": summarize(acks),
        "button_to_card_update": summarize(e2e)
        | {"slack_calls": _by_method(calls), "slack_calls_per_command": len(calls) / len(bench.cards)},
    }


async def saturation(bench: Bench, server: ServerProcess, url: str, profile: bool) -> dict[str, Any]:
    """Item 3: saturation throughput of write commands."""
    plan = bench.plan
    channels = [card.channel for card in bench.cards]
    requests = notes(bench, channels, plan.saturation, "saturation")
    mark = len(bench.slack.calls)
    cpu_before = server.cpu_seconds()
    others_before = postgres_cpu_seconds(), time.process_time()
    if profile:
        async with Profiler(server.pid, RESULTS / "profile-saturation.txt"):
            result = await bench.client.run(url, requests, plan.saturation_concurrency)
    else:
        result = await bench.client.run(url, requests, plan.saturation_concurrency)
    _ok(result, "saturation")
    cpu = server.cpu_seconds() - cpu_before
    postgres_cpu, harness_cpu = postgres_cpu_seconds() - others_before[0], time.process_time() - others_before[1]
    drain = await bench.settle()
    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / plan.saturation
    calls = bench.calls_since(mark)
    _log(
        f"saturation: {_brief(result)}; drained in {drain:.1f}s; {cpu_ms:.2f} ms CPU per command; CPU s during the"
        f" run: server {cpu:.2f}, Postgres {postgres_cpu:.2f}, load generator and fake Slack {harness_cpu:.2f}"
    )
    return result.figures() | {
        "concurrency": plan.saturation_concurrency,
        "bot_cpu_s_during_run": cpu,
        "postgres_cpu_s_during_run": postgres_cpu,
        "harness_cpu_s_during_run": harness_cpu,
        "cpu_ms_per_command": cpu_ms,
        "drain_s": drain,
        "slack_calls": _by_method(calls),
        "slack_calls_per_command": len(calls) / plan.saturation,
    }


async def warm_up(bench: Bench, url: str) -> None:
    """A few requests of each kind first: Bolt's auth.test, connection pools, compiled statements.
    Spread over channels of their own, so no channel's pacing holds the run up."""
    cards = []
    for i in range(8):
        channel = f"CWARM{i}"
        request, _ = bench.requests.mention(channel, DECLARE)
        await bench.client.send(url, request)
        posted = await bench.first_call(0, "chat.postMessage", channel=channel)
        card = bench.slack.message(channel, str(posted.response["ts"]))
        assert card is not None
        cards.append(card)
    await bench.client.run(url, notes(bench, [card.channel for card in cards], 24, "warm-up"), 4)
    await bench.client.run(url, severity_clicks(bench, cards, 16, {}), 4)
    await bench.settle()


async def burst(bench: Bench, url: str) -> dict[str, Any]:
    """``plan.burst`` severity changes to one incident, evenly spread over one second."""
    channel = "CBURST"
    request, _ = bench.requests.mention(channel, DECLARE)
    await bench.client.send(url, request)
    posted = await bench.first_call(0, "chat.postMessage", channel=channel)
    card = bench.slack.message(channel, str(posted.response["ts"]))
    assert card is not None
    await bench.settle()
    await asyncio.sleep(4.0)  # the channel's pacing bucket is full again, as for a real incident
    requests = severity_clicks(bench, [card], bench.plan.burst, {})
    mark = len(bench.slack.calls)
    gap = 1.0 / bench.plan.burst
    started = time.perf_counter()

    async def send_at(index: int) -> int:
        await asyncio.sleep(max(0.0, started + index * gap - time.perf_counter()))
        status, _, _ = await bench.client.send(url, requests[index])
        return status

    statuses = await asyncio.gather(*(send_at(i) for i in range(len(requests))))
    sent_within = time.perf_counter() - started
    drain = await bench.settle()
    calls = [call for call in bench.calls_since(mark) if call.args.get("channel") == channel]
    updates = [call for call in calls if call.method == "chat.update"]
    last_update = max((call.at for call in calls), default=started)
    return {
        "changes": len(requests),
        "statuses": dict(Counter(statuses)),
        "sent_within_s": sent_within,
        "chat_update": len(updates),
        "thread_messages": sum(1 for call in calls if call.method == "chat.postMessage"),
        # A change that arrives after the one sent after it finds the card at that severity
        # already: refused as a no-op, and its clicker told so (an ephemeral).
        "refused_out_of_order": sum(1 for call in calls if call.method == "chat.postEphemeral"),
        "slack_calls": _by_method(calls),
        "last_call_after_s": last_update - started,
        "drain_s": drain,
        "card_shows_last_change": _severity_shown(bench.slack, card) == ("SEV4" if len(requests) % 2 else "SEV3"),
    }


def _severity_shown(slack: FakeSlack, card: Message) -> str | None:
    current = slack.message(card.channel, card.ts)
    for block in (current.blocks or []) if current else []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == SEVERITY:
                return str(element["initial_option"]["value"]).rsplit(":", 1)[1]
    return None


async def memory(bench: Bench, bot: ServerProcess, url: str, already: int) -> dict[str, Any]:
    """Declare incidents (``/incident declare``, one channel each) up to ``plan.memory_incidents``,
    let every card go out, then read the bot's peak RSS."""
    count = max(0, bench.plan.memory_incidents - already)
    requests = [bench.requests.slash(f"CX{i:05d}", f"declare Memory probe {i} sev4") for i in range(count)]
    before = bot.memory_kib()
    result = await bench.client.run(url, requests, 32)
    _ok(result, "declare")
    drain = await bench.settle(timeout=600)
    connection = await asyncpg.connect(bench.database_url)
    try:
        incidents = int(await connection.fetchval("SELECT count(*) FROM incidents"))
        outbox_rows = int(await connection.fetchval("SELECT count(*) FROM outbox"))
    finally:
        await connection.close()
    after = bot.memory_kib()
    return {
        "incidents": incidents,
        "outbox_rows": outbox_rows,
        "declare_c32": result.figures(),
        "drain_s": drain,
        "before_kib": before,
        "vm_hwm_kib": after["VmHWM"],
        "vm_rss_kib": after["VmRSS"],
    }


# ---------------------------------------------------------------------- the bare Bolt baseline
async def bare_phases(bench: Bench, bare: ServerProcess, cards: list[Message]) -> dict[str, Any]:
    plan, client = bench.plan, bench.client
    url = f"{bare.url}/slack/events"
    figures: dict[str, Any] = {}
    channels = [card.channel for card in cards]
    await client.run(url, notes(bench, channels, 50, "warm-up"), 4)
    await client.run(url, severity_clicks(bench, cards, 50, {}), 4)

    mentions = [bench.requests.mention(f"CB{i:05d}", DECLARE)[0] for i in range(plan.e2e)]
    result = await client.run(url, mentions, 1)
    _ok(result, "bare mention")
    figures["mention_ack_c1"] = result.figures()
    result = await client.run(url, [bench.requests.click(card, ACK) for card in bench.new_cards], 1)
    _ok(result, "bare button")
    figures["button_ack_c1"] = result.figures()

    flips: dict[str, int] = {}
    ack: dict[str, Any] = {}
    for concurrency, count in ((1, plan.ack_c1), (32, plan.ack_c32)):
        result = await client.run(url, notes(bench, channels, count, f"bare-c{concurrency}"), concurrency)
        _ok(result, "bare note")
        ack[f"note_c{concurrency}"] = result.figures()
        _log(f"bare note c{concurrency}: {_brief(result)}")
        result = await client.run(url, severity_clicks(bench, cards, count, flips), concurrency)
        _ok(result, "bare click")
        ack[f"action_c{concurrency}"] = result.figures()
        _log(f"bare action c{concurrency}: {_brief(result)}")
    figures["ack"] = ack

    figures["saturation"] = await saturation(bench, bare, url, profile=False)
    figures["memory"] = {"vm_hwm_kib": bare.memory_kib()["VmHWM"], "vm_rss_kib": bare.memory_kib()["VmRSS"]}
    return figures


# ---------------------------------------------------------------------- the run
async def _with_server(
    module: str, env: dict[str, str], log_path: Path, body: Callable[[ServerProcess], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    server = ServerProcess(module, env, log_path)
    try:
        await server.start()
        return await body(server)
    finally:
        await server.stop()


async def run(plan: Plan, *, profile: bool, workdir: Path) -> dict[str, Any]:
    started = time.time()
    figures: dict[str, Any] = {"plan": asdict(plan), "machine": await report.machine_info()}
    figures["load_average_before"] = os.getloadavg()
    async with (
        fresh_postgres_database("firebreak_bench") as database_url,
        FakeSlack(validate_blocks=False, clock=time.perf_counter) as slack,
        Client() as client,
    ):
        bench = Bench(plan, slack, client, database_url, workdir)
        env = {
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.base_url,
            "DATABASE_URL": database_url,
        }
        _log("starting the bot")
        figures["bot"] = await _with_server(
            "bot", env, workdir / "bot.log", lambda bot: bot_phases(bench, bot, profile)
        )
        _log("starting the bare Bolt baseline")
        figures["bare_bolt"] = await _with_server(
            "bench.bare_bolt", env, workdir / "bare_bolt.log", lambda bare: bare_phases(bench, bare, bench.cards)
        )
    _log("scheduler tick")
    figures["scheduler"] = await scheduler_tick.run(plan.scheduler_closed, plan.scheduler_open)
    figures["duration_s"] = time.time() - started
    figures["load_average_after"] = os.getloadavg()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a development run: fewer requests, smaller data")
    parser.add_argument("--profile", action="store_true", help="py-spy on the bot during the saturation run")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    command = "python -m bench" + (" --quick" if args.quick else "") + (" --profile" if args.profile else "")
    with tempfile.TemporaryDirectory(prefix="firebreak-bench-") as workdir:
        figures = asyncio.run(run(plan, profile=args.profile, workdir=Path(workdir)))
    figures["command"] = command
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "quick.json" if args.quick else "latest.json"
    (RESULTS / name).write_text(json.dumps(figures, indent=2) + "\n")
    if not args.quick:
        (RESULTS / "scheduler_tick.json").write_text(json.dumps(figures["scheduler"], indent=2) + "\n")
        report.write(figures)
    print(report.summary(figures))


if __name__ == "__main__":
    main()
