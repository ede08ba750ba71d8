"""Only what a responder made public reaches the status page (SPEC §14): after an incident full of
notes, names, drafts, Slack links and ids, no public rendering (the page, its JSON, its Atom feed,
its live updates) holds any of them; an incident never made public, or taken off, is not there."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import aiohttp

from tests.e2e.harness import BotUnderTest

TITLE = "checkout down for <@U0BOB> see <https://acme.slack.com/archives/C0INCIDENT/p1700000000|thread>"
UPDATE = (
    "Checkout is failing for some users; <@U0BOB> and <!subteam^S0PAY|@payments> in <#C0INCIDENT|incidents> are on it. "
    "Details: <https://acme.slack.com/archives/C0INCIDENT/p1|here>, <http://console.test/incidents/INC-1|console>, "
    "<https://docs.example.com/outage|our docs>."
)
NEVER = (
    "U0BOB",
    "U0CAROL",
    "U0ALICE",
    "S0PAY",
    "C0INCIDENT",
    "slack.com",
    "console.test",
    "/incidents/",
    "NOTE-SECRET",
    "SUMMARY-SECRET",
    "PRIVATE-INCIDENT",
    "PRIVATE-UPDATE",
    "WITHDRAWN",
    "alice",
    "carol",
    "archer",
    "@payments",
    "#incidents",
    "AI-written",
    "Draft",
)


async def _renderings(bot: BotUnderTest) -> dict[str, str]:
    rendered = {path: (await bot.get(path)).text for path in ("/status", "/status.json", "/status/feed.atom")}
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/status/events") as stream:
        frame = b""
        while b"\n\n" not in frame.partition(b"event: status")[2]:
            frame += await stream.content.readany()
    rendered["/status/events"] = frame.decode()
    return rendered


async def test_the_public_sees_published_updates_only_without_names_ids_or_internal_links(bot: BotUnderTest) -> None:
    await bot.slash(f"declare {TITLE} sev1")
    await bot.slash("assign INC-1 <@U0CAROL|carol>")
    await bot.slash("note INC-1 NOTE-SECRET the db password was rotated by <@U0CAROL>")
    await bot.slash("update INC-1")  # a draft, never published
    await bot.slash("public INC-1 on")
    await bot.slash(f"update INC-1 {UPDATE}")
    await bot.slash("update INC-1 Payments are recovering.")
    await bot.slash("declare PRIVATE-INCIDENT billing sev2")
    await bot.slash("update INC-2 PRIVATE-UPDATE we know why")
    await bot.slash("declare WITHDRAWN search sev3")
    await bot.slash("public INC-3 on WITHDRAWN search is slow")
    await bot.slash("public INC-3 off")
    await bot.settle(within=10)
    stored = await bot.stored(1)
    thread = bot.slack.state.messages(stored.incident.channel_id, stored.home_ts)
    assert any("Draft stakeholder update" in json.dumps(m.blocks or m.text) for m in thread), "a draft was made"

    rendered = await _renderings(bot)
    for path, text in rendered.items():
        for secret in NEVER:
            assert secret.lower() not in text.lower(), f"{secret!r} leaked into {path}"
        assert "INC-1" in text, path
    for path in ("/status", "/status.json", "/status/feed.atom"):  # a live update carries headlines only
        assert "Payments are recovering." in rendered[path], path

    document = json.loads(rendered["/status.json"])
    assert document["status"] == "major_outage"
    (shown,) = document["incidents"]
    assert shown["title"] == "checkout down for a responder see thread"
    assert [update["text"] for update in shown["updates"]] == [
        "Payments are recovering.",
        "Checkout is failing for some users; a responder and a team in a channel are on it. "
        "Details: here, console, our docs (https://docs.example.com/outage).",
    ]
    assert document["history"] == []
    assert set(shown) == {
        "id",
        "title",
        "severity",
        "status",
        "declared_at",
        "resolved_at",
        "updates",
        "postmortem_summary",
    }
    ET.fromstring(rendered["/status/feed.atom"])  # well-formed XML

    await bot.slash("resolve INC-1 SUMMARY-SECRET a bad deploy by carol")
    await bot.settle(within=10)
    rendered = await _renderings(bot)
    for path, text in rendered.items():
        for secret in NEVER:
            assert secret.lower() not in text.lower(), f"{secret!r} leaked into {path} after the resolve"
    after = json.loads(rendered["/status.json"])
    assert after["status"] == "operational"
    assert after["incidents"] == []
    assert [entry["id"] for entry in after["history"]] == ["INC-1"]
    assert after["history"][0]["status"] == "resolved"


async def test_public_on_and_off_are_timeline_decisions_with_clear_answers(bot: BotUnderTest) -> None:
    await bot.slash("declare search is slow sev3")
    on = await bot.slash("public INC-1 on Search is slow")
    assert "put INC-1 on the public status page" in on.text
    again = await bot.slash("public INC-1 on Search is slow")
    assert "already on the status page" in again.text
    wrong = await bot.slash("public INC-1 maybe")
    assert "`public` takes `on`" in wrong.text
    off = await bot.slash("public INC-1 off")
    assert "took INC-1 off the public status page" in off.text
    incident = await bot.incident(1)
    assert not incident.public
    assert incident.public_title is None
    timeline = await bot.slash("timeline INC-1")
    assert "put INC-1 on the public status page" in timeline.text
    assert "took INC-1 off the public status page" in timeline.text
    assert json.loads((await bot.get("/status.json")).text)["status"] == "operational"
