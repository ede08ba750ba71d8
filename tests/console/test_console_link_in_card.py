"""The card in Slack links to the incident's console page when the console has a URL; the click
Slack reports for that link is acknowledged and changes nothing, says nothing."""

from __future__ import annotations

from bot.local_slack import LocalSlack
from bot.views import action_ids as ids
from tests.builders import card_control, controls
from tests.console.support import with_console
from tests.e2e.card_support import declare
from tests.e2e.harness import BOB, BotUnderTest

CONSOLE_URL = "https://firebreak.example.com"


async def test_the_card_links_to_the_console_and_a_click_on_it_is_only_acknowledged(
    slack: LocalSlack, database_url: str, workspace: str
) -> None:
    bot = await with_console(BotUnderTest(slack, database_url, workspace), console_url=CONSOLE_URL).start()
    try:
        card = await declare(bot)
        link = card_control(card, ids.OPEN_IN_CONSOLE)
        assert link["url"] == f"{CONSOLE_URL}/incidents/INC-1"
        calls, version = len(slack.calls), (await bot.incident(1)).version

        clicked = await bot.click(card, ids.OPEN_IN_CONSOLE, user=BOB)
        await bot.settle()

        assert (clicked.status, clicked.text) == (200, "")
        assert slack.calls[calls:] == [], "nothing sent to Slack: no reply, no error, no edit"
        assert slack.response_url_posts() == []
        assert (await bot.incident(1)).version == version
    finally:
        await bot.stop()


async def test_without_a_console_url_the_card_has_no_console_link(bot: BotUnderTest) -> None:
    card = await declare(bot)

    assert ids.OPEN_IN_CONSOLE not in controls(card)
    assert ids.ACK in controls(card)
