"""An incident's report in Markdown (SPEC §10): its facts, how long the response took, the whole
timeline as a table, the stakeholder updates, the postmortem and the follow-ups.

Everything people wrote reaches the Markdown escaped: a message with a ``|``, a line break, a
backtick, a leading ``#`` or some HTML reads as typed and never breaks the table or the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from bot.views.audit import describe_event
from bot.views.escaping import readable_plain
from bot.views.followup_texts import due_words
from bot.views.formatting import plain_wording, severity_label, status_label, utc_text
from bot.views.postmortem_form import FIELD_WORDING
from domain import events as ev
from domain.followup import FollowUp
from domain.incident import Incident, IncidentRef
from domain.postmortem import PostmortemField
from domain.sla import format_duration

# Backslash-escaped wherever they appear: each could start emphasis, code, a link or a table cell.
_MARKUP = re.compile(r"([\\`*_\[\]|~])")
# Only at a line's start do these make a heading, a quote or a list.
_LINE_START = re.compile(r"^(\s*)([#+\-=]|[0-9]+(?=[.)]))", re.MULTILINE)
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def markdown_text(text: str) -> str:
    """Plain text that Markdown shows exactly as written: no markup, no HTML, no headings."""
    escaped = _MARKUP.sub(r"\\\1", text.translate(_HTML))
    return _LINE_START.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, marker = match.group(1), match.group(2)
    # "1." is kept from starting a list by escaping its dot, "#" by escaping itself.
    return f"{indent}{marker}\\" if marker[0].isdigit() else f"{indent}\\{marker}"


def table_cell(text: str) -> str:
    """Plain text for one cell of a Markdown table: escaped, and on one line (breaks as ``<br>``)."""
    return "<br>".join(markdown_text(line.strip()) for line in _LINE_BREAK.split(text.strip()))


def _paragraphs(text: str) -> str:
    """Several lines of plain text, their breaks kept (a backslash at a line's end breaks it)."""
    lines = [markdown_text(line.rstrip()) for line in _LINE_BREAK.split(readable_plain(text).strip())]
    return "\n".join(line + "\\" if line and nxt else line for line, nxt in zip(lines, [*lines[1:], ""], strict=True))


def incident_report(
    incident: Incident,
    timeline: Sequence[tuple[int, ev.Event]],
    names: Mapping[str, str],
    now: datetime,
    *,
    page_url: str | None = None,
) -> str:
    """The report; ``names`` are people's names by user id, ``page_url`` the console's page."""
    wording = plain_wording(names)
    title = markdown_text(readable_plain(incident.title))
    lines = [f"# {incident.ref} · {title}", ""]
    facts = [
        ("Severity", severity_label(incident.severity)),
        ("Status", status_label(incident.status)),
        ("Service", readable_plain(incident.service) if incident.service else "none given"),
        ("Commander", wording.commander(incident)),
        ("Reported by", wording.actor(incident.reporter)),
        ("Declared", utc_text(incident.declared_at)),
    ]
    lines += [f"- **{label}:** {markdown_text(value)}" for label, value in facts]
    if page_url:
        lines.append(f"- **In the console:** <{page_url}>")
    if incident.description.strip():
        lines += ["", _paragraphs(incident.description)]
    lines += ["", "## Durations", "", *(f"- {line}" for line in _durations(incident, now))]
    lines += ["", "## Timeline", "", *_timeline(incident, timeline, names)]
    lines += ["", "## Stakeholder updates", "", *_updates(timeline, names)]
    lines += ["", "## Postmortem", "", *_postmortem(incident)]
    lines += ["", "## Follow-ups", "", *_followups(incident.followups, names)]
    return "\n".join(lines) + "\n"


def _durations(incident: Incident, now: datetime) -> Iterator[str]:
    ack = incident.time_to_ack
    yield f"Time to acknowledge: {format_duration(ack) if ack is not None else 'not acknowledged'}"
    resolve = incident.time_to_resolve
    if resolve is None:
        yield f"Time to resolve: not resolved yet (open for {format_duration(now - incident.declared_at)} so far)"
        return
    total = _at_least_zero(incident.resolved_at - incident.declared_at if incident.resolved_at else resolve)
    resting = _at_least_zero(total - resolve)
    left_out = f" (the {format_duration(resting)} it spent resolved before it was reopened left out)" if resting else ""
    yield f"Time to resolve: {format_duration(resolve)}{left_out}"
    yield f"In total, declared to resolved: {format_duration(total)}"


def _at_least_zero(span: timedelta) -> timedelta:
    return max(span, timedelta(0))


def _timeline(incident: Incident, timeline: Sequence[tuple[int, ev.Event]], names: Mapping[str, str]) -> list[str]:
    if not timeline:
        return ["Nothing recorded yet."]
    wording = plain_wording(names)
    rows = [
        f"| {seq} | {utc_text(event.at)} | {table_cell(describe_event(event, incident, wording))} |"
        for seq, event in timeline
    ]
    return ["| # | When (UTC) | What happened |", "|---:|---|---|", *rows]


def _updates(timeline: Sequence[tuple[int, ev.Event]], names: Mapping[str, str]) -> list[str]:
    wording = plain_wording(names)
    lines: list[str] = []
    for _, event in timeline:
        if isinstance(event, ev.StakeholderUpdatePosted):
            drafted = f", drafted by {event.model}" if event.model else ""
            who = markdown_text(wording.actor(event.actor) + drafted)
            lines += [f"### {utc_text(event.at)} · {who}", "", _paragraphs(event.text), ""]
    return lines[:-1] if lines else ["None published."]


def _postmortem(incident: Incident) -> list[str]:
    postmortem = incident.postmortem
    if postmortem.is_empty:
        return ["Not written yet."]
    lines: list[str] = []
    for field in PostmortemField:
        text = postmortem.text(field)
        lines += [f"### {FIELD_WORDING[field].label}", "", _paragraphs(text) if text else "Not written.", ""]
    return lines[:-1]


def _followups(followups: Sequence[FollowUp], names: Mapping[str, str]) -> list[str]:
    if not followups:
        return ["None."]
    wording = plain_wording(names)
    rows = [
        f"| {item.number} | {table_cell(readable_plain(item.text))} | {table_cell(wording.person(item.owner))} | "
        f"{due_words(item.due, wording) if item.due else '—'} | "
        f"{'done ' + utc_text(item.done_at) if item.done_at else 'open'} |"
        for item in followups
    ]
    return ["| # | Follow-up | Owner | Due | State |", "|---:|---|---|---|---|", *rows]


def report_link_text(ref: IncidentRef, *, console_on: bool, console_url: str | None) -> str:
    """The answer to ``report``: the report's link, or how to serve the console that has it."""
    path = f"/incidents/{ref}/report.md"
    if not console_on:
        return (
            f"{ref}'s report is served by the web console, which is off. To turn it on, set SLACK_CLIENT_ID, "
            "SLACK_CLIENT_SECRET, SESSION_SECRET and CONSOLE_URL (README, “Console”) and restart Firebreak."
        )
    if console_url is None:
        return f"{ref}'s report is at `{path}` on the web console (set CONSOLE_URL and I will link to it)."
    return f"The report of {ref}, in Markdown (sign in with Slack to read it): <{console_url}{path}|{ref} report>"
