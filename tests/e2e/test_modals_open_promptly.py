"""Forms open from the request itself (SPEC §2 "Modals open from the request itself").

Slack refuses a ``trigger_id`` 3 s after the click or command. ``views.open`` went through the
outbox, behind whatever else was being delivered: while a ``chat.postMessage`` hung, the declare
and resolve forms were opened 8–9 s after the ack, so never. Now the call is made before the
request is acknowledged, with its own short timeout, and a failure is told to the person at once.
"""

from __future__ import annotations

import time

from bot.local_slack import LocalSlack
from bot.receivers.slack.modal_opener import VIEWS_OPEN_TIMEOUT_SECONDS
from bot.views import action_ids as ids
from tests.e2e.card_support import declare, ephemeral_texts
from tests.e2e.harness import ALICE, BotUnderTest

# Long enough that anything queued behind it would visibly wait.
HANG_SECONDS = 8.0


async def test_the_declare_form_opens_before_the_ack_while_slack_hangs_on_messages(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    slack.hang("chat.postMessage", seconds=HANG_SECONDS, times=None)
    declared = await bot.slash("declare card delivery is stuck sev2")  # its card now hangs
    assert declared.status == 200

    response = await bot.slash("")

    assert (response.status, response.text) == (200, "")
    [call] = slack.calls_to("views.open")  # already made: no waiting after the ack
    assert call.ok, slack.summary()
    assert [view.payload["callback_id"] for view in slack.views()] == [ids.DECLARE_MODAL]


async def test_the_resolve_form_opens_before_the_ack_while_slack_hangs_on_messages(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    card = await declare(bot)
    slack.hang("chat.postMessage", seconds=HANG_SECONDS, times=None)
    await bot.slash("note INC-1 an audit line that will hang")

    response = await bot.click(card, ids.RESOLVE)

    assert response.status == 200
    [call] = slack.calls_to("views.open")
    assert call.ok, slack.summary()
    assert [view.payload["callback_id"] for view in slack.views()] == [ids.RESOLVE_MODAL]


async def test_a_form_slack_refuses_to_open_is_explained_at_once(bot: BotUnderTest, slack: LocalSlack) -> None:
    slack.error("views.open", "expired_trigger_id")

    response = await bot.slash("")

    assert response.status == 200
    text = response.json()["text"]
    assert "Slack did not open the form (expired_trigger_id)" in text
    assert "/incident declare &lt;title&gt; [sev1-4]" in text, "says what to type instead"
    assert slack.views() == []


async def test_a_resolve_form_slack_refuses_is_explained_to_the_clicker(bot: BotUnderTest, slack: LocalSlack) -> None:
    card = await declare(bot)
    slack.error("views.open", "expired_trigger_id")

    await bot.click(card, ids.RESOLVE)
    await bot.settle()

    [told] = [t for t in ephemeral_texts(slack, ALICE) if "did not open the form" in t]
    assert "`/incident resolve INC-1 [summary]`" in told
    assert (await bot.incident(1)).is_open, "nothing changed"


async def test_a_views_open_that_hangs_is_cut_off_in_time_to_answer_slack(bot: BotUnderTest, slack: LocalSlack) -> None:
    slack.hang("views.open", seconds=HANG_SECONDS)
    started = time.monotonic()

    response = await bot.slash("")

    answered_after = time.monotonic() - started
    # A bound on a fault, not a speed claim: Slack shows an error itself after 3 s.
    assert answered_after < 3.0, answered_after
    assert f"no answer within {VIEWS_OPEN_TIMEOUT_SECONDS:g} s" in response.json()["text"]
