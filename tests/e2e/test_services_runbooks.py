"""Services from the catalog in Slack (SPEC §13): declaring with ``service:``, the card's service and
owner, the owner paged only for SEV1/SEV2 and only from the catalog, the runbook and its steps."""

from __future__ import annotations

import asyncio
import json
import tomllib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.handler.alert_intake import ALERT_INTAKE
from bot.local_slack import LocalSlack
from bot.runtime.config_file import parse_config
from bot.views import action_ids as ids
from domain import events as ev
from domain.severity import Severity
from tests.builders import alert, alert_notification, card_field, controls
from tests.e2e.card_support import declare, of_type, snapshot, thread_replies, timeline
from tests.e2e.harness import ALICE, BOB, CAROL, BotUnderTest
from tests.e2e.service_support import (
    CATALOG,
    OWNER_GROUP,
    OWNER_HANDLE,
    catalog_config,
    click_done,
    open_steps,
    runbook_messages,
    with_owner_group,
)

PAGE = f"<!subteam^{OWNER_GROUP}>"


@pytest.fixture
async def bot(slack: LocalSlack, database_url: str, workspace: str) -> AsyncIterator[BotUnderTest]:
    with_owner_group(slack)
    started = await BotUnderTest(slack, database_url, workspace, config=catalog_config()).start()
    yield started
    await started.stop()


def first_post(slack: LocalSlack, ts: str) -> dict[str, object]:
    return next(call.args for call in slack.calls_to("chat.postMessage") if call.ok and call.response.get("ts") == ts)


