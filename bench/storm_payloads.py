"""The alert storm's webhooks (bench/alert_storm.py): Alertmanager's version 4 payloads, as its webhook
receiver POSTs them, for groups of alerts that grow, are resent, come twice and resolve.

Group ``g`` is of service ``g mod services`` and alert name ``g div 10``; its alerts differ by
instance. With fewer services than groups, a service's groups cluster into one incident.
Each round sends one notification per group: the first carries 10 new alerts, the next ones 3 of the
previous notification's alerts again (Alertmanager resends what still fires) and 7 new, one round
repeats the round before it byte for byte (the second of an HA pair), and the last rounds resolve the
group's first alerts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench.load import Signed

TOKEN = "bench-alerts-token"  # noqa: S105 - the benchmark's own bot's alerts credential
SERVICES = ("checkout", "payments", "search", "catalog", "accounts", "shipping", "pricing", "inventory", "auth", "mail")
ALERTNAMES = ("HighErrorRate", "HighLatency", "PodCrashLooping", "QueueBacklog", "ErrorBudgetBurn")
SEVERITIES = ("critical", "error", "warning", "warning", "info")
ZERO_TIME = "0001-01-01T00:00:00Z"  # what Alertmanager's webhook gives as a firing alert's endsAt


@dataclass(frozen=True)
class StormPlan:
    groups: int = 50
    services: int = 10  # groups of one service join its incident (SPEC §11's clustering)
    rounds: int = 20  # notifications per group, 3 s apart at the full rate
    alerts_per_notification: int = 10
    resent: int = 3  # of each notification's alerts, the ones its group's previous notification carried
    duplicate_round: int = 10  # this round repeats the one before it byte for byte
    resolved_rounds: int = 3  # the last rounds resolve the group's first alerts
    seconds: float = 60.0
    retries: int = 3  # of a webhook answered 5xx, as Alertmanager's retries
    retry_after_s: float = 1.0


FULL = StormPlan()
QUICK = StormPlan(groups=20, services=4, rounds=5, duplicate_round=2, resolved_rounds=1, seconds=15.0)
WARM_UP = StormPlan(groups=2, rounds=5, duplicate_round=2, resolved_rounds=1, seconds=2.0)


@dataclass(frozen=True)
class Notification:
    at: float  # seconds after the storm starts
    group: int
    body: bytes
    alerts: tuple[tuple[str, str], ...]  # (fingerprint, status)


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _alert(group: int, index: int, *, resolved_at: datetime | None, base: datetime, service: str) -> dict[str, Any]:
    name = ALERTNAMES[group // len(SERVICES) % len(ALERTNAMES)]
    instance = f"{service}-{group:02d}-{index:03d}.prod:9100"
    labels = {
        "alertname": name,
        "instance": instance,
        "job": service,
        "service": service,
        "severity": SEVERITIES[group // len(SERVICES) % len(SEVERITIES)],
        "team": f"team-{group % 5}",
    }
    identity = ",".join(f"{key}={value}" for key, value in sorted(labels.items()))
    return {
        "status": "resolved" if resolved_at else "firing",
        "labels": labels,
        "annotations": {"summary": f"{name} on {service}", "description": f"{name} firing on {instance}"},
        "startsAt": _timestamp(base + timedelta(seconds=index)),
        "endsAt": _timestamp(resolved_at) if resolved_at else ZERO_TIME,
        "generatorURL": f"http://prometheus.prod:9090/graph?g0.expr=job%3D%22{service}%22&g0.tab=1",
        "fingerprint": hashlib.sha256(identity.encode()).hexdigest()[:16],
    }


def _payload(alerts: list[dict[str, Any]]) -> bytes:
    """Version 4 of Alertmanager's webhook payload, compact as Go's encoder writes it."""
    group_labels = {key: alerts[0]["labels"][key] for key in ("alertname", "service")}
    common = {
        key: value for key, value in alerts[0]["labels"].items() if all(a["labels"][key] == value for a in alerts)
    }
    annotations = alerts[0]["annotations"].items()
    group_key = "{}:{" + ", ".join(f'{key}="{value}"' for key, value in group_labels.items()) + "}"
    payload = {
        "receiver": "firebreak",
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "alerts": alerts,
        "groupLabels": group_labels,
        "commonLabels": common,
        "commonAnnotations": {k: v for k, v in annotations if all(a["annotations"][k] == v for a in alerts)},
        "externalURL": "http://alertmanager.prod:9093",
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def _indices(plan: StormPlan, round_: int) -> tuple[range, bool]:
    """Which of a group's alerts a round carries, and whether it resolves them."""
    per, firing_rounds = plan.alerts_per_notification, plan.rounds - plan.resolved_rounds
    if round_ >= firing_rounds:
        first = (round_ - firing_rounds) * per
        return range(first, first + per), True
    distinct_round = round_ - (1 if round_ > plan.duplicate_round else 0)
    if distinct_round == 0:
        return range(per), False
    start = per + (distinct_round - 1) * (per - plan.resent)
    return range(start - plan.resent, start - plan.resent + per), False


def storm(plan: StormPlan, now: datetime, names: tuple[str, ...] | None = None) -> list[Notification]:
    """Every notification of the storm, in the order they are sent: round by round, each round
    across every group. Services are named from ``SERVICES`` (``checkout``, …, ``checkout-1``, …)
    unless ``names`` gives them."""
    services = names or tuple(
        SERVICES[i % len(SERVICES)] + (f"-{i // len(SERVICES)}" if i >= len(SERVICES) else "")
        for i in range(plan.services)
    )
    total = plan.groups * plan.rounds
    base = now - timedelta(minutes=5)
    notifications: list[Notification] = []
    previous: dict[int, Notification] = {}
    for round_ in range(plan.rounds):
        for group in range(plan.groups):
            at = len(notifications) * plan.seconds / total
            if round_ == plan.duplicate_round:
                notifications.append(Notification(at, group, previous[group].body, previous[group].alerts))
                continue
            indices, resolving = _indices(plan, round_)
            resolved_at = now + timedelta(seconds=at) if resolving else None
            alerts = [
                _alert(group, index, resolved_at=resolved_at, base=base, service=services[group % len(services)])
                for index in indices
            ]
            pairs = tuple((str(a["fingerprint"]), str(a["status"])) for a in alerts)
            previous[group] = Notification(at, group, _payload(alerts), pairs)
            notifications.append(previous[group])
    return notifications


def webhooks(notifications: list[Notification]) -> list[tuple[float, int, Signed]]:
    """Each notification's time, group and request, with the headers Alertmanager's webhook sends."""
    headers = {"Content-Type": "application/json", "User-Agent": "Alertmanager/0.27.0"}
    headers["Authorization"] = f"Bearer {TOKEN}"
    return [(notification.at, notification.group, Signed(notification.body, headers)) for notification in notifications]
