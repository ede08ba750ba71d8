"""Every verb that changes an incident, typed as ``/incident <verb> [INC-n] …``: with the incident
named (``INC-1``, ``#1``, ``1``) or left out when the channel has one open incident. The ack tells
the author what was done; the incident, its card (edited in place) and its thread show it."""

from __future__ import annotations

from typing import Any

import pytest

from bot.local_slack import LocalSlack
from bot.views import action_ids as ids
from bot.views.formatting import slack_date
from domain import events as ev
from domain.lifecycle import Status
from domain.severity import Severity
from tests.builders import card_control, card_field, card_header, controls
from tests.e2e.harness import BOB, CAROL, CHANNEL, BotUnderTest
from tests.e2e.test_declare import OPEN_CONTROLS
from tests.e2e.verb_support import Home, Watch, block_texts, declare_by_mention, declare_by_slash

ACKED_CONTROLS = [c for c in OPEN_CONTROLS if c != ids.ACK]


async def run(
    bot: BotUnderTest, slack: LocalSlack, home: Home, text: str, *, channel: str = CHANNEL
) -> tuple[Watch, dict[str, Any]]:
    """``/incident <text>`` by Bob; the ack's body, and a watch that saw only this command."""
    watch = await Watch.start(bot, slack, home)
    response = await bot.slash(text, user=BOB, channel=channel)
    assert response.status == 200
    body: dict[str, Any] = response.json()
    assert body["response_type"] == "ephemeral", "only the author sees the ack"
    return watch, body


@pytest.mark.parametrize("text", ["ack INC-1", "ack inc-1", "ack #1", "ack 1", "ack", "acknowledge INC-1"])
async def test_ack_with_every_form_of_reference(bot: BotUnderTest, slack: LocalSlack, text: str) -> None:
    home = await declare_by_slash(bot)

    watch, body = await run(bot, slack, home, text)

    acked = "<@U0BOB> acknowledged INC-1 (status → investigating)"
    assert body["text"] == acked
    incident, card = await watch.changed(acked)
    assert incident.status is Status.INVESTIGATING
    assert incident.acknowledged_at is not None
    assert controls(card) == ACKED_CONTROLS
    assert card.thread_ts is None, "a slash-declared card is at the top level"
    assert home.thread_ts == home.card_ts, "so audit lines go in the card's own thread"


@pytest.mark.parametrize("text", ["sev INC-1 1", "severity 1 sev1", "sev 1", "sev1", "sev1 INC-1", "sev #1 p1"])
async def test_sev_with_and_without_a_reference(bot: BotUnderTest, slack: LocalSlack, text: str) -> None:
    home = await declare_by_slash(bot)

    watch, body = await run(bot, slack, home, text)

    assert body["text"] == "<@U0BOB> changed severity SEV3 → SEV1"
    incident, card = await watch.changed("<@U0BOB> changed severity SEV3 → SEV1")
    assert incident.severity is Severity.SEV1
    assert card_header(card).startswith("🔴 SEV1 · INC-1")
    assert card_field(card, "Severity") == "SEV1 · critical"
    assert card_control(card, ids.SEVERITY)["initial_option"]["value"].endswith(":SEV1")


@pytest.mark.parametrize(
    "text", ["assign INC-1 <@U0CAROL|carol>", "lead <@U0CAROL|carol>", "commander 1 <@U0CAROL>", "assign to <@U0CAROL>"]
)
async def test_assign_a_mentioned_person(bot: BotUnderTest, slack: LocalSlack, text: str) -> None:
    home = await declare_by_slash(bot)

    watch, body = await run(bot, slack, home, text)

    assert body["text"] == "<@U0BOB> assigned <@U0CAROL> as commander"
    incident, card = await watch.changed("<@U0BOB> assigned <@U0CAROL> as commander")
    assert incident.commander == CAROL
    assert card_field(card, "Commander") == "<@U0CAROL>"
    assert card_control(card, ids.COMMANDER)["initial_user"] == CAROL


@pytest.mark.parametrize("text", ["assign me", "assign INC-1 me", "lead #1 me"])
async def test_assign_me(bot: BotUnderTest, slack: LocalSlack, text: str) -> None:
    home = await declare_by_slash(bot)

    watch, body = await run(bot, slack, home, text)

    assert body["text"] == "<@U0BOB> took command"
    incident, card = await watch.changed("<@U0BOB> took command")
    assert incident.commander == BOB
    assert card_field(card, "Commander") == "<@U0BOB>"


