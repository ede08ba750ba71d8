"""Delivery that is prompt under load (issue 14): the measurements, before and after a change to the
outbox dispatcher.

    .venv/bin/python -m bench --delivery     # these scenarios alone, about two to three minutes

Part of the full ``python -m bench`` too. A fresh Postgres database, the fake Slack Web API (in this
process, on the load generator's clock), the real bot (``python -m bot``) and beside it the bare
Bolt baseline (``python -m bench.bare_bolt``), sent the same requests right after the bot:

1. concurrency 8 sustained: request → first Slack call, for declarations and severity changes;
2. a busy channel: 12 notes, then a severity click; its ack → the card's ``chat.update``;
3. one channel's Slack calls hanging: another channel's card edit after a click;
4. throughput (notes, 64 in flight) and CPU per command, as ratios to bare Bolt's.

Writes ``bench/results/delivery.json`` and its own section at the end of ``bench/RESULTS.md``, and
compares with ``bench/results/delivery-before.json`` (``--baseline``) when there is one: save a run
there before changing the dispatcher.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench import delivery_report, report
from bench.delivery_latency import Sustained, busy_channel, declarations, hung_channel, severity_changes
from bench.harness import (
    RESULTS,
    Harness,
    brief,
    fresh_harness,
    log,
    notes,
    ok,
    saturation,
    server_environment,
    severity_clicks,
    with_server,
)
from bench.load import Signed
from bench.processes import ServerProcess, cpu_by_process, machine_cpu_seconds
from bot.local_slack import Message

REPO = Path(__file__).resolve().parents[1]
OUTPUT = RESULTS / "delivery.json"
BASELINE = RESULTS / "delivery-before.json"
T = TypeVar("T")


@dataclass(frozen=True)
class DeliveryPlan:
    concurrency: int = 8
    sustained_s: float = 15.0  # each of the two sustained runs
    busy_trials: int = 10
    busy_notes: int = 12
    hang_trials: int = 10
    # Longer than the bot's Slack client timeout (10 s): to the bot, a call that never answers.
    hang_s: float = 60.0
    saturation: int = 2000  # notes per saturation run
    saturation_pairs: int = 2  # runs of the bot, each followed by one of bare Bolt
    saturation_concurrency: int = 64
    saturation_channels: int = 200


DELIVERY = DeliveryPlan()


class Scenarios:
    """One run: the harness, the cards declared, and the load on the machine during each scenario."""

    def __init__(self, plan: DeliveryPlan, harness: Harness) -> None:
        self.plan = plan
        self.harness = harness
        self.cards: list[Message] = []
        self.load: dict[str, dict[str, Any]] = {}

    @asynccontextmanager
    async def measured(self, name: str, *servers: ServerProcess) -> AsyncIterator[None]:
        """Record how busy the machine was during a scenario, and who made it busy: the load
        average at its start, cores in use, and the CPU seconds of the servers, Postgres (every
        database's: other engineers' tests use this server too), this process, the other processes
        (the busiest named), and what no live process accounts for (processes that exited, the
        kernel)."""
        load_average = os.getloadavg()[0]
        wall, busy, before = time.perf_counter(), machine_cpu_seconds(), cpu_by_process()
        yield
        seconds, used, after = time.perf_counter() - wall, machine_cpu_seconds() - busy, cpu_by_process()
        ours = {server.pid: "server" for server in servers} | {os.getpid(): "orchestrator"}
        shares: dict[str, float] = {}
        for pid, (process, cpu) in after.items():
            spent = cpu - before.get(pid, (process, 0.0))[1]  # kernel workers rename themselves as they go
            kind = "kworker" if process.startswith("kworker/") else process
            who = ours.get(pid) or ("postgres" if process == "postgres" else f"other: {kind}")
            shares[who] = shares.get(who, 0.0) + spent
        others = {who[7:]: cpu for who, cpu in shares.items() if who.startswith("other: ") and cpu > 0}
        busiest = dict(sorted(others.items(), key=lambda item: -item[1])[:3])
        self.load[name] = {
            "wall_s": seconds,
            "load_average_1m_at_start": load_average,
            "cores_busy": used / seconds,
            "server_cpu_s": shares.get("server", 0.0),
            "postgres_cpu_s": shares.get("postgres", 0.0),
            "harness_cpu_s": shares.get("orchestrator", 0.0),
            "others_cpu_s": sum(others.values()),
            "busiest_others": busiest,
            "unattributed_cpu_s": max(0.0, used - sum(shares.values())),
        }

    async def step(self, name: str, servers: tuple[ServerProcess, ...], scenario: Awaitable[T]) -> T:
        log(f"{name} …")
        async with self.measured(name, *servers):
            return await scenario

    # ------------------------------------------------------------------ the scenarios
    async def all(self, bot: ServerProcess, bare: ServerProcess) -> dict[str, Any]:
        """The bot and bare Bolt both running; each scenario on the bot, and right after it the same
        requests on bare Bolt, so that the two see the machine as alike as may be."""
        plan, harness = self.plan, self.harness
        url, bare_url = f"{bot.url}/slack/events", f"{bare.url}/slack/events"
        load = Sustained(plan.concurrency, plan.sustained_s)
        await self.warm_up(url, bare_url)
        bots: dict[str, Any] = {}
        bares: dict[str, Any] = {}
        bots["declarations"], self.cards = await self.step(
            "declarations", (bot,), declarations(harness, bot, url, load)
        )
        if not self.cards:
            raise RuntimeError("no card was posted: nothing to click")
        count = bots["declarations"]["ack"]["n"]
        mentions = [harness.requests.mention(f"CBD{i:05d}", "checkout is failing sev2")[0] for i in range(count)]
        bares["declarations"] = await self.step("bare declarations", (bare,), self.acks(bare, mentions))
        bots["severity_changes"] = await self.step(
            "severity changes", (bot,), severity_changes(harness, bot, url, load, self.cards)
        )
        clicks = severity_clicks(harness, self.cards, bots["severity_changes"]["ack"]["n"], {})
        bares["severity_changes"] = await self.step("bare severity changes", (bare,), self.acks(bare, clicks))
        bots["busy_channel"] = await self.step(
            "busy channel", (bot,), busy_channel(harness, url, plan.busy_trials, plan.busy_notes)
        )
        bots["saturation"], bares["saturation"] = await self.saturation(bot, bare)
        # Last: the hung channels' deliveries keep being retried (and hanging) after the trials.
        bots["hung_channel"] = await self.step(
            "one channel hanging", (bot,), hung_channel(harness, url, plan.hang_trials, plan.hang_s)
        )
        return {"bot": bots, "bare_bolt": bares}

    async def warm_up(self, url: str, bare_url: str) -> None:
        """Bolt's auth.test, connection pools, compiled statements; channels of their own."""
        harness = self.harness
        cards = [await harness.declare(url, f"CWARM{i}") for i in range(8)]
        for target in (url, bare_url):
            await harness.client.run(target, notes(harness, [card.channel for card in cards], 24, "warm-up"), 4)
            await harness.client.run(target, severity_clicks(harness, cards, 16, {}), 4)
        await harness.settle()

    async def acks(self, server: ServerProcess, requests: Sequence[Signed]) -> dict[str, Any]:
        """Bare Bolt acknowledging requests with as many in flight as the bot had: its CPU per
        request is what the framework alone costs."""
        cpu_before = server.cpu_seconds()
        result = await self.harness.client.run(f"{server.url}/slack/events", requests, self.plan.concurrency)
        ok(result, "bare Bolt")
        cpu = server.cpu_seconds() - cpu_before
        log(f"bare Bolt c{self.plan.concurrency}: {brief(result)}")
        return {"ack": result.figures(), "cpu_ms_per_request": cpu * 1000 / len(requests), "cpu_s": cpu}

    async def saturation(self, bot: ServerProcess, bare: ServerProcess) -> tuple[dict[str, Any], dict[str, Any]]:
        """Notes with 64 in flight: the bot, bare Bolt, the bot, bare Bolt. The ratios of each pair
        show how far the machine moved the figures within one run."""
        plan, harness = self.plan, self.harness
        channels = [card.channel for card in self.cards[: plan.saturation_channels]]
        runs: dict[str, list[dict[str, Any]]] = {"bot": [], "bare": []}
        for pair in range(1, plan.saturation_pairs + 1):
            for name, server in (("bot", bot), ("bare", bare)):
                requests = notes(harness, channels, plan.saturation, f"{name}-saturation-{pair}")
                measure = saturation(
                    harness,
                    server,
                    f"{server.url}/slack/events",
                    requests,
                    plan.saturation_concurrency,
                    drains=server is bot,
                )
                label = "saturation" if name == "bot" else "bare saturation"
                runs[name].append(await self.step(f"{label} {pair}", (server,), measure))
        return _pooled(runs["bot"]), _pooled(runs["bare"])


