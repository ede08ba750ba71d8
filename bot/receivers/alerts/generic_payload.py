"""The generic ``POST /alerts`` payload (SPEC §11), for any tool that can send JSON:
``{source, service, severity, summary, dedup_key, status, details, links}``.

``summary`` and ``dedup_key`` are required; ``status`` defaults to firing. ``source``, ``service``
and the scalar ``details`` become the alert's labels, so ``[[alerts.routes]]`` can match on them.
"""

from __future__ import annotations

import json

from bot.receivers.alerts.payload_fields import Fields, PayloadError, storable, web_link
from domain.alerts import AlertLink, AlertNotification, AlertSignal, AlertStatus
from domain.errors import InvalidValue
from domain.severity import Severity, parse_severity

GENERIC = "generic"
# Tools that count five levels: their 5 is the least urgent, as SEV4 is here.
_FIVE_LEVELS = {1: Severity.SEV1, 2: Severity.SEV2, 3: Severity.SEV3, 4: Severity.SEV4, 5: Severity.SEV4}
_SEVERITY_USAGE = "expected 1 to 5 or sev1 to sev4"


def generic_notification(payload: object) -> AlertNotification:
    body = Fields.of(payload)
    summary = body.text("summary")
    dedup_key = body.text("dedup_key")
    status = body.status() if body.present("status") else AlertStatus.FIRING
    service = body.optional_text("service")
    labels = _details(body) | {
        name: value for name in ("source", "service") if (value := body.optional_text(name)) is not None
    }
    signal = AlertSignal(
        fingerprint=dedup_key,
        status=status,
        labels=tuple(sorted(labels.items())),
        summary=summary.strip(),
        starts_at=None,
        ends_at=None,
        links=_links(body),
    )
    return AlertNotification(
        source=GENERIC, group_key=dedup_key, alerts=(signal,), service=service, severity=_severity(body)
    )


def _severity(body: Fields) -> Severity | None:
    value = body.values.get("severity")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value in _FIVE_LEVELS:
        return _FIVE_LEVELS[value]
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and int(text) in _FIVE_LEVELS:
            return _FIVE_LEVELS[int(text)]
        try:
            return parse_severity(text)
        except InvalidValue:
            pass
    shown = repr(value[:20]) if isinstance(value, str) else json.dumps(value)[:20]
    raise PayloadError(f"{body.name('severity')}: {_SEVERITY_USAGE}, got {shown}")


def _details(body: Fields) -> dict[str, str]:
    """``details`` as labels: strings as they are, anything else as compact JSON; nulls left out."""
    if not body.present("details"):
        return {}
    details = Fields.of(body.values["details"], body.name("details"))
    return {
        storable(name): storable(value) if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        for name, value in details.values.items()
        if value is not None
    }


def _links(body: Fields) -> tuple[AlertLink, ...]:
    if body.values.get("links") in (None, []):
        return ()
    links = []
    for item in body.objects("links"):
        href = item.text("href")
        link = web_link(href, item.optional_text("text") or href)
        if link is None:
            raise PayloadError(f"{item.name('href')}: expected an http or https URL, got {href[:60]!r}")
        links.append(link)
    return tuple(links)
