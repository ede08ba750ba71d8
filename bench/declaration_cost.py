"""Issue 16's two figures: the bot's CPU per declaration, and request → ``views.open`` for a modal.

    .venv/bin/python -m bench --declare                      # about six minutes
    .venv/bin/python -m bench --declare /tmp/before    # the same, beside another checkout's bot

A fresh Postgres database per server, one fake Slack (in this process, on the load generator's
clock), the bot (``python -m bot``) and bare Bolt (``python -m bench.bare_bolt``); with ``--before``
also the bot of another checkout (``git worktree add /tmp/before <commit>``), so that old and new
code are measured in one run, on the same machine at the same moments.

1. Declaration cost, ``rounds`` times, interleaved: on each bot, ``@firebreak <title> sev3`` in a
   new channel each, a few in flight; the bot's CPU from the first request until its outbox has
   drained (every card posted), over the declarations. Then as many ``/incident note …`` the same
   way. Then bare Bolt acknowledging as many mentions. Ratios within a round cancel most of what
   the machine's other users do to the figures.
2. Modal open: ``/incident`` with no text (the declare modal) and the card's Resolve
   button (the resolve modal), alternately, one at a time at random gaps, while notes go to the bot
   in the background at a modest rate; from each request being sent to the fake Slack receiving
   its ``views.open``.

Writes ``bench/results/declaration.json``; ``--profile`` also writes py-spy's collapsed stacks of
the (new) bot during a batch of declarations before the rounds to ``bench/results/profile-declare.txt``.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import report
from bench.delivery import code_under_test
from bench.harness import RESULTS, Harness, brief, log, notes, ok, server_environment
from bench.load import Client, Signed, summarize
from bench.processes import Profiler, ServerProcess
from bot.local_slack import LocalSlack, Message
from bot.views.action_ids import RESOLVE
from storage.scratch_databases import fresh_postgres_database

OUTPUT = RESULTS / "declaration.json"
TITLE = "checkout is failing for EU customers sev3"


@dataclass(frozen=True)
class DeclarePlan:
    rounds: int = 3
    declarations: int = 300  # per bot and round, each in a channel of its own
    notes: int = 300  # per bot and round, over that round's incidents
    concurrency: int = 4
    modal_opens: int = 300  # half of them /incident with no text, half the Resolve button
    modal_gap_ms: tuple[int, int] = (50, 350)  # a random gap between two opens, uniform
    background_notes_per_s: float = 10.0


PLAN = DeclarePlan()


@dataclass
class Bot:
    """One bot under test: its process, its database (through its harness), what it declared."""

    name: str
    server: ServerProcess
    harness: Harness
    cards: list[Message]

    @property
    def url(self) -> str:
        return f"{self.server.url}/slack/events"


@asynccontextmanager
async def started_bot(
    name: str, checkout: Path | None, slack: LocalSlack, client: Client, workdir: Path
) -> AsyncIterator[Bot]:
    """A bot from ``checkout`` (this one if None) on a fresh database of its own: two bots on one
    database would each deliver the other's outbox."""
    async with fresh_postgres_database("firebreak_bench") as database_url:
        server = ServerProcess("bot", server_environment(slack, database_url), workdir / f"{name}.log", cwd=checkout)
        harness = Harness(slack, client, database_url)
        try:
            await server.start()
            yield Bot(name, server, harness, [])
        finally:
            await server.stop()
            await harness.close()


async def warm_up(bot: Bot) -> None:
    """Bolt's auth.test, connection pools, statement caches: a few of each request first."""
    cards = [await bot.harness.declare(bot.url, f"CW{bot.name}{i}") for i in range(8)]
    await bot.harness.client.run(bot.url, notes(bot.harness, [card.channel for card in cards], 40, "warm-up"), 4)
    await bot.harness.settle()
    bot.cards = cards


async def cpu_per_request(bot: Bot, requests: Sequence[Signed], concurrency: int, what: str) -> dict[str, Any]:
    """Send ``requests``; the bot's CPU from the first until its outbox drained, per request."""
    before = bot.server.cpu_seconds()
    result = await bot.harness.client.run(bot.url, requests, concurrency)
    ok(result, f"{bot.name} {what}")
    drain = await bot.harness.settle()
    cpu = bot.server.cpu_seconds() - before
    log(f"{bot.name} {what}: {brief(result)}; {cpu * 1000 / len(requests):.2f} ms CPU each")
    return {"ack": result.figures(), "cpu_s": cpu, "cpu_ms_each": cpu * 1000 / len(requests), "drain_s": drain}


