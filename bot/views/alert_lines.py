"""What alerts say in Slack (SPEC §11): the card's Alerts field, one thread line per notification
that changed something (a summary, never a line per alert: a storm must not flood the thread), the
all-resolved question with the card's Resolve button, and the one escalation suggestion."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from bot.views import action_ids as ids
from bot.views.blocks import Block, actions, button, option, section
from bot.views.escaping import escape_within, one_line
from bot.views.formatting import SLASH_PREFIX, Wording, severity_choice
from domain import events as ev
from domain.incident import Incident
from domain.severity import Severity

# Alert names a thread line shows; the rest are counted ("and 7 more"), the card has the totals.
NAMES_SHOWN = 3
NAME_SHOWN_MAX = 80


def alerts_fact(incident: Incident) -> str | None:
    """The card's Alerts field, ``3 firing · 5 resolved``; None for an incident no alert reached."""
    alerts = incident.alerts
    if not alerts.any:
        return None
    return f"{alerts.firing} firing · {alerts.resolved} resolved"


def alert_line(events: Iterable[ev.Event], incident: Incident, w: Wording) -> str | None:
    """One line for a notification's alert events, e.g. ``🔔 3 alerts firing: HighLatency ×2, DiskFull``
    (and ``✅ 1 alert resolved: …`` on the next line); None when it recorded no alert change."""
    fired: list[str] = []
    resolved: list[str] = []
    for event in events:
        if isinstance(event, ev.AlertFired):
            fired.append(event.summary)
        elif isinstance(event, ev.AlertResolved):
            known = incident.alerts.find(event.fingerprint)
            resolved.append(known.summary if known else event.fingerprint)
    lines = []
    if fired:
        lines.append(f"🔔 {_count(len(fired))} firing: {_names(fired, w)}")
    if resolved:
        lines.append(f"✅ {_count(len(resolved))} resolved: {_names(resolved, w)}")
    return "\n".join(lines) or None


def _count(number: int) -> str:
    return f"{number} alert" if number == 1 else f"{number} alerts"


def _names(summaries: list[str], w: Wording) -> str:
    """The most frequent names first, ``×n`` for repeats, at most NAMES_SHOWN of them."""
    counted = Counter(one_line(summary) for summary in summaries).most_common()
    shown = [
        w.quote(name, NAME_SHOWN_MAX) + (f" ×{times}" if times > 1 else "") for name, times in counted[:NAMES_SHOWN]
    ]
    rest = sum(times for _, times in counted[NAMES_SHOWN:])
    return ", ".join(shown) + (f" and {rest} more" if rest else "")


def all_resolved_message(incident: Incident) -> tuple[str, list[Block]]:
    """Asked once when every alert has resolved; the button is the card's Resolve (same modal)."""
    text = f"All alerts resolved — resolve {incident.ref}?"
    value = ids.encode_ref(incident.ref)
    return text, [
        section(f"✅ *{text}*"),
        actions(f"alerts:resolved:{value}", [button(f"Resolve {incident.ref}", ids.RESOLVE, value, style="danger")]),
    ]


def escalation_message(incident: Incident, firing: int) -> tuple[str, list[Block]]:
    """Said once when firing alerts reach ``[alerts] escalate_at`` below SEV1: the card's own
    severity menu, offering only higher severities, and the command to type instead."""
    ref = incident.ref
    text = f"{firing} alerts are firing on {ref} ({incident.severity.label}) — raise its severity?"
    higher = [severity for severity in Severity if severity < incident.severity]
    menu: Block = {
        "type": "static_select",
        "action_id": ids.SEVERITY,
        "placeholder": {"type": "plain_text", "text": "Raise severity"},
        "options": [option(severity_choice(s), ids.encode_choice(ref, s.name)) for s in higher],
    }
    typed = f"`{SLASH_PREFIX} sev {ref} {higher[-1].value}`"
    return text, [
        section(f"🔔 *{escape_within(text, 500)}* Choose one, or type {typed}."),
        actions(f"alerts:escalate:{ids.encode_ref(ref)}", [menu]),
    ]
