"""Text people type is echoed escaped: ``<!channel>``, ``<!here>``, ``<@U…>`` and ``<http…|…>`` typed
into a title, note, summary, resolve or reopen reason, service, description or stakeholder update
never becomes a ping or a disguised link in anything the bot sends to Slack (SPEC §6, §4).

Every way text gets in is used once, through every entry point, and then every call the fake Slack
recorded (message text, blocks, modals, response_url posts) and every acknowledgement the bot gave
is searched for live markup. The only pings allowed are the ones the bot writes itself: the person
who acted, and the incident's channel.
"""

from __future__ import annotations

import pytest

from bot.local_slack import LocalSlack
from bot.views import action_ids as ids
from bot.views.modals import declare_modal, resolve_modal
from domain.incident import IncidentRef
from domain.lifecycle import Status
from tests.e2e.harness import ALICE, CHANNEL, BotUnderTest, Response
from tests.reliability.support import figures, live_markup

pytestmark = pytest.mark.slow

# Broadcasts, a user and a group ping, a disguised link, and the bare words clients turn into pings.
INJECTION = (
    "<!channel> <!here> <!everyone> <!here|here> <@U0BOB> <@W0BOSS|boss> <!subteam^S0ONCALL|@oncall> "
    "<http://evil.example|https://status.example.com> <mailto:x@evil.example|help> @channel @here"
)
# A person's own token shows as their mention (SPEC §2: "<@U1> as that user's mention"); only
# broadcasts, groups and disguised links must never go out live.
ALLOWED = [f"<@{ALICE}>", f"<#{CHANNEL}>", "<@U0BOB>", "<@W0BOSS>"]


def text_value(value: str) -> dict[str, object]:
    return {ids.INPUT: {"type": "plain_text_input", "value": value}}


async def test_typed_markup_never_becomes_a_ping_or_a_link(bot: BotUnderTest, slack: LocalSlack) -> None:
    acks: list[Response] = []

    async def slash(text: str) -> None:
        response = await bot.slash(text)
        assert response.status == 200
        acks.append(response)

    # Titles: by slash command, by mention, and in the declare form (with service and description).
    await slash(f"declare {INJECTION[:100]} sev2")
    response, mentioned = await bot.mention(f"{INJECTION[:100]} sev3")
    assert response.status == 200
    form = await bot.submit_view(
        declare_modal(CHANNEL),
        {
            ids.DECLARE_TITLE_BLOCK: text_value(INJECTION[:110]),
            ids.DECLARE_SEVERITY_BLOCK: {ids.INPUT: {"selected_option": {"value": "SEV3"}}},
            ids.DECLARE_DESCRIPTION_BLOCK: text_value(INJECTION),
            ids.DECLARE_SERVICE_BLOCK: text_value(INJECTION[:80]),
        },
    )
    assert form.status == 200
    assert form.text == "", form.text
    for number in (1, 2, 3):
        await bot.card(number)
    await bot.settle()

    # Notes, updates, summaries and reasons, by slash command and by mention in the thread.
    await slash(f"note INC-1 {INJECTION}")
    await slash(f"update INC-1 {INJECTION}")
    await slash("update INC-1")  # a drafted update (the template: no AI key) from the facts above
    await slash(f"status INC-1 resolved {INJECTION[:400]}")
    await slash(f"reopen INC-1 {INJECTION[:400]}")
    await slash(f"resolve INC-1 {INJECTION[:400]}")
    await bot.mention(f"note {INJECTION}", thread_ts=mentioned.ts)
    await bot.mention(f"update {INJECTION}", thread_ts=mentioned.ts)
    resolved = await bot.submit_view(
        resolve_modal(IncidentRef(bot.workspace, 2)), {ids.RESOLVE_SUMMARY_BLOCK: text_value(INJECTION[:400])}
    )
    assert resolved.status == 200
    assert resolved.text == "", resolved.text
    await bot.mention(f"reopen {INJECTION}", thread_ts=mentioned.ts)
    await slash(f"note INC-3 {INJECTION}")
    # What reads it all back: show, timeline, list; and refusals that quote what was typed.
    for text in ("show INC-1", "timeline INC-1", "timeline INC-2", "list all", "show INC-3"):
        await slash(text)
    for text in (f"{INJECTION[:60]}", f"assign {INJECTION}", f"sev {INJECTION}", f"snooze INC-2 {INJECTION}"):
        await slash(text)
    await bot.mention(f"frobnicate {INJECTION}", thread_ts=mentioned.ts)
    await bot.settle(within=10)

    assert (await bot.incident(1)).status is Status.RESOLVED
    assert "<!channel>" in (await bot.incident(1)).title, "stored as typed; escaped only when shown"
    live = [(call.method, found) for call in slack.calls for found in live_markup(call.args, ALLOWED)]
    live += [
        ("response_url", found) for post in slack.response_url_posts() for found in live_markup(post.body, ALLOWED)
    ]
    live += [("ack", found) for ack in acks if ack.text.startswith("{") for found in live_markup(ack.json(), ALLOWED)]
    messages = [c for c in slack.calls if c.method in ("chat.postMessage", "chat.update", "chat.postEphemeral")]
    figures(
        "mention_injection",
        slack_calls_checked=len(slack.calls),
        messages_checked=len(messages),
        acks_checked=len(acks),
        live_pings_or_links=len(live),
    )
    assert live == []
    assert len(messages) >= 12


def test_the_checker_finds_what_it_looks_for() -> None:
    """The control: unescaped markup is found in message text and mrkdwn blocks; the bot's own
    pings are let through; plain_text shows ``<…>`` literally, so only bare broadcast words count."""
    mrkdwn = {"type": "section", "text": {"type": "mrkdwn", "text": "see <http://evil.example|docs>"}}
    assert live_markup({"text": "hi <!channel>"})
    assert live_markup({"blocks": [mrkdwn]})
    assert live_markup({"text": "ping <@U0CAROL>"}, ALLOWED)
    assert live_markup({"text": "by <@U0ALICE> in <#C0INCIDENT> at <!date^1^{date}|x>"}, ALLOWED) == []
    assert live_markup({"text": "&lt;!channel&gt; @\u2060here"}) == []
    header = {"type": "header", "text": {"type": "plain_text", "text": "<!channel> is fine here"}}
    assert live_markup({"blocks": [header]}) == []
    assert live_markup({"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "hey @here"}}]})
