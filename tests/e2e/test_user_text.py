"""What people typed, as Slack shows it back: tokens read as the user meant them, nothing pings,
nothing is escaped twice (SPEC §2 "User text reads as the user meant it, and never pings").

Slack sends typed ``& < >`` as entities and mentions or links as ``<…>`` tokens; the texts below
are written the way Slack sends them."""

from __future__ import annotations

from bot.local_slack import LocalSlack
from bot.views.escaping import WORD_JOINER
from tests.builders import card_header
from tests.e2e.harness import BOB, CHANNEL, BotUnderTest
from tests.e2e.verb_support import Watch, block_texts, declare_by_mention

J = WORD_JOINER
# "@firebreak @here payments down see <https://evil.example|docs>" typed in Slack, plus a link
# Slack made of a pasted URL and a colleague's mention.
TYPED = "<!here> payments down see &lt;https://evil.example|docs&gt; <https://status.example|status> <@U0CAROL> sev1"
TITLE_PLAIN = f"@{J}here payments down see <https://evil.example|docs> status (https://status.example) @U0CAROL"
TITLE_MRKDWN = (
    f"@{J}here payments down see &lt;https://evil.example|docs&gt; status (https://status.example) <@U0CAROL>"
)


def assert_readable(text: str) -> None:
    """Nothing live but a person's mention, and nothing escaped twice or cut."""
    for raw in ("<!here", "<!channel", "<https://", "&amp;lt;", "&amp;gt;", "@here", "&gt "):
        assert raw not in text, text


async def test_the_card_header_shows_what_was_typed_not_its_markup(bot: BotUnderTest, slack: LocalSlack) -> None:
    await declare_by_mention(bot, TYPED)

    card = await bot.card(1)

    # A plain_text header decodes no entities: "&lt;" would be shown as is, and a cut "&gt" too.
    assert card_header(card) == f"🔴 SEV1 · INC-1 · {TITLE_PLAIN}"
    assert "&" not in card_header(card)
    assert card.text == f"SEV1 INC-1 · {TITLE_MRKDWN} (declared)"


async def test_list_timeline_and_notes_read_the_same(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot, TYPED)
    watch = await Watch.start(bot, slack, home)

    noted = await bot.slash("note INC-1 a &lt;b&gt; &amp; <#C0OPS|ops> <!channel>", user=BOB)
    await bot.settle()

    line = f"<@{BOB}> added a note: a &lt;b&gt; &amp; #ops @{J}channel"
    assert noted.json()["text"] == line
    [posted] = watch.thread_posts()
    assert posted.args["text"] == line, "escaped once: Slack shows a <b> & #ops"
    listed = (await bot.slash("list", user=BOB)).json()["text"]
    assert f"*INC-1* · {TITLE_MRKDWN[:60]}" in listed
    assert_readable(listed)
    timeline = (await bot.slash("timeline INC-1", user=BOB)).json()["text"]
    assert f"declared INC-1 (SEV1): {TITLE_MRKDWN}" in timeline
    assert line in timeline
    assert_readable(timeline)


async def test_the_stakeholder_draft_and_update_read_plainly(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot, TYPED)
    watch = await Watch.start(bot, slack, home)

    await bot.slash("update INC-1", user=BOB)
    await bot.settle()

    draft = block_texts(watch.posted().blocks)
    assert f"{TITLE_MRKDWN}." in draft
    assert_readable(draft)
    published = await Watch.start(bot, slack, home)
    await bot.slash("update INC-1 Still down <!everyone>, see <https://status.example|status>", user=BOB)
    await bot.settle()
    [update, *rest] = published.thread_posts()
    shown = block_texts(update.args["blocks"])
    assert f"Still down @{J}everyone, see status (https://status.example)" in shown
    assert_readable(shown)
    assert rest == [] or all(call.args["channel"] != CHANNEL for call in rest)
