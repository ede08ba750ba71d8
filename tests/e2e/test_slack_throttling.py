"""Slack throttling (SPEC §7): 200 changes to five incidents in about 10 s while Slack enforces its
per-channel rate with 429s. Every card ends on its final state, no audit line is lost but they are
coalesced, and after a 429 the bot leaves the channel alone for the whole Retry-After."""

from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict

import pytest

from bot.local_slack import Call, LocalSlack
from tests.e2e.harness import BotUnderTest

INCIDENTS = 5
CHANGES = 200
CHANNELS = [f"C0THROTTLE{i}" for i in range(INCIDENTS)]
WRITES = ("chat.postMessage", "chat.update")


def _channel(call: Call) -> str:
    return str(call.args.get("channel", ""))


def _retry_after(call: Call) -> float:
    assert call.retry_after is not None, "every 429 carries Retry-After"
    return call.retry_after


@pytest.mark.slow
async def test_a_burst_of_changes_under_429s_ends_on_the_final_state(bot: BotUnderTest, slack: LocalSlack) -> None:
    for number, channel in enumerate(CHANNELS, start=1):
        await bot.slash(f"declare outage in region {number} sev3", channel=channel)
        await bot.card(number)
    await bot.settle()
    # Stricter than Slack's published rate, so the bot meets real 429s and must honour them.
    slack.per_channel_limit(per_second=1.0, burst=2)
    first_change = len(slack.calls)

    rng = random.Random(7)
    notes: dict[int, list[str]] = defaultdict(list)
    for second in range(10):
        batch = []
        for i in range(CHANGES // 10):
            number = rng.randint(1, INCIDENTS)
            if i % 4 == 0:
                command = f"sev INC-{number} {rng.randint(1, 4)}"
            else:
                note = f"progress {second}-{i} on INC-{number}"
                notes[number].append(note)
                command = f"note INC-{number} {note}"
            batch.append(bot.slash(command, channel=CHANNELS[number - 1]))
        responses, _ = await asyncio.gather(asyncio.gather(*batch), asyncio.sleep(1.0))
        assert all(r.status == 200 for r in responses)

    await bot.settle(within=120)

    calls = slack.calls[first_change:]
    writes = [c for c in calls if c.method in WRITES]
    limited = [c for c in writes if c.status == 429]
    for number, channel in enumerate(CHANNELS, start=1):
        incident = await bot.incident(number)
        card = await bot.card(number)
        header = card.blocks[0]["text"]["text"] if card.blocks else ""
        assert incident.severity.label in header, f"INC-{number}'s card shows its final severity"
        thread_text = "\n".join(m.text for m in slack.messages(channel) if m.thread_ts == card.ts)
        for note in notes[number]:
            assert note in thread_text, f"audit line for {note!r} was lost"
        # After a 429, nothing more reaches that channel before its Retry-After has passed.
        for refused in (c for c in limited if _channel(c) == channel):
            later = [c for c in writes if _channel(c) == channel and c.at > refused.at]
            if later:
                assert later[0].at >= refused.at + _retry_after(refused) - 0.05

    audit_posts = [c for c in writes if c.method == "chat.postMessage" and c.status == 200]
    figures = {
        "test": "slack_throttling",
        "changes": CHANGES,
        "incidents": INCIDENTS,
        "slack_writes": len(writes),
        "refused_429": len(limited),
        "thread_posts": len(audit_posts),
        "card_updates": len([c for c in writes if c.method == "chat.update" and c.status == 200]),
    }
    print("FIGURES", json.dumps(figures))
    assert len(audit_posts) < CHANGES / 2, "audit lines were coalesced, not posted one by one"
