"""Issue 14's latency scenarios: how soon what a request changed reaches Slack.

Every time here is on one clock, ``time.perf_counter`` of the orchestrator: the load generator
stamps each request just before its POST, and the fake Slack, served from the same process and
event loop, stamps each call on arrival (``Call.at``). The fake Slack answers on the loop the load
generator also runs on, so a call's stamp can lag its arrival by whatever the loop was doing (well
under a millisecond a request at these rates).

- :func:`declarations` and :func:`severity_changes`: a closed loop of ``concurrency`` clients for
  ``sustained_s``; request sent → the first Slack call for that incident (the card's
  ``chat.postMessage``; the card's ``chat.update`` showing the severity picked).
- :func:`busy_channel`: notes one after another into one incident's channel, then a severity click
  on its card; the click's ack → the card's ``chat.update``.
- :func:`hung_channel`: every call about one channel hangs; another channel's card is clicked while
  one of them hangs; click → that card's ``chat.update``.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench.harness import SEVERITY, Harness, brief, by_method, log, next_severity, ok, severity_shown
from bench.load import Signed, summarize
from bench.processes import ServerProcess
from bot.local_slack import Call, Fault, LocalSlack, Message

_INCIDENT_NUMBER = re.compile(r"INC-(\d+)")


@dataclass(frozen=True)
class Sustained:
    concurrency: int
    seconds: float


# ---------------------------------------------------------------------- concurrency 8, sustained
async def declarations(
    harness: Harness, bot: ServerProcess, url: str, load: Sustained
) -> tuple[dict[str, Any], list[Message]]:
    """``@firebreak <title> sev2`` mentions, each in a channel of its own (so Slack's per-channel
    pace never enters into it), sent by ``load.concurrency`` clients for ``load.seconds``. Returns
    the figures and the cards posted, in the order they were declared."""
    channels: list[str] = []

    def mentions() -> Iterator[Signed]:
        for i in itertools.count():
            channels.append(f"CD{i:05d}")
            yield harness.requests.mention(channels[-1], f"checkout is failing, run {i} sev2")[0]

    figures, calls = await _sustained(harness, bot, url, mentions(), load=load, what="declarations")
    first: dict[str, Call] = {}
    for call in calls:
        channel = call.args.get("channel")
        if isinstance(channel, str) and channel not in first:
            first[channel] = call
    latencies: list[float] = []
    methods: Counter[str] = Counter()
    cards: list[Message] = []
    missing = 0
    for channel, sent in zip(channels, figures.pop("started"), strict=True):
        reached = first.get(channel)
        if reached is None:
            missing += 1
            continue
        latencies.append((reached.at - sent) * 1000)
        methods[reached.method] += 1
        card = harness.slack.message(channel, str(reached.response.get("ts")))
        if reached.method == "chat.postMessage" and card is not None:
            cards.append(card)
    figures["to_first_call"] = summarize(latencies) | {"first_call_methods": dict(methods), "no_call": missing}
    log(f"declarations c{load.concurrency}: request → first Slack call {_short(figures['to_first_call'])}")
    return figures, cards


async def severity_changes(
    harness: Harness, bot: ServerProcess, url: str, load: Sustained, cards: list[Message]
) -> dict[str, Any]:
    """Severity picks on the cards' menus, round-robin over ``cards`` (alternately SEV4 and SEV3 on
    each, so each is a change), sent by ``load.concurrency`` clients for ``load.seconds``."""
    clicks: list[tuple[Message, str]] = []
    flips: dict[str, int] = {}

    def picks() -> Iterator[Signed]:
        for i in itertools.count():
            card = cards[i % len(cards)]
            clicks.append((card, next_severity(card, flips)))
            yield harness.requests.click(card, SEVERITY, option_value=clicks[-1][1])

    figures, calls = await _sustained(harness, bot, url, picks(), load=load, what="severity changes")
    started = figures.pop("started")
    updates: dict[tuple[str, str], list[Call]] = defaultdict(list)
    for call in calls:
        if call.method == "chat.update":
            updates[(str(call.args.get("channel")), str(call.args.get("ts")))].append(call)
    sent_on: dict[str, list[float]] = defaultdict(list)  # each card's clicks, by send time
    for (card, _), sent in zip(clicks, started, strict=True):
        sent_on[card.ts].append(sent)
    latencies: list[float] = []
    folded = missing = 0
    for (card, choice), sent in zip(clicks, started, strict=True):
        later = sent_on[card.ts]
        index = later.index(sent)
        next_sent = later[index + 1] if index + 1 < len(later) else float("inf")
        edit = _first_reflecting(updates[(card.channel, card.ts)], choice, sent, next_sent)
        if edit is None:
            missing += 1
            continue
        latencies.append((edit.at - sent) * 1000)
        folded += severity_shown(edit.args.get("blocks")) != choice
    figures["to_first_call"] = summarize(latencies) | {"folded_into_next_pick": folded, "no_edit": missing}
    figures["cards"] = len(cards)
    figures["seconds_between_clicks_on_one_card"] = len(cards) / figures["ack"]["throughput_per_s"]
    log(f"severity changes c{load.concurrency}: request → card chat.update {_short(figures['to_first_call'])}")
    return figures


def _first_reflecting(edits: list[Call], severity: str, sent: float, next_sent: float) -> Call | None:
    """The first edit of a card, after a pick was sent, that shows it or a later one: one showing
    ``severity``, or any arriving after the card's next pick was sent (a card is rendered just
    before its ``chat.update``, so it then shows this pick or the next; picks seconds apart are
    committed in the order sent). An edit showing the other severity before that was rendered
    before this pick was committed."""
    start = bisect.bisect_left([edit.at for edit in edits], sent)
    for edit in edits[start:]:
        if edit.at >= next_sent or severity_shown(edit.args.get("blocks")) == severity:
            return edit
    return None


async def _sustained(
    harness: Harness, bot: ServerProcess, url: str, requests: Iterator[Signed], *, load: Sustained, what: str
) -> tuple[dict[str, Any], list[Call]]:
    """Run ``requests`` for ``load.seconds``, wait until the outbox drains; the figures (with each
    request's send time under ``started``) and the Slack calls since the run began, by arrival."""
    mark = len(harness.slack.calls)
    cpu_before = bot.cpu_seconds()
    result = await harness.client.run(url, requests, load.concurrency, until=time.perf_counter() + load.seconds)
    ok(result, what)
    cpu_run = bot.cpu_seconds() - cpu_before
    drain = await harness.settle()
    cpu_all = bot.cpu_seconds() - cpu_before
    calls = sorted(harness.calls_since(mark), key=lambda call: call.at)
    count = len(result.latencies_ms)
    log(f"{what} c{load.concurrency}, {load.seconds:.0f} s: acks {brief(result)}; drained in {drain:.1f}s")
    figures = {
        "ack": result.figures(),
        "concurrency": load.concurrency,
        "drain_s": drain,
        "bot_cpu_s_during_run": cpu_run,
        "bot_cpu_ms_per_request": cpu_all * 1000 / count,
        "bot_cpu_ms_per_request_during_run": cpu_run * 1000 / count,
        "slack_calls": by_method(calls),
        "slack_calls_per_request": len(calls) / count,
        "started": result.started,
    }
    return figures, calls


# ---------------------------------------------------------------------- busy channel
async def busy_channel(harness: Harness, url: str, trials: int, notes: int) -> dict[str, Any]:
    """Each trial: a new incident in a channel of its own, ``notes`` ``/incident note INC-n …`` sent
    one after another (each audit line a message the channel's pace holds back), then SEV3 picked
    on its card; the click's ack → the card's ``chat.update`` showing SEV3. The outbox drains
    before the next trial."""
    rows: list[dict[str, Any]] = []
    for trial in range(trials):
        channel = f"CBUSY{trial:03d}"
        card = await harness.declare(url, channel, f"payments are slow, trial {trial} sev2")
        number = _INCIDENT_NUMBER.search(card.text or "")
        name = f"INC-{number.group(1)} " if number else ""
        for step in range(notes):
            request = harness.requests.slash(channel, f"note {name}busy channel, step {step} checked")
            status, _, _ = await harness.client.send(url, request)
            if status != 200:
                raise RuntimeError(f"note answered {status}")
        mark = len(harness.slack.calls)
        edit, sent, acked = await _click_and_wait(harness, url, card, "SEV3")
        ahead = [
            call
            for call in harness.slack.calls[mark:]
            if call.method == "chat.postMessage" and call.args.get("channel") == channel and call.at < edit.at
        ]
        rows.append(
            {
                "ack_to_update_ms": (edit.at - acked) * 1000,
                "sent_to_update_ms": (edit.at - sent) * 1000,
                "thread_messages_sent_first": len(ahead),
            }
        )
        await harness.settle()
    figures = _trials(rows, "ack_to_update_ms")
    log(f"busy channel ({notes} notes): click ack → card chat.update {_short(figures['ack_to_update_ms'])}")
    return figures


# ---------------------------------------------------------------------- one channel hanging
async def hung_channel(harness: Harness, url: str, trials: int, hang_s: float) -> dict[str, Any]:
    """Each trial, every Slack call about one channel (a new one each trial; the last one's calls
    answer again) hangs. An incident is declared in it; once its card's ``chat.postMessage`` hangs,
    SEV3 is picked on another incident's card, in a channel of its own; click → that card's
    ``chat.update``. A new channel each trial keeps the trials apart: the bot's retries of one
    channel's calls (and its pacing of them) do not pile up from trial to trial."""
    slack = harness.slack
    others = [await harness.declare(url, f"COTHER{t:03d}", f"search is down, trial {t} sev2") for t in range(trials)]
    await harness.settle()
    rows: list[dict[str, Any]] = []
    try:
        for trial, card in enumerate(others):
            hung = f"CHUNG{trial:03d}"
            slack.clear_faults()
            arrival = slack.hang(seconds=hang_s, times=1, channel=hung)  # taken by the next call about it
            slack.hang(seconds=hang_s, times=None, channel=hung)  # and every call after that
            request, _ = harness.requests.mention(hung, f"chat is down, trial {trial} sev2")
            status, _, _ = await harness.client.send(url, request)
            if status != 200:
                raise RuntimeError(f"mention answered {status}")
            hanging_since = await _taken(arrival, timeout=30.0)
            edit, sent, acked = await _click_and_wait(harness, url, card, "SEV3", timeout=60.0)
            rows.append(
                {
                    "sent_to_update_ms": (edit.at - sent) * 1000,
                    "ack_to_update_ms": (edit.at - acked) * 1000,
                    "hanging_for_ms_at_click": (sent - hanging_since) * 1000,
                }
            )
    finally:
        slack.clear_faults()
    figures = _trials(rows, "sent_to_update_ms") | {"hang_s": hang_s}
    log(f"one channel hanging: other card's click → chat.update {_short(figures['sent_to_update_ms'])}")
    return figures


async def _taken(fault: Fault, timeout: float) -> float:  # noqa: ASYNC109
    """Wait until a call took ``fault`` (it arrived and now hangs); when it was noticed."""
    deadline = time.perf_counter() + timeout
    while fault.remaining != 0:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"no Slack call about {fault.channel} within {timeout}s")
        await asyncio.sleep(0.002)
    return time.perf_counter()


