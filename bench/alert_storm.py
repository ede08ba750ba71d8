"""Issue 19's alert storm (``python -m bench --alerts``): Alertmanager-shaped webhooks at the bot.

A fresh Postgres database, the fake Slack (in this process, on the load generator's clock), the real
bot (``python -m bot``, ``ALERTS_TOKEN`` set and an ``[alerts]`` default channel in its TOML file) and
beside it bare Bolt (``python -m bench.bare_bolt``). The storm (bench/storm_payloads.py): 10,000
alerts in 1,000 notifications over 60 s across 50 groups, version 4 payloads POSTed to
``/alerts/alertmanager`` on a fixed schedule as Alertmanager sends them: a group's notifications
one after another, a 5xx answer sent again after a second (up to 3 times).

Measured: each webhook's latency (p99 ≤ 250 ms) and answer (all 200), every alert's firing and
resolved state stored once (timeline events, after the outbox drained), the incidents declared
(≤ 50), ``chat.update`` per card per second (≤ 1), the bot's CPU per alert beside bare Bolt's per
request (the same number of ``/incident`` requests on the same schedule), and the bot's peak RSS.
Two storms, each on a fresh bot and database: every group of a service of its own (50 incidents),
and five groups to each service (10 incidents of 5 groups each: clustering, and each incident's
alerts five times as many). Writes ``bench/results/alerts.json`` (``--quick``: 1,000 alerts over
15 s in 20 groups, ``alerts-quick.json``).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench import report
from bench.delivery import code_under_test
from bench.harness import RESULTS, Harness, by_method, fresh_harness, log, server_environment, with_server
from bench.load import Client, Signed, summarize
from bench.processes import ServerProcess, postgres_cpu_seconds
from bench.storm_payloads import FULL, QUICK, TOKEN, WARM_UP, StormPlan, storm, webhooks
from bot.local_slack import Call, LocalSlack

CHANNEL = "C0ALERTS"


async def paced(client: Client, url: str, schedule: list[tuple[float, int, Signed]], plan: StormPlan) -> dict[str, Any]:
    """Send each request at its time (seconds from now) as Alertmanager does: one group's one after
    another (the next waits for the one before it to be answered), a 5xx answer sent again
    ``plan.retries`` times, ``plan.retry_after_s`` apart. Every answer's latency and status, and how
    late each request left."""
    turns: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
    latencies: list[float] = []
    late: list[float] = []
    statuses: Counter[int] = Counter()
    refusals: Counter[str] = Counter()
    started = time.perf_counter()

    async def one(at: float, group: int, request: Signed) -> bool:
        await asyncio.sleep(max(0.0, started + at - time.perf_counter()))
        async with turns[group]:
            late.append((time.perf_counter() - started - at) * 1000)
            for attempt in range(plan.retries + 1):
                status, latency, body = await client.send(url, request)
                latencies.append(latency)
                statuses[status] += 1
                if status == 200:
                    return True
                refusals[f"{status}: {body[:200].decode(errors='replace')}"] += 1
                if status < 500 or attempt == plan.retries:
                    return False
                await asyncio.sleep(plan.retry_after_s)
        return False

    taken = await asyncio.gather(*(one(*item) for item in schedule))
    return summarize(latencies) | {
        "wall_s": time.perf_counter() - started,
        "late_ms": summarize(late),
        "statuses": {str(status): n for status, n in sorted(statuses.items())},
        "given_up": taken.count(False),
        "refusals": dict(refusals.most_common(5)),
    }


def card_updates(calls: list[Call], since: float) -> dict[str, Any]:
    """``chat.update`` per card (channel and ts): the most in any one second (whole seconds from
    ``since``), and the shortest gap between two edits of one card."""
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    for call in calls:
        if call.method == "chat.update":
            times[(str(call.args.get("channel")), str(call.args.get("ts")))].append(call.at)
    per_second = Counter((card, math.floor(at - since)) for card, moments in times.items() for at in moments)
    gaps = [b - a for moments in times.values() for a, b in zip(sorted(moments), sorted(moments)[1:], strict=False)]
    return {
        "cards_edited": len(times),
        "chat_update": sum(len(moments) for moments in times.values()),
        "max_per_card_second": max(per_second.values(), default=0),
        "min_gap_s": min(gaps, default=None),
        "most_edits_of_one_card": max((len(moments) for moments in times.values()), default=0),
    }


async def stored(
    database_url: str, fingerprints: set[str], since: datetime
) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """What the database holds of the storm: its alerts' timeline events (any event whose payload
    names one of its fingerprints, at any depth) and the incidents declared since ``since``;
    and for each of their cards (channel, ts), the Alerts field it should show now."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT e.type, e.incident_id, f #>> '{}' AS fingerprint FROM incident_events e,"
            " jsonb_path_query(e.payload, 'strict $.**.fingerprint') AS f"
        )
        incidents = await connection.fetch(
            "SELECT id, channel_id, card_ts, service, severity FROM incidents WHERE declared_at >= $1", since
        )
    finally:
        await connection.close()
    mine = [row for row in rows if row["fingerprint"] in fingerprints]
    incidents_of: dict[str, set[int]] = defaultdict(set)
    alerts_of: dict[int, set[str]] = defaultdict(set)
    resolved_of: dict[int, set[str]] = defaultdict(set)
    for row in mine:
        incident, fingerprint = int(row["incident_id"]), str(row["fingerprint"])
        incidents_of[fingerprint].add(incident)
        alerts_of[incident].add(fingerprint)
        if "resolv" in row["type"]:
            resolved_of[incident].add(fingerprint)
    figures = {
        "alert_events": dict(Counter(str(row["type"]) for row in mine)),
        "alert_events_total": len(mine),
        "distinct_fingerprints": len(incidents_of),
        "distinct_fingerprint_events": len({(row["type"], row["fingerprint"]) for row in mine}),
        "fingerprints_in_more_than_one_incident": sum(1 for ids in incidents_of.values() if len(ids) > 1),
        "incidents": len(incidents),
        "incidents_by_service": dict(Counter(str(row["service"]) for row in incidents)),
        "incidents_by_severity": dict(Counter(f"SEV{row['severity']}" for row in incidents)),
    }
    fields = {
        (str(row["channel_id"]), str(row["card_ts"])): (
            f"{len(alerts_of[row['id']] - resolved_of[row['id']])} firing · {len(resolved_of[row['id']])} resolved"
        )
        for row in incidents
        if row["card_ts"]
    }
    return figures, fields


