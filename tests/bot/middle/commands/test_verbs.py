"""Verbs.run: each parsed verb becomes a service call and the words its author is told, the same for
``/incident`` and ``@firebreak``; read-only verbs answer from the store and change nothing."""

from __future__ import annotations

import pytest

from bot.commands.grammar import Parsed, Verb, help_text, parse
from bot.commands.verbs import DUPLICATE_NOTE, Reply, VerbResult, ref_in
from bot.delivery import outbox_messages as out
from bot.handler.origin import Origin, UserError
from bot.views.card import card_fallback_text
from domain import commands as cmd
from domain.incident import IncidentRef
from domain.lifecycle import Status
from domain.severity import Severity
from tests.bot.middle.support import ALICE, BOB, STAKEHOLDERS, WORKSPACE, Wired, origin

INC_1 = IncidentRef(WORKSPACE, 1)


async def run(wired: Wired, text: str, who: Origin | None = None, *, slash: bool = True) -> VerbResult:
    """``text`` as typed after ``/incident`` (or, with ``slash=False``, after a mention in a thread)."""
    parsed = parse(text, slash=slash, in_incident_thread=not slash)
    return await wired.verbs.run(parsed, who or origin(BOB), slash=slash)


async def test_slash_declare_puts_the_card_at_the_channel_s_top_level(wired: Wired) -> None:
    result = await run(wired, "declare Checkout is down sev2", origin(ALICE))

    assert result == VerbResult(done="Declared INC-1 (SEV2); its card is in <#C0INCIDENTS>.")
    incident = await wired.incident(1)
    assert (incident.title, incident.severity, incident.thread_ts) == ("Checkout is down", Severity.SEV2, None)


async def test_a_mention_declares_on_the_message_s_own_thread(wired: Wired) -> None:
    where = origin(ALICE, message_ts="1700000000.000300")
    parsed = parse("Checkout is down sev1", slash=False, in_incident_thread=False)

    result = await wired.verbs.run(parsed, where, slash=False)

    assert result.done == "Declared INC-1 (SEV1); its card is in this thread."
    assert (await wired.incident(1)).thread_ts == "1700000000.000300"


async def test_declare_without_a_title_says_how_to_give_one(wired: Wired) -> None:
    with pytest.raises(UserError, match=r"Give the incident a title"):
        await wired.verbs.run(Parsed(Verb.DECLARE), origin(), slash=True)

    assert await wired.queued() == []


async def test_a_change_is_confirmed_with_its_audit_line(wired: Wired) -> None:
    await wired.declare()

    result = await run(wired, "sev 1")

    assert result == VerbResult(done=f"<@{BOB}> changed severity SEV2 → SEV1")
    assert result.to_tell is None  # the thread's audit line says it for everyone
    assert (await wired.incident(1)).severity is Severity.SEV1


async def test_a_change_sent_twice_is_confirmed_as_already_done(wired: Wired) -> None:
    await wired.declare()

    await run(wired, "note db failover started", origin(BOB, key="slash:t1"))
    again = await run(wired, "note db failover started", origin(BOB, key="slash:t1"))

    assert again == VerbResult(done=DUPLICATE_NOTE)
    assert await wired.event_types(1) == ["declared", "note_added"]


async def test_a_verb_naming_an_unknown_incident_is_refused(wired: Wired) -> None:
    await wired.declare()

    with pytest.raises(UserError, match=r"INC-9 doesn't exist in this workspace"):
        await run(wired, "ack INC-9")


async def test_reopen_and_close_act_on_the_channel_s_resolved_incident(wired: Wired) -> None:
    await wired.declare("Fixed")
    await run(wired, "resolve INC-1 rolled back")
    await wired.declare("Still open")

    reopened = await run(wired, "reopen it came back")

    assert reopened.done == f"<@{BOB}> reopened INC-1: it came back"
    assert (await wired.incident(1)).status is Status.INVESTIGATING
    assert (await wired.incident(2)).status is Status.DECLARED


