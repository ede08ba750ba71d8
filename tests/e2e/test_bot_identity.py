"""The bot learns who it is once, at start, and never loses a mention to Slack's Web API being down
(SPEC §7: Slack's 200 for a mention means it is stored).

Bolt used to call ``auth.test`` on each request until one succeeded, and while it failed answered
the event 200 with "please reinstall this app": Slack, having had its 200, never resent it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.local_slack import LocalSlack
from bot.local_slack.payloads import mention_event
from tests.e2e.card_support import declared_count
from tests.e2e.harness import ALICE, CHANNEL, BotUnderTest
from tests.waiting import poll

REINSTALL = "Please reinstall this app"
# The identity is retried after 1, 2, 4 … s: a few tries fit in this.
RECOVERY_SECONDS = 20.0


@pytest.fixture
async def bot_without_identity(slack: LocalSlack, database_url: str, workspace: str) -> AsyncIterator[BotUnderTest]:
    """A bot started while Slack's Web API answers ``auth.test`` with 503 (a Slack incident)."""
    slack.fail("auth.test", status=503, times=None)
    started = await BotUnderTest(slack, database_url, workspace).start()
    yield started
    await started.stop()


def auth_tests(slack: LocalSlack) -> int:
    return sum(1 for call in slack.calls if call.method == "auth.test")


async def test_a_mention_while_the_identity_is_unknown_is_answered_so_that_slack_resends_it(
    bot_without_identity: BotUnderTest, slack: LocalSlack
) -> None:
    bot = bot_without_identity
    assert bot.firebreak.identity.known is None
    tries_so_far = auth_tests(slack)
    event, _ = mention_event(slack.state, user=ALICE, channel=CHANNEL, text="payments are down sev1")

    first = await bot.send_event(event, event_id="Ev0IDENTITY1")

    assert first.status == 503, "a 200 would tell Slack the mention was handled"
    assert auth_tests(slack) == tries_so_far, "no Web API call on the way to the ack"
    assert await bot.pending_deliveries() == 0

    # Slack's API recovers; the bot learns its identity in the background, and Slack's resend of
    # the same event declares the incident, once.
    slack.clear_faults("auth.test")
    await poll(lambda: _known(bot), RECOVERY_SECONDS, "the bot to learn its identity")
    resent = await bot.send_event(event, event_id="Ev0IDENTITY1", retry=1)
    again = await bot.send_event(event, event_id="Ev0IDENTITY1", retry=2)

    assert (resent.status, again.status) == (200, 200)
    assert (await bot.incident(1)).title == "payments are down"
    await bot.card(1)
    await bot.settle()
    assert await declared_count(bot) == 1
    shown = " ".join(str(call.args.get("text")) for call in slack.calls) + first.text + resent.text
    assert REINSTALL not in shown


async def test_commands_that_need_no_identity_work_while_it_is_unknown(
    bot_without_identity: BotUnderTest, slack: LocalSlack
) -> None:
    """Only a mention needs the bot's user id (to take it out of the text); a slash command does
    not wait for Slack's API to recover."""
    response = await bot_without_identity.slash("declare checkout is slow sev2")

    assert response.status == 200
    assert REINSTALL not in response.text
    assert (await bot_without_identity.incident(1)).title == "checkout is slow"


async def test_the_identity_is_learned_once_at_start_and_kept(bot: BotUnderTest, slack: LocalSlack) -> None:
    assert bot.firebreak.identity.known is not None
    assert bot.firebreak.identity.known.bot_user_id == slack.state.bot_user_id
    await bot.mention("search is slow sev3")
    await bot.slash("ack INC-1")
    await bot.settle()

    assert auth_tests(slack) == 1, slack.summary()


async def _known(bot: BotUnderTest) -> bool:
    return bot.firebreak.identity.known is not None