def cards_showing(slack: LocalSlack, fields: dict[tuple[str, str], str]) -> dict[str, Any]:
    """How many cards show the Alerts field their incident's events give (``3 firing · 5 resolved``)."""
    wrong: list[str] = []
    for (channel, ts), expected in fields.items():
        message = slack.message(channel, ts)
        blocks = json.dumps(message.blocks if message else [], ensure_ascii=False)
        shown = re.findall(r"\d+ firing · \d+ resolved", blocks)
        if shown != [expected]:
            wrong.append(f"{channel}/{ts}: shows {shown or 'no Alerts field'}, expected {expected}")
    return {"cards": len(fields), "showing_their_alerts": len(fields) - len(wrong), "wrong": wrong[:5]}


# ---------------------------------------------------------------------- the run
async def measure(plan: StormPlan, harness: Harness, bot: ServerProcess, bare: ServerProcess) -> dict[str, Any]:
    slack, client = harness.slack, harness.client
    url, bare_url = f"{bot.url}/alerts/alertmanager", f"{bare.url}/slack/events"
    # A service of its own, so that no storm group joins its incident; then bare Bolt's first requests.
    warm_up = await paced(client, url, webhooks(storm(WARM_UP, datetime.now(UTC), names=("warm-up",))), WARM_UP)
    if warm_up["statuses"] != {"200": WARM_UP.groups * WARM_UP.rounds}:
        raise RuntimeError(f"the warm-up's webhooks were answered {warm_up['statuses']}: {warm_up['refusals']}")
    await client.run(bare_url, [harness.requests.slash(f"CBW{i}", f"note warm-up {i}") for i in range(40)], 4)
    await harness.settle()
    bot_idle, bare_idle = await asyncio.gather(cores_busy(bot), cores_busy(bare))

    now = datetime.now(UTC)
    notifications = storm(plan, now)
    alerts = sum(len(notification.alerts) for notification in notifications)
    expected = {pair for notification in notifications for pair in notification.alerts}
    fingerprints = {fingerprint for fingerprint, _ in expected}
    log(f"alert storm: {alerts} alerts in {len(notifications)} notifications over {plan.seconds:.0f} s")
    mark, memory_before, load = len(slack.calls), bot.memory_kib(), os.getloadavg()
    cpu_before, postgres_before, started = bot.cpu_seconds(), postgres_cpu_seconds(), time.perf_counter()
    samples: list[float] = []
    sampler = asyncio.create_task(sample_cores(bot, samples))
    answers = await paced(client, url, webhooks(notifications), plan)
    sampler.cancel()
    await asyncio.gather(sampler, return_exceptions=True)
    cpu_storm, postgres_storm = bot.cpu_seconds() - cpu_before, postgres_cpu_seconds() - postgres_before
    drain = await harness.settle(timeout=600)
    cpu = bot.cpu_seconds() - cpu_before
    memory = bot.memory_kib()
    calls = harness.calls_since(mark)
    log(f"webhooks: p50 {answers['p50']:.1f} p99 {answers['p99']:.1f} ms {answers['statuses']}, drain {drain:.1f}s")

    requests = [harness.requests.slash(f"CB{i % 50:02d}", f"note storm {i}") for i in range(len(notifications))]
    bare_before = bare.cpu_seconds()
    schedule = [(item.at, item.group, request) for item, request in zip(notifications, requests, strict=True)]
    bare_acks = await paced(client, bare_url, schedule, plan)
    bare_cpu = bare.cpu_seconds() - bare_before
    threads = Counter(str(call.args.get("thread_ts")) for call in calls if call.args.get("thread_ts"))

    database, fields = await stored(harness.database_url, fingerprints, now)
    updates = card_updates(calls, started)
    cpu_ms_per_alert, bare_cpu_ms = cpu * 1000 / alerts, bare_cpu * 1000 / len(requests)
    figures = {
        "alerts": alerts,
        "notifications": len(notifications),
        "distinct_alerts": len(fingerprints),
        "states_expected": len(expected),
        "webhooks": answers,
        "drain_s": drain,
        "load_average": {"at_start": load, "after_drain": os.getloadavg()},
        "stored": database,
        "card_updates": updates,
        "cards": cards_showing(slack, fields),
        "slack_calls": by_method(calls),
        "thread_messages": {
            "n": threads.total(),
            "threads": len(threads),
            "most_in_one": max(threads.values(), default=0),
        },
        "cpu": {
            "bot_s_during_storm": cpu_storm,
            "bot_s_until_drained": cpu,
            "postgres_s_during_storm": postgres_storm,
            "bot_ms_per_alert": cpu_ms_per_alert,
            "bot_ms_per_notification": cpu * 1000 / len(notifications),
            "bare_bolt_ms_per_request": bare_cpu_ms,
            "alert_to_bare_request": cpu_ms_per_alert / bare_cpu_ms,
            "notification_to_bare_request": cpu * 1000 / len(notifications) / bare_cpu_ms,
            "bot_cores_busy_each_5s_of_the_storm": samples,
            "bot_idle_s_per_s": bot_idle,
            "bare_bolt_idle_s_per_s": bare_idle,
        },
        "bare_bolt_acks": bare_acks,
        "memory_kib": {"rss_before": memory_before["VmRSS"], "peak": memory["VmHWM"], "rss_after": memory["VmRSS"]},
    }
    figures["targets"] = {
        "webhook_p99_le_250ms": answers["p99"] <= 250,
        "all_answered_200": answers["statuses"] == {"200": len(notifications)},
        "all_stored_once": database["distinct_fingerprint_events"] == database["alert_events_total"] == len(expected),
        "incidents_le_50": 0 < database["incidents"] <= 50,
        "chat_update_le_1_per_card_second": updates["max_per_card_second"] <= 1,
    }
    log(f"targets: {figures['targets']}")
    return figures


