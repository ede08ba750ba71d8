from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.views import action_ids as ids
from bot.views.card import card_fallback_text, incident_card
from bot.views.escaping import WORD_JOINER, slack_len
from domain import commands as cmd
from domain.incident import Incident
from domain.lifecycle import Status, allowed_next
from domain.severity import Severity
from tests.bot.views.samples import COMMANDER, HOSTILE_SHOWN, HOSTILE_TEXT, LONG_TITLE, RAW_PINGS, incident_in, story_in
from tests.bot.views.slack_limits import check_blocks, elements, mrkdwn_texts, plain_texts
from tests.builders import REF, T0, declared

LATER = T0 + timedelta(minutes=5)


def controls(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {element["action_id"]: element for element in elements(blocks)}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("severity", list(Severity))
@pytest.mark.parametrize("title", ["Checkout is failing", LONG_TITLE, HOSTILE_TEXT])
def test_card_stays_within_slack_limits(status: Status, severity: Severity, title: str) -> None:
    story = story_in(
        status, title=title, severity=severity, description=(HOSTILE_TEXT * 30)[:2000], service=HOSTILE_TEXT[:80]
    )
    blocks = incident_card(story.incident, LATER)
    check_blocks(blocks)
    assert len(blocks) <= 50
    assert slack_len(blocks[0]["text"]["text"]) <= 150


def test_header_names_severity_and_incident() -> None:
    blocks = incident_card(incident_in(Status.INVESTIGATING, severity=Severity.SEV1), LATER)
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "🔴 SEV1 · INC-42 · Checkout is failing", "emoji": True},
    }


@pytest.mark.parametrize(
    ("severity", "marker"), [(Severity.SEV1, "🔴"), (Severity.SEV2, "🟠"), (Severity.SEV3, "🟡"), (Severity.SEV4, "🔵")]
)
def test_severity_markers(severity: Severity, marker: str) -> None:
    header = incident_card(incident_in(Status.DECLARED, severity=severity), T0)[0]["text"]["text"]
    assert header.startswith(f"{marker} {severity.name} · INC-42 · ")


def test_long_title_is_shortened_in_header_only_with_ellipsis() -> None:
    header = incident_card(incident_in(Status.DECLARED, title=LONG_TITLE), T0)[0]["text"]["text"]
    assert slack_len(header) <= 150
    assert header.endswith("…")


def test_fields_show_the_facts() -> None:
    story = declared(severity=Severity.SEV2, service="checkout-api")
    story.do(cmd.Assign(actor="U0REPORTER", commander=COMMANDER), T0)
    fields = [field["text"] for field in incident_card(story.incident, T0 + timedelta(minutes=11))[1]["fields"]]
    assert fields == [
        "*Severity*\nSEV2 · major",
        "*Status*\nDeclared",
        f"*Commander*\n<@{COMMANDER}>",
        "*Reporter*\n<@U0REPORTER>",
        f"*Declared*\n<!date^{int(T0.timestamp())}^{{date_short_pretty}} {{time}}|2026-11-23 03:00 UTC>",
        f"*SLA*\nack by {_time(T0 + timedelta(minutes=15))}",
        "*Service*\ncheckout-api",
    ]


def _time(when: datetime) -> str:
    return f"<!date^{int(when.timestamp())}^{{time}}|{when:%H:%M} UTC>"


def _sla(incident: Incident, now: datetime) -> str:
    fields: list[str] = [field["text"] for field in incident_card(incident, now)[1]["fields"]]
    return next(text for text in fields if text.startswith("*SLA*"))


def test_unassigned_commander_and_overdue_sla() -> None:
    fields = [f["text"] for f in incident_card(incident_in(Status.DECLARED), T0 + timedelta(minutes=21))[1]["fields"]]
    assert "*Commander*\n_unassigned_" in fields
    ack, update = _time(T0 + timedelta(minutes=15)), _time(T0 + timedelta(hours=1))
    assert f"*SLA*\nack overdue since {ack} · update by {update}" in fields


def test_sla_field_names_the_same_absolute_deadline_whenever_it_is_rendered() -> None:
    """A relative "due in N min" goes stale between edits; an absolute deadline does not."""
    incident = declared(severity=Severity.SEV1).incident
    ack = _time(T0 + timedelta(minutes=5))
    assert _sla(incident, T0) == _sla(incident, T0 + timedelta(minutes=4)) == f"*SLA*\nack by {ack}"


