"""The template stakeholder update and a draft once it was posted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.views.stakeholder import posted_draft_blocks, template_update
from domain.lifecycle import Status
from tests.bot.views.samples import incident_in
from tests.bot.views.slack_limits import check_blocks
from tests.builders import REF, T0


@pytest.mark.parametrize("status", list(Status))
def test_the_template_says_what_is_being_done_not_who_is_on_call(status: Status) -> None:
    text = template_update(incident_in(status), None, T0 + timedelta(minutes=3))
    doing = next(line for line in text.split("\n") if line.startswith("*What is being done:*"))
    assert "commander" not in doing.lower(), "staffing is not news for stakeholders"
    assert doing != "*What is being done:* "


def test_an_unstaffed_incident_still_tells_stakeholders_the_work_under_way() -> None:
    text = template_update(incident_in(Status.DECLARED), "rolled back", T0)
    assert "*What is being done:* Responders are being engaged to investigate. Latest from the team: rolled back" in (
        text
    )
    assert "not yet assigned" not in text


def test_a_posted_draft_shows_who_posted_it_and_no_button() -> None:
    blocks = posted_draft_blocks(REF, "We are on it", model=None, posted_by="<@U0BOB>", at=T0)
    check_blocks(blocks)
    assert all(block["type"] != "actions" for block in blocks)
    assert "We are on it" in str(blocks)
    assert blocks[-1]["elements"][0]["text"].startswith("✅ Posted as the stakeholder update by <@U0BOB> · <!date^")
