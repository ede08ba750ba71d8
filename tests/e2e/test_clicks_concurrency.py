"""Double clicks, forged controls and a burst of concurrent clicks on one card: every accepted
command is in the timeline exactly once, the state equals its replay, and the card as Slack shows
it ends up matching the final state."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from bot.local_slack import LocalSlack
from bot.views import action_ids as ids
from domain import events as ev
from domain.evolve import replay
from domain.incident import Undeclared
from domain.severity import Severity
from tests.builders import card_control, card_field
from tests.e2e.card_support import card_updates, declare, ephemeral_texts, of_type, snapshot, thread_replies, timeline
from tests.e2e.harness import ALICE, BOB, CAROL, BotUnderTest, Response

CLICKERS = (ALICE, BOB, CAROL)


@contextmanager
def in_workspace(bot: BotUnderTest, workspace: str) -> Iterator[None]:
    """Drive the bot as another workspace that installed it (the harness signs for any team)."""
    home = bot.workspace
    bot.workspace = workspace
    try:
        yield
    finally:
        bot.workspace = home


async def test_a_double_click_on_acknowledge_applies_once(bot: BotUnderTest, slack: LocalSlack) -> None:
    card = snapshot(await declare(bot))  # the card as the clicker's client still shows it

    first = await bot.click(card, ids.ACK, user=ALICE)
    second = await bot.click(card, ids.ACK, user=ALICE)  # another payload, another action_ts
    assert (first.status, second.status) == (200, 200)
    await bot.settle()

    events = await timeline(bot)
    assert [e.type for e in events] == ["declared", "acknowledged", "status_changed"]
    assert (await bot.incident(1)).version == 3
    replies = ephemeral_texts(slack, ALICE)
    assert len(replies) == 1, replies
    assert "already acknowledged" in replies[0]
    assert len(card_updates(slack, card)) == 1, "the refused click did not touch the card"
    assert len(thread_replies(slack, card)) == 1, "one audit line"


async def test_simultaneous_acknowledges_by_several_people_apply_once(bot: BotUnderTest, slack: LocalSlack) -> None:
    card = snapshot(await declare(bot))
    clickers = [ALICE, BOB, CAROL, "U0DAVE"] * 2

    responses = await asyncio.gather(*(bot.click(card, ids.ACK, user=user) for user in clickers))
    assert {r.status for r in responses} == {200}
    await bot.settle()

    acknowledged = of_type(await timeline(bot), ev.Acknowledged)
    assert len(acknowledged) == 1
    refused = [e.text for e in slack.ephemerals()]
    assert len(refused) == len(clickers) - 1, refused
    assert all("already acknowledged" in text for text in refused)
    assert card_field(await bot.card(1), "Status") == "Investigating"


async def test_a_control_from_another_workspaces_card_is_refused(bot: BotUnderTest, slack: LocalSlack) -> None:
    ours = snapshot(await declare(bot, "declare Our outage sev3"))
    other_workspace = "T0ELSEWHERE"
    with in_workspace(bot, other_workspace):
        theirs = snapshot(await declare(bot, "declare Their outage sev3"))
    assert card_control(theirs, ids.ACK)["value"] == f"{other_workspace}:1"

    # A payload signed for our workspace that carries their card's controls (INC-1 in both).
    await bot.click(theirs, ids.ACK, user=ALICE)
    await bot.click(theirs, ids.SEVERITY, user=ALICE, option_value="SEV1")
    await bot.click(theirs, ids.COMMANDER, user=ALICE, selected_user=BOB)
    await bot.settle()

    assert [e.type for e in await timeline(bot)] == ["declared"], "our INC-1 is untouched"
    with in_workspace(bot, other_workspace):
        assert [e.type for e in await timeline(bot)] == ["declared"], "their INC-1 is untouched"
    refusals = ephemeral_texts(slack, ALICE)
    assert len(refusals) == 3, refusals
    assert all("another workspace" in text for text in refusals)
    assert slack.calls_to("chat.update") == []
    assert card_updates(slack, ours) == []


async def test_twenty_concurrent_clicks_are_serialised_and_the_card_shows_the_final_state(
    bot: BotUnderTest, slack: LocalSlack, record_property: Callable[[str, object], None]
) -> None:
    card = snapshot(await declare(bot, "declare Database failover sev3"))
    leads = [f"U0LEAD{n:02d}" for n in range(10)]
    clicks: list[Coroutine[Any, Any, Response]] = []
    for n in range(20):
        clicker = CLICKERS[n % len(CLICKERS)]
        if n % 2 == 0:
            severity = ("SEV1", "SEV2")[(n // 2) % 2]
            clicks.append(bot.click(card, ids.SEVERITY, user=clicker, option_value=severity))
        else:
            clicks.append(bot.click(card, ids.COMMANDER, user=clicker, selected_user=leads[n // 2]))

    responses = await asyncio.gather(*clicks)
    assert {r.status for r in responses} == {200}
    await bot.settle(within=15)

    stored = await bot.stored(1)
    incident = stored.incident
    events = await timeline(bot)
    assigned = [e for e in events if isinstance(e, ev.Assigned)]
    severities = [e for e in events if isinstance(e, ev.SeverityChanged)]

    # None lost: every assignment names someone new, so all ten were accepted...
    assert sorted(e.current for e in assigned) == leads
    # ...and a severity click is either in the timeline or was refused (it chose the current one).
    refusals = [e.text for e in slack.ephemerals()]
    assert len(severities) + len(refusals) == 10, refusals
    assert all("already SEV" in text for text in refusals), refusals
    assert incident.version == len(events) == 1 + len(assigned) + len(severities)
    assert [e.type for e in events].count("declared") == 1

    # Serialised: each change starts from the one before it, and replaying gives the stored state.
    chain = [Severity.SEV3] + [e.current for e in severities]
    assert [e.previous for e in severities] == chain[:-1]
    commanders: list[str | None] = [None] + [e.current for e in assigned]
    assert [e.previous for e in assigned] == commanders[:-1]
    assert replay(Undeclared(incident.ref), events) == incident
    assert (incident.severity, incident.commander) == (chain[-1], commanders[-1])

    # The card as Slack shows it is the final projection, edited in place.
    shown = await bot.card(1)
    assert shown.ts == card.ts
    assert card_field(shown, "Severity").startswith(f"{incident.severity.label} · ")
    assert card_control(shown, ids.SEVERITY)["initial_option"]["value"] == f"{bot.workspace}:1:{incident.severity.name}"
    assert card_field(shown, "Commander") == f"<@{incident.commander}>"
    assert card_control(shown, ids.COMMANDER)["initial_user"] == incident.commander
    assert shown.blocks is not None
    [actions] = [b for b in shown.blocks if b["type"] == "actions"]
    assert actions["block_id"].endswith(f":v{incident.version}"), "the card's latest version"
    # One audit line per change; lines that queued up together may share a message (SPEC §7).
    lines = [line for reply in thread_replies(slack, card) for line in reply.text.splitlines()]
    assert len(lines) == len(assigned) + len(severities), "one audit line per change"

    updates = len(card_updates(slack, card))
    record_property("chat_update_calls", updates)
    print(f"20 concurrent clicks: {len(assigned) + len(severities)} accepted, {updates} chat.update call(s)")
    assert 1 <= updates <= len(assigned) + len(severities)