def test_a_snooze_shows_beside_the_deadline_which_does_not_move() -> None:
    story = declared(severity=Severity.SEV1)
    story.do(cmd.Snooze(actor=COMMANDER, duration=timedelta(minutes=30)), T0 + timedelta(minutes=1))
    ack, until = _time(T0 + timedelta(minutes=5)), _time(T0 + timedelta(minutes=31))
    assert _sla(story.incident, T0 + timedelta(minutes=2)) == f"*SLA*\nack by {ack} · reminder snoozed until {until}"
    overdue = _sla(story.incident, T0 + timedelta(minutes=6))
    assert overdue == f"*SLA*\nack overdue since {ack} · update by {_time(T0 + timedelta(minutes=30))}" + (
        f" · reminder snoozed until {until}"
    )
    assert "snoozed" not in _sla(story.incident, T0 + timedelta(minutes=31)), "an ended snooze is not shown"


def test_a_far_deadline_is_shown_with_its_date() -> None:
    story = declared(severity=Severity.SEV4)
    story.do(cmd.Acknowledge(actor=COMMANDER), T0)
    resolve = T0 + timedelta(days=7)
    shown = f"<!date^{int(resolve.timestamp())}^{{date_short_pretty}} {{time}}|2026-11-30 03:00 UTC>"
    assert _sla(story.incident, T0 + timedelta(minutes=1)).startswith(f"*SLA*\nresolve by {shown}\n")


def test_who_acknowledged_and_how_long_acknowledging_and_resolving_took() -> None:
    story = declared(severity=Severity.SEV1)
    story.do(cmd.Acknowledge(actor=COMMANDER), T0 + timedelta(minutes=6))
    acked = _sla(story.incident, T0 + timedelta(minutes=7))
    assert acked.endswith(f"\nacknowledged by <@{COMMANDER}> after 6 min")
    story.do(cmd.Resolve(actor=COMMANDER), T0 + timedelta(hours=1))
    story.do(cmd.Reopen(actor=COMMANDER), T0 + timedelta(hours=3))
    story.do(cmd.Resolve(actor=COMMANDER), T0 + timedelta(hours=4, minutes=14))
    assert _sla(story.incident, T0 + timedelta(hours=5)) == (
        f"*SLA*\nacknowledged by <@{COMMANDER}> after 6 min\nresolved after 2 h 14 min"
    ), "the two hours spent resolved before the reopen do not count"


@pytest.mark.parametrize(("status", "marker"), [(Status.RESOLVED, "✅"), (Status.CLOSED, "⚫")])
def test_a_finished_card_drops_the_severity_colour_but_keeps_the_severity(status: Status, marker: str) -> None:
    blocks = incident_card(incident_in(status, severity=Severity.SEV1), T0 + timedelta(hours=1))
    assert blocks[0]["text"]["text"] == f"{marker} · INC-42 · Checkout is failing"
    assert "*Severity*\nSEV1 · critical" in [f["text"] for f in blocks[1]["fields"]]


def test_open_incident_controls() -> None:
    incident = incident_in(Status.DECLARED, severity=Severity.SEV3)
    blocks = incident_card(incident, T0)
    found = controls(blocks)
    assert list(found) == [ids.ACK, ids.SEVERITY, ids.STATUS, ids.COMMANDER, ids.STAKEHOLDER_UPDATE, ids.RESOLVE]
    assert found[ids.ACK]["style"] == "primary"
    assert found[ids.ACK]["text"]["text"] == "Acknowledge"
    assert found[ids.RESOLVE]["style"] == "danger"
    assert found[ids.COMMANDER]["type"] == "users_select"
    assert "initial_user" not in found[ids.COMMANDER]
    actions = blocks[-1]
    assert actions["type"] == "actions"
    assert ids.decode_actions_block_id(actions["block_id"]) == (REF, incident.version)


@pytest.mark.parametrize("status", [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING])
def test_acknowledge_disappears_once_acknowledged(status: Status) -> None:
    found = controls(incident_card(incident_in(status), T0))
    assert ids.ACK not in found
    assert {ids.SEVERITY, ids.STATUS, ids.COMMANDER, ids.STAKEHOLDER_UPDATE, ids.RESOLVE} <= set(found)
    assert found[ids.COMMANDER]["initial_user"] == COMMANDER


@pytest.mark.parametrize("severity", list(Severity))
def test_severity_select_shows_current_severity(severity: Severity) -> None:
    select = controls(incident_card(incident_in(Status.INVESTIGATING, severity=severity), T0))[ids.SEVERITY]
    assert select["type"] == "static_select"
    assert select["initial_option"] in select["options"]
    assert ids.decode_choice(select["initial_option"]["value"]) == (REF, severity.name)
    assert [ids.decode_choice(o["value"])[1] for o in select["options"]] == ["SEV1", "SEV2", "SEV3", "SEV4"]


