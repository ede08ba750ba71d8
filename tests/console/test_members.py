"""The workspace's people for the console: users.list read page by page through its cursors, kept
for a while, and a Slack link for an incident's thread."""

from __future__ import annotations

from bot.local_slack import LocalSlack
from bot.receivers.console.context import CONSOLE
from bot.receivers.console.members import PAGE_SIZE
from tests.e2e.harness import ALICE, CHANNEL, BotUnderTest


async def test_members_are_read_through_every_page_once_and_then_kept(bot: BotUnderTest, slack: LocalSlack) -> None:
    for number in range(PAGE_SIZE + 50):
        slack.state.add_user(f"U1{number:05d}", f"person{number}", f"Person {number:05d}")
    slack.state.add_user("U0GONE", "gone", "Gone Person")["deleted"] = True
    members = bot.app[CONSOLE].members

    everyone = await members.all()
    assert await members.name(ALICE) == "Alice Archer"
    assert await members.name("U0NOBODY") == "U0NOBODY", "an unknown id is shown as it is"

    ids = [member.user_id for member in everyone]
    assert len(ids) == 4 + PAGE_SIZE + 50, "every page, people only: no bot, no deactivated account"
    assert "U0GONE" not in ids
    assert slack.state.bot_user_id not in ids
    assert [member.name for member in everyone[:2]] == ["Alice Archer", "Bob Baker"]
    listed = [call for call in slack.calls if call.method == "users.list"]
    assert len(listed) == 2
    assert listed[1].args["cursor"] == listed[0].response["response_metadata"]["next_cursor"]


async def test_a_thread_links_to_the_workspace_that_auth_test_named(bot: BotUnderTest) -> None:
    console = bot.app[CONSOLE]

    assert console.workspace_id() == bot.workspace
    assert (
        console.thread_url(CHANNEL, "1700000000.000100")
        == "https://firebreak-test.slack.com/archives/C0INCIDENT/p1700000000000100"
    )
    assert console.thread_url(CHANNEL, None) is None
