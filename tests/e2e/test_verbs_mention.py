"""Every verb that changes an incident, typed as ``@firebreak <verb> …`` in the incident's thread:
the incident in Postgres, the card edited in place, and exactly one line in the thread (SPEC §3)."""

from __future__ import annotations

import pytest

from bot.local_slack import LocalSlack
from bot.views import action_ids as ids
from bot.views.formatting import TIME_ONLY, slack_date
from domain import events as ev
from domain.incident import SlackSource
from domain.lifecycle import Status
from domain.severity import Severity
from tests.builders import card_context, card_control, card_field, card_header, controls
from tests.e2e.harness import BOB, CAROL, BotUnderTest
from tests.e2e.test_declare import OPEN_CONTROLS
from tests.e2e.verb_support import Home, Watch, block_texts, declare_by_mention, declare_by_slash

ACKED_CONTROLS = [c for c in OPEN_CONTROLS if c != ids.ACK]


async def say(bot: BotUnderTest, slack: LocalSlack, home: Home, text: str, user: str = BOB) -> Watch:
    """``@firebreak <text>`` in the incident's thread; the returned watch saw only that."""
    watch = await Watch.start(bot, slack, home)
    response, watch.command = await bot.mention(text, user=user, channel=home.channel, thread_ts=home.thread_ts)
    assert response.status == 200
    return watch


@pytest.mark.parametrize("verb", ["ack", "acknowledge", "ACK"])
async def test_ack_acknowledges_and_starts_the_investigation(bot: BotUnderTest, slack: LocalSlack, verb: str) -> None:
    home = await declare_by_mention(bot)
    assert controls(await bot.card(1)) == OPEN_CONTROLS

    watch = await say(bot, slack, home, verb)

    # The status move is said with its cause, in the same line (SPEC §2).
    incident, card = await watch.changed("<@U0BOB> acknowledged INC-1 (status → investigating)")
    assert incident.status is Status.INVESTIGATING
    assert incident.acknowledged_at is not None
    assert card_field(card, "Status") == "Investigating"
    assert controls(card) == ACKED_CONTROLS, "no Acknowledge button once acknowledged"
    acked = await watch.new_events()
    assert [type(e) for e in acked] == [ev.Acknowledged, ev.StatusChanged]
    assert acked[0].actor == BOB
    assert isinstance(acked[0].source, SlackSource)
    assert acked[0].source.channel_id == home.channel


@pytest.mark.parametrize("text", ["sev 1", "sev1", "severity SEV-1", "sev p1", "Severity s1"])
async def test_sev_changes_the_severity_shown_on_the_card(bot: BotUnderTest, slack: LocalSlack, text: str) -> None:
    home = await declare_by_mention(bot)

    watch = await say(bot, slack, home, text)

    incident, card = await watch.changed("<@U0BOB> changed severity SEV3 → SEV1")
    assert incident.severity is Severity.SEV1
    assert card_header(card).startswith("🔴 SEV1 · INC-1")
    assert card_field(card, "Severity") == "SEV1 · critical"
    assert card_control(card, ids.SEVERITY)["initial_option"]["value"].endswith(":SEV1")
    assert incident.clocks.ack_due_at is not None
    assert watch.before is not None
    assert watch.before.clocks.ack_due_at is not None
    assert incident.clocks.ack_due_at < watch.before.clocks.ack_due_at, "SEV1's ack window is shorter"


@pytest.mark.parametrize("verb", ["assign", "lead", "commander"])
async def test_assign_a_mentioned_person_as_commander(bot: BotUnderTest, slack: LocalSlack, verb: str) -> None:
    home = await declare_by_mention(bot)

    watch = await say(bot, slack, home, f"{verb} <@{CAROL}>")

    incident, card = await watch.changed("<@U0BOB> assigned <@U0CAROL> as commander")
    assert incident.commander == CAROL
    assert card_field(card, "Commander") == "<@U0CAROL>"
    assert card_control(card, ids.COMMANDER)["initial_user"] == CAROL