async def test_status_moves_the_named_incident(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_slash(bot)

    watch, body = await run(bot, slack, home, "status INC-1 monitoring")

    line = "<@U0BOB> acknowledged INC-1\n<@U0BOB> changed status declared → monitoring"
    assert body["text"] == line
    incident, card = await watch.changed(line)
    assert incident.status is Status.MONITORING
    assert incident.mitigated_at is not None
    assert card_field(card, "Status") == "Monitoring"


async def test_resolve_reopen_resolve_and_close(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_slash(bot)

    watch, body = await run(bot, slack, home, "resolve INC-1 rolled back the deploy")
    line = "<@U0BOB> acknowledged INC-1\n<@U0BOB> resolved INC-1: rolled back the deploy"
    assert body["text"] == line
    incident, card = await watch.changed(line)
    assert (incident.status, incident.resolution_summary) == (Status.RESOLVED, "rolled back the deploy")
    assert controls(card) == [ids.REOPEN, ids.CLOSE, ids.POSTMORTEM]

    watch, body = await run(bot, slack, home, "reopen 1 errors are back")
    assert body["text"] == "<@U0BOB> reopened INC-1: errors are back"
    incident, card = await watch.changed("<@U0BOB> reopened INC-1: errors are back")
    assert (incident.status, incident.resolved_at) == (Status.INVESTIGATING, None)
    assert controls(card) == ACKED_CONTROLS

    watch, body = await run(bot, slack, home, "resolve")  # the channel's only open incident again
    assert body["text"] == "<@U0BOB> resolved INC-1"
    incident, card = await watch.changed("<@U0BOB> resolved INC-1")
    assert incident.status is Status.RESOLVED
    assert incident.resolution_summary is None

    watch, body = await run(bot, slack, home, "close #1")
    assert body["text"] == "<@U0BOB> closed INC-1"
    incident, card = await watch.changed("<@U0BOB> closed INC-1")
    assert incident.status is Status.CLOSED
    assert incident.closed_at is not None
    assert controls(card) == [ids.POSTMORTEM]


async def test_note(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_slash(bot)

    watch, body = await run(bot, slack, home, "note INC-1 db failover done")

    # Nobody saw a slash command's text, so the note is posted in the thread (SPEC §2).
    assert body["text"] == "<@U0BOB> added a note: db failover done"
    await watch.changed("<@U0BOB> added a note: db failover done", card_edited=False)
    assert watch.calls("reactions.add") == []
    [note] = await watch.new_events()
    assert isinstance(note, ev.NoteAdded)
    assert note.text == "db failover done"


async def test_update_alone_drafts_a_template_update_in_the_thread(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_slash(bot)

    watch, body = await run(bot, slack, home, "update INC-1")

    assert body["text"] == "Drafting a stakeholder update for INC-1; it will appear in its thread shortly."
    incident, _ = await watch.changed("Draft stakeholder update for INC-1", card_edited=False)
    assert incident.last_update_at is None
    draft = watch.posted()
    assert draft.thread_ts == home.thread_ts
    assert "Template update, not AI-written" in block_texts(draft.blocks)
    assert card_control(draft, ids.POST_UPDATE)["text"]["text"] == "Post this update"


async def test_update_with_text_publishes_it(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_slash(bot)

    watch, body = await run(bot, slack, home, "update 1 Payments are flowing again.")

    incident, _ = await watch.changed("Stakeholder update for INC-1")
    assert incident.last_update_at is not None
    assert incident.clocks.update_due_at is not None
    next_due = slack_date(incident.clocks.update_due_at)
    assert body["text"] == (
        f"<@U0BOB> posted a stakeholder update (next one due {next_due}): Payments are flowing again."
    )
    shown = block_texts(watch.posted().blocks)
    assert "Stakeholder update · INC-1" in shown
    # The promise is the SLA clock's deadline, the one the reminders keep.
    assert f"Payments are flowing again.\n*Next update:* by {next_due}" in shown


async def test_snooze(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_slash(bot)

    watch, body = await run(bot, slack, home, "snooze INC-1 90m")

    [snoozed] = await watch.new_events()
    assert isinstance(snoozed, ev.Snoozed)
    line = f"<@U0BOB> snoozed reminders until {slack_date(snoozed.until)}"
    assert body["text"] == line
    incident, _ = await watch.changed(line)
    assert incident.clocks.ack_due_at == snoozed.until


async def test_a_named_incident_can_be_changed_from_another_channel(bot: BotUnderTest, slack: LocalSlack) -> None:
    home = await declare_by_mention(bot)

    watch, body = await run(bot, slack, home, "sev INC-1 2", channel="C0ELSEWHERE")

    assert body["text"] == "<@U0BOB> changed severity SEV3 → SEV2"
    incident, _ = await watch.changed("<@U0BOB> changed severity SEV3 → SEV2")
    assert incident.severity is Severity.SEV2
    assert slack.messages("C0ELSEWHERE") == [], "everything stays in the incident's own thread"


@pytest.mark.parametrize("verb", ["declare", "new", "open"])
async def test_declare_and_its_aliases(bot: BotUnderTest, verb: str) -> None:
    response = await bot.slash(f"{verb} search is slow p2", user=BOB)

    assert response.json()["text"] == "Declared INC-1 (SEV2); its card is in <#C0INCIDENT>."
    incident = await bot.incident(1)
    assert (incident.title, incident.severity, incident.reporter) == ("search is slow", Severity.SEV2, BOB)
    card = await bot.card(1)
    assert card.thread_ts is None
    assert controls(card) == OPEN_CONTROLS
