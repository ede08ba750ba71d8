"""Drafting the postmortem from the console (SPEC §10): the postmortem page's button queues the same
draft ``/incident postmortem draft`` does; once written (here by the template: no AI key), it fills
the page's empty fields for review, and nothing is saved until the form is."""

from __future__ import annotations

import html
import re

from domain import events as ev
from tests.console.support import ConsoleClient, signed_in_client
from tests.e2e.card_support import timeline
from tests.e2e.harness import ALICE, BotUnderTest

_TEXTAREA = re.compile(r'<textarea name="(\w+)"[^>]*>(.*?)</textarea>', re.DOTALL)


def fields(page: str) -> dict[str, str]:
    return {name: html.unescape(text) for name, text in _TEXTAREA.findall(page)}


async def test_the_draft_fills_the_empty_fields_for_review(bot: BotUnderTest) -> None:
    await bot.slash("declare Checkout is down sev2", user=ALICE)
    await bot.slash("resolve INC-1 rolled back the deploy", user=ALICE)
    await bot.settle()
    client = await signed_in_client(bot, ALICE)
    before = await client.get("/incidents/INC-1/postmortem")
    assert 'action="/incidents/INC-1/postmortem/draft"' in before.text
    assert set(fields(before.text).values()) == {""}

    asked = await client.post_form("/incidents/INC-1/postmortem/draft")
    await bot.settle()

    assert (asked.status, asked.location) == (303, "/incidents/INC-1/postmortem")
    after = await client.get("/incidents/INC-1/postmortem")
    assert "Drafting the postmortem of INC-1 from its timeline" in after.text
    shown = fields(after.text)
    assert shown["summary"].startswith("Checkout is down (SEV2) was declared at ")
    assert re.fullmatch(r"Resolved with: rolled back the deploy \[#\d+\]", shown["corrective_actions"])
    assert shown["root_cause"] == ""
    assert (await bot.incident(1)).postmortem.is_empty, "nothing is saved until the form is"


async def test_the_draft_reads_as_typed_in_slack_not_as_slack_escaped_it(bot: BotUnderTest) -> None:
    """Slack sends ``& < >`` as entities; the form shows the characters, as a saved field would."""
    await bot.slash("declare Checkout &amp; payments are down sev2", user=ALICE)
    await bot.slash("resolve INC-1 rolled back &lt;deploy 12&gt;", user=ALICE)
    await bot.settle()
    client = await signed_in_client(bot, ALICE)

    await client.post_form("/incidents/INC-1/postmortem/draft")
    await bot.settle()

    shown = fields((await client.get("/incidents/INC-1/postmortem")).text)
    assert shown["summary"].startswith("Checkout & payments are down (SEV2) was declared at ")
    assert re.fullmatch(r"Resolved with: rolled back <deploy 12> \[#\d+\]", shown["corrective_actions"])


async def test_no_draft_for_an_open_incident_nor_for_anyone_signed_out(bot: BotUnderTest) -> None:
    await bot.slash("declare Checkout is down sev2", user=ALICE)
    await bot.settle()
    client = await signed_in_client(bot, ALICE)

    still_open = await client.post_form("/incidents/INC-1/postmortem/draft")
    anonymous = await ConsoleClient(bot).post_without_token("/incidents/INC-1/postmortem/draft")
    await bot.settle()

    assert still_open.status == 409
    assert "its postmortem is written once it is resolved" in html.unescape(still_open.text)
    assert anonymous.status == 403
    assert not [event for event in await timeline(bot) if isinstance(event, ev.PostmortemDrafted)]