async def test_list_show_and_timeline_answer_from_the_store_and_change_nothing(wired: Wired) -> None:
    await wired.declare("Checkout is down")
    await wired.declare("Search is slow", Severity.SEV3)
    await run(wired, "resolve INC-2")
    queued = await wired.queued()

    listed = await run(wired, "list")
    everything = await run(wired, "list all")
    shown = await run(wired, "show INC-1")
    timeline = await run(wired, "timeline INC-2")

    assert listed.answer is not None
    assert listed.answer.text.startswith("*Open incidents* (1)")
    assert "Search is slow" not in listed.answer.text
    assert everything.answer is not None
    assert everything.answer.text.startswith("*Recent incidents* (2)")
    assert shown.answer is not None
    assert shown.answer.blocks
    assert shown.answer.text == card_fallback_text(await wired.incident(1))
    assert timeline.answer is not None
    assert timeline.answer.text.startswith("*Timeline of INC-2*")
    assert f"<@{BOB}> resolved INC-2" in timeline.answer.text
    assert await wired.queued() == queued
    assert all(result.done is None and result.to_tell == result.answer for result in (listed, shown, timeline))


@pytest.mark.parametrize("slash", [True, False])
async def test_help_is_the_usage_of_the_entry_point_it_was_asked_at(wired: Wired, slash: bool) -> None:
    result = await wired.verbs.run(Parsed(Verb.HELP), origin(), slash=slash)

    assert result.answer == Reply(help_text(slash=slash).replace("<", "&lt;").replace(">", "&gt;"))


async def test_update_without_text_queues_a_drafting_job_and_says_so(wired: Wired) -> None:
    change = await wired.declare()
    before = len(await wired.queued())

    result = await run(wired, "update", origin(BOB, key="slash:t2"))
    again = await run(wired, "update", origin(BOB, key="slash:t2"))

    assert result.pending
    assert result.to_tell == Reply("Drafting a stakeholder update for INC-1; it will appear in its thread shortly.")
    assert again == VerbResult(done=DUPLICATE_NOTE)
    [job] = (await wired.queued())[before:]
    assert (job.kind, job.incident_id) == (out.AI_DRAFT_UPDATE, None)  # detached: drafting holds up nothing
    assert job.payload == {"incident_id": change.incident_id, "requested_by": BOB}


async def test_update_of_a_closed_incident_is_refused(wired: Wired) -> None:
    await wired.declare()
    await run(wired, "resolve INC-1")
    await run(wired, "close INC-1")

    with pytest.raises(UserError, match=r"INC-1 is closed; there is nothing left to tell stakeholders"):
        await run(wired, "update INC-1")


async def test_update_with_text_publishes_in_the_thread_and_the_stakeholder_channel(wired: Wired) -> None:
    await wired.declare()
    before = len(await wired.queued())

    result = await run(wired, "update Checkout is degraded; next update in an hour")

    assert result.done is not None
    assert result.done.startswith(f"<@{BOB}> posted a stakeholder update")
    published = (await wired.queued())[before:]
    assert [row.kind for row in published] == [out.REFRESH_CARD, out.THREAD_MESSAGE, out.CHANNEL_MESSAGE]
    assert published[-1].payload["channel"] == STAKEHOLDERS


async def test_repost_of_a_card_that_is_shown_says_where_it_is(wired: Wired) -> None:
    change = await wired.declare()
    async with wired.runner.unit_of_work() as uow:
        await uow.incidents.record_card(change.incident_id, "1700000000.000500")

    result = await run(wired, "repost")

    assert result.answer is not None
    assert result.answer.text.startswith("INC-1's card is already in <#C0INCIDENTS>")
    assert await wired.event_types(1) == ["declared"]


async def test_repost_of_a_refused_card_posts_it_again(wired: Wired) -> None:
    await wired.declare()
    await wired.service.apply(origin(), INC_1, cmd.RecordCardRefusal(actor=cmd.SYSTEM_ACTOR, error="not_in_channel"))
    before = len(await wired.queued())

    result = await run(wired, "repost")

    assert result == VerbResult(done="Posting INC-1's card in <#C0INCIDENTS> again.", pending=True)
    assert [row.kind for row in (await wired.queued())[before:]] == [out.POST_CARD]
    assert (await wired.event_types(1))[-1] == "card_repost_requested"


def test_a_control_naming_another_workspace_s_incident_is_refused() -> None:
    assert ref_in(origin(), INC_1) == INC_1
    with pytest.raises(UserError, match=r"another workspace's incident"):
        ref_in(origin(), IncidentRef("T0OTHER", 1))
