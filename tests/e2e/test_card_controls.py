"""Every control of the incident card, used as Slack reports it: each one changes the incident and
the card is edited in place (``chat.update`` on the card's own ts) to show the new state."""

from __future__ import annotations

import pytest

from bot.local_slack import LocalSlack
from bot.views import action_ids as ids
from domain import events as ev
from domain.lifecycle import Status
from domain.severity import Severity
from tests.builders import card_control, card_field, card_header, controls
from tests.e2e.card_support import (
    card_updates,
    declare,
    ephemeral_texts,
    of_type,
    post_update_messages,
    published_updates,
    record_requests,
    snapshot,
    thread_replies,
    timeline,
    top_level,
)
from tests.e2e.harness import ALICE, BOB, CAROL, BotUnderTest

OPEN_CONTROLS = [ids.ACK, ids.SEVERITY, ids.STATUS, ids.COMMANDER, ids.STAKEHOLDER_UPDATE, ids.RESOLVE]
ACKED_CONTROLS = OPEN_CONTROLS[1:]
RESOLVED_CONTROLS = [ids.REOPEN, ids.CLOSE, ids.POSTMORTEM]


async def test_acknowledge_edits_the_card_in_place_and_removes_the_button(bot: BotUnderTest, slack: LocalSlack) -> None:
    card = await declare(bot)
    assert controls(card) == OPEN_CONTROLS
    top_level_before = len(top_level(slack, card.channel))

    response = await bot.click(card, ids.ACK, user=BOB)
    assert response.status == 200
    assert response.text == "", "a click is acknowledged with an empty 200"
    incident = await bot.incident(1)
    assert incident.acknowledged_at is not None, "committed before Slack got its ack"
    assert incident.status is Status.INVESTIGATING
    await bot.settle()

    updates = card_updates(slack, card)
    assert len(updates) == 1
    assert updates[0]["channel"] == card.channel
    edited = await bot.card(1)
    assert edited.ts == card.ts
    assert edited.edited_ts is not None, "the same message, edited"
    assert len(top_level(slack, card.channel)) == top_level_before, "no second card was posted"
    assert controls(edited) == ACKED_CONTROLS, "the Acknowledge button is gone once acked"
    assert card_field(edited, "Status") == "Investigating"
    assert [line.text for line in thread_replies(slack, edited)] == [
        f"<@{BOB}> acknowledged INC-1 (status → investigating)"
    ]
    assert len(of_type(await timeline(bot), ev.Acknowledged)) == 1


async def test_severity_select_shows_the_current_severity_and_changes_it(bot: BotUnderTest, slack: LocalSlack) -> None:
    card = await declare(bot, "declare Checkout errors sev3")
    select = card_control(card, ids.SEVERITY)
    assert select["type"] == "static_select"
    assert select["initial_option"]["value"] == f"{bot.workspace}:1:SEV3", "the current severity is selected"
    assert [o["value"].rsplit(":", 1)[1] for o in select["options"]] == ["SEV1", "SEV2", "SEV3", "SEV4"]

    await bot.click(card, ids.SEVERITY, user=CAROL, option_value="SEV1")
    assert (await bot.incident(1)).severity is Severity.SEV1
    await bot.settle()

    edited = await bot.card(1)
    assert len(card_updates(slack, card)) == 1
    assert card_control(edited, ids.SEVERITY)["initial_option"]["value"] == f"{bot.workspace}:1:SEV1"
    assert card_field(edited, "Severity") == "SEV1 · critical"
    assert card_header(edited).startswith("🔴 SEV1 · INC-1 · Checkout errors")
    assert f"<@{CAROL}> changed severity SEV3 → SEV1" in [m.text for m in thread_replies(slack, edited)]
    changed = of_type(await timeline(bot), ev.SeverityChanged)
    assert [(e.previous, e.current, e.actor) for e in changed if isinstance(e, ev.SeverityChanged)] == [
        (Severity.SEV3, Severity.SEV1, CAROL)
    ]


