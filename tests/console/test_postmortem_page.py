"""The postmortem page of the console over HTTP (SPEC §10): a save is the EditPostmortem Slack's form
sends, through the one handler (one timeline event with the changed fields, one audit line saying
"via the console"); a stale form, a missing CSRF token and an open incident are refused with nothing
changed; the close gate holds for the console's Close too. One Chromium screenshot."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from bot.runtime.child_environment import REPO
from domain import events as ev
from domain.incident import ConsoleSource
from domain.lifecycle import Status
from domain.postmortem import Postmortem, PostmortemField
from tests.console.action_support import act, audit_lines, shown
from tests.console.support import ConsoleClient, Reply, scrolls_sideways, sign_in_browser, signed_in_client
from tests.e2e.card_support import declare, of_type, timeline
from tests.e2e.harness import CAROL, BotUnderTest

PAGE = "/incidents/INC-1/postmortem"
_VERSION = re.compile(r'name="version" value="(\d+)"')
SCREENSHOTS = REPO / "test-artifacts"


async def resolved(bot: BotUnderTest, severity: str = "sev2") -> None:
    await declare(bot, f"declare Checkout errors {severity}")
    assert (await bot.slash("resolve INC-1 rolled back")).status == 200
    await bot.settle()


async def version_shown(client: ConsoleClient) -> int:
    page = await client.get(PAGE)
    assert page.status == 200, page.text[:500]
    found = _VERSION.search(page.text)
    assert found is not None, "the page has no postmortem form"
    return int(found.group(1))


async def send(client: ConsoleClient, version: int, **fields: str) -> Reply:
    """The page's form as a browser sends it: every field, those not given left empty."""
    typed = {field.value: fields.get(field.value, "") for field in PostmortemField}
    return await client.post_form(PAGE, {"version": str(version), **typed})


async def postmortem_events(bot: BotUnderTest) -> list[ev.PostmortemEdited]:
    return [e for e in of_type(await timeline(bot), ev.PostmortemEdited) if isinstance(e, ev.PostmortemEdited)]


async def test_a_save_is_one_event_of_the_changed_fields_and_one_audit_line(bot: BotUnderTest) -> None:
    await resolved(bot)
    client = await signed_in_client(bot, CAROL)
    version = await version_shown(client)

    reply = await send(client, version, root_cause="Expired TLS certificate\r\non the payments proxy", prevention="")
    assert reply.status == 303, reply.text[:500]
    assert reply.location == PAGE

    assert (await bot.incident(1)).postmortem == Postmortem(root_cause="Expired TLS certificate\non the payments proxy")
    [saved] = await postmortem_events(bot)
    assert [change.field for change in saved.changes] == [PostmortemField.ROOT_CAUSE]
    assert (saved.actor, saved.source) == (CAROL, ConsoleSource())
    await bot.settle()
    assert f"<@{CAROL}> updated the postmortem of INC-1 via the console: root cause" in audit_lines(
        bot, await bot.card(1)
    )

    page = (await client.get(PAGE)).text
    assert shown(page, "postmortem-confirmation") == "The postmortem of INC-1 is saved."
    assert ">Expired TLS certificate\non the payments proxy</textarea>" in page
    assert shown((await client.get(PAGE)).text, "postmortem-confirmation") is None, "said once"
    detail = (await client.get("/incidents/INC-1")).text
    assert "<dt>Root cause</dt><dd>Expired TLS certificate\non the payments proxy</dd>" in detail
    assert 'href="/incidents/INC-1/postmortem" id="postmortem-link">Edit the postmortem<' in detail


async def test_a_stale_form_is_refused_and_sent_back_as_typed(bot: BotUnderTest) -> None:
    await resolved(bot)
    client = await signed_in_client(bot, CAROL)
    stale = await version_shown(client)
    assert (await bot.slash("note INC-1 certificate renewed by hand")).status == 200

    reply = await send(client, stale, summary="Payments <failed> for 20 min")
    assert reply.status == 409
    assert shown(reply.text, "postmortem-refusal") == (
        "INC-1 changed since you last saw it. Nothing was changed: review and try again."
    )
    assert ">Payments &lt;failed&gt; for 20 min</textarea>" in reply.text, "what was typed is kept"
    assert await postmortem_events(bot) == []


