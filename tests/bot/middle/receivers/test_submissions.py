"""ViewReceiver, handed a submitted declare or resolve form as Bolt parses it: a good one commits
before the bare ack closes the form; a bad one is answered under its field and keeps the form open."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.receivers.slack.submissions import ViewReceiver
from bot.views import action_ids as ids
from bot.views.listings import UNAVAILABLE_TEXT
from bot.views.modals import declare_modal, resolve_modal
from domain import commands as cmd
from domain.incident import IncidentRef
from domain.lifecycle import Status
from domain.severity import Severity
from tests.bot.middle.support import ALICE, BOB, WORKSPACE, Wired, acked, new_ack, origin
from tests.builders import CHANNEL

INC_1 = IncidentRef(WORKSPACE, 1)
SUBMITTED = {"team": {"id": WORKSPACE}, "user": {"id": BOB, "team_id": WORKSPACE}}


def submitted(modal: dict[str, Any], view_id: str, typed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``modal`` as Slack hands it back: its id, and ``typed`` (block_id → element state) as its values."""
    values = {block_id: {ids.INPUT: state} for block_id, state in typed.items()}
    return modal | {"id": view_id, "team_id": WORKSPACE, "state": {"values": values}}


def text(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def declare_form(
    title: str | None, severity: str = "SEV2", *, view_id: str = "V0001", description: str | None = None
) -> dict[str, Any]:
    typed = {
        ids.DECLARE_TITLE_BLOCK: text(title),
        ids.DECLARE_SEVERITY_BLOCK: {"type": "static_select", "selected_option": {"value": severity}},
        ids.DECLARE_DESCRIPTION_BLOCK: text(description),
        ids.DECLARE_SERVICE_BLOCK: text("checkout-api"),
    }
    return submitted(declare_modal(CHANNEL), view_id, typed)


def resolve_form(summary: str | None) -> dict[str, Any]:
    return submitted(resolve_modal(INC_1), "V0002", {ids.RESOLVE_SUMMARY_BLOCK: text(summary)})


async def declare(wired: Wired, view: dict[str, Any]) -> dict[str, Any]:
    return await submit(ViewReceiver(wired.service).declare, view)


async def resolve(wired: Wired, view: dict[str, Any]) -> dict[str, Any]:
    return await submit(ViewReceiver(wired.service).resolve, view)


async def submit(
    handle: Callable[[AsyncAck, dict[str, Any], dict[str, Any]], Awaitable[None]], view: dict[str, Any]
) -> dict[str, Any]:
    ack = new_ack()
    await handle(ack, SUBMITTED, view)
    return acked(ack)


async def test_a_declare_form_stores_the_incident_in_the_channel_it_was_opened_from(wired: Wired) -> None:
    view = declare_form("Checkout is down", "SEV1", description="5xx on /pay")

    assert await declare(wired, view) == {}

    incident = await wired.incident(1)
    assert (incident.title, incident.severity, incident.reporter) == ("Checkout is down", Severity.SEV1, BOB)
    assert (incident.channel_id, incident.description, incident.service) == (CHANNEL, "5xx on /pay", "checkout-api")


async def test_a_form_submitted_twice_declares_once(wired: Wired) -> None:
    await declare(wired, declare_form("Checkout is down", view_id="V0009"))
    await declare(wired, declare_form("Checkout is down", view_id="V0009"))

    assert len(await wired.service.open_incidents(WORKSPACE)) == 1


async def test_a_declare_form_without_a_title_keeps_the_form_open_with_the_error_under_it(wired: Wired) -> None:
    answer = await declare(wired, declare_form(None))

    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [ids.DECLARE_TITLE_BLOCK]
    assert await wired.queued() == []


async def test_a_declare_form_that_lost_its_channel_is_called_out_of_date(wired: Wired) -> None:
    answer = await declare(wired, declare_form("Checkout is down") | {"private_metadata": "{}"})

    assert answer["errors"] == {ids.DECLARE_TITLE_BLOCK: "This form is out of date; close it and start again."}
    assert await wired.queued() == []


async def test_a_resolve_form_resolves_with_its_summary(wired: Wired) -> None:
    await wired.declare()

    assert await resolve(wired, resolve_form("rolled back the deploy")) == {}

    incident = await wired.incident(1)
    assert (incident.status, incident.resolution_summary) == (Status.RESOLVED, "rolled back the deploy")
    assert (await wired.events(1))[-1].actor == BOB


async def test_resolving_an_incident_resolved_meanwhile_is_answered_under_the_summary(wired: Wired) -> None:
    await wired.declare()
    await wired.service.apply(origin(ALICE), INC_1, cmd.Resolve(actor=ALICE))

    answer = await resolve(wired, resolve_form("late"))

    assert answer["response_action"] == "errors"
    assert answer["errors"][ids.RESOLVE_SUMMARY_BLOCK] == "INC-1 is already resolved."


async def test_a_resolve_form_for_another_workspace_s_incident_changes_nothing(wired: Wired) -> None:
    await wired.declare()
    foreign = resolve_form("x") | {"private_metadata": json.dumps({"ref": "T0OTHER:1"})}

    answer = await resolve(wired, foreign)

    assert ids.RESOLVE_SUMMARY_BLOCK in answer["errors"]
    assert (await wired.incident(1)).status is Status.DECLARED


async def test_with_the_database_down_the_form_stays_open_saying_nothing_changed(database_down: Wired) -> None:
    answer = await declare(database_down, declare_form("Checkout is down"))

    assert answer["errors"] == {ids.DECLARE_TITLE_BLOCK: UNAVAILABLE_TEXT}
