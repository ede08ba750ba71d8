"""The benchmark suite, one command:

    .venv/bin/python -m bench            # the full run: bench/results/latest.json and bench/RESULTS.md
    .venv/bin/python -m bench --quick    # a development run: fewer requests, bench/results/quick.json
    .venv/bin/python -m bench --delivery # issue 14's delivery scenarios alone (bench/delivery.py)
    .venv/bin/python -m bench --declare  # issue 16's declaration cost, modal open (bench/declaration_cost.py)
    .venv/bin/python -m bench --console  # issue 17's console at 100,000 incidents (bench/console.py)
    .venv/bin/python -m bench --alerts   # issue 19's Alertmanager storm (bench/alert_storm.py)
    .venv/bin/python -m bench --status   # issue 21's status page, 1,000 public incidents (bench/status_page.py)

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
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench import alert_storm, console, declaration_cost, delivery, harness, report, scheduler_tick, status_page
from bench.harness import (
    ACK,
    DECLARE,
    RESULTS,
    Harness,
    brief,
    by_method,
    log,
    notes,
    ok,
    server_environment,
    severity_clicks,
    with_server,
)
from bench.load import Client, summarize
from bench.processes import ServerProcess
from bot.local_slack import LocalSlack, Message
from storage.scratch_databases import fresh_postgres_database


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


class Bench(Harness):
    """The harness, the plan, and the cards every phase after the first clicks on."""

    def __init__(self, plan: Plan, slack: LocalSlack, client: Client, database_url: str, workdir: Path) -> None:
        super().__init__(slack, client, database_url)
        self.plan = plan
        self.workdir = workdir
        self.cards: list[Message] = []  # the cards of the incidents declared by mention, one per channel
        self.new_cards: list[Message] = []  # the same cards as first posted (with their Acknowledge button)


# ---------------------------------------------------------------------- the bot
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
        ok(result, f"note c{concurrency}")
        drain = await bench.settle()
        calls = bench.calls_since(mark)
        figures[f"note_c{concurrency}"] = result.figures() | {
            "slack_calls": by_method(calls),
            "slack_calls_per_command": len(calls) / count,
            "drain_s": drain,
        }
        log(f"{tag} note c{concurrency}: {brief(result)}")
        mark = len(bench.slack.calls)
        result = await bench.client.run(url, severity_clicks(bench, cards, count, flips), concurrency)
        ok(result, f"click c{concurrency}")
        drain = await bench.settle()
        calls = bench.calls_since(mark)
        figures[f"action_c{concurrency}"] = result.figures() | {
            "slack_calls": by_method(calls),
            "slack_calls_per_command": len(calls) / count,
            "drain_s": drain,
        }
        log(f"{tag} action c{concurrency}: {brief(result)}")
    return figures


async def bot_phases(bench: Bench, bot: ServerProcess, profile: bool) -> dict[str, Any]:
    url = f"{bot.url}/slack/events"
    await warm_up(bench, url)
    figures: dict[str, Any] = await mention_to_card(bench, url)
    figures |= await button_to_card_update(bench, url)
    figures["ack"] = await ack_latencies(bench, url, cards=bench.cards, flips={}, tag="bot")
    figures["saturation"] = await saturation(bench, bot, url, profile)
    figures["burst"] = await harness.burst(bench, url, bench.plan.burst)
    log(f"burst: {figures['burst']}")
    figures["memory"] = await memory(bench, bot, url, already=8 + bench.plan.e2e + 1)
    log(f"memory: {figures['memory']}")
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
    log(f"mention → card: {summarize(e2e)}")
    return {
        "mention_ack_c1": summarize(acks),
        "mention_to_card": summarize(e2e)
        | {"slack_calls": by_method(calls), "slack_calls_per_command": len(calls) / plan.e2e},
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
    log(f"button → card update: {summarize(e2e)}")
    return {
        "button_ack_c1": summarize(acks),
        "button_to_card_update": summarize(e2e)
        | {"slack_calls": by_method(calls), "slack_calls_per_command": len(calls) / len(bench.cards)},
    }


async def saturation(bench: Bench, server: ServerProcess, url: str, profile: bool) -> dict[str, Any]:
    """Item 3: saturation throughput of write commands."""
    plan = bench.plan
    requests = notes(bench, [card.channel for card in bench.cards], plan.saturation, "saturation")
    profile_to = RESULTS / "profile-saturation.txt" if profile else None
    return await harness.saturation(bench, server, url, requests, plan.saturation_concurrency, profile_to=profile_to)


async def warm_up(bench: Bench, url: str) -> None:
    """A few requests of each kind first: Bolt's auth.test, connection pools, compiled statements.
    Spread over channels of their own, so no channel's pacing holds the run up."""
    cards = [await bench.declare(url, f"CWARM{i}") for i in range(8)]
    await bench.client.run(url, notes(bench, [card.channel for card in cards], 24, "warm-up"), 4)
    await bench.client.run(url, severity_clicks(bench, cards, 16, {}), 4)
    await bench.settle()


