"""What the public status page shows (SPEC §14), built from the public incidents alone: the overall
state, each open public incident with its published updates newest first, the last 90 days, and
public postmortem summaries. The same view makes the HTML page, ``/status.json``, the Atom feed and
the live updates, so none of them can show what another does not.

Nothing internal gets through: only an incident's number, its public title, severity, status and
times, the text of its published stakeholder updates and its postmortem's summary. In that text,
mentions of people, channels and groups are replaced by neutral words and links into Slack or the
console are dropped, since responders wrote it in Slack for Slack.
"""

from __future__ import annotations

import functools
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.views.escaping import WORD_JOINER, readable_plain
from domain.lifecycle import OPEN_STATUSES, Status
from domain.severity import Severity
from storage.public_incidents import PublicIncident

HISTORY_DAYS = 90
HISTORY = timedelta(days=HISTORY_DAYS)
# More public incidents than this in 90 days would be a page nobody reads; the newest are shown.
MOST_SHOWN = 1000

OPERATIONAL = "operational"
_STATES = {
    Severity.SEV1: "major_outage",
    Severity.SEV2: "partial_outage",
    Severity.SEV3: "degraded_performance",
    Severity.SEV4: "degraded_performance",
}
STATE_LABELS = {
    OPERATIONAL: "All systems operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}

# The lifecycle in the public's words: "declared" and "closed" are the responders' bookkeeping.
_PUBLIC_STATUS = {
    Status.DECLARED: "investigating",
    Status.INVESTIGATING: "investigating",
    Status.IDENTIFIED: "identified",
    Status.MONITORING: "monitoring",
    Status.RESOLVED: "resolved",
    Status.CLOSED: "resolved",
}

_PERSON = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^<>]*)?>")
_CHANNEL = re.compile(r"<#[CGD][A-Z0-9]+(?:\|[^<>]*)?>")
_GROUP = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|[^<>]*)?>")
_LINK = re.compile(r"<(https?://[^<>|\s]+)(?:\|([^<>]*))?>", re.IGNORECASE)
_BARE_LINK = re.compile(r"https?://\S+", re.IGNORECASE)


def _internal(url: str) -> bool:
    """A link into Slack or the console: of no use to the public, and it names internals."""
    host = re.sub(r"^https?://", "", url, flags=re.IGNORECASE).split("/", 1)[0].lower()
    return host == "slack.com" or host.endswith(".slack.com") or "/incidents/INC-" in url


@functools.lru_cache(maxsize=8192)  # the page is read again on every change; its texts rarely change
def public_text(text: str) -> str:
    """Responders' Slack text as the public may read it: nobody named by their Slack id, no channel
    or group, no link into Slack or the console."""
    text = _PERSON.sub("a responder", text)
    text = _CHANNEL.sub("a channel", text)
    text = _GROUP.sub("a team", text)
    text = _LINK.sub(lambda m: (m.group(2) or "") if _internal(m.group(1)) else m.group(0), text)
    # No Slack client reads it: the joiner that keeps a typed @here from pinging in Slack is not needed.
    text = readable_plain(text).replace(WORD_JOINER, "")
    return _BARE_LINK.sub(lambda m: "" if _internal(m.group(0)) else m.group(0), text).strip()


@dataclass(frozen=True)
class PublicUpdate:
    at: datetime
    text: str


@dataclass(frozen=True)
class PublicEntry:
    id: str
    title: str
    severity: str
    state: str
    status: str
    declared_at: datetime
    resolved_at: datetime | None
    updates: tuple[PublicUpdate, ...]
    postmortem_summary: str

    @property
    def updated_at(self) -> datetime:
        times = [self.declared_at, *(u.at for u in self.updates), *([self.resolved_at] if self.resolved_at else [])]
        return max(times)


@dataclass(frozen=True)
class StatusView:
    title: str
    state: str
    incidents: tuple[PublicEntry, ...]
    history: tuple[PublicEntry, ...]

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def _entry(record: PublicIncident) -> PublicEntry:
    severity, status = Severity(record.severity), Status(record.status)
    return PublicEntry(
        id=f"INC-{record.number}",
        title=public_text(record.public_title or record.title),
        severity=severity.label,
        state=_STATES[severity],
        status=_PUBLIC_STATUS[status],
        declared_at=record.declared_at,
        resolved_at=record.resolved_at,
        updates=tuple(PublicUpdate(u.at, public_text(u.text)) for u in record.updates),
        postmortem_summary="" if status in OPEN_STATUSES else public_text(record.postmortem_summary),
    )