@pytest.mark.parametrize("status", [Status.DECLARED, Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING])
def test_status_select_offers_allowed_moves(status: Status) -> None:
    select = controls(incident_card(incident_in(status), T0))[ids.STATUS]
    offered = [ids.decode_choice(o["value"]) for o in select["options"]]
    expected = [s.value for s in allowed_next(status) if s is not Status.RESOLVED]
    assert offered == [(REF, value) for value in expected]
    assert "initial_option" not in select
    assert select["placeholder"]["text"] == f"Status: {status.value}"


def test_resolve_is_the_modal_alone_with_no_confirm_dialog_first() -> None:
    resolve = controls(incident_card(incident_in(Status.INVESTIGATING), T0))[ids.RESOLVE]
    assert resolve["type"] == "button"
    assert "confirm" not in resolve, "the resolve modal is the confirmation (SPEC §4)"


def test_resolved_incident_offers_reopen_close_and_the_postmortem() -> None:
    blocks = incident_card(incident_in(Status.RESOLVED), T0)
    found = controls(blocks)
    assert list(found) == [ids.REOPEN, ids.CLOSE, ids.POSTMORTEM]
    assert found[ids.POSTMORTEM]["text"]["text"] == "Postmortem"
    assert found[ids.CLOSE]["confirm"]["confirm"]["text"] == "Close"
    assert "confirm" not in found[ids.REOPEN]
    context = next(b for b in blocks if b["type"] == "context")["elements"][0]["text"]
    assert context.startswith("✅ Resolved <!date^")
    assert context.endswith(f": Rolled back @{WORD_JOINER}here &amp; restarted")
    # No clock runs once resolved: the field tells how the response went instead (SPEC §4).
    done = f"*SLA*\nacknowledged by <@{COMMANDER}> after 2 min\nresolved after 2 min"
    assert done in [f["text"] for f in blocks[1]["fields"]]


def test_closed_incident_offers_only_the_postmortem() -> None:
    blocks = incident_card(incident_in(Status.CLOSED), T0)
    assert list(controls(blocks)) == [ids.POSTMORTEM]
    assert "🔒 Closed" in next(b for b in blocks if b["type"] == "context")["elements"][0]["text"]


@pytest.mark.parametrize("status", list(Status))
def test_every_control_value_decodes_to_the_ref(status: Status) -> None:
    for element in elements(incident_card(incident_in(status), T0)):
        if element["type"] == "button":
            assert ids.decode_ref(element["value"]) == REF
        elif element["type"] == "static_select":
            assert all(ids.decode_choice(o["value"])[0] == REF for o in element["options"])
        assert ids.action_ref({**element, "block_id": ids.actions_block_id(REF, 1)}) == REF


def test_each_card_version_has_a_new_actions_block_id() -> None:
    story = declared()
    first = incident_card(story.incident, T0)[-1]["block_id"]
    story.do(cmd.Acknowledge(actor=COMMANDER), T0)
    assert incident_card(story.incident, T0)[-1]["block_id"] != first


@pytest.mark.parametrize("status", [Status.INVESTIGATING, Status.RESOLVED])
def test_hostile_user_text_is_escaped_everywhere(status: Status) -> None:
    story = story_in(status, title=HOSTILE_TEXT, description=HOSTILE_TEXT, service=HOSTILE_TEXT[:80])
    blocks = incident_card(story.incident, T0)
    for text in mrkdwn_texts(blocks):
        for raw in RAW_PINGS:
            assert raw not in text
        assert "@here" not in text
        assert "@channel" not in text
        assert "@everyone" not in text
    description = next(b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b)
    assert description == f"*Description*\n{HOSTILE_SHOWN}"
    service = next(f["text"] for f in blocks[1]["fields"] if f["text"].startswith("*Service*"))
    assert service.startswith(f"*Service*\n{HOSTILE_SHOWN[:60]}")
    # plain_text renders no markup: tokens read as words, broadcasts defused, nothing escaped.
    for text in plain_texts(blocks):
        assert "@here" not in text
        assert "@channel" not in text
        assert "&" not in text.replace(" & ", "")
        assert "<" not in text


def test_fallback_text_is_escaped_and_short() -> None:
    text = card_fallback_text(incident_in(Status.DECLARED, title=HOSTILE_TEXT))
    assert text.startswith(f"SEV2 INC-42 · {HOSTILE_SHOWN[:30]}")
    assert text.endswith("(declared)")
    for raw in RAW_PINGS:
        assert raw not in text
    assert "@here" not in text
    assert slack_len(card_fallback_text(incident_in(Status.DECLARED, title=LONG_TITLE))) <= 300
