"""Postmortems from Slack, over HTTP with the local Slack: ``/incident postmortem``, the card's
Postmortem button and ``@firebreak postmortem`` open the form prefilled with the current text; a
save is one timeline event and one audit line; closing a SEV1/SEV2 incident waits for the root
cause and the corrective actions, whichever way it is asked for."""

from __future__ import annotations

import itertools
from typing import Any

from bot.local_slack import LocalSlack
from bot.local_slack.models import Ephemeral, View
from bot.local_slack.payloads import block_actions, chosen_action, find_control, message_container
from bot.views import action_ids as ids
from bot.views.modals import postmortem_block
from domain import events as ev
from domain.lifecycle import Status
from domain.postmortem import Postmortem, PostmortemField
from tests.builders import controls
from tests.e2e.card_support import declare, of_type, thread_replies, timeline
from tests.e2e.harness import ALICE, BOB, CAROL, BotUnderTest

ROOT = PostmortemField.ROOT_CAUSE
ACTIONS = PostmortemField.CORRECTIVE_ACTIONS
_clicks = itertools.count(1)


def typed(**fields: str) -> dict[str, dict[str, Any]]:
    """``view.state.values`` of the postmortem form with ``fields`` (by name) typed in, the rest as shown."""
    return {
        postmortem_block(field): {ids.INPUT: {"type": "plain_text_input", "value": fields.get(field.value)}}
        for field in PostmortemField
    }


def shown(view: View) -> dict[str, str | None]:
    """What each field of an opened postmortem form shows: its prefilled text."""
    return {block["block_id"]: block["element"].get("initial_value") for block in view.payload["blocks"]}


async def open_by_slash(
    bot: BotUnderTest, slack: LocalSlack, text: str = "postmortem INC-1", user: str = ALICE
) -> View:
    before = len(slack.calls_to("views.open"))
    response = await bot.slash(text, user=user)
    assert response.status == 200
    assert response.text == "", "the form opened: the command is acknowledged with nothing to say"
    opened = slack.calls_to("views.open")
    assert len(opened) == before + 1, slack.summary()
    assert opened[-1].ok, slack.summary()
    return slack.state.views[opened[-1].response["view"]["id"]]


async def save(bot: BotUnderTest, slack: LocalSlack, view: View, values: dict[str, Any], user: str = CAROL) -> None:
    response = await bot.submit_view(slack.state.view_dict(view), values, user=user, view_id=view.id)
    assert response.status == 200
    assert response.text == "", f"an empty ack closes the form: {response.text}"
    await bot.settle()


async def resolved_sev2(bot: BotUnderTest) -> None:
    await declare(bot, "declare Checkout errors sev2")
    assert (await bot.slash("resolve INC-1 rolled back")).status == 200
    await bot.settle()


