"""``GET /incidents/INC-n``: an incident run in Slack (signed requests to the real bot), then read in
the console over HTTP: every event of its timeline, to the second in UTC, by whom, from which
message; what people typed shown as they meant it and never as markup."""

from __future__ import annotations

import html
import re
from datetime import UTC
from urllib.parse import parse_qs, urlsplit

from bot.local_slack import Message
from bot.views import action_ids as ids
from domain.events import Event
from tests.console.support import ConsoleClient, signed_in_client
from tests.e2e.card_support import timeline
from tests.e2e.harness import ALICE, BOB, CAROL, CHANNEL, BotUnderTest

NAMES = {ALICE: "Alice Archer", BOB: "Bob Baker", CAROL: "Carol Chen"}
# As Slack sends it: a broadcast, a link with a label, and "<script>" typed (so as entities).
HOSTILE_NOTE = "rolled back <!here> see <https://status.example.com|status page> &lt;script&gt;x&lt;/script&gt;"
_ROW = re.compile(r'<tr id="event-(\d+)">(.*?)</tr>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def rows(page: str) -> dict[int, str]:
    """Each timeline row's text as a reader sees it (tags dropped, entities read)."""
    return {int(seq): " ".join(html.unescape(_TAG.sub(" ", row)).split()) for seq, row in _ROW.findall(page)}


def utc_seconds(event: Event) -> str:
    return event.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


async def run_an_incident(bot: BotUnderTest) -> Message:
    """Declared, acknowledged, noted, escalated, handed over, told to stakeholders and resolved, in
    Slack; the note's message is returned."""
    _, declared = await bot.mention("Checkout is down sev2", user=ALICE)
    await bot.settle()
    card = await bot.card(1)
    assert (await bot.click(card, ids.ACK, user=BOB)).status == 200
    _, note = await bot.mention(f"note {HOSTILE_NOTE}", user=CAROL, thread_ts=declared.ts)
    assert (await bot.click(card, ids.SEVERITY, user=ALICE, option_value="SEV1")).status == 200
    assert (await bot.click(card, ids.COMMANDER, user=ALICE, selected_user=CAROL)).status == 200
    assert (await bot.click(card, ids.STAKEHOLDER_UPDATE, user=CAROL)).status == 200
    assert (await bot.slash("update INC-1 Payments are failing; we rolled back.", user=CAROL)).status == 200
    assert (await bot.slash("resolve INC-1 the deploy was rolled back", user=BOB)).status == 200
    await bot.settle()
    return note


async def test_the_page_tells_every_event_with_its_time_to_the_second_its_actor_and_its_message(
    bot: BotUnderTest,
) -> None:
    note = await run_an_incident(bot)
    history = await timeline(bot)
    client = await signed_in_client(bot, ALICE)

    page = await client.get("/incidents/INC-1")

    assert page.status == 200, page.text[:500]
    shown = rows(page.text)
    assert sorted(shown) == list(range(1, len(history) + 1)), "every event, once, oldest first"
    for seq, event in enumerate(history, start=1):
        assert shown[seq].startswith(f"#{seq} "), "numbered as a draft's citations and the report name it"
        assert utc_seconds(event) in shown[seq]
        assert shown[seq].split(" UTC ", 1)[1].startswith(NAMES[event.actor]), shown[seq]
    lines = list(shown.values())
    assert any("Bob Baker acknowledged INC-1" in line for line in lines)
    assert any("Alice Archer changed severity SEV2 → SEV1" in line for line in lines)
    assert any("Alice Archer assigned Carol Chen as commander" in line for line in lines)
    assert any("Bob Baker resolved INC-1: the deploy was rolled back" in line for line in lines)
    [noted] = [seq for seq, line in shown.items() if "added a note" in line]
    note_row = dict(_ROW.findall(page.text))[str(noted)]
    assert f'/archives/{CHANNEL}/p{note.ts.replace(".", "")}"' in note_row, "the note links to its message"
    updates = page.text.split('id="updates"', 1)[1].split("</ol>", 1)[0]
    assert "posted by Carol Chen" in updates
    assert "Payments are failing; we rolled back." in updates, "the stakeholder update says what it said"
    drafts = page.text.split('id="drafts"', 1)[1].split("</ol>", 1)[0]
    assert "Template update, not AI-written" in drafts
    assert "<strong>Impact:</strong>" in drafts, "Slack's *bold* in bold, as Slack shows the draft"
    assert "*Impact:*" not in page.text


async def test_what_people_typed_reads_as_they_meant_it_and_is_never_markup(bot: BotUnderTest) -> None:
    await run_an_incident(bot)
    client = await signed_in_client(bot, BOB)

    page = (await client.get("/incidents/INC-1")).text

    [note] = [line for line in rows(page).values() if "added a note" in line]
    assert "rolled back @\u2060here see status page (https://status.example.com) <script>x</script>" in note
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x" not in page
    assert "<!here>" not in page
    assert "&lt;!here" not in page
    assert 'href="https://status.example.com' not in page, "a link typed in Slack is text, not a link"


async def test_a_timeline_of_one_event_says_one_event(bot: BotUnderTest) -> None:
    await bot.slash("declare Checkout is down sev2")
    client = await signed_in_client(bot, ALICE)

    page = html.unescape((await client.get("/incidents/INC-1")).text)

    assert "(1 event, oldest first, UTC)" in page


async def test_the_facts_and_clocks_are_the_cards(bot: BotUnderTest) -> None:
    await run_an_incident(bot)
    incident = await bot.incident(1)
    client = await signed_in_client(bot, ALICE)

    page = html.unescape((await client.get("/incidents/inc-1")).text)

    assert "✅ · INC-1 · Checkout is down" in page, "as the card: a resolved incident has no alarm colour"
    for fact in ("Resolved", "Carol Chen", "Alice Archer", "SEV1 · critical"):
        assert fact in page
    assert incident.declared_at.strftime("%Y-%m-%d %H:%M:%S UTC") in page
    assert incident.resolved_at is not None
    assert incident.resolved_at.strftime("%Y-%m-%d %H:%M:%S UTC") in page
    assert "Time to acknowledge" in page
    assert "Time to resolve" in page
    assert 'id="sla-clocks"' in page


async def test_an_unknown_or_malformed_ref_is_a_404_page(bot: BotUnderTest) -> None:
    await bot.mention("Checkout is down sev2", user=ALICE)
    await bot.settle()
    client = await signed_in_client(bot, ALICE)

    assert (await client.get("/incidents/1")).status == 200
    for ref, said in (
        ("INC-99", "INC-99"),
        ("99", "INC-99"),
        ("inc-99", "INC-99"),
        ("INC-0", "INC-0"),
        ("INC-99999999999", "INC-99999999999"),
        ("INC-1x", "INC-1x"),
        ("banana", "banana"),
    ):
        reply = await client.get(f"/incidents/{ref}")
        assert reply.status == 404, ref
        assert f"No incident {said} in this workspace." in reply.text, reply.text[:300]
    hostile = await client.get("/incidents/%3Cb%3E")
    assert hostile.status == 404
    assert "No incident &lt;b&gt; in this workspace." in hostile.text


async def test_anonymous_readers_are_sent_to_sign_in(bot: BotUnderTest) -> None:
    reply = await ConsoleClient(bot).get("/incidents/INC-1")

    assert reply.status == 302
    assert reply.location is not None
    target = urlsplit(reply.location)
    assert (target.path, parse_qs(target.query)["next"]) == ("/login", ["/incidents/INC-1"])