async def test_status_select_moves_the_lifecycle_and_acknowledges(bot: BotUnderTest, slack: LocalSlack) -> None:
    card = await declare(bot)
    select = card_control(card, ids.STATUS)
    assert select["type"] == "static_select"
    offered = [o["value"].rsplit(":", 1)[1] for o in select["options"]]
    assert offered == ["investigating", "identified", "monitoring"], "resolving goes through Resolve"

    await bot.click(card, ids.STATUS, user=ALICE, option_value="identified")
    incident = await bot.incident(1)
    assert incident.status is Status.IDENTIFIED
    assert incident.acknowledged_at is not None, "moving out of declared acknowledges"
    await bot.settle()

    edited = await bot.card(1)
    assert len(card_updates(slack, card)) == 1
    assert card_field(edited, "Status") == "Identified"
    assert ids.ACK not in controls(edited)
    assert [o["value"].rsplit(":", 1)[1] for o in card_control(edited, ids.STATUS)["options"]] == [
        "investigating",
        "monitoring",
    ]
    events = await timeline(bot)
    assert [e.type for e in events] == ["declared", "acknowledged", "status_changed"]


async def test_commander_select_assigns_the_selected_user(bot: BotUnderTest, slack: LocalSlack) -> None:
    card = await declare(bot)
    select = card_control(card, ids.COMMANDER)
    assert select["type"] == "users_select"
    assert "initial_user" not in select
    assert card_field(card, "Commander") == "_unassigned_"

    await bot.click(card, ids.COMMANDER, user=ALICE, selected_user=BOB)
    assert (await bot.incident(1)).commander == BOB
    await bot.settle()

    edited = await bot.card(1)
    assert len(card_updates(slack, card)) == 1
    assert card_field(edited, "Commander") == f"<@{BOB}>"
    assert card_control(edited, ids.COMMANDER)["initial_user"] == BOB
    assert f"<@{ALICE}> assigned <@{BOB}> as commander" in [m.text for m in thread_replies(slack, edited)]


async def test_stakeholder_update_drafts_in_the_thread_and_publishes_once(bot: BotUnderTest, slack: LocalSlack) -> None:
    card = await declare(bot)
    await bot.click(card, ids.STAKEHOLDER_UPDATE, user=ALICE)
    await bot.settle()

    drafts = post_update_messages(slack, card)
    assert len(drafts) == 1, slack.summary()
    draft = snapshot(drafts[0])
    assert draft.thread_ts == card.ts, "the draft is in the incident's thread"
    assert card_control(draft, ids.POST_UPDATE)["text"]["text"] == "Post this update"
    [drafted] = of_type(await timeline(bot), ev.AiDraftCreated)
    assert isinstance(drafted, ev.AiDraftCreated)
    assert card_updates(slack, card) == [], "a draft leaves the card as it was"

    await bot.click(draft, ids.POST_UPDATE, user=BOB)
    await bot.settle()
    posted = of_type(await timeline(bot), ev.StakeholderUpdatePosted)
    assert len(posted) == 1
    assert isinstance(posted[0], ev.StakeholderUpdatePosted)
    assert posted[0].actor == BOB
    assert posted[0].text == drafted.text, "the draft is what gets published"
    published = published_updates(slack, card)
    assert len(published) == 1
    assert published[0].thread_ts == card.ts
    assert (await bot.incident(1)).last_update_at is not None
    # The button gives way to its outcome: the draft message is edited to say who posted it.
    assert post_update_messages(slack, card) == [], "no Post this update button is left"
    [edit] = [call for call in slack.calls_to("chat.update") if call.args["ts"] == draft.ts]
    assert edit.ok, slack.summary()
    [outcome] = [m for m in thread_replies(slack, card) if m.ts == draft.ts]
    assert drafted.text.split("\n")[0][:40] in str(outcome.blocks), "the draft's text stays"
    assert f"✅ Posted as the stakeholder update by <@{BOB}> · <!date^" in str(outcome.blocks)

    # The same draft again (another click, another payload): nothing more is published.
    await bot.click(draft, ids.POST_UPDATE, user=CAROL)
    await bot.settle()
    assert len(of_type(await timeline(bot), ev.StakeholderUpdatePosted)) == 1
    assert len(published_updates(slack, card)) == 1
    refusals = ephemeral_texts(slack, CAROL)
    assert len(refusals) == 1, refusals
    assert "already posted" in refusals[0]


