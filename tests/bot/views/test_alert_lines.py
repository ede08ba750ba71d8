"""What alerts say in Slack: a notification is one line naming at most a few alerts (monitoring's
text never pings), the card counts firing and resolved, and the two questions carry the card's own
controls."""

from __future__ import annotations

from bot.views import action_ids as ids
from bot.views.alert_lines import alert_line, alerts_fact, all_resolved_message, escalation_message
from bot.views.card import card_fields
from bot.views.escaping import WORD_JOINER
from bot.views.formatting import SLACK
from domain.severity import Severity
from tests.builders import RESOLVED, T0, alert, declared, record_alerts


def test_one_line_names_a_few_alerts_most_frequent_first_and_counts_the_rest() -> None:
    story = declared()
    names = ["DiskFull", "HighLatency", "HighLatency", "ErrorRate", "<!channel> down", "Saturation"]
    events = story.do(record_alerts(*(alert(f"fp{n}", name=name) for n, name in enumerate(names))), T0)
    line = alert_line(events, story.incident, SLACK)
    assert line == "🔔 6 alerts firing: HighLatency ×2, DiskFull, ErrorRate and 2 more"
    hostile = story.do(record_alerts(alert("fp9", name="<!channel> down")), T0)
    assert alert_line(hostile, story.incident, SLACK) == f"🔔 1 alert firing: @{WORD_JOINER}channel down"
    resolved = story.do(record_alerts(alert("fp1", RESOLVED), alert("fp2", RESOLVED)), T0)
    assert alert_line(resolved, story.incident, SLACK) == "✅ 2 alerts resolved: HighLatency ×2"


def test_the_card_counts_alerts_only_when_an_alert_reached_the_incident() -> None:
    story = declared()
    assert alerts_fact(story.incident) is None
    assert not any(field.startswith("*Alerts*") for field in card_fields(story.incident, T0))
    story.do(record_alerts(alert("fp1"), alert("fp2"), alert("fp3")), T0)
    story.do(record_alerts(alert("fp2", RESOLVED)), T0)
    assert "*Alerts*\n2 firing · 1 resolved" in card_fields(story.incident, T0)


def test_the_questions_use_the_cards_resolve_button_and_severity_menu() -> None:
    incident = declared(severity=Severity.SEV3).incident
    text, blocks = all_resolved_message(incident)
    assert text == "All alerts resolved — resolve INC-42?"
    [button] = blocks[1]["elements"]
    assert (button["action_id"], button["value"]) == (ids.RESOLVE, ids.encode_ref(incident.ref))
    text, blocks = escalation_message(incident, 25)
    assert text == "25 alerts are firing on INC-42 (SEV3) — raise its severity?"
    [menu] = blocks[1]["elements"]
    assert menu["action_id"] == ids.SEVERITY
    offered = [option["value"] for option in menu["options"]]
    assert offered == [ids.encode_choice(incident.ref, "SEV1"), ids.encode_choice(incident.ref, "SEV2")]
    assert "`/incident sev INC-42 2`" in blocks[0]["text"]["text"]
