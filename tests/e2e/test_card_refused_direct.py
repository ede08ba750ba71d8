"""A refused card declared without a response_url to answer through (the declare modal, a mention),
or whose response_url no longer answers: the declarer gets a direct message instead, from the bot,
in their conversation with it (chat.postMessage to their user id), which no channel can refuse."""

from __future__ import annotations

from bot.delivery import outbox_messages as kinds
from bot.local_slack import LocalSlack
from domain import events as ev
from tests.e2e.card_support import of_type, timeline
from tests.e2e.harness import ALICE, BOB, CHANNEL, BotUnderTest
from tests.e2e.test_card_refused import PRIVATE, never_invited
from tests.e2e.test_delivery_faults import card_posts, outbox_rows
from tests.e2e.test_modals import declare_values, open_declare_modal
from tests.waiting import poll


async def direct_messages(slack: LocalSlack, user: str) -> list[str]:
    async def said() -> list[str]:
        return [message.text for message in slack.direct_messages(user)]

    found: list[str] = await poll(said, 5.0, f"a direct message to {user}")
    return found


async def test_a_card_declared_from_the_modal_and_refused_is_explained_in_a_direct_message(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    view = await open_declare_modal(bot, slack)
    never_invited(slack, CHANNEL)

    submitted = await bot.submit_view(
        slack.state.view_dict(view), declare_values(view, title="Checkout 500s"), user=BOB, view_id=view.id
    )
    assert submitted.text == "", "the form closes: the incident is declared"

    [notice] = await direct_messages(slack, BOB)
    assert "*INC-1* · Checkout 500s in <#C0INCIDENT>: Slack said `not_in_channel`" in notice
    assert "`/invite @firebreak` in <#C0INCIDENT>, then run `/incident repost INC-1`" in notice
    [dm] = [c for c in slack.calls_to("chat.postMessage") if c.ok]
    assert dm.args["channel"] == BOB, "posted to the person, which Slack reads as their conversation with the bot"
    assert dm.response["channel"].startswith("D")
    assert slack.response_url_posts() == []
    [refused] = of_type(await timeline(bot, 1), ev.CardPostFailed)
    assert isinstance(refused, ev.CardPostFailed)
    assert refused.error == "not_in_channel"
    await bot.settle()


async def test_a_mention_declared_in_an_archived_channel_is_told_and_reposted_from_its_thread(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    slack.error("chat.postMessage", "is_archived", times=None, channel=CHANNEL)
    response, root = await bot.mention("db failover stuck sev2")
    assert response.status == 200

    [notice] = await direct_messages(slack, ALICE)
    assert "Slack said `is_archived` (the channel is archived)" in notice
    assert "Unarchive <#C0INCIDENT> and invite me with `/invite @firebreak`, then run `/incident repost INC-1`" in (
        notice
    )
    await bot.settle()

    slack.clear_faults()  # unarchived
    answered, _ = await bot.mention("repost", user=BOB, thread_ts=root.ts)
    assert answered.status == 200

    card = await bot.card(1)
    assert card.thread_ts == root.ts, "the card goes where a mention's card goes: in the message's thread"
    await bot.settle()
    [heard] = [e.text for e in slack.ephemerals(BOB)]
    assert heard == "Posting INC-1's card in <#C0INCIDENT> again."
    assert [e.type for e in await timeline(bot, 1)][-1] == "card_repost_requested"


async def test_an_expired_response_url_falls_back_to_a_direct_message(bot: BotUnderTest, slack: LocalSlack) -> None:
    never_invited(slack)
    slack.fail("response_url", status=404, times=1)  # Slack keeps a response_url for 30 minutes

    await bot.slash("declare billing exports fail sev3", channel=PRIVATE)

    [notice] = await direct_messages(slack, ALICE)
    assert "*INC-1* · billing exports fail in <#C0PRIV>: Slack said `not_in_channel`" in notice
    await bot.settle()
    [respond] = await outbox_rows(bot, kinds.RESPOND)
    assert respond.delivered_at is not None, "told after all"
    assert [c.error for c in card_posts(slack)] == ["not_in_channel"]
