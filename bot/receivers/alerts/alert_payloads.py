"""Alertmanager's webhook payload (version 4) and Grafana's webhook contact point payload, which
copies its shape, as an ``AlertNotification``.

Fields the bot does not use (``receiver``, ``groupLabels``, ``commonLabels``, ``externalURL``,
Grafana's ``orgId``, ``title``, ``message``, ``values``…) are not checked: a new version of either
tool adding or changing one of them must not stop incidents being opened.
"""

from __future__ import annotations

from bot.receivers.alerts.payload_fields import Fields, PayloadError, web_link
from domain.alerts import AlertLink, AlertNotification, AlertSignal

ALERTMANAGER = "alertmanager"
GRAFANA = "grafana"
ALERTMANAGER_VERSION = "4"
GRAFANA_VERSION = "1"
SUMMARY_ANNOTATION = "summary"
RUNBOOK_ANNOTATION = "runbook_url"

# (field of an alert, the link's text)
_ALERTMANAGER_LINKS = (("generatorURL", "Source"),)
_GRAFANA_LINKS = (
    ("generatorURL", "Alert rule"),
    ("dashboardURL", "Dashboard"),
    ("panelURL", "Panel"),
    ("silenceURL", "Silence"),
)


def alertmanager_notification(payload: object) -> AlertNotification:
    body = Fields.of(payload)
    version = body.text("version")
    if version != ALERTMANAGER_VERSION:
        raise PayloadError(
            f"version: expected {ALERTMANAGER_VERSION!r} (Alertmanager's webhook payload version 4), "
            f"got {version[:20]!r}"
        )
    return _notification(ALERTMANAGER, body, _ALERTMANAGER_LINKS)


def grafana_notification(payload: object) -> AlertNotification:
    body = Fields.of(payload)
    version = body.optional_text("version")
    if version is not None and version != GRAFANA_VERSION:
        raise PayloadError(
            f"version: expected {GRAFANA_VERSION!r} (Grafana Alerting's webhook payload), got {version[:20]!r}"
        )
    return _notification(GRAFANA, body, _GRAFANA_LINKS)


def _notification(source: str, body: Fields, link_fields: tuple[tuple[str, str], ...]) -> AlertNotification:
    group_key = body.text("groupKey")
    body.status()  # the group's status says nothing each alert's does not, but a wrong one is a wrong payload
    truncated = body.count("truncatedAlerts")
    alerts = tuple(_signal(alert, link_fields) for alert in body.objects("alerts"))
    return AlertNotification(source=source, group_key=group_key, alerts=alerts, truncated=truncated)


def _signal(alert: Fields, link_fields: tuple[tuple[str, str], ...]) -> AlertSignal:
    status = alert.status()
    fingerprint = alert.text("fingerprint")
    if not alert.present("labels"):
        raise PayloadError(f"{alert.name('labels')}: missing")
    labels = alert.strings("labels")
    annotations = alert.strings("annotations")
    summary = annotations.get(SUMMARY_ANNOTATION, "").strip() or labels.get("alertname", "").strip() or "alert"
    hrefs = [(alert.optional_text(key), text) for key, text in link_fields]
    hrefs.append((annotations.get(RUNBOOK_ANNOTATION), "Runbook"))
    links = [link for href, text in hrefs if (link := web_link(href, text)) is not None]
    return AlertSignal(
        fingerprint=fingerprint,
        status=status,
        labels=tuple(sorted(labels.items())),
        summary=summary,
        starts_at=alert.moment("startsAt"),
        ends_at=alert.moment("endsAt"),
        links=_distinct(links),
    )


def _distinct(links: list[AlertLink]) -> tuple[AlertLink, ...]:
    """Each address once, under its first name (Grafana may send one address as dashboard and panel)."""
    kept: dict[str, AlertLink] = {}
    for link in links:
        kept.setdefault(link.href, link)
    return tuple(kept.values())
