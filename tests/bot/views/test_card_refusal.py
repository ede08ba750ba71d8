"""What people read about a card Slack refused: the notice to whoever asked for it, ``repost`` of a
card already there, ``show``, and the timeline."""

from __future__ import annotations

import json

import pytest

from bot.views.audit import audit_text, describe_event
from bot.views.card_refusal import card_refused_text, card_shown_text
from bot.views.listings import incident_summary
from domain import commands as cmd
from domain import events as ev
from tests.bot.views.samples import HOSTILE_TEXT, RAW_PINGS
from tests.bot.views.slack_limits import check_blocks
from tests.builders import REPORTER, T0, declared

SYSTEM = cmd.SYSTEM_ACTOR
REPOST = "then run `/incident repost INC-42`."


@pytest.mark.parametrize(
    ("error", "why", "fix"),
    [
        (
            "not_in_channel",
            " (I'm not a member of that channel).",
            f"Invite me with `/invite @firebreak` in <#C0INCIDENTS>, {REPOST}",
        ),
        (
            "channel_not_found",
            " (it is a private channel I'm not in, or it no longer exists).",
            f"Invite me with `/invite @firebreak` in <#C0INCIDENTS>, {REPOST}",
        ),
        (
            "is_archived",
            " (the channel is archived).",
            f"Unarchive <#C0INCIDENTS> and invite me with `/invite @firebreak`, {REPOST}",
        ),
        (
            "restricted_action_read_only_channel",
            " (only some members may post in that channel).",
            f"Ask a workspace admin to let me post in <#C0INCIDENTS>, {REPOST}",
        ),
        ("invalid_blocks", ".", "Once that is sorted out, run `/incident repost INC-42`."),
    ],
)
def test_the_notice_says_which_incident_where_what_slack_said_and_the_fix(error: str, why: str, fix: str) -> None:
    incident = declared(title="Checkout is failing").incident

    lines = card_refused_text(incident, error).splitlines()

    assert lines == [
        f"⚠️ I couldn't post the card of *INC-42* · Checkout is failing in <#C0INCIDENTS>: Slack said `{error}`{why}",
        fix,
        "INC-42 is recorded all the same: `/incident` commands on it work from any channel,"
        " and the next one tries the card again.",
    ]


def test_the_notice_echoes_nothing_live() -> None:
    incident = declared(title=HOSTILE_TEXT[:120]).incident
    text = card_refused_text(incident, "<!channel> `x`")
    assert not any(ping in text for ping in RAW_PINGS), text


def test_repost_of_a_shown_card_says_where_and_when_it_was_posted() -> None:
    incident = declared().incident
    assert card_shown_text(incident, "1740830400.000100") == (
        "INC-42's card is already in <#C0INCIDENTS> (posted <!date^1740830400^{date_short_pretty} {time}"
        "|2025-03-01 12:00 UTC>), so there is nothing to post again."
    )


def test_show_says_the_card_is_missing_and_how_to_get_it_posted() -> None:
    story = declared()
    assert "No card" not in json.dumps(incident_summary(story.incident, T0))

    story.do(cmd.RecordCardRefusal(actor=SYSTEM, error="not_in_channel"), T0)

    blocks = incident_summary(story.incident, T0)
    check_blocks(blocks)
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "⚠️ No card in <#C0INCIDENTS>: Slack refused it (`not_in_channel`)." in shown
    assert "`/incident repost INC-42`" in shown


def test_the_timeline_tells_refusals_and_reposts() -> None:
    story = declared()
    [refused] = story.do(cmd.RecordCardRefusal(actor=SYSTEM, error="not_in_channel"), T0)
    [asked] = story.do(cmd.RepostCard(actor=REPORTER), T0)

    assert describe_event(refused, story.incident) == (
        "Firebreak could not post the card in <#C0INCIDENTS>: Slack said not_in_channel"
    )
    assert describe_event(asked, story.incident) == "<@U0REPORTER> asked for INC-42's card to be posted again"


def test_the_thread_gets_no_line_for_them_the_card_speaks_for_itself() -> None:
    story = declared()
    story.do(cmd.RecordCardRefusal(actor=SYSTEM, error="not_in_channel"), T0)
    events = story.do(cmd.AddNote(actor=REPORTER, text="db failover done"), T0)

    assert [type(event) for event in events] == [ev.CardRepostRequested, ev.NoteAdded]
    assert audit_text(events, story.incident) == "<@U0REPORTER> added a note: db failover done"