async def cores_busy(server: ServerProcess, seconds: float = 5.0) -> float:
    """The server's CPU seconds a second over the next ``seconds``."""
    before = server.cpu_seconds()
    await asyncio.sleep(seconds)
    return (server.cpu_seconds() - before) / seconds


async def sample_cores(server: ServerProcess, into: list[float]) -> None:
    """``cores_busy`` every 5 s, until cancelled: a per-notification cost that grows over the storm
    shows as a rising series (the notifications come at a steady rate)."""
    while True:
        into.append(round(await cores_busy(server), 3))


async def run(plan: StormPlan, workdir: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {"plan": asdict(plan), "machine": await report.machine_info(), "code": code_under_test()}
    config = workdir / "firebreak.toml"
    config.write_text(f'[alerts]\nchannel = "{CHANNEL}"\n')
    started = time.time()
    async with fresh_harness() as harness:
        env = server_environment(harness.slack, harness.database_url)

        async def beside_bare(bot: ServerProcess) -> dict[str, Any]:
            return await with_server(
                "bench.bare_bolt", env, workdir / "bare-bolt.log", lambda bare: measure(plan, harness, bot, bare)
            )

        bot_env = env | {"ALERTS_TOKEN": TOKEN, "FIREBREAK_CONFIG": str(config)}
        figures |= await with_server("bot", bot_env, RESULTS / "alerts-bot.log", beside_bare)
    figures["duration_s"] = time.time() - started
    return figures


def main(quick: bool) -> Path:
    """Both storms, each on a bot and database of its own: every group an incident of its own
    service, and five groups to a service (clustered into its incident)."""
    plan = QUICK if quick else FULL
    scenarios = {"one_incident_per_group": replace(plan, services=plan.groups), "five_groups_per_incident": plan}
    figures: dict[str, Any] = {"command": "python -m bench --alerts" + (" --quick" if quick else "")}
    for name, scenario in scenarios.items():
        log(f"alert storm: {name}")
        with tempfile.TemporaryDirectory(prefix="firebreak-bench-") as workdir:
            figures[name] = asyncio.run(run(scenario, Path(workdir)))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / ("alerts-quick.json" if quick else "alerts.json")
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return path
