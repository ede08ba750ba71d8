"""The actions of an incident's console page over HTTP (SPEC §9): each one is the command Slack
produces, run by the one handler, so the card is edited and the thread gets the audit line exactly
as if it was done in Slack, saying it was done via the console; the timeline records who did it
and that it came from the console."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot.views import action_ids as ids
from domain import events as ev
from domain.incident import ConsoleSource, Incident
from domain.lifecycle import Status
from domain.severity import Severity
from tests.builders import card_field
from tests.console.action_support import act, audit_lines, console_events, edits, opened, shown
from tests.console.support import signed_in_client
from tests.e2e.card_support import (
    declare,
    ephemeral_texts,
    post_update_messages,
    published_updates,
    snapshot,
    timeline,
)
from tests.e2e.harness import ALICE, BOB, CAROL, BotUnderTest


@dataclass(frozen=True)
class Step:
    action: str
    fields: dict[str, str]
    holds: Callable[[Incident], bool]
    event: type[ev.Event]
    line: str | None  # the thread's audit line; None when the change has a message of its own
    edits_card: bool = True


STORY = (
    Step(
        "acknowledge",
        {},
        lambda i: i.acknowledged_by == CAROL and i.status is Status.INVESTIGATING,
        ev.Acknowledged,
        f"<@{CAROL}> acknowledged INC-1 via the console (status → investigating)",
    ),
    Step(
        "severity",
        # Down, not up: closing a SEV1 or SEV2 needs a postmortem first (SPEC §10).
        {"severity": "SEV4"},
        lambda i: i.severity is Severity.SEV4,
        ev.SeverityChanged,
        f"<@{CAROL}> changed severity SEV3 → SEV4 via the console",
    ),
    Step(
        "status",
        {"status": "identified"},
        lambda i: i.status is Status.IDENTIFIED,
        ev.StatusChanged,
        f"<@{CAROL}> changed status investigating → identified via the console",
    ),
    Step(
        "commander",
        {"commander": BOB},
        lambda i: i.commander == BOB,
        ev.Assigned,
        f"<@{CAROL}> assigned <@{BOB}> as commander via the console",
    ),
    Step(
        "note",
        {"text": "failover to eu-west <ok> & done"},
        lambda i: True,
        ev.NoteAdded,
        f"<@{CAROL}> added a note via the console: failover to eu-west &lt;ok&gt; &amp; done",
        edits_card=False,
    ),
    Step(
        "update",
        {"text": "Payments are failing; we are failing over."},
        lambda i: i.last_update_at is not None,
        ev.StakeholderUpdatePosted,
        None,
    ),
    Step(
        "resolve",
        {"summary": "Failed over to eu-west"},
        lambda i: i.status is Status.RESOLVED and i.resolution_summary == "Failed over to eu-west",
        ev.Resolved,
        f"<@{CAROL}> resolved INC-1 via the console: Failed over to eu-west",
    ),
    Step(
        "reopen",
        {"reason": "errors are back"},
        lambda i: i.status is Status.INVESTIGATING,
        ev.Reopened,
        f"<@{CAROL}> reopened INC-1 via the console: errors are back",
    ),
    Step(
        "resolve",
        {"summary": "Rolled back the config"},
        lambda i: i.status is Status.RESOLVED,
        ev.Resolved,
        f"<@{CAROL}> resolved INC-1 via the console: Rolled back the config",
    ),
    Step("close", {}, lambda i: i.status is Status.CLOSED, ev.Closed, f"<@{CAROL}> closed INC-1 via the console"),
)


async def test_every_action_changes_slack_as_if_done_there_and_the_timeline_says_via_console(
    bot: BotUnderTest,
) -> None:
    card = await declare(bot, "declare Checkout errors sev3")
    client = await signed_in_client(bot, CAROL)
    for step in STORY:
        before_events, before_edits = len(await timeline(bot)), edits(bot, card)

        sent = await act(client, step.action, step.fields)

        assert (sent.status, sent.location) == (303, "/incidents/INC-1"), (
            step.action,
            shown(sent.text, "action-refusal"),
        )
        incident = await bot.incident(1)
        assert step.holds(incident), (step.action, incident)
        added = (await timeline(bot))[before_events:]
        assert step.event in {type(event) for event in added}, (step.action, added)
        assert all(event.actor == CAROL and event.source == ConsoleSource() for event in added), added
        await bot.settle()
        assert (edits(bot, card) > before_edits) is step.edits_card, step.action
        if step.line is not None:
            assert audit_lines(bot, card)[-1] == step.line
    assert card_field(card, "Status") == "Closed"
    closed = (await client.get("/incidents/INC-1")).text
    assert shown(closed, "actions-closed") == (
        "INC-1 is closed: nothing more can change. Declare a new incident if the problem is back."
    )
    assert "<form" not in closed.split('id="actions"', 1)[1].split("</section>", 1)[0], "and offers no form"
    assert card_field(card, "Severity") == "SEV4 · minor"
    [published] = published_updates(bot.slack, card)
    assert "Payments are failing; we are failing over." in str(published.blocks)
    assert bot.slack.ephemerals() == [], "nothing is said to the console's user in Slack"
    assert bot.slack.direct_messages(CAROL) == []


async def test_the_page_confirms_a_change_once_and_shows_only_what_the_state_allows(bot: BotUnderTest) -> None:
    await declare(bot)
    client = await signed_in_client(bot, ALICE)
    page = (await client.get("/incidents/INC-1")).text
    assert 'id="acknowledge-form"' in page
    assert 'id="reopen-form"' not in page
    assert 'id="close-form"' not in page

    done = await act(client, "acknowledge")
    page = (await client.get(done.location or "")).text

    assert shown(page, "action-confirmation") == "INC-1 acknowledged."
    assert 'id="acknowledge-form"' not in page, "an acknowledged incident has no Acknowledge form"
    assert '<option value="investigating"' not in page, "its status is not offered as a move"
    assert shown((await client.get("/incidents/INC-1")).text, "action-confirmation") is None, "said once"


async def test_a_form_from_before_a_change_made_meanwhile_is_refused_with_what_changed(bot: BotUnderTest) -> None:
    card = await declare(bot)
    client = await signed_in_client(bot, ALICE)
    seen = await opened(client)
    assert (await bot.slash("ack INC-1", user=BOB)).status == 200
    assert (await bot.slash(f"assign INC-1 <@{BOB}>", user=BOB)).status == 200
    await bot.settle()
    history, edited = await timeline(bot), edits(bot, card)

    refused = await act(client, "severity", {"severity": "SEV1"}, version=seen)

    assert refused.status == 409
    assert shown(refused.text, "action-refusal") == (
        "INC-1 changed since you opened this page (now: SEV3, Investigating, commander Bob Baker). "
        "Nothing was changed — review and try again."
    )
    assert (await bot.incident(1)).severity is Severity.SEV3
    assert await timeline(bot) == history
    await bot.settle()
    assert edits(bot, card) == edited
    assert f'name="version" value="{len(history)}"' in refused.text, "the page shows the incident as it is now"


@pytest.mark.parametrize(
    ("action", "fields", "field", "message"),
    [
        ("severity", {"severity": "SEV9"}, "severity", "“SEV9” is not a severity"),
        ("note", {"text": "  \n "}, "text", "The note cannot be empty."),
        ("resolve", {"summary": ""}, "summary", "The summary cannot be empty."),
        ("commander", {"commander": "U0MALLORY"}, "commander", "Pick who should lead the incident"),
        ("update", {"text": "x" * 5000}, "text", "The stakeholder update is 5000 characters long"),
    ],
)
async def test_an_invalid_value_is_said_beside_its_field_and_changes_nothing(
    bot: BotUnderTest, action: str, fields: dict[str, str], field: str, message: str
) -> None:
    await declare(bot)
    client = await signed_in_client(bot, ALICE)
    history = await timeline(bot)

    refused = await act(client, action, fields)

    assert refused.status == 400
    said = shown(refused.text, f"{action}-{field}-error")
    assert said is not None
    assert said.startswith(message), said
    assert await timeline(bot) == history
    assert shown(refused.text, "action-refusal") is None


async def test_what_was_typed_is_kept_when_a_form_is_sent_back(bot: BotUnderTest) -> None:
    await declare(bot)
    client = await signed_in_client(bot, ALICE)
    seen = await opened(client)
    assert (await bot.slash("ack INC-1", user=BOB)).status == 200

    refused = await act(client, "note", {"text": "keep <this> & that"}, version=seen)

    assert refused.status == 409
    assert ">keep &lt;this&gt; &amp; that</textarea>" in refused.text


async def test_a_change_the_domain_refuses_is_said_with_its_reason_and_changes_nothing(bot: BotUnderTest) -> None:
    await declare(bot)
    client = await signed_in_client(bot, ALICE)
    history = await timeline(bot)

    refused = await act(client, "close")

    assert refused.status == 409
    assert shown(refused.text, "action-refusal") == "INC-1 is still declared; resolve it before closing it."
    assert await timeline(bot) == history


async def test_the_same_form_sent_twice_is_applied_once(bot: BotUnderTest) -> None:
    card = await declare(bot)
    client = await signed_in_client(bot, ALICE)
    seen = await opened(client)
    fields = {"version": str(seen), "text": "db failover started"}

    first = await client.post_form("/incidents/INC-1/note", fields)
    again = await client.post_form("/incidents/INC-1/note", fields)

    assert (first.status, again.status) == (303, 303)
    assert shown((await client.get("/incidents/INC-1")).text, "action-confirmation") == (
        "Already done: this form was sent twice, and it was applied once."
    )
    assert len([e for e in await console_events(bot) if isinstance(e, ev.NoteAdded)]) == 1
    await bot.settle()
    assert audit_lines(bot, card) == [f"<@{ALICE}> added a note via the console: db failover started"]


async def test_a_double_click_is_applied_once(bot: BotUnderTest) -> None:
    card = await declare(bot)
    client = await signed_in_client(bot, ALICE)
    fields = {"version": str(await opened(client))}

    clicks = await asyncio.gather(*(client.post_form("/incidents/INC-1/acknowledge", fields) for _ in range(2)))

    assert [click.status for click in clicks] == [303, 303]
    assert [type(e) for e in await console_events(bot)] == [ev.Acknowledged, ev.StatusChanged]
    await bot.settle()
    assert audit_lines(bot, card) == [f"<@{ALICE}> acknowledged INC-1 via the console (status → investigating)"]


async def test_the_latest_draft_is_published_once_whether_from_the_page_or_its_button_in_slack(
    bot: BotUnderTest,
) -> None:
    card = await declare(bot)
    assert (await bot.slash("update INC-1", user=BOB)).status == 200
    await bot.settle()
    [shown] = post_update_messages(bot.slack, card)
    draft = snapshot(shown)  # as a Slack client still shows it when the page publishes it
    [drafted] = [e for e in await timeline(bot) if isinstance(e, ev.AiDraftCreated)]
    client = await signed_in_client(bot, ALICE)
    offered = re.search(r'name="draft" value="(\d+)"', (await client.get("/incidents/INC-1")).text)
    assert offered is not None, "the page offers the latest draft"

    published = await act(client, "publish-draft", {"draft": offered.group(1)})

    assert published.status == 303
    [posted] = [e for e in await console_events(bot) if isinstance(e, ev.StakeholderUpdatePosted)]
    assert isinstance(posted, ev.StakeholderUpdatePosted)
    assert (posted.actor, posted.text) == (ALICE, drafted.text)
    assert 'id="publish-draft-form"' not in (await client.get("/incidents/INC-1")).text, "a posted draft is done"
    await bot.settle()
    assert post_update_messages(bot.slack, card) == [], "the draft's message gives its button way, as in Slack"
    assert f"✅ Posted as the stakeholder update by <@{ALICE}>" in str(shown.blocks)
    await bot.click(draft, ids.POST_UPDATE, user=CAROL)
    await bot.settle()
    assert len(published_updates(bot.slack, card)) == 1
    assert any("already posted" in text for text in ephemeral_texts(bot.slack, CAROL))


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(bot: BotUnderTest) -> None:
    await declare(bot)
    client = await signed_in_client(bot, ALICE)
    seen = await opened(client)

    missing = await client.post_without_token("/incidents/INC-1/acknowledge", {"version": str(seen)})
    forged = await client.post_form("/incidents/INC-1/acknowledge", {"version": str(seen), "csrf_token": "forged"})

    assert (missing.status, forged.status) == (403, 403)
    assert (await bot.incident(1)).acknowledged_at is None
    assert await console_events(bot) == []


async def test_unknown_incidents_actions_and_versions_are_refused_plainly(bot: BotUnderTest) -> None:
    await declare(bot)
    client = await signed_in_client(bot, ALICE)

    unknown = await client.post_form("/incidents/INC-99/acknowledge", {"version": "1"})
    no_such_action = await client.post_form("/incidents/INC-1/explode", {"version": "1"})
    no_version = await client.post_form("/incidents/INC-1/acknowledge", {"version": "one"})

    assert (unknown.status, no_such_action.status, no_version.status) == (404, 404, 400)
    assert "No incident INC-99 in this workspace." in unknown.text
    assert "There is no “explode” action on an incident." in no_such_action.text
    assert "did not say which version of INC-1" in no_version.text
    assert await console_events(bot) == []