async def test_resolve_opens_the_modal_at_once_and_its_summary_resolves(
    bot: BotUnderTest, slack: LocalSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = await declare(bot)
    resolve = card_control(card, ids.RESOLVE)
    assert resolve["type"] == "button"
    assert "confirm" not in resolve, "the modal is the confirmation: no dialog before it (SPEC §4)"
    sent = record_requests(bot, monkeypatch)

    response = await bot.click(card, ids.RESOLVE, user=ALICE)
    assert response.status == 200
    await bot.settle()
    opened = slack.calls_to("views.open")
    assert len(opened) == 1, slack.summary()
    assert opened[0].ok, slack.summary()
    assert opened[0].args["trigger_id"] == sent.trigger_ids[-1], "opened with the click's trigger_id"
    [view] = slack.views()
    assert view.payload["callback_id"] == ids.RESOLVE_MODAL
    assert (await bot.incident(1)).status is Status.DECLARED, "nothing is resolved until the form is sent"

    summary = {ids.RESOLVE_SUMMARY_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": "rolled back 4.2.1"}}}
    response = await bot.submit_view(slack.state.view_dict(view), summary, user=ALICE, view_id=view.id)
    assert response.status == 200
    assert response.text == "", "an empty ack closes the modal"
    incident = await bot.incident(1)
    assert incident.status is Status.RESOLVED
    assert incident.resolution_summary == "rolled back 4.2.1"
    await bot.settle()

    edited = await bot.card(1)
    assert controls(edited) == RESOLVED_CONTROLS, "a resolved card shows Reopen, Close and Postmortem, no Resolve"
    assert card_field(edited, "Status") == "Resolved"
    assert edited.blocks is not None
    assert edited.blocks[0]["text"]["text"].startswith("✅ · INC-1 · "), "no red marker once resolved"
    assert card_field(edited, "Severity").startswith("SEV"), "the severity stays in the fields"
    assert card_field(edited, "SLA").split("\n")[-1].startswith("resolved after "), "time to resolve, once known"
    assert "rolled back 4.2.1" in str(edited.blocks)
    resolved = of_type(await timeline(bot), ev.Resolved)
    assert [e.summary for e in resolved if isinstance(e, ev.Resolved)] == ["rolled back 4.2.1"]


async def _resolved(bot: BotUnderTest, slack: LocalSlack) -> None:
    card = await declare(bot)
    await bot.click(card, ids.RESOLVE)
    await bot.settle()
    [view] = slack.views()
    empty = {ids.RESOLVE_SUMMARY_BLOCK: {ids.INPUT: {"type": "plain_text_input", "value": None}}}
    response = await bot.submit_view(slack.state.view_dict(view), empty, view_id=view.id)
    assert response.text == "", response.text
    await bot.settle()


async def test_close_has_a_confirm_and_leaves_only_the_postmortem(bot: BotUnderTest, slack: LocalSlack) -> None:
    await _resolved(bot, slack)
    card = snapshot(await bot.card(1))
    assert controls(card) == RESOLVED_CONTROLS
    assert {"title", "text", "confirm", "deny"} <= card_control(card, ids.CLOSE)["confirm"].keys()
    updates_before = len(card_updates(slack, card))

    await bot.click(card, ids.CLOSE, user=BOB)
    assert (await bot.incident(1)).status is Status.CLOSED
    await bot.settle()

    edited = await bot.card(1)
    assert len(card_updates(slack, card)) == updates_before + 1
    assert controls(edited) == [ids.POSTMORTEM], "a closed incident shows the Postmortem button only"
    assert card_field(edited, "Status") == "Closed"
    assert f"<@{BOB}> closed INC-1" in [m.text for m in thread_replies(slack, edited)]


async def test_reopen_brings_back_the_open_controls(bot: BotUnderTest, slack: LocalSlack) -> None:
    await _resolved(bot, slack)
    card = snapshot(await bot.card(1))

    await bot.click(card, ids.REOPEN, user=CAROL)
    incident = await bot.incident(1)
    assert incident.status is Status.INVESTIGATING
    assert incident.resolved_at is None, "reopening clears resolved_at"
    await bot.settle()

    edited = await bot.card(1)
    assert controls(edited) == ACKED_CONTROLS
    assert card_field(edited, "Status") == "Investigating"
    assert [e.type for e in await timeline(bot)][-1] == "reopened"


async def test_resolve_on_a_stale_card_of_a_resolved_incident_is_refused_at_the_click(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    await bot.mention("queue stuck sev3")
    stale = snapshot(await bot.card(1))
    await bot.slash("resolve drained the queue")
    await bot.settle()
    opened = len(slack.calls_to("views.open"))
    assert (await bot.click(stale, ids.RESOLVE, user=BOB)).status == 200
    await bot.settle()
    assert len(slack.calls_to("views.open")) == opened, "no form to fill in for nothing"
    refusal = slack.ephemerals(BOB)[-1]
    assert "INC-1 is already resolved" in refusal.text