async def memory(bench: Bench, bot: ServerProcess, url: str, already: int) -> dict[str, Any]:
    """Declare incidents (``/incident declare``, one channel each) up to ``plan.memory_incidents``,
    let every card go out, then read the bot's peak RSS."""
    count = max(0, bench.plan.memory_incidents - already)
    requests = [bench.requests.slash(f"CX{i:05d}", f"declare Memory probe {i} sev4") for i in range(count)]
    before = bot.memory_kib()
    result = await bench.client.run(url, requests, 32)
    ok(result, "declare")
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
    ok(result, "bare mention")
    figures["mention_ack_c1"] = result.figures()
    result = await client.run(url, [bench.requests.click(card, ACK) for card in bench.new_cards], 1)
    ok(result, "bare button")
    figures["button_ack_c1"] = result.figures()

    flips: dict[str, int] = {}
    ack: dict[str, Any] = {}
    for concurrency, count in ((1, plan.ack_c1), (32, plan.ack_c32)):
        result = await client.run(url, notes(bench, channels, count, f"bare-c{concurrency}"), concurrency)
        ok(result, "bare note")
        ack[f"note_c{concurrency}"] = result.figures()
        log(f"bare note c{concurrency}: {brief(result)}")
        result = await client.run(url, severity_clicks(bench, cards, count, flips), concurrency)
        ok(result, "bare click")
        ack[f"action_c{concurrency}"] = result.figures()
        log(f"bare action c{concurrency}: {brief(result)}")
    figures["ack"] = ack

    figures["saturation"] = await saturation(bench, bare, url, profile=False)
    figures["memory"] = {"vm_hwm_kib": bare.memory_kib()["VmHWM"], "vm_rss_kib": bare.memory_kib()["VmRSS"]}
    return figures


# ---------------------------------------------------------------------- the run
async def run(
    plan: Plan, *, profile: bool, workdir: Path, delivery_plan: delivery.DeliveryPlan | None
) -> dict[str, Any]:
    started = time.time()
    figures: dict[str, Any] = {"plan": asdict(plan), "machine": await report.machine_info()}
    figures["load_average_before"] = os.getloadavg()
    async with (
        fresh_postgres_database("firebreak_bench") as database_url,
        LocalSlack("xoxb-test", validate_blocks=False, clock=time.perf_counter) as slack,
        Client() as client,
    ):
        bench = Bench(plan, slack, client, database_url, workdir)
        env = server_environment(slack, database_url)
        log("starting the bot")
        figures["bot"] = await with_server("bot", env, workdir / "bot.log", lambda bot: bot_phases(bench, bot, profile))
        log("starting the bare Bolt baseline")
        figures["bare_bolt"] = await with_server(
            "bench.bare_bolt", env, workdir / "bare_bolt.log", lambda bare: bare_phases(bench, bare, bench.cards)
        )
        await bench.close()
    if delivery_plan is not None:
        figures["delivery"] = await delivery.run(delivery_plan, workdir)
    log("scheduler tick")
    figures["scheduler"] = await scheduler_tick.run(plan.scheduler_closed, plan.scheduler_open)
    figures["duration_s"] = time.time() - started
    figures["load_average_after"] = os.getloadavg()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a development run: fewer requests, smaller data")
    parser.add_argument("--profile", action="store_true", help="py-spy on the bot during the saturation run")
    parser.add_argument("--delivery", action="store_true", help="only the delivery scenarios of issue 14 (2-4 minutes)")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=delivery.BASELINE,
        help="the delivery scenarios' figures to compare with (default: %(default)s, if it exists)",
    )
    parser.add_argument("--declare", nargs="?", const="", metavar="BEFORE", help="issue 16's figures alone")
    parser.add_argument(
        "--console", action="store_true", help="issue 17's console figures alone (with --quick: 10,000 incidents)"
    )
    parser.add_argument(
        "--alerts", action="store_true", help="issue 19's alert storm alone (with --quick: 1,000 alerts over 15 s)"
    )
    parser.add_argument(
        "--status", action="store_true", help="issue 21's status page alone (1,000 public incidents, 500 live readers)"
    )
    args = parser.parse_args()
    if args.status:
        print(asyncio.run(status_page.main(args.quick)))
        return
    if args.alerts:
        print(alert_storm.main(args.quick))
        return
    if args.console:
        print(asyncio.run(console.main(args.quick)))
        return
    if args.declare is not None:
        declaration_cost.main(Path(args.declare) if args.declare else None, args.profile)
        return
    if args.delivery:
        with tempfile.TemporaryDirectory(prefix="firebreak-bench-") as workdir:
            figures = asyncio.run(delivery.run(delivery.DELIVERY, Path(workdir)))
        print(delivery.record(figures, "python -m bench --delivery", args.baseline))
        return
    plan = QUICK if args.quick else FULL
    command = "python -m bench" + (" --quick" if args.quick else "") + (" --profile" if args.profile else "")
    with tempfile.TemporaryDirectory(prefix="firebreak-bench-") as workdir:
        delivery_plan = None if args.quick else delivery.DELIVERY
        figures = asyncio.run(run(plan, profile=args.profile, workdir=Path(workdir), delivery_plan=delivery_plan))
    figures["command"] = command
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "quick.json" if args.quick else "latest.json"
    (RESULTS / name).write_text(json.dumps(figures, indent=2) + "\n")
    if not args.quick:
        (RESULTS / "scheduler_tick.json").write_text(json.dumps(figures["scheduler"], indent=2) + "\n")
        report.write(figures)
    print(report.summary(figures))
    if "delivery" in figures:
        print(delivery.record(figures["delivery"], command, args.baseline))


if __name__ == "__main__":
    main()