async def declarations(bot: Bot, plan: DeclarePlan, tag: str) -> dict[str, Any]:
    requests = [bot.harness.requests.mention(f"C{bot.name}{tag}{i:04d}", TITLE)[0] for i in range(plan.declarations)]
    mark = len(bot.harness.slack.calls)
    figures = await cpu_per_request(bot, requests, plan.concurrency, "declarations")
    cards = [call for call in bot.harness.calls_since(mark) if call.method == "chat.postMessage"]
    if len(cards) != plan.declarations:
        raise RuntimeError(f"{bot.name}: {len(cards)} cards for {plan.declarations} declarations")
    return figures


async def declaration_round(
    bots: Sequence[Bot], bare: ServerProcess, bare_harness: Harness, *, plan: DeclarePlan, tag: str
) -> dict[str, Any]:
    """Each bot's declarations, then each bot's notes, then bare Bolt's mentions; and the ratios."""
    figures: dict[str, Any] = {}
    for bot in bots:
        figures[bot.name] = {"declaration": await declarations(bot, plan, tag)}
    for bot in bots:
        channels = [card.channel for card in bot.cards]
        requests = notes(bot.harness, channels, plan.notes, f"round-{tag}")
        figures[bot.name]["note"] = await cpu_per_request(bot, requests, plan.concurrency, "notes")
    mentions = [bare_harness.requests.mention(f"CB{tag}{i:04d}", TITLE)[0] for i in range(plan.declarations)]
    before = bare.cpu_seconds()
    result = await bare_harness.client.run(f"{bare.url}/slack/events", mentions, plan.concurrency)
    ok(result, "bare Bolt mentions")
    figures["bare_bolt"] = {
        "ack": result.figures(),
        "cpu_ms_each": (bare.cpu_seconds() - before) * 1000 / len(mentions),
    }
    for bot in bots:
        mine = figures[bot.name]
        declaration, note = mine["declaration"]["cpu_ms_each"], mine["note"]["cpu_ms_each"]
        mine["declaration_to_note"] = declaration / note
        mine["declaration_to_bare_mention"] = declaration / figures["bare_bolt"]["cpu_ms_each"]
    if len(bots) == 2:
        before_bot, after_bot = bots
        figures["after_to_before"] = (
            figures[after_bot.name]["declaration"]["cpu_ms_each"]
            / figures[before_bot.name]["declaration"]["cpu_ms_each"]
        )
    return figures


# ---------------------------------------------------------------------- modal open
async def background_notes(bot: Bot, rate: float, stop: asyncio.Event) -> int:
    """Notes at ``rate`` a second, round-robin over the bot's warm-up incidents, until ``stop``."""
    channels = [card.channel for card in bot.cards]
    sent = 0
    while not stop.is_set():
        request = bot.harness.requests.slash(channels[sent % len(channels)], f"note background {sent}")
        status, _, _ = await bot.harness.client.send(bot.url, request)
        if status != 200:
            raise RuntimeError(f"background note answered {status}")
        sent += 1
        await asyncio.sleep(1 / rate)
    return sent


async def open_one(bot: Bot, request: Signed) -> float:
    """Send one request that opens a modal; ms from sending it to Slack receiving ``views.open``."""
    slack = bot.harness.slack
    mark = len(slack.calls)
    started = time.perf_counter()
    status, _, _ = await bot.harness.client.send(bot.url, request)
    if status != 200:
        raise RuntimeError(f"modal request answered {status}")
    opened = await slack.wait_for(
        lambda s: next((call for call in s.calls[mark:] if call.method == "views.open"), None),
        timeout=30,
        what="views.open",
    )
    if opened.status != 200 or not opened.response.get("ok"):
        raise RuntimeError(f"views.open failed: {opened.response}")
    return (opened.at - started) * 1000


