"""The postmortem in the playground, in Chromium: a resolved SEV2 is not closed until the postmortem
form (opened by ``/incident postmortem``, prefilled when opened again) has its root cause and
corrective actions; then it closes, and its card keeps the Postmortem button."""

from __future__ import annotations

from playwright.async_api import Page, expect

from bot.runtime.child_environment import REPO
from tests.playground.browser import card, field, send

SCREENSHOT = REPO / "test-artifacts" / "playground-postmortem.png"


async def test_the_close_gate_and_the_postmortem_form(page: Page) -> None:
    await page.locator('.channel[data-channel="C0GENERAL"]').click()
    await send(page, "/incident declare payments are failing sev2")
    incident = card(page, "INC-1")
    await expect(field(incident, "Severity")).to_contain_text("SEV2")
    await send(page, "/incident resolve INC-1 rolled back")
    await expect(field(incident, "Status")).to_contain_text("Resolved")
    await expect(incident.locator('button[data-action-id="incident.postmortem"]')).to_be_visible()

    await send(page, "/incident close INC-1")
    refusal = page.locator("#messages .message.ephemeral", has_text="closing it needs a postmortem")
    await expect(refusal).to_contain_text("still empty: root cause and corrective actions")

    await send(page, "/incident postmortem INC-1")
    modal = page.locator("#modal")
    await expect(modal.locator("h2")).to_have_text("Postmortem INC-1")
    await modal.locator('[data-block-id="postmortem.root_cause"]').fill("The payment provider's certificate expired.")
    await modal.locator('[data-block-id="postmortem.corrective_actions"]').fill("Renewal is automated.")
    await modal.locator(".modal-submit").click()
    await expect(page.locator("#modal-backdrop")).to_be_hidden()

    await send(page, "/incident postmortem INC-1")
    root_cause = modal.locator('[data-block-id="postmortem.root_cause"]')
    await expect(root_cause).to_have_value("The payment provider's certificate expired.")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT))
    await modal.locator(".modal-submit").click()  # as it was shown: nothing to save
    await expect(page.locator("#modal-backdrop")).to_be_hidden()

    await send(page, "/incident close INC-1")
    await expect(field(incident, "Status")).to_contain_text("Closed")
    await expect(incident.locator('[data-action-id^="incident."]')).to_have_count(1)
    await expect(incident.locator('button[data-action-id="incident.postmortem"]')).to_be_visible()
