"""The incident list's filters as they live in its URL (``/incidents?status=all&severity=SEV1``):
read from the query string (a value that means nothing is refused, naming the parameter and the
value), and written back into the links to other pages of the same list.

The list opens on the open incidents: whoever opens it during an incident is looking for what is
burning now; the incidents of the past are one choice away (status ``all``), and a link keeps
whatever was chosen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from multidict import MultiMapping

from domain.errors import InvalidValue
from domain.severity import Severity, parse_severity
from domain.text import SERVICE_MAX
from storage.incident_pages import TITLE_SEARCH_MAX, Commander, Cursor, IncidentFilter, StatusFilter

# The commander filter's word for "nobody is commander".
UNASSIGNED = "none"
_USER_ID = re.compile(r"[UW][A-Z0-9]{1,31}", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_SHOWN_MAX = 60  # of a refused value, in the page that refuses it
_SINGLE = ("status", "service", "commander", "q", "from", "to", "after")


class BadFilter(ValueError):
    """A query parameter whose value means nothing; the message names both."""

    def __init__(self, name: str, value: str, why: str) -> None:
        shown = value if len(value) <= _SHOWN_MAX else value[:_SHOWN_MAX] + "…"
        super().__init__(f"The filter {name}=“{shown}” is not valid: {why}.")


@dataclass(frozen=True)
class ListRequest:
    """What a request to the list asks for: its filters and the page."""

    wanted: IncidentFilter
    after: Cursor | None = None

    @property
    def filtered(self) -> bool:
        """True when anything besides the status narrows the list."""
        return self.wanted != IncidentFilter(self.wanted.workspace_id, self.wanted.status)

    def query(self, *, after: Cursor | None = None) -> list[tuple[str, str]]:
        """The query string that asks for these filters again (and the page after ``after``)."""
        wanted = self.wanted
        pairs = [("status", wanted.status.value)]
        pairs += [("severity", severity.label) for severity in sorted(wanted.severities)]
        if wanted.service is not None:
            pairs.append(("service", wanted.service))
        if wanted.commander is not None:
            pairs.append(("commander", wanted.commander.user_id or UNASSIGNED))
        if wanted.title:
            pairs.append(("q", wanted.title))
        if wanted.declared_from is not None:
            pairs.append(("from", wanted.declared_from.date().isoformat()))
        if wanted.declared_before is not None:
            pairs.append(("to", (wanted.declared_before - timedelta(days=1)).date().isoformat()))
        if after is not None:
            pairs.append(("after", str(after)))
        return pairs


def list_request(query: MultiMapping[str], workspace_id: str) -> ListRequest:
    """The filters and page ``query`` asks for; BadFilter for a value that means nothing. An empty
    field (a form sent with it blank) filters nothing; unknown parameters are no filters."""
    for name in _SINGLE:
        given = query.getall(name, [])
        if len(given) > 1:
            raise BadFilter(name, given[1], f"{name} is given {len(given)} times; give it once")
    values = {name: query[name].strip() for name in _SINGLE if query.get(name, "").strip()}
    status = _status(values.get("status", StatusFilter.OPEN.value))
    declared_from = _day("from", values.get("from"))
    last_day = _day("to", values.get("to"))
    if declared_from is not None and last_day is not None and last_day < declared_from:
        raise BadFilter("to", values["to"], f"it is before from={values['from']}")
    title = values.get("q")
    if title is not None and len(title) > TITLE_SEARCH_MAX:
        raise BadFilter("q", title, f"a title search is at most {TITLE_SEARCH_MAX} characters")
    service = values.get("service")
    if service is not None and len(service) > SERVICE_MAX:
        raise BadFilter("service", service, f"a service name is at most {SERVICE_MAX} characters")
    wanted = IncidentFilter(
        workspace_id,
        status,
        severities=frozenset(_severity(value) for value in query.getall("severity", []) if value.strip()),
        service=service,
        commander=_commander(values.get("commander")),
        title=title,
        declared_from=declared_from,
        declared_before=None if last_day is None else last_day + timedelta(days=1),
    )
    return ListRequest(wanted, _cursor(values.get("after")))


def _status(value: str) -> StatusFilter:
    try:
        return StatusFilter(value.lower())
    except ValueError:
        raise BadFilter("status", value, "status is one of open, resolved, closed or all") from None


def _severity(value: str) -> Severity:
    try:
        return parse_severity(value)
    except InvalidValue:
        raise BadFilter("severity", value, "a severity is one of SEV1, SEV2, SEV3 or SEV4") from None


def _commander(value: str | None) -> Commander | None:
    if value is None:
        return None
    if value.lower() == UNASSIGNED:
        return Commander(None)
    if not _USER_ID.fullmatch(value):
        raise BadFilter("commander", value, f"a commander is a Slack user id (U…) or “{UNASSIGNED}”")
    return Commander(value)


def _day(name: str, value: str | None) -> datetime | None:
    """The start (00:00 UTC) of a ``YYYY-MM-DD`` day."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value) if _DATE.fullmatch(value) else date.max
        if day == date.max:  # not a date, or one whose next day (where a "to" ends) is none
            raise ValueError(value)
        return datetime.combine(day, time(0), UTC)
    except ValueError:
        raise BadFilter(name, value, "a date is written YYYY-MM-DD, e.g. 2026-12-07 (days are in UTC)") from None


def _cursor(value: str | None) -> Cursor | None:
    if value is None:
        return None
    try:
        return Cursor.parse(value)
    except ValueError:
        raise BadFilter("after", value, "it is not a page of this list; start again from the first page") from None


def form_state(request: ListRequest) -> Mapping[str, object]:
    """What the filter form shows as chosen."""
    wanted = request.wanted
    pairs = dict(request.query())
    return {
        "status": wanted.status.value,
        "severities": {severity.label for severity in wanted.severities},
        "service": wanted.service or "",
        "commander": pairs.get("commander", ""),
        "q": wanted.title or "",
        "from": pairs.get("from", ""),
        "to": pairs.get("to", ""),
    }