async def test_assign_me_makes_the_author_commander(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)
    await (await say(bot, slack, home, f"assign <@{CAROL}>")).changed("<@U0BOB> assigned <@U0CAROL> as commander")

    watch = await say(bot, slack, home, "assign me")

    incident, card = await watch.changed("<@U0BOB> took command from <@U0CAROL>")
    assert incident.commander == BOB
    assert card_field(card, "Commander") == "<@U0BOB>"


async def test_status_moves_the_incident_and_acknowledges_it(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)

    watch = await say(bot, slack, home, "status identified")

    incident, card = await watch.changed("<@U0BOB> acknowledged INC-1\n<@U0BOB> changed status declared → identified")
    assert incident.status is Status.IDENTIFIED
    assert incident.identified_at is not None
    assert incident.acknowledged_at is not None
    assert card_field(card, "Status") == "Identified"
    assert card_control(card, ids.STATUS)["placeholder"]["text"] == "Status: identified"
    assert controls(card) == ACKED_CONTROLS


@pytest.mark.parametrize(
    ("text", "summary", "line"),
    [
        ("resolve rolled back the deploy", "rolled back the deploy", "<@U0BOB> resolved INC-1: rolled back the deploy"),
        ("resolve", None, "<@U0BOB> resolved INC-1"),
    ],
)
async def test_resolve_with_and_without_a_summary(
    bot: BotUnderTest, slack: LocalSlack, text: str, summary: str | None, line: str
) -> None:
    home = await declare_by_mention(bot)
    await (await say(bot, slack, home, "ack")).changed("<@U0BOB> acknowledged INC-1 (status → investigating)")

    watch = await say(bot, slack, home, text)

    incident, card = await watch.changed(line)
    assert incident.status is Status.RESOLVED
    assert incident.resolved_at is not None
    assert incident.resolution_summary == summary
    assert controls(card) == [ids.REOPEN, ids.CLOSE, ids.POSTMORTEM], "Reopen, Close and Postmortem only"
    acknowledged, resolved = card_field(card, "SLA").split("\n")
    assert acknowledged.startswith("acknowledged by <@U0BOB> after "), "no clock runs: how the response went"
    assert resolved.startswith("resolved after ")
    assert any(text.startswith("✅ Resolved") and (summary or "") in text for text in card_context(card))


async def test_reopen_brings_a_resolved_incident_back(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)
    await (await say(bot, slack, home, "resolve")).changed("<@U0BOB> acknowledged INC-1\n<@U0BOB> resolved INC-1")

    watch = await say(bot, slack, home, "reopen errors are back")

    incident, card = await watch.changed("<@U0BOB> reopened INC-1: errors are back")
    assert incident.status is Status.INVESTIGATING
    assert incident.resolved_at is None, "reopening clears resolved_at"
    assert incident.reopened_at is not None
    assert controls(card) == ACKED_CONTROLS
    assert card_field(card, "Status") == "Investigating"


async def test_close_a_resolved_incident_leaves_only_the_postmortem(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)
    await (await say(bot, slack, home, "resolve")).changed("<@U0BOB> acknowledged INC-1\n<@U0BOB> resolved INC-1")

    watch = await say(bot, slack, home, "close")

    incident, card = await watch.changed("<@U0BOB> closed INC-1")
    assert incident.status is Status.CLOSED
    assert incident.closed_at is not None
    assert controls(card) == [ids.POSTMORTEM]
    assert card_field(card, "Status") == "Closed"