def status_view(title: str, records: Sequence[PublicIncident]) -> StatusView:
    """The page from the public incidents open now or of the last 90 days (newest first)."""
    entries = [(Status(record.status) in OPEN_STATUSES, _entry(record)) for record in records]
    worst = min((Severity(r.severity) for r in records if Status(r.status) in OPEN_STATUSES), default=None)
    return StatusView(
        title=title,
        state=OPERATIONAL if worst is None else _STATES[worst],
        incidents=tuple(entry for is_open, entry in entries if is_open),
        history=tuple(entry for is_open, entry in entries if not is_open),
    )


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _entry_document(entry: PublicEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "title": entry.title,
        "severity": entry.severity,
        "status": entry.status,
        "declared_at": _time(entry.declared_at),
        "resolved_at": _time(entry.resolved_at),
        "updates": [{"at": _time(update.at), "text": update.text} for update in entry.updates],
        "postmortem_summary": entry.postmortem_summary or None,
    }


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def history_json(view: StatusView) -> str:
    """The history part of ``/status.json``, encoded: most of the document, and most changes leave
    it as it was, so it is encoded apart (see :func:`status_json`)."""
    return _json([_entry_document(entry) for entry in view.history])


def status_json(view: StatusView, history: str) -> str:
    """``/status.json`` (SPEC §14), with ``history`` as :func:`history_json` gave it."""
    current = _json({"status": view.state, "incidents": [_entry_document(entry) for entry in view.incidents]})
    return current[:-1] + ',"history":' + history + "}"


def live_json(view: StatusView) -> str:
    """What a live update says: the overall state and each open incident's headline."""
    headlines = [
        {"id": entry.id, "title": entry.title, "severity": entry.severity, "status": entry.status}
        for entry in view.incidents
    ]
    return _json({"status": view.state, "incidents": headlines})


_ATOM = "http://www.w3.org/2005/Atom"


def atom_feed(view: StatusView, page_url: str, now: datetime) -> bytes:
    """Each published update and each resolution an entry, newest first (RFC 4287)."""
    ET.register_namespace("", _ATOM)
    feed = ET.Element(f"{{{_ATOM}}}feed")
    entries = sorted(_feed_entries(view), key=lambda item: item[1], reverse=True)
    _text(feed, "id", page_url)
    _text(feed, "title", view.title)
    _text(feed, "updated", _time(max((at for _, at, _, _ in entries), default=now)) or "")
    ET.SubElement(feed, f"{{{_ATOM}}}link", href=page_url, rel="alternate")
    author = ET.SubElement(feed, f"{{{_ATOM}}}author")
    _text(author, "name", view.title)
    for key, at, title, content in entries:
        element = ET.SubElement(feed, f"{{{_ATOM}}}entry")
        _text(element, "id", f"{page_url}#{key}")
        _text(element, "title", title)
        _text(element, "updated", _time(at) or "")
        ET.SubElement(element, f"{{{_ATOM}}}link", href=f"{page_url}#{key.split('-update-')[0]}", rel="alternate")
        _text(element, "content", content).set("type", "text")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def _feed_entries(view: StatusView) -> list[tuple[str, datetime, str, str]]:
    found: list[tuple[str, datetime, str, str]] = []
    for entry in (*view.incidents, *view.history):
        for update in entry.updates:
            key = f"{entry.id}-update-{int(update.at.timestamp() * 1000)}"
            found.append((key, update.at, f"{entry.id}: {entry.title}", update.text))
        if entry.resolved_at is not None:
            key = f"{entry.id}-update-resolved-{int(entry.resolved_at.timestamp() * 1000)}"
            found.append((key, entry.resolved_at, f"{entry.id} resolved: {entry.title}", "This incident is resolved."))
    return found


def _text(parent: ET.Element, name: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{_ATOM}}}{name}")
    element.text = value
    return element