# ---------------------------------------------------------------------- shared
async def _click_and_wait(
    harness: Harness,
    url: str,
    card: Message,
    severity: str,
    timeout: float = 30.0,  # noqa: ASYNC109
) -> tuple[Call, float, float]:
    """Pick ``severity`` on ``card``; the card's first ``chat.update`` showing it, when the click
    was sent and when its ack came back."""
    mark = len(harness.slack.calls)
    request = harness.requests.click(card, SEVERITY, option_value=severity)
    sent = time.perf_counter()
    status, ack_ms, _ = await harness.client.send(url, request)
    if status != 200:
        raise RuntimeError(f"click answered {status}")

    def edited(slack: LocalSlack) -> Call | None:
        for call in slack.calls[mark:]:
            same_card = call.args.get("channel") == card.channel and call.args.get("ts") == card.ts
            if call.method == "chat.update" and same_card and severity_shown(call.args.get("blocks")) == severity:
                return call
        return None

    edit = await harness.slack.wait_for(edited, timeout=timeout, what=f"the card in {card.channel} edited")
    return edit, sent, sent + ack_ms / 1000


def _trials(rows: list[dict[str, Any]], main: str) -> dict[str, Any]:
    figures: dict[str, Any] = {"trials": rows, "n": len(rows)}
    for key in rows[0] if rows else ():
        figures[key] = summarize([row[key] for row in rows])
    figures["measured"] = main
    return figures


def _short(figures: dict[str, Any]) -> str:
    if not figures.get("n"):
        return "no figures"
    return f"n={figures['n']} p50={figures['p50']:.0f} p99={figures['p99']:.0f} max={figures['max']:.0f} ms"
