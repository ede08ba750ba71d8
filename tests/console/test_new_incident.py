"""Declaring from the console (SPEC §9): the channel is one the bot is in (conversations.list), the
card is posted there and its thread becomes the incident's home, as with ``/incident declare``."""

from __future__ import annotations

import re

from bot.local_slack import Message
from domain import events as ev
from domain.incident import ConsoleSource
from domain.severity import Severity
from tests.console.action_support import act, audit_lines, shown
from tests.console.support import ConsoleClient, Reply, signed_in_client
from tests.e2e.card_support import declared_count, timeline, top_level
from tests.e2e.harness import ALICE, BotUnderTest

OPS = "C0OPS"
_KEY = re.compile(r'name="key" value="([^"]+)"')


async def form_key(client: ConsoleClient) -> str:
    page = await client.get("/incidents/new")
    assert page.status == 200, page.text[:500]
    found = _KEY.search(page.text)
    assert found is not None
    return found.group(1)


async def send(client: ConsoleClient, key: str, **fields: str) -> Reply:
    defaults = {"title": "Checkout is down", "severity": "SEV2", "channel": OPS, "key": key}
    return await client.post_form("/incidents/new", defaults | fields)


async def home_card(bot: BotUnderTest) -> Message:
    await bot.settle()
    return await bot.card(1)


async def test_the_card_is_posted_in_the_chosen_channel_and_its_thread_is_the_home(bot: BotUnderTest) -> None:
    bot.slack.state.add_channel(OPS, "ops")
    client = await signed_in_client(bot, ALICE)
    page = await client.get("/incidents/new")
    assert f'<option value="{OPS}">#ops</option>' in page.text

    declared = await send(
        client, await form_key(client), description="Errors <since> 10:02 & rising", service="payments"
    )

    assert (declared.status, declared.location) == (303, "/incidents/INC-1"), declared.text[:500]
    assert len(bot.slack.calls_to("conversations.list")) == 1, "the channels are kept a while, not listed per page"
    assert shown((await client.get("/incidents/INC-1")).text, "action-confirmation") == (
        "INC-1 declared: its card is being posted in #ops, whose thread is its home."
    )
    incident = await bot.incident(1)
    assert (incident.title, incident.severity, incident.service) == ("Checkout is down", Severity.SEV2, "payments")
    assert incident.description == "Errors &lt;since&gt; 10:02 &amp; rising", "stored as Slack sends typed text"
    [event] = await timeline(bot)
    assert isinstance(event, ev.Declared)
    assert (event.actor, event.source) == (ALICE, ConsoleSource())
    card = await home_card(bot)
    assert top_level(bot.slack, OPS) == [card]
    assert (await bot.stored(1)).home_ts == card.ts

    assert (await act(client, "note", {"text": "looking at the payments pods"})).status == 303
    await bot.mention("note the pods are back", thread_ts=card.ts, channel=OPS)
    await bot.settle()
    assert audit_lines(bot, card) == [f"<@{ALICE}> added a note via the console: looking at the payments pods"]
    assert [e.text for e in await timeline(bot) if isinstance(e, ev.NoteAdded)] == [
        "looking at the payments pods",
        "the pods are back",
    ], "a note typed in the card's thread is the incident's"


async def test_the_same_form_sent_twice_declares_once(bot: BotUnderTest) -> None:
    bot.slack.state.add_channel(OPS, "ops")
    client = await signed_in_client(bot, ALICE)
    key = await form_key(client)

    first, again = await send(client, key), await send(client, key)

    assert (first.location, again.location) == ("/incidents/INC-1", "/incidents/INC-1")
    assert shown((await client.get("/incidents/INC-1")).text, "action-confirmation") == (
        "Already done: this form was sent twice, and INC-1 was declared once."
    )
    assert await declared_count(bot) == 1
    await home_card(bot)
    assert len(top_level(bot.slack, OPS)) == 1


async def test_invalid_values_are_said_beside_their_fields_and_nothing_unchecked_is_declared(bot: BotUnderTest) -> None:
    bot.slack.state.add_channel(OPS, "ops")
    client = await signed_in_client(bot, ALICE)
    key = await form_key(client)

    untitled = await send(client, key, title="  ")
    elsewhere = await send(client, key, channel="C0NOTJOINED")
    unknown_severity = await send(client, key, severity="SEV7")
    keyless = await send(client, "")
    tokenless = await client.post_without_token("/incidents/new", {"title": "x", "channel": OPS, "key": key})

    assert (untitled.status, shown(untitled.text, "title-error")) == (400, "The title cannot be empty.")
    assert 'value="Checkout is down"' in elsewhere.text, "what was typed is kept"
    assert elsewhere.status == 400
    assert shown(elsewhere.text, "channel-error") == (
        "Pick one of the channels the bot is in: the card is posted there."
    )
    assert (unknown_severity.status, keyless.status, tokenless.status) == (400, 400, 403)
    assert (shown(unknown_severity.text, "severity-error") or "").startswith("“SEV7” is not a severity")
    assert await declared_count(bot) == 0
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_a_refused_card_is_not_told_to_the_console_user_in_slack(bot: BotUnderTest) -> None:
    bot.slack.state.add_channel(OPS, "ops")
    bot.slack.error("chat.postMessage", "not_in_channel", times=None, channel=OPS)
    client = await signed_in_client(bot, ALICE)

    assert (await send(client, await form_key(client))).status == 303
    await bot.settle()

    assert (await bot.incident(1)).card_refused == "not_in_channel"
    assert bot.slack.direct_messages(ALICE) == [], "the console's page shows it, not a message in Slack"
    assert bot.slack.ephemerals() == []