async def test_the_slash_command_opens_the_form_prefilled_and_a_save_is_one_event_and_one_audit_line(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    await resolved_sev2(bot)
    view = await open_by_slash(bot, slack)
    assert view.payload["callback_id"] == ids.POSTMORTEM_MODAL
    assert list(shown(view)) == [postmortem_block(field) for field in PostmortemField]
    assert set(shown(view).values()) == {None}, "nothing written yet"
    assert all(block["element"]["multiline"] for block in view.payload["blocks"])

    await save(
        bot, slack, view, typed(root_cause="A config push\nwithout a canary", corrective_actions="Canary deploys")
    )

    incident = await bot.incident(1)
    assert incident.postmortem == Postmortem(
        root_cause="A config push\nwithout a canary", corrective_actions="Canary deploys"
    )
    [edited] = of_type(await timeline(bot), ev.PostmortemEdited)
    assert isinstance(edited, ev.PostmortemEdited)
    assert [change.field for change in edited.changes] == [ROOT, ACTIONS]
    card = await bot.card(1)
    lines = [m.text for m in thread_replies(slack, card) if "postmortem" in m.text]
    assert lines == [f"<@{CAROL}> updated the postmortem of INC-1: root cause, corrective actions"]

    again = await open_by_slash(bot, slack, "postmortem 1", user=BOB)
    assert shown(again)[postmortem_block(ROOT)] == "A config push\nwithout a canary"
    assert shown(again)[postmortem_block(ACTIONS)] == "Canary deploys"


async def test_a_form_saves_only_what_its_author_changed(bot: BotUnderTest, slack: LocalSlack) -> None:
    """Two forms open at once: the later save does not put back the text the earlier one replaced."""
    await resolved_sev2(bot)
    alices = await open_by_slash(bot, slack, user=ALICE)
    bobs = await open_by_slash(bot, slack, user=BOB)
    await save(bot, slack, alices, typed(root_cause="Expired certificate"), user=ALICE)
    await save(bot, slack, bobs, typed(summary="Checkout failed for 20 min"), user=BOB)
    assert (await bot.incident(1)).postmortem == Postmortem(
        summary="Checkout failed for 20 min", root_cause="Expired certificate"
    )
    changes = [
        e.changes for e in of_type(await timeline(bot), ev.PostmortemEdited) if isinstance(e, ev.PostmortemEdited)
    ]
    assert [[c.field for c in saved] for saved in changes] == [[ROOT], [PostmortemField.SUMMARY]]

    # Sent back as it was shown, the form saves nothing and records nothing.
    untouched = await open_by_slash(bot, slack)
    await save(bot, slack, untouched, typed(summary="Checkout failed for 20 min", root_cause="Expired certificate"))
    assert len(of_type(await timeline(bot), ev.PostmortemEdited)) == 2


async def test_an_open_incident_gets_no_form_but_the_reason(bot: BotUnderTest, slack: LocalSlack) -> None:
    await declare(bot, "declare Checkout errors sev2")
    response = await bot.slash("postmortem INC-1")
    assert response.json()["text"] == (
        "⚠️ INC-1 is still declared: its postmortem is written once it is resolved. "
        "Resolve it first, then write the postmortem."
    )
    assert slack.calls_to("views.open") == []


async def test_closing_a_sev2_waits_for_root_cause_and_corrective_actions(bot: BotUnderTest, slack: LocalSlack) -> None:
    await resolved_sev2(bot)
    refused = (await bot.slash("close INC-1")).json()["text"]
    assert refused == (
        "⚠️ INC-1 is SEV2, so closing it needs a postmortem with root cause and corrective actions; still empty: "
        "root cause and corrective actions. Fill them in with `/incident postmortem INC-1` (or the card's "
        "Postmortem button), then close it."
    )
    await save(bot, slack, await open_by_slash(bot, slack), typed(root_cause="Expired certificate"))

    card = await bot.card(1)
    assert (await bot.click(card, ids.CLOSE, user=BOB)).status == 200
    await bot.settle()
    said = slack.ephemerals(BOB)[-1].text
    assert "still empty: corrective actions. Fill them in with `/incident postmortem INC-1`" in said
    assert (await bot.incident(1)).status is Status.RESOLVED

    await save(
        bot,
        slack,
        await open_by_slash(bot, slack),
        typed(root_cause="Expired certificate", corrective_actions="Alert 30 days before expiry"),
    )
    assert (await bot.slash("close INC-1")).json()["text"] == f"<@{ALICE}> closed INC-1"
    assert (await bot.incident(1)).status is Status.CLOSED


async def test_a_sev3_closes_without_a_postmortem_and_its_card_keeps_the_button(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    card = await declare(bot, "declare Search is slow sev3")
    await bot.slash("resolve INC-1")
    assert (await bot.slash("close INC-1")).json()["text"] == f"<@{ALICE}> closed INC-1"
    await bot.settle()
    card = await bot.card(1)
    assert controls(card) == [ids.POSTMORTEM]

    assert (await bot.click(card, ids.POSTMORTEM, user=BOB)).status == 200
    [opened] = slack.calls_to("views.open")
    assert opened.ok, slack.summary()
    view = slack.state.views[opened.response["view"]["id"]]
    assert view.payload["callback_id"] == ids.POSTMORTEM_MODAL
    await save(bot, slack, view, typed(what_went_well="Paged in 2 min"), user=BOB)
    assert (await bot.incident(1)).postmortem.what_went_well == "Paged in 2 min"


async def test_a_mention_in_the_thread_answers_with_a_button_that_opens_the_form(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    await resolved_sev2(bot)
    await save(bot, slack, await open_by_slash(bot, slack), typed(summary="Checkout failed"))
    card = await bot.card(1)
    response, _ = await bot.mention("postmortem", user=BOB, thread_ts=card.ts)
    assert response.status == 200
    await bot.settle()
    answer = slack.ephemerals(BOB)[-1]
    assert answer.text == "The postmortem of INC-1: written so far: summary."

    await click_ephemeral(bot, answer, ids.POSTMORTEM, user=BOB)
    view = slack.state.views[slack.calls_to("views.open")[-1].response["view"]["id"]]
    assert shown(view)[postmortem_block(PostmortemField.SUMMARY)] == "Checkout failed"


async def click_ephemeral(bot: BotUnderTest, message: Ephemeral, action_id: str, *, user: str) -> None:
    """Use a button of an ephemeral message as Slack reports it (no ``message`` in the payload)."""
    block, element = find_control(message.blocks, action_id)
    payload = block_actions(
        bot.slack.state,
        user,
        channel=message.channel,
        message=None,
        container=message_container(message.channel, message.message_ts, message.thread_ts, ephemeral=True),
        action=chosen_action(element, str(block.get("block_id")), None),
        response_url=bot.slack.response_url(f"ephemeral-click-{next(_clicks)}"),
        team_id=bot.workspace,
    )
    assert (await bot.interact(payload)).status == 200