async def modal_opens(bot: Bot, plan: DeclarePlan) -> dict[str, Any]:
    requests, resolve_card = bot.harness.requests, bot.cards[0]
    kinds: dict[str, list[float]] = {"declare_modal": [], "resolve_modal": []}
    stop = asyncio.Event()
    background = asyncio.create_task(background_notes(bot, plan.background_notes_per_s, stop))
    started = time.perf_counter()
    try:
        for i in range(plan.modal_opens):
            if i % 2:
                kinds["resolve_modal"].append(await open_one(bot, requests.click(resolve_card, RESOLVE)))
            else:
                kinds["declare_modal"].append(await open_one(bot, requests.slash(f"CM{i:04d}", "")))
            await asyncio.sleep(random.uniform(*plan.modal_gap_ms) / 1000)  # noqa: S311 - spacing, not secrets
    finally:
        stop.set()
        background_sent = await background
    seconds = time.perf_counter() - started
    everything = kinds["declare_modal"] + kinds["resolve_modal"]
    figures = {name: summarize(values) for name, values in kinds.items()} | {"all": summarize(everything)}
    log(f"{bot.name} request → views.open: {figures['all']}")
    return figures | {
        "over_s": seconds,
        "background_notes": background_sent,
        "background_per_s": background_sent / seconds,
    }


# ---------------------------------------------------------------------- the run
def spread(rounds: Sequence[dict[str, Any]], *path: str) -> dict[str, float]:
    """One figure (at ``path`` in each round) over the rounds: its least, median and greatest."""
    values = []
    for figures in rounds:
        value: Any = figures
        for key in path:
            value = value[key]
        values.append(float(value))
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


async def run(plan: DeclarePlan, workdir: Path, before: Path | None, profile: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {"plan": asdict(plan), "machine": await report.machine_info(), "code": code_under_test()}
    figures["load_average_before"] = os.getloadavg()
    started = time.time()
    async with AsyncExitStack() as stack:
        slack = await stack.enter_async_context(LocalSlack("xoxb-test", validate_blocks=False, clock=time.perf_counter))
        client = await stack.enter_async_context(Client())
        bots: list[Bot] = []
        if before is not None:
            bots.append(await stack.enter_async_context(started_bot("before", before, slack, client, workdir)))
            figures["before_checkout"] = str(before)
        bots.append(await stack.enter_async_context(started_bot("now", None, slack, client, workdir)))
        bare_database = await stack.enter_async_context(fresh_postgres_database("firebreak_bench"))
        bare_env = server_environment(slack, bare_database)
        bare = ServerProcess("bench.bare_bolt", bare_env, workdir / "bare.log")
        stack.push_async_callback(bare.stop)
        await bare.start()
        bare_harness = Harness(slack, client, bare_database)
        for bot in bots:
            await warm_up(bot)
        await client.run(
            f"{bare.url}/slack/events", [bare_harness.requests.mention(f"CBW{i}", TITLE)[0] for i in range(40)], 4
        )
        if profile:
            # A batch of its own, not counted: py-spy reading the bot's memory a thousand times a
            # second slows it down.
            async with Profiler(bots[-1].server.pid, RESULTS / "profile-declare.txt", rate=1000):
                await declarations(bots[-1], plan, "profiled")
        rounds = []
        for index in range(1, plan.rounds + 1):
            log(f"declaration cost, round {index} of {plan.rounds}")
            rounds.append(await declaration_round(bots, bare, bare_harness, plan=plan, tag=f"r{index}"))
        figures["rounds"] = rounds
        figures["spread"] = {
            bot.name: {
                key: spread(rounds, bot.name, *path)
                for key, path in {
                    "declaration_cpu_ms": ("declaration", "cpu_ms_each"),
                    "note_cpu_ms": ("note", "cpu_ms_each"),
                    "declaration_to_note": ("declaration_to_note",),
                    "declaration_to_bare_mention": ("declaration_to_bare_mention",),
                }.items()
            }
            for bot in bots
        }
        if before is not None:
            figures["spread"]["after_to_before"] = spread(rounds, "after_to_before")
        figures["modal_open"] = {bot.name: await modal_opens(bot, plan) for bot in bots}
    figures["duration_s"] = time.time() - started
    figures["load_average_after"] = os.getloadavg()
    return figures


def main(before: Path | None, profile: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="firebreak-bench-") as workdir:
        figures = asyncio.run(run(PLAN, Path(workdir), before, profile))
    figures["command"] = (
        "python -m bench" + (" --profile" if profile else "") + " --declare" + (f" {before}" if before else "")
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps({"spread": figures["spread"], "modal_open": figures["modal_open"]}, indent=2))
