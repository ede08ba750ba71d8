"""The declare and resolve modals end to end: opened with the request's trigger while it is handled,
submitted with ``view.state.values``; a bad field is answered inline in the HTTP response and
changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.local_slack import LocalSlack, View
from bot.views import action_ids as ids
from domain import events as ev
from domain.lifecycle import Status
from domain.severity import Severity
from domain.text import SUMMARY_MAX, TITLE_MAX
from tests.builders import card_field, controls
from tests.e2e.card_support import declare, declared_count, of_type, record_requests, snapshot, timeline, top_level
from tests.e2e.harness import ALICE, BOB, CHANNEL, BotUnderTest


def text_value(value: str | None) -> dict[str, Any]:
    return {ids.INPUT: {"type": "plain_text_input", "value": value}}


def declare_values(
    view: View, *, title: str | None, severity: str = "SEV2", description: str | None = None, service: str | None = None
) -> dict[str, dict[str, Any]]:
    """What Slack sends for the declare form: the severity option is the one the modal offered."""
    [severity_block] = [b for b in view.payload["blocks"] if b["block_id"] == ids.DECLARE_SEVERITY_BLOCK]
    [chosen] = [o for o in severity_block["element"]["options"] if o["value"] == severity]
    return {
        ids.DECLARE_TITLE_BLOCK: text_value(title),
        ids.DECLARE_SEVERITY_BLOCK: {ids.INPUT: {"type": "static_select", "selected_option": chosen}},
        ids.DECLARE_DESCRIPTION_BLOCK: text_value(description),
        ids.DECLARE_SERVICE_BLOCK: text_value(service),
    }


async def open_declare_modal(bot: BotUnderTest, slack: LocalSlack) -> View:
    response = await bot.slash("")
    assert response.status == 200
    await bot.settle()
    [view] = slack.views()
    return view


async def test_slash_without_text_opens_the_declare_modal(
    bot: BotUnderTest, slack: LocalSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = record_requests(bot, monkeypatch)
    response = await bot.slash("", user=BOB)
    assert response.status == 200
    assert response.text == "", "the ack is empty: the modal is the answer"
    await bot.settle()

    [call] = slack.calls_to("views.open")
    assert call.ok, slack.summary()
    assert call.args["trigger_id"] == sent.trigger_ids[-1], "opened with the slash command's trigger_id"
    [view] = slack.views()
    assert view.payload["callback_id"] == ids.DECLARE_MODAL
    blocks = [b["block_id"] for b in view.payload["blocks"]]
    assert blocks == [
        ids.DECLARE_TITLE_BLOCK,
        ids.DECLARE_SEVERITY_BLOCK,
        ids.DECLARE_DESCRIPTION_BLOCK,
        ids.DECLARE_SERVICE_BLOCK,
    ]
    assert await declared_count(bot) == 0, "opening the form declares nothing"
    assert slack.calls_to("chat.postMessage") == []


async def test_declare_without_a_title_is_answered_with_readable_usage(bot: BotUnderTest, slack: LocalSlack) -> None:
    response = await bot.slash("declare")
    reply = response.json()
    assert reply["response_type"] == "ephemeral"
    assert "Give it a title" in reply["text"]
    usage = "Usage: `/incident declare &lt;title&gt; [sev1-4] [service:&lt;key&gt;]` — declare an incident"
    assert usage in reply["text"]
    assert "``" not in reply["text"], "each code span is closed once, not wrapped in another"
    await bot.settle()
    assert await declared_count(bot) == 0
    assert slack.calls_to("views.open") == []


async def test_declare_modal_submission_declares_with_the_card_at_the_top_level(
    bot: BotUnderTest, slack: LocalSlack
) -> None:
    view = await open_declare_modal(bot, slack)
    values = declare_values(
        view, title="Checkout 500s", severity="SEV2", description="EU customers cannot pay", service="checkout-api"
    )

    response = await bot.submit_view(slack.state.view_dict(view), values, user=BOB, view_id=view.id)
    assert response.status == 200
    assert response.text == "", "an empty ack closes the modal"
    incident = await bot.incident(1)
    assert (incident.title, incident.severity, incident.status) == ("Checkout 500s", Severity.SEV2, Status.DECLARED)
    assert (incident.description, incident.service, incident.reporter) == (
        "EU customers cannot pay",
        "checkout-api",
        BOB,
    )
    assert incident.channel_id == CHANNEL, "declared in the channel the form was opened from"

    card = await bot.card(1)
    assert card.thread_ts is None, "the card is at the channel's top level"
    assert (await bot.stored(1)).home_ts == card.ts, "the card's own thread is the incident's thread"
    assert card_field(card, "Service") == "checkout-api"
    assert card_field(card, "Severity") == "SEV2 · major"
    assert "EU customers cannot pay" in str(card.blocks)
    assert ids.ACK in controls(card)


async def test_the_same_declare_submission_twice_declares_once(bot: BotUnderTest, slack: LocalSlack) -> None:
    view = await open_declare_modal(bot, slack)
    values = declare_values(view, title="Search is slow")
    submitted = slack.state.view_dict(view)
    first = await bot.submit_view(submitted, values, view_id=view.id)
    again = await bot.submit_view(submitted, values, view_id=view.id)
    assert (first.text, again.text) == ("", "")
    await bot.settle()
    assert await declared_count(bot) == 1
    assert len(top_level(slack, CHANNEL)) == 1


@pytest.mark.parametrize(
    ("title", "complaint"),
    [(None, "title"), ("   ", "title"), ("x" * (TITLE_MAX + 1), str(TITLE_MAX))],
    ids=["missing", "blank", "too-long"],
)
async def test_a_bad_title_is_an_inline_error_and_declares_nothing(
    bot: BotUnderTest, slack: LocalSlack, title: str | None, complaint: str
) -> None:
    view = await open_declare_modal(bot, slack)
    values = declare_values(view, title=title, description="still typed", service="api")

    response = await bot.submit_view(slack.state.view_dict(view), values, view_id=view.id)
    assert response.status == 200
    body = response.json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [ids.DECLARE_TITLE_BLOCK], "only the bad field is pointed at"
    assert complaint in body["errors"][ids.DECLARE_TITLE_BLOCK]
    await bot.settle()
    assert await declared_count(bot) == 0
    assert slack.calls_to("chat.postMessage") == []


async def _open_resolve_modal(bot: BotUnderTest, slack: LocalSlack) -> View:
    card = snapshot(await bot.card(1))
    opened = len(slack.views())
    await bot.click(card, ids.RESOLVE, user=ALICE)
    await bot.settle()
    views = slack.views()
    assert len(views) == opened + 1, slack.summary()
    assert views[-1].payload["callback_id"] == ids.RESOLVE_MODAL
    return views[-1]


async def test_resolving_an_already_resolved_incident_is_an_inline_error(bot: BotUnderTest, slack: LocalSlack) -> None:
    await declare(bot)
    first = await _open_resolve_modal(bot, slack)
    second = await _open_resolve_modal(bot, slack)  # e.g. a colleague's, opened at the same time

    done = await bot.submit_view(slack.state.view_dict(first), {ids.RESOLVE_SUMMARY_BLOCK: text_value("fixed")})
    assert done.text == ""
    late = await bot.submit_view(
        slack.state.view_dict(second), {ids.RESOLVE_SUMMARY_BLOCK: text_value("also fixed")}, user=BOB
    )
    assert late.status == 200
    body = late.json()
    assert body["response_action"] == "errors"
    assert "resolved" in body["errors"][ids.RESOLVE_SUMMARY_BLOCK]
    incident = await bot.incident(1)
    assert incident.resolution_summary == "fixed", "the late form changed nothing"
    assert len(of_type(await timeline(bot), ev.Resolved)) == 1


async def test_a_too_long_resolve_summary_is_an_inline_error(bot: BotUnderTest, slack: LocalSlack) -> None:
    await declare(bot)
    view = await _open_resolve_modal(bot, slack)
    values = {ids.RESOLVE_SUMMARY_BLOCK: text_value("y" * (SUMMARY_MAX + 1))}

    response = await bot.submit_view(slack.state.view_dict(view), values)
    body = response.json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [ids.RESOLVE_SUMMARY_BLOCK]
    assert (await bot.incident(1)).status is Status.DECLARED
    assert [e.type for e in await timeline(bot)] == ["declared"]


async def test_a_resolve_form_for_another_workspaces_incident_is_refused(bot: BotUnderTest, slack: LocalSlack) -> None:
    await declare(bot)
    view = slack.state.view_dict(await _open_resolve_modal(bot, slack))
    forged = {**view, "private_metadata": json.dumps({"ref": "T0ELSEWHERE:1"})}

    response = await bot.submit_view(forged, {ids.RESOLVE_SUMMARY_BLOCK: text_value("not yours")})
    body = response.json()
    assert body["response_action"] == "errors"
    assert "another workspace" in body["errors"][ids.RESOLVE_SUMMARY_BLOCK]
    assert (await bot.incident(1)).status is Status.DECLARED