def _pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several saturation runs as one: their means, and each run."""
    mean = {
        key: sum(float(run[key]) for run in runs) / len(runs)
        for key in ("throughput_per_s", "cpu_ms_per_command", "p50", "p99", "max", "drain_s")
    }
    return mean | {"n": sum(int(run["n"]) for run in runs), "runs": runs}


def code_under_test() -> dict[str, Any]:
    """The commit the bot ran from, and which of its files differed from it (others' work in progress
    shows here): what a before and an after were run on."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)  # noqa: S603, S607
        return done.stdout.rstrip()  # not strip(): porcelain lines start with a space (" M bot/…")

    changed = git("status", "--porcelain", "--", "bot", "storage", "domain").splitlines()
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted": [line[3:] for line in changed]}


async def run(plan: DeliveryPlan, workdir: Path) -> dict[str, Any]:
    started = time.time()
    figures: dict[str, Any] = {"plan": asdict(plan), "machine": await report.machine_info()}
    figures["code"] = code_under_test()
    figures["load_average_before"] = os.getloadavg()
    async with fresh_harness() as harness:
        scenarios = Scenarios(plan, harness)
        env = server_environment(harness.slack, harness.database_url)

        async def with_bare(bot: ServerProcess) -> dict[str, Any]:
            log("delivery scenarios: starting the bare Bolt baseline beside it")
            return await with_server(
                "bench.bare_bolt", env, workdir / "bare-bolt-delivery.log", lambda bare: scenarios.all(bot, bare)
            )

        log("delivery scenarios: starting the bot")
        figures |= await with_server("bot", env, workdir / "bot-delivery.log", with_bare)
    figures["load"] = scenarios.load
    figures["duration_s"] = time.time() - started
    figures["load_average_after"] = os.getloadavg()
    return figures


def record(figures: dict[str, Any], command: str, baseline: Path | None) -> str:
    """Save a run's figures (with the baseline's beside them), write its section of RESULTS.md;
    the targets, for the terminal."""
    figures["command"] = command
    if baseline is not None and baseline.exists() and baseline.resolve() != OUTPUT.resolve():
        before = json.loads(baseline.read_text())
        before.pop("baseline", None)
        shown = baseline.resolve()
        figures["baseline"] = before | {"file": str(shown.relative_to(REPO) if shown.is_relative_to(REPO) else shown)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(figures, indent=2) + "\n")
    delivery_report.write(figures)
    return delivery_report.summary(figures)
