"""Alert payloads as Alertmanager, Grafana and a generic tool send them, and Grafana's signature:
written once, for the parsing tests and for the tests that post them to a running bot."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from typing import Any

ALERTS_TOKEN = "alerts-token-for-tests"
GRAFANA_SECRET = "grafana-hmac-secret-for-tests"
STARTS_AT = "2026-12-07T09:30:00.123456789Z"
NOT_ENDED = "0001-01-01T00:00:00Z"


def prometheus_alert(
    name: str = "HighErrorRate", *, fingerprint: str = "a1b2c3d4e5f60708", status: str = "firing", **labels: str
) -> dict[str, Any]:
    """One alert of an Alertmanager notification, as version 0.25 sends it."""
    return {
        "status": status,
        "labels": {"alertname": name, "severity": "critical", "service": "checkout", **labels},
        "annotations": {
            "summary": f"{name} on checkout",
            "runbook_url": "https://runbooks.example.com/checkout",
        },
        "startsAt": STARTS_AT,
        "endsAt": "2026-12-07T09:45:00Z" if status == "resolved" else NOT_ENDED,
        "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=rate%28errors%5B5m%5D%29",
        "fingerprint": fingerprint,
    }


def alertmanager_payload(*alerts: dict[str, Any], group_key: str = '{}:{alertname="HighErrorRate"}') -> dict[str, Any]:
    alerts = alerts or (prometheus_alert(),)
    firing = any(alert["status"] == "firing" for alert in alerts)
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "firebreak",
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": {"service": "checkout"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": list(alerts),
    }


def grafana_payload() -> dict[str, Any]:
    """Grafana Alerting's webhook contact point payload (the example in Grafana's documentation)."""
    alert = {
        "status": "firing",
        "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
        "annotations": {
            "description": "The system has high memory usage",
            "runbook_url": "https://myrunbook.com/runbook/1234",
            "summary": "This alert was triggered for zone us-1",
        },
        "startsAt": "2021-10-12T09:51:03.157076+02:00",
        "endsAt": NOT_ENDED,
        "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
        "fingerprint": "c6eadffa33fcdf37",
        "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana",
        "dashboardURL": "",
        "panelURL": "",
        "values": {"B": 44.23943737541908, "C": 1},
    }
    return {
        "receiver": "firebreak",
        "status": "firing",
        "orgId": 1,
        "alerts": [alert],
        "groupLabels": {"alertname": "High memory usage"},
        "commonLabels": {"team": "blue"},
        "commonAnnotations": {},
        "externalURL": "https://play.grafana.org/",
        "version": "1",
        "groupKey": '{}/{alertname="High memory usage"}:{alertname="High memory usage"}',
        "truncatedAlerts": 0,
        "title": "[FIRING:1] High memory usage (blue)",
        "state": "alerting",
        "message": "**Firing**\n\nLabels:\n - alertname = High memory usage",
    }


def generic_payload(**fields: Any) -> dict[str, Any]:
    return {
        "source": "pingdom",
        "service": "checkout",
        "severity": "sev2",
        "summary": "Checkout answers 502",
        "dedup_key": "pingdom-checkout-502",
        "status": "firing",
        "details": {"region": "eu-west-1", "checks": 3},
        "links": [{"href": "https://pingdom.example.com/checks/42", "text": "Pingdom check"}],
    } | fields


REMOVED = object()


def changed(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``payload`` with the value at ``path`` ("alerts.0.labels") replaced, or removed
    when ``value`` is :data:`REMOVED`."""
    result = copy.deepcopy(payload)
    *parents, last = path.split(".")
    target: Any = result
    for step in parents:
        target = target[int(step)] if isinstance(target, list) else target[step]
    key: Any = int(last) if isinstance(target, list) else last
    if value is REMOVED:
        del target[key]
    else:
        target[key] = value
    return result


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def grafana_signature(body: bytes, *, timestamp: str | None = None, secret: str = GRAFANA_SECRET) -> dict[str, str]:
    """The headers Grafana sends with an HMAC-signed notification."""
    signed = body if timestamp is None else f"{timestamp}:".encode() + body
    headers = {"X-Grafana-Alerting-Signature": hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}
    return headers if timestamp is None else headers | {"X-Grafana-Alerting-Timestamp": timestamp}


def bearer(token: str = ALERTS_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