async def test_a_note_typed_in_the_thread_is_acknowledged_with_a_reaction_not_echoed(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    home = await declare_by_mention(bot)

    watch = await say(bot, slack, home, "note db failover done, replicas catching up")

    await bot.settle()
    # The thread already shows the note: a reaction on it says it is recorded (SPEC §2).
    assert watch.thread_posts() == [], slack.summary()
    assert watch.card_edits() == []
    assert watch.ephemerals() == []
    assert watch.command is not None
    [reacted] = watch.calls("reactions.add")
    assert reacted.ok
    assert (reacted.args["channel"], reacted.args["timestamp"]) == (home.channel, watch.command.ts)
    assert reacted.args["name"] == "memo"
    noted = slack.message(home.channel, watch.command.ts)
    assert noted is not None
    assert noted.reactions == {"memo": [slack.state.bot_user_id]}
    incident = await bot.incident(1)
    assert incident.status is Status.DECLARED
    [note] = await watch.new_events()
    assert isinstance(note, ev.NoteAdded)
    assert (note.text, note.actor) == ("db failover done, replicas catching up", BOB)
    assert watch.command is not None
    assert note.source == SlackSource(home.channel, watch.command.ts), "the event keeps the message it came from"


async def test_update_alone_drafts_a_template_update_in_the_thread(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)
    await say(bot, slack, home, "note payments team rolling back")

    watch = await say(bot, slack, home, "update")

    incident, _ = await watch.changed("Draft stakeholder update for INC-1", card_edited=False)
    assert incident.last_update_at is None, "a draft is not a published update"
    draft = watch.posted()
    shown = block_texts(draft.blocks)
    assert "Template update, not AI-written" in shown
    assert "checkout is failing" in shown
    assert "payments team rolling back" in shown
    assert card_control(draft, ids.POST_UPDATE)["text"]["text"] == "Post this update"
    [drafted] = await watch.new_events()
    assert isinstance(drafted, ev.AiDraftCreated)
    assert drafted.ai_written is False
    assert drafted.model is None


async def test_update_with_text_publishes_it_in_the_thread(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)

    watch = await say(bot, slack, home, "update Checkout is working again for most customers.")

    incident, _ = await watch.changed("Stakeholder update for INC-1")
    assert incident.last_update_at is not None
    shown = block_texts(watch.posted().blocks)
    assert "Stakeholder update · INC-1" in shown
    assert "Checkout is working again for most customers." in shown
    assert "Posted by <@U0BOB>" in shown
    [posted] = await watch.new_events()
    assert isinstance(posted, ev.StakeholderUpdatePosted)
    assert (posted.text, posted.model) == ("Checkout is working again for most customers.", None)


async def test_snooze_postpones_the_next_reminder(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)

    watch = await say(bot, slack, home, "snooze 2h")

    [snoozed] = await watch.new_events()
    assert isinstance(snoozed, ev.Snoozed)
    incident, card = await watch.changed(f"<@U0BOB> snoozed reminders until {slack_date(snoozed.until)}")
    assert watch.before is not None
    assert watch.before.clocks.ack_due_at is not None
    assert snoozed.until > watch.before.clocks.ack_due_at
    assert incident.clocks.ack_due_at == snoozed.until
    deadline, until = slack_date(watch.before.clocks.ack_due_at, TIME_ONLY), slack_date(snoozed.until, TIME_ONLY)
    assert card_field(card, "SLA") == f"ack by {deadline} · reminder snoozed until {until}", "the deadline stays put"


async def test_commands_work_in_the_thread_of_a_slash_declared_card(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_slash(bot)
    assert home.thread_ts == home.card_ts

    watch = await say(bot, slack, home, "sev 2")

    incident, card = await watch.changed("<@U0BOB> changed severity SEV3 → SEV2")
    assert incident.severity is Severity.SEV2
    assert card_field(card, "Severity") == "SEV2 · major"


@pytest.mark.parametrize("verb", ["declare", "new", "open"])
async def test_declare_and_its_aliases_by_mention_outside_a_thread(bot: BotUnderTest, verb: str) -> None:
    response, message = await bot.mention(f"{verb} search is slow sev2", user=BOB)

    assert response.status == 200
    incident = await bot.incident(1)
    assert (incident.title, incident.severity, incident.reporter) == ("search is slow", Severity.SEV2, BOB)
    assert (await bot.card(1)).thread_ts == message.ts
