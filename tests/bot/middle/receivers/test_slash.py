"""SlashReceiver, handed ``/incident …`` as Bolt parses it: the answer is the acknowledgement itself,
given after the commit; forms open before it, while the trigger is fresh."""

from __future__ import annotations

from typing import Any

from bot.commands.verbs import DUPLICATE_NOTE
from bot.delivery import outbox_messages as out
from bot.receivers.slack.slash import SlashReceiver
from bot.views import action_ids as ids
from bot.views.listings import UNAVAILABLE_TEXT
from domain.severity import Severity
from tests.bot.middle.support import ALICE, WORKSPACE, Wired, acked, new_ack
from tests.builders import CHANNEL

RESPONSE_URL = "https://hooks.slack.com/commands/T0MIDDLE/1/abc"


def slash(text: str, *, trigger_id: str = "1.2.trigger", user: str | None = ALICE) -> dict[str, Any]:
    """The ``command`` Bolt hands the listener for ``/incident <text>``."""
    command = {
        "command": "/incident",
        "text": text,
        "team_id": WORKSPACE,
        "channel_id": CHANNEL,
        "trigger_id": trigger_id,
        "response_url": RESPONSE_URL,
    }
    return command if user is None else command | {"user_id": user}


async def answer(wired: Wired, command: dict[str, Any]) -> dict[str, Any]:
    ack = new_ack()
    await SlashReceiver(wired.service, wired.verbs, wired.view_opener)(ack, command, {"team_id": WORKSPACE})
    return acked(ack)


async def test_declare_answers_in_the_ack_once_stored_and_the_card_remembers_where_to_answer(wired: Wired) -> None:
    reply = await answer(wired, slash("declare Checkout is down sev1"))

    assert reply == {"text": "Declared INC-1 (SEV1); its card is in <#C0INCIDENTS>.", "response_type": "ephemeral"}
    assert (await wired.incident(1)).severity is Severity.SEV1
    [card] = await wired.queued()
    assert (card.kind, card.payload["response_url"]) == (out.POST_CARD, RESPONSE_URL)


async def test_a_command_slack_sends_again_is_applied_once(wired: Wired) -> None:
    await answer(wired, slash("declare Checkout is down", trigger_id="1.2.same"))

    again = await answer(wired, slash("declare Checkout is down", trigger_id="1.2.same"))

    assert again["text"] == DUPLICATE_NOTE
    assert len(await wired.service.open_incidents(WORKSPACE)) == 1


async def test_a_read_verb_answers_with_what_was_asked(wired: Wired) -> None:
    await wired.declare("Checkout is down")

    reply = await answer(wired, slash("list"))

    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("*Open incidents* (1)")


async def test_incident_alone_opens_the_declare_form_before_a_bare_ack(wired: Wired) -> None:
    reply = await answer(wired, slash("", trigger_id="1.2.form"))

    assert reply == {}
    [opened] = wired.slack.opened
    assert opened["trigger_id"] == "1.2.form"
    assert opened["view"]["callback_id"] == ids.DECLARE_MODAL
    assert CHANNEL in opened["view"]["private_metadata"]
    assert await wired.queued() == []


async def test_a_form_slack_would_not_open_is_explained_with_what_to_type_instead(wired: Wired) -> None:
    wired.slack.refuse_views = "expired_trigger_id"

    reply = await answer(wired, slash(""))

    assert reply["text"].startswith("⚠️ Slack did not open the form (expired_trigger_id)")
    assert "/incident declare" in reply["text"]


async def test_text_that_is_not_a_command_is_explained_with_its_usage(wired: Wired) -> None:
    reply = await answer(wired, slash("frobnicate INC-1"))

    assert reply["text"].startswith("⚠️ I don't know the command “frobnicate”")
    assert "Usage:" in reply["text"]
    assert await wired.queued() == []


async def test_a_refused_command_is_explained_and_changes_nothing(wired: Wired) -> None:
    reply = await answer(wired, slash("ack"))

    assert reply["text"].startswith("⚠️ There is no open incident in this channel.")
    assert await wired.queued() == []


async def test_a_command_without_a_user_is_refused_before_anything_is_read(wired: Wired) -> None:
    reply = await answer(wired, slash("declare Checkout is down", user=None))

    assert "without a user or channel" in reply["text"]
    assert await wired.queued() == []


async def test_with_the_database_down_the_answer_says_nothing_was_changed(database_down: Wired) -> None:
    reply = await answer(database_down, slash("declare Checkout is down"))

    assert reply == {"text": UNAVAILABLE_TEXT, "response_type": "ephemeral"}
