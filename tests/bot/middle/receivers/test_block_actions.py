"""ActionReceiver, handed a click on the card (or on a draft) as Bolt parses it: each control is one
command, acknowledged after its commit; a refusal is told to the clicker alone."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from bot.delivery import outbox_messages as out
from bot.receivers.slack.block_actions import ActionReceiver
from bot.views import action_ids as ids
from bot.views.listings import UNAVAILABLE_TEXT
from domain import commands as cmd
from domain.incident import IncidentRef
from domain.lifecycle import Status
from domain.severity import Severity
from tests.bot.middle.support import ALICE, BOB, WORKSPACE, Wired, acked, new_ack, origin
from tests.builders import CHANNEL

INC_1 = IncidentRef(WORKSPACE, 1)
CARD_TS = "1700000000.000500"
_action_ts = itertools.count(1)


def control(action_id: str, **chosen: Any) -> dict[str, Any]:
    """One entry of a block_actions payload's ``actions``: ``value`` for a button, ``selected_option``
    for a menu, ``selected_user`` and ``block_id`` for the commander picker. A new action_ts each."""
    return {"action_id": action_id, "action_ts": f"{1700000100 + next(_action_ts)}.000001", **chosen}


def button(action_id: str, ref: IncidentRef = INC_1) -> dict[str, Any]:
    return control(action_id, value=ids.encode_ref(ref))


def menu(action_id: str, choice: str) -> dict[str, Any]:
    return control(action_id, selected_option={"value": ids.encode_choice(INC_1, choice)})


def clicked_by(user: str, *, team: str | None = WORKSPACE) -> dict[str, Any]:
    """The block_actions body around a click on INC-1's card (Bolt passes the action apart)."""
    return {
        "type": "block_actions",
        "team": {"id": team} if team else {},
        "user": {"id": user},
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "message_ts": CARD_TS, "channel_id": CHANNEL},
        "trigger_id": "1.2.click",
    }


async def click(wired: Wired, action: dict[str, Any], user: str = BOB, *, team: str | None = WORKSPACE) -> None:
    ack = new_ack()
    await ActionReceiver(wired.service, wired.verbs, wired.replies, wired.view_opener)(
        ack, clicked_by(user, team=team), action
    )
    assert acked(ack) == {}  # a click's ack carries nothing: answers go through the outbox


async def told(wired: Wired) -> list[str]:
    return [row.payload["text"] for row in await wired.queued() if row.kind == out.EPHEMERAL]


@pytest.mark.parametrize(
    ("action", "changed"),
    [
        pytest.param(button(ids.ACK), {"status": Status.INVESTIGATING}, id="ack"),
        pytest.param(menu(ids.SEVERITY, "SEV1"), {"severity": Severity.SEV1}, id="severity"),
        pytest.param(menu(ids.STATUS, "identified"), {"status": Status.IDENTIFIED}, id="status"),
        pytest.param(
            control(ids.COMMANDER, selected_user=ALICE, block_id=ids.actions_block_id(INC_1, 1)),
            {"commander": ALICE},
            id="commander",
        ),
    ],
)
async def test_each_card_control_applies_its_command(
    wired: Wired, action: dict[str, Any], changed: dict[str, Any]
) -> None:
    await wired.declare()

    await click(wired, action)

    incident = await wired.incident(1)
    assert {name: getattr(incident, name) for name in changed} == changed
    assert await told(wired) == []


async def test_snooze_on_a_reminder_moves_the_reminders_on(wired: Wired) -> None:
    await wired.declare()

    await click(wired, control(ids.SNOOZE, value=ids.encode_choice(INC_1, "30m")))

    assert (await wired.event_types(1))[-1] == "snoozed"


async def test_a_double_click_is_refused_to_the_clicker_alone(wired: Wired) -> None:
    await wired.declare()

    await click(wired, button(ids.ACK))
    await click(wired, button(ids.ACK), ALICE)

    assert await told(wired) == ["⚠️ INC-1 is already acknowledged."]
    [refusal] = [row for row in await wired.queued() if row.kind == out.EPHEMERAL]
    assert refusal.payload["user"] == ALICE


