"""Card updates come first (SPEC §2), through the real bot and Slack's per-channel pace: a click in
a busy channel edits the card ahead of the audit lines still queued there, and a channel whose
Slack calls hang holds up no other incident's card."""

from __future__ import annotations

from bot.local_slack import LocalSlack
from bot.views import action_ids as ids
from tests.builders import card_field
from tests.e2e.card_support import declare
from tests.e2e.harness import BotUnderTest
from tests.waiting import poll

NOTES = 12
# Longer than the wait below: an edit held up by the hung call would come after it.
HANG_SECONDS = 8.0
# A bound on a fault, not a speed claim: well inside the hang, far above a healthy edit.
EDITED_WITHIN_SECONDS = 4.0


async def test_a_click_in_a_busy_channel_edits_the_card_before_the_queued_lines_go_out(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    card = await declare(bot)
    for number in range(NOTES):
        assert (await bot.slash(f"note INC-1 line {number}")).status == 200

    await bot.click(card, ids.SEVERITY, option_value="SEV1")
    await bot.settle(within=30)

    writes = [call for call in slack.calls if call.method in ("chat.postMessage", "chat.update")]
    edit = next(i for i, call in enumerate(writes) if call.method == "chat.update" and "SEV1" in str(call.args))
    last_line = next(i for i, call in enumerate(writes) if f"line {NOTES - 1}" in str(call.args.get("text")))
    assert edit < last_line, slack.summary()
    assert card_field(await bot.card(1), "Severity").startswith("SEV1")


async def test_a_channel_whose_slack_calls_hang_holds_up_no_other_incidents_card(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    card = await declare(bot)
    slack.hang(seconds=HANG_SECONDS, times=None, channel="C0STUCK")
    assert (await bot.slash("declare chat is down sev2", channel="C0STUCK")).status == 200

    await bot.click(card, ids.SEVERITY, option_value="SEV1")

    async def edited() -> bool:
        return card_field(await bot.card(1), "Severity").startswith("SEV1")

    await poll(edited, EDITED_WITHIN_SECONDS, "INC-1's card to be edited while C0STUCK hangs")
    slack.clear_faults()