async def test_a_sev1_of_a_catalog_service_pages_its_owner_in_the_card_as_first_posted(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    card = await declare(bot, "declare Payments failing sev1 service:checkout")
    incident = await bot.incident(1)
    assert (incident.title, incident.service) == ("Payments failing", "checkout")
    assert incident.deadlines.ack_due_at == incident.declared_at + timedelta(minutes=2), "checkout's SEV1 ack window"
    posted = first_post(slack, card.ts)
    assert PAGE in json.dumps(posted["blocks"])
    assert PAGE in str(posted["text"]), "the notification names who is paged"
    await bot.click(card, ids.ACK, user=BOB)
    await bot.settle()
    edited = await bot.card(1)
    assert card_field(edited, "Service") == f"Checkout · owner @{OWNER_HANDLE}"
    assert PAGE not in json.dumps(edited.blocks), "an edit shows the handle, which notifies nobody"


async def test_a_sev3_shows_the_owner_without_paging_and_a_raise_pages_once(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    card = await declare(bot, "declare Payments slow service:Checkout")
    assert (await bot.incident(1)).service == "checkout", "one spelling per catalog service"
    assert PAGE not in str(first_post(slack, card.ts))
    assert card_field(card, "Service") == f"Checkout · owner @{OWNER_HANDLE}"
    await bot.click(card, ids.SEVERITY, user=CAROL, option_value="SEV2")
    await bot.click(await bot.card(1), ids.SEVERITY, user=CAROL, option_value="SEV1")
    await bot.settle()
    paged = [m.text for m in thread_replies(slack, card) if PAGE in m.text]
    assert paged == [f"<@{CAROL}> changed severity SEV3 → SEV2\n{PAGE}, INC-1 of Checkout is now SEV2."]


async def test_user_text_never_pages_a_group(bot: BotUnderTest, slack: LocalSlack) -> None:
    """A free-text service is accepted and shown, but a group token in it is only words."""
    card = await declare(bot, "declare <!subteam^S0PAYMENTS> down sev1 service:<!subteam^S0PAYMENTS>")
    assert (await bot.incident(1)).service == "<!subteam^S0PAYMENTS>"
    assert "<!subteam^" not in str(first_post(slack, card.ts))
    assert ids.RUNBOOK not in controls(card), "no catalog service, no runbook"


async def test_a_free_text_service_is_declared_with_the_default_sla(bot: BotUnderTest) -> None:
    card = await declare(bot, "declare Search is slow sev1 service:search")
    incident = await bot.incident(1)
    assert incident.service == "search"
    assert incident.deadlines.ack_due_at == incident.declared_at + timedelta(minutes=5)
    assert card_field(card, "Service") == "search"


async def test_runbook_steps_are_done_once_each_and_the_message_shows_who(bot: BotUnderTest, slack: LocalSlack) -> None:
    card = await declare(bot, "declare Payments failing sev2 service:checkout")
    assert ids.RUNBOOK in controls(card)
    await bot.click(card, ids.RUNBOOK, user=ALICE)
    await bot.settle()
    (runbook,) = runbook_messages(slack, card)
    assert runbook.text == "Runbook for Checkout (INC-1): 0 of 3 done"
    assert open_steps(runbook) == [1, 2, 3]

    await click_done(bot, runbook, 2, user=BOB)
    await click_done(bot, runbook, 2, user=CAROL)  # the same button again: nothing new
    await bot.settle()
    (edited,) = runbook_messages(slack, card)
    assert edited.ts == runbook.ts
    assert edited.text == "Runbook for Checkout (INC-1): 1 of 3 done"
    assert f"done by <@{BOB}>" in json.dumps(edited.blocks)
    assert open_steps(edited) == [1, 3]
    done = of_type(await timeline(bot), ev.RunbookStepDone)
    assert [(e.step, e.actor) for e in done if isinstance(e, ev.RunbookStepDone)] == [(2, BOB)]
    assert (await bot.incident(1)).runbook[0].by == BOB


async def test_a_card_of_a_service_without_a_runbook_has_no_runbook_button(bot: BotUnderTest) -> None:
    card = await declare(bot, "declare Payments failing")
    assert ids.RUNBOOK not in controls(card)


async def test_one_timeline_event_per_step_from_two_replicas_at_once_and_after_a_restart(
    bot: BotUnderTest, slack: LocalSlack, database_url: str, workspace: str
) -> None:
    card = await declare(bot, "declare Payments failing sev2 service:checkout")
    await bot.click(card, ids.RUNBOOK, user=ALICE)
    await bot.settle()
    runbook = snapshot(runbook_messages(slack, card)[0])  # as a client shows it, with every Done
    other = await BotUnderTest(slack, database_url, workspace, config=catalog_config()).start()
    try:
        for _ in range(3):  # Done on step 1, by two people on two replicas, at the same moment
            answers = await asyncio.gather(click_done(bot, runbook, 1, user=BOB), click_done(other, runbook, 1))
            assert [answer.status for answer in answers] == [200, 200]
        await bot.stop()
        restarted = await BotUnderTest(slack, database_url, workspace, config=catalog_config()).start()
        try:
            await click_done(restarted, runbook, 1, user=CAROL)  # a copy of the message from before
            await click_done(restarted, runbook, 3, user=CAROL)
            await restarted.settle()
            await other.settle()
            done = of_type(await timeline(restarted), ev.RunbookStepDone)
        finally:
            await restarted.stop()
    finally:
        await other.stop()
    assert sorted(e.step for e in done if isinstance(e, ev.RunbookStepDone)) == [1, 3]
    (shown,) = runbook_messages(slack, card)
    assert open_steps(shown) == [2]
    assert slack.ephemerals() == [], "done twice is no error: nobody is told anything"


async def test_an_alert_routed_to_a_catalog_service_brings_its_owner_sla_runbook_and_channel(
    slack: LocalSlack, database_url: str
) -> None:
    with_owner_group(slack)
    routed = CATALOG + '[alerts]\nchannel = "C0ALERTS"\n[[alerts.routes]]\nmatch = { team = "payments" }\n'
    config = parse_config(tomllib.loads(routed + 'service = "checkout"\n'), source="catalog.toml")
    bot = await BotUnderTest(slack, database_url, slack.state.team_id, config=config).start()
    try:
        notification = alert_notification(alert("fp1", team="payments", severity="critical"), group_key="g1")
        assert (await bot.app[ALERT_INTAKE].take(notification, key="n1")).declared == (1,)
        await bot.settle()
        incident = await bot.incident(1)
        assert (incident.service, incident.channel_id, incident.severity) == ("checkout", "C0CHECKOUT", Severity.SEV1)
        assert incident.deadlines.ack_due_at == incident.declared_at + timedelta(minutes=2)
        card = await bot.card(1)
        assert PAGE in json.dumps(first_post(slack, card.ts)["blocks"])
        assert ids.RUNBOOK in controls(card)
    finally:
        await bot.stop()