async def test_a_click_slack_delivers_twice_is_applied_once_and_not_refused(wired: Wired) -> None:
    await wired.declare()
    same = button(ids.ACK)

    await click(wired, same)
    await click(wired, same)

    assert await wired.event_types(1) == ["declared", "acknowledged", "status_changed"]
    assert await told(wired) == []


async def test_resolve_opens_the_resolve_form_and_changes_nothing_yet(wired: Wired) -> None:
    await wired.declare()

    await click(wired, button(ids.RESOLVE))

    [opened] = wired.slack.opened
    assert (opened["trigger_id"], opened["view"]["callback_id"]) == ("1.2.click", ids.RESOLVE_MODAL)
    assert await wired.event_types(1) == ["declared"]


async def test_resolve_on_a_resolved_incident_is_refused_before_any_form_opens(wired: Wired) -> None:
    await wired.declare()
    await wired.service.apply(origin(), INC_1, cmd.Resolve(actor=ALICE))

    await click(wired, button(ids.RESOLVE))

    assert wired.slack.opened == []
    assert await told(wired) == ["⚠️ INC-1 is already resolved; there is nothing to resolve."]


@pytest.mark.parametrize(
    ("action", "refusal"),
    [
        pytest.param(button(ids.ACK, IncidentRef("T0OTHER", 1)), "another workspace's incident", id="foreign"),
        pytest.param(button("incident.frobnicate"), "That control is not one I recognise", id="unknown"),
        pytest.param(control(ids.ACK, value="not-a-ref"), "That control is not one I recognise", id="malformed"),
    ],
)
async def test_a_control_that_cannot_be_trusted_changes_nothing(
    wired: Wired, action: dict[str, Any], refusal: str
) -> None:
    await wired.declare()

    await click(wired, action)

    [reply] = await told(wired)
    assert refusal in reply
    assert await wired.event_types(1) == ["declared"]


async def test_a_click_without_a_workspace_is_acknowledged_and_ignored(wired: Wired) -> None:
    await wired.declare()

    await click(wired, button(ids.ACK), team=None)

    assert await wired.event_types(1) == ["declared"]


async def test_asking_for_a_stakeholder_update_queues_a_draft_and_says_so(wired: Wired) -> None:
    change = await wired.declare()

    await click(wired, button(ids.STAKEHOLDER_UPDATE))

    assert await told(wired) == ["Drafting a stakeholder update for INC-1; it will appear in its thread shortly."]
    assert out.draft_job(change.incident_id, BOB).payload in [row.payload for row in await wired.queued()]


async def test_a_draft_is_published_once_however_often_its_button_is_clicked(wired: Wired) -> None:
    await wired.declare()
    draft = cmd.RecordAiDraft(
        actor=cmd.SYSTEM_ACTOR, text="Checkout is back", model="m1", based_on=(1,), ai_written=True
    )
    await wired.service.apply(origin(), INC_1, draft)
    publish = control(ids.POST_UPDATE, value=ids.encode_choice(INC_1, "2"))

    await click(wired, publish)
    await click(wired, control(ids.POST_UPDATE, value=publish["value"]), ALICE)

    posted = [event for event in await wired.events(1) if event.type == "stakeholder_update_posted"]
    assert [(event.actor, getattr(event, "text", None), getattr(event, "model", None)) for event in posted] == [
        (BOB, "Checkout is back", "m1")
    ]
    assert await told(wired) == ["⚠️ This draft was already posted as INC-1's stakeholder update."]


async def test_a_button_naming_no_draft_is_refused(wired: Wired) -> None:
    await wired.declare()

    await click(wired, control(ids.POST_UPDATE, value=ids.encode_choice(INC_1, "1")))

    assert await told(wired) == ["⚠️ That draft is not part of INC-1's timeline; nothing was posted."]


async def test_with_the_database_down_the_clicker_is_told_straight_away_to_try_again(database_down: Wired) -> None:
    await click(database_down, button(ids.ACK))

    assert [(call["user"], call["text"]) for call in database_down.slack.direct] == [(BOB, UNAVAILABLE_TEXT)]