async def test_a_form_without_its_csrf_token_changes_nothing(bot: BotUnderTest) -> None:
    await resolved(bot)
    client = await signed_in_client(bot, CAROL)
    version = await version_shown(client)
    reply = await client.post_without_token(PAGE, {"version": str(version), "root_cause": "forged"})
    assert reply.status == 403
    assert await postmortem_events(bot) == []


async def test_bad_requests_get_a_clear_answer(bot: BotUnderTest) -> None:
    await declare(bot, "declare Checkout errors sev2")
    client = await signed_in_client(bot, CAROL)
    open_page = await client.get(PAGE)
    assert open_page.status == 200
    assert shown(open_page.text, "postmortem-not-yet") == (
        "INC-1 is still declared: its postmortem is written once it is resolved. "
        "Resolve it first, then write the postmortem."
    )
    assert 'id="postmortem-form"' not in open_page.text
    refused = await send(client, (await bot.incident(1)).version, root_cause="too early")
    assert refused.status == 409
    assert "its postmortem is written once it is resolved" in (shown(refused.text, "postmortem-refusal") or "")

    missing = await client.get("/incidents/INC-99/postmortem")
    assert missing.status == 404
    assert "No incident INC-99 in this workspace." in missing.text
    unsaid = await client.post_form(PAGE, {"root_cause": "x"})
    assert unsaid.status == 400

    await bot.slash("resolve INC-1")
    too_long = await send(client, await version_shown(client), root_cause="x" * 3001, summary="kept")
    assert too_long.status == 400
    assert shown(too_long.text, "root_cause-error") == "The root cause is 3001 characters long; the limit is 3000."
    assert ">kept</textarea>" in too_long.text
    assert await postmortem_events(bot) == []


async def test_the_consoles_close_waits_for_the_postmortem_too(bot: BotUnderTest) -> None:
    await resolved(bot)
    client = await signed_in_client(bot, CAROL)
    refused = await act(client, "close")
    assert refused.status == 409
    assert shown(refused.text, "action-refusal") == (
        "INC-1 is SEV2, so closing it needs a postmortem with root cause and corrective actions; still empty: "
        "root cause and corrective actions. Write them on the postmortem page, then close it."
    )
    assert 'id="postmortem-link">Write the postmortem</a>' in refused.text, "the page it names is a click away"
    saved = await send(client, await version_shown(client), root_cause="Expiry", corrective_actions="Alerting")
    assert saved.status == 303
    assert (await act(client, "close")).status == 303
    assert (await bot.incident(1)).status is Status.CLOSED
    # Closed, the postmortem stays open to edits.
    assert (
        await send(
            client,
            await version_shown(client),
            root_cause="Expiry",
            corrective_actions="Alerting",
            prevention="Renewal bot",
        )
    ).status == 303


async def test_the_page_in_chromium(bot: BotUnderTest, page: Page) -> None:
    await resolved(bot)
    await sign_in_browser(page, bot, CAROL, next_path=PAGE)
    await expect(page.locator("#close-requirement")).to_have_text(
        "As a SEV2 incident, it can be closed only once its postmortem has root cause and corrective actions."
    )
    await page.locator("#summary").fill("Checkout failed for 20 minutes after a certificate expired.")
    await page.locator("#root_cause").fill("The payments proxy's TLS certificate expired:\nrenewal was manual.")
    await page.locator("#corrective_actions").fill("Renewed the certificate; automated renewal.")
    await page.locator("#postmortem-form button[type=submit]").click()
    await expect(page.locator("#postmortem-confirmation")).to_have_text("The postmortem of INC-1 is saved.")
    await expect(page.locator("#close-requirement")).to_have_count(0)
    await page.set_viewport_size({"width": 375, "height": 800})
    assert not await scrolls_sideways(page), "the form fits a phone"
    await page.set_viewport_size({"width": 1280, "height": 900})
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "console-postmortem.png"), full_page=True)

    await page.locator("#incident-link").click()
    await expect(page.locator("#postmortem-written")).to_contain_text("renewal was manual.")
    assert (await bot.incident(1)).postmortem.corrective_actions == "Renewed the certificate; automated renewal."
