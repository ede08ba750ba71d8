"""The card's service and owner, the runbook message and the declare modal's catalog (SPEC §13)."""

from __future__ import annotations

import json
from typing import Any

from bot.views import action_ids as ids
from bot.views.card import incident_card
from bot.views.modals import declare_modal, parse_declare_submission
from bot.views.runbook import runbook_message
from bot.views.service_fact import pages_owner, slack_service_fact
from domain import commands as cmd
from domain.services import RunbookStep, Service, ServiceCatalog
from domain.severity import Severity
from tests.bot.views.samples import HOSTILE_TEXT, RAW_PINGS
from tests.bot.views.slack_limits import check_blocks, elements
from tests.builders import T0, at, declared

CHECKOUT = Service(
    key="checkout",
    name="Checkout",
    owner="S0PAYMENTS",
    runbook=tuple(RunbookStep(f"Step {n} {HOSTILE_TEXT[:200]}", "https://example.com/d") for n in range(1, 21)),
)
CATALOG = ServiceCatalog({"checkout": CHECKOUT, "search": Service(key="search", name="Search", owner="U0SEARCH")})


def field(blocks: list[dict[str, Any]], label: str) -> str:
    texts: list[str] = [f["text"] for f in blocks[1]["fields"]]
    return next(text.split("\n", 1)[1] for text in texts if text.startswith(f"*{label}*"))


def test_the_owner_is_mentioned_only_when_the_card_pages_them() -> None:
    incident = declared(severity=Severity.SEV1, service="checkout").incident
    assert pages_owner(incident, CHECKOUT)
    paging = incident_card(incident, T0, service=slack_service_fact(CHECKOUT, "@payments-oncall", notify=True))
    assert field(paging, "Service") == "Checkout · owner <!subteam^S0PAYMENTS>"
    quiet = incident_card(incident, T0, service=slack_service_fact(CHECKOUT, "@payments-oncall", notify=False))
    assert field(quiet, "Service") == "Checkout · owner @payments-oncall"
    assert "<!subteam" not in json.dumps(quiet)
    assert not pages_owner(declared(severity=Severity.SEV3, service="checkout").incident, CHECKOUT)
    assert not pages_owner(incident, Service(key="x", name="X"))


def test_a_handle_from_slack_is_shown_as_words() -> None:
    shown = slack_service_fact(CHECKOUT, "@<!channel>", notify=False).owner
    assert shown is not None
    assert "<!channel>" not in shown


def test_free_text_services_never_ping() -> None:
    incident = declared(severity=Severity.SEV1, service=" ".join(RAW_PINGS[:4])).incident
    blocks = incident_card(incident, T0)
    for ping in ("<!subteam^", "<!here>", "<!channel>", "<@U"):
        assert ping not in field(blocks, "Service")


def test_the_runbook_button_is_on_the_card_while_the_incident_is_not_closed() -> None:
    story = declared(service="checkout")
    fact = slack_service_fact(CHECKOUT, None, notify=False)
    assert ids.RUNBOOK in {e["action_id"] for e in elements(incident_card(story.incident, T0, service=fact))}
    story.do(cmd.Resolve(actor="U1"), at(1))
    story.do(cmd.Close(actor="U1"), at(2))
    assert ids.RUNBOOK not in {e["action_id"] for e in elements(incident_card(story.incident, T0, service=fact))}


def test_a_twenty_step_runbook_fits_one_message_and_shows_what_is_done() -> None:
    story = declared(service="checkout")
    story.do(cmd.CompleteRunbookStep(actor="U0BOB", step=3, text="Step 3"), at(minutes=4))
    text, blocks = runbook_message(story.incident, CHECKOUT)
    check_blocks(blocks)
    assert text == "Runbook for Checkout (INC-42): 1 of 20 done"
    buttons = [block["accessory"] for block in blocks if "accessory" in block]
    assert [b["value"].rsplit(":", 1)[1] for b in buttons] == [str(n) for n in range(1, 21) if n != 3]
    assert "✅ done by <@U0BOB> at <!date^" in blocks[3]["text"]["text"]
    for ping in ("<!here>", "<!channel>", "<!subteam^"):
        assert ping not in json.dumps(blocks)


def test_the_declare_modal_offers_the_catalog_and_a_catalog_choice_wins() -> None:
    plain = declare_modal("C1")
    assert ids.DECLARE_CATALOG_BLOCK not in json.dumps(plain)
    modal = declare_modal("C1", CATALOG)
    (select,) = [b for b in modal["blocks"] if b["block_id"] == ids.DECLARE_CATALOG_BLOCK]
    assert [o["value"] for o in select["element"]["options"]] == ["checkout", "search"]
    values: dict[str, Any] = {
        ids.DECLARE_TITLE_BLOCK: {ids.INPUT: {"value": "Payments failing"}},
        ids.DECLARE_SEVERITY_BLOCK: {ids.INPUT: {"selected_option": {"value": "SEV2"}}},
        ids.DECLARE_SERVICE_BLOCK: {ids.INPUT: {"value": "payments-api"}},
    }
    form, errors = parse_declare_submission(values)
    assert form is not None, errors
    assert form.service == "payments-api"
    values[ids.DECLARE_CATALOG_BLOCK] = {ids.INPUT: {"selected_option": {"value": "checkout"}}}
    form, errors = parse_declare_submission(values)
    assert form is not None, errors
    assert form.service == "checkout"
