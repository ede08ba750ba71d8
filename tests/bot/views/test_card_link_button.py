"""The card's "Open in console" link (SPEC §9): on every card when the console has a URL, never
without one; it only opens the page, so a click on it is no command."""

from __future__ import annotations

import pytest

from bot.views import action_ids as ids
from bot.views.card import incident_card
from domain.lifecycle import Status
from tests.bot.views.samples import incident_in
from tests.bot.views.slack_limits import check_blocks, elements
from tests.builders import T0

CONSOLE = "https://firebreak.example.com"


@pytest.mark.parametrize("status", list(Status))
def test_every_card_links_to_its_page_in_the_console(status: Status) -> None:
    blocks = incident_card(incident_in(status), T0, CONSOLE)

    [link] = [element for element in elements(blocks) if element["action_id"] == ids.OPEN_IN_CONSOLE]
    assert link["type"] == "button"
    assert link["text"]["text"] == "Open in console"
    assert link["url"] == f"{CONSOLE}/incidents/INC-42"
    assert "value" not in link
    assert not ids.OPEN_IN_CONSOLE.startswith("incident."), "its clicks are not card commands"
    check_blocks(blocks)


@pytest.mark.parametrize("status", list(Status))
def test_without_a_console_url_the_card_is_as_it_was(status: Status) -> None:
    incident = incident_in(status)

    blocks = incident_card(incident, T0)

    assert all("url" not in element for element in elements(blocks))
    with_link = incident_card(incident, T0, CONSOLE)
    assert [block for block in with_link if block["type"] != "actions"] == [
        block for block in blocks if block["type"] != "actions"
    ]
