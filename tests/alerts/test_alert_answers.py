"""What each alert endpoint answers, sent over HTTP to the running bot: a source off until its
credential is set, bad tokens and signatures, malformed and oversized bodies, and good
notifications, committed, then answered with the incidents they declared or updated. Whatever is
refused stores nothing; every answer is JSON and none is a 500."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.receivers.alerts.alert_auth import SIGNATURE_HEADER, TIMESTAMP_HEADER
from bot.runtime.child_environment import REPO
from domain import events as ev
from domain.severity import Severity
from tests.alerts.alertmanager import DOCS_CONFIG
from tests.alerts.samples import (
    ALERTS_TOKEN,
    GRAFANA_SECRET,
    REMOVED,
    alertmanager_payload,
    bearer,
    body_of,
    changed,
    generic_payload,
    grafana_payload,
    grafana_signature,
    prometheus_alert,
)
from tests.alerts.sending import ALERTS_CHANNEL, Tally, fingerprints, post_alert
from tests.e2e.card_support import declared_count
from tests.e2e.harness import BotUnderTest
from tests.readme import fenced_block
from tests.reliability.support import CapturedLogs

ALERTMANAGER = "/alerts/alertmanager"
GRAFANA = "/alerts/grafana"
GENERIC = "/alerts"
MIB = 1024 * 1024
GRAFANA_DOCS = REPO / "docs" / "grafana-contact-point.yml"


def contact_point() -> dict[str, str]:
    """The settings of docs/grafana-contact-point.yml (the README's) that say how Grafana sends."""
    text = GRAFANA_DOCS.read_text()
    return {key: match.group(1) for key in ("url", "header", "timestampHeader") if (match := _setting(key, text))}


def _setting(key: str, text: str) -> re.Match[str] | None:
    return re.search(rf"^\s+{key}: (\S+)$", text, re.MULTILINE)


def test_the_readme_shows_the_alert_configs_the_tests_run() -> None:
    assert fenced_block("Alerts from Alertmanager", "yaml") == DOCS_CONFIG.read_text()
    assert fenced_block("Alerts from Grafana", "yaml") == GRAFANA_DOCS.read_text()


async def test_each_source_is_off_until_its_credential_is_set(bot: BotUnderTest) -> None:
    tally = Tally()
    for path, source, credentials in [
        (ALERTMANAGER, "alertmanager", "set ALERTS_TOKEN"),
        (GRAFANA, "grafana", "set ALERTS_TOKEN or GRAFANA_WEBHOOK_SECRET"),
        (GENERIC, "generic", "set ALERTS_TOKEN"),
    ]:
        answer = await post_alert(bot, path, body_of(generic_payload()), bearer())
        assert answer.status == 404, (path, answer)
        assert credentials in answer.json()["error"]
        assert "to turn them on" in answer.json()["error"]
        assert tally.since(source, "off") == 1
    assert await declared_count(bot) == 0


async def test_an_alertmanager_notification_declares_an_incident_once(alerts_bot: BotUnderTest) -> None:
    tally = Tally()
    body = body_of(alertmanager_payload(prometheus_alert(fingerprint="f1"), prometheus_alert(fingerprint="f2")))

    first = await post_alert(alerts_bot, ALERTMANAGER, body, bearer())
    again = await post_alert(alerts_bot, ALERTMANAGER, body, bearer())

    assert (first.status, first.json()) == (200, {"ok": True, "declared": ["INC-1"], "updated": [], "duplicate": False})
    assert (again.status, again.json()) == (200, {"ok": True, "declared": [], "updated": [], "duplicate": True})
    assert (tally.since("alertmanager", "accepted"), tally.since("alertmanager", "duplicate")) == (1, 1)
    incident = await alerts_bot.incident(1)
    assert (incident.channel_id, incident.severity) == (ALERTS_CHANNEL, Severity.SEV1)
    assert sorted(await fingerprints(alerts_bot, 1, ev.AlertFired)) == ["f1", "f2"]
    assert (await alerts_bot.card(1)).channel == ALERTS_CHANNEL


@pytest.mark.parametrize("token", [None, "Bearer wrong-token", "Basic YWxlcnRzLXRva2VuLWZvci10ZXN0cw==", "Bearer "])
async def test_alertmanager_without_the_token_is_refused(alerts_bot: BotUnderTest, token: str | None) -> None:
    tally = Tally()
    headers = {"Authorization": token} if token is not None else {}

    answer = await post_alert(alerts_bot, ALERTMANAGER, body_of(alertmanager_payload()), headers)

    assert answer.status == 401
    assert "ALERTS_TOKEN" in answer.json()["error"]
    assert tally.since("alertmanager", "unauthorized") == 1
    assert await declared_count(alerts_bot) == 0


async def test_grafana_signs_as_the_readme_contact_point_says(alerts_bot: BotUnderTest) -> None:
    settings = contact_point()
    assert settings["url"].endswith(GRAFANA)
    assert (settings["header"], settings["timestampHeader"]) == (SIGNATURE_HEADER, TIMESTAMP_HEADER)
    body = body_of(grafana_payload())
    signed = grafana_signature(body, timestamp=str(int(time.time())), secret=GRAFANA_SECRET)

    answer = await post_alert(alerts_bot, GRAFANA, body, signed)

    assert (answer.status, answer.json()["declared"]) == (200, ["INC-1"])
    assert (await alerts_bot.incident(1)).title.startswith("This alert was triggered for zone us-1")


async def test_grafana_may_sign_the_body_alone_or_send_the_bearer_token(alerts_bot: BotUnderTest) -> None:
    body = body_of(grafana_payload())
    resolved = body_of(changed(changed(grafana_payload(), "alerts.0.status", "resolved"), "status", "resolved"))

    signed = await post_alert(alerts_bot, GRAFANA, body, grafana_signature(body))
    with_token = await post_alert(alerts_bot, GRAFANA, resolved, bearer())

    assert (signed.status, signed.json()["declared"]) == (200, ["INC-1"])
    assert (with_token.status, with_token.json()["updated"]) == (200, ["INC-1"])


def _stale(body: bytes) -> dict[str, str]:
    return grafana_signature(body, timestamp=str(int(time.time()) - 301))


@pytest.mark.parametrize(
    ("sign", "problem"),
    [
        (lambda body: grafana_signature(body, secret="not-the-secret"), "does not match the body"),
        (lambda body: grafana_signature(body + b"\n"), "does not match the body"),
        (_stale, "more than 5 minutes"),
        (lambda body: bearer("wrong-token"), "no bearer token and no X-Grafana-Alerting-Signature"),
    ],
    ids=["wrong secret", "other body", "stale timestamp", "wrong token"],
)
async def test_grafana_with_a_bad_or_stale_signature_is_refused(
    alerts_bot: BotUnderTest, sign: Any, problem: str
) -> None:
    body = body_of(grafana_payload())

    answer = await post_alert(alerts_bot, GRAFANA, body, sign(body))

    assert answer.status == 401
    assert problem in answer.json()["error"]
    assert await declared_count(alerts_bot) == 0


async def test_a_generic_alert_declares_then_resolves(alerts_bot: BotUnderTest) -> None:
    firing = await post_alert(alerts_bot, GENERIC, body_of(generic_payload()), bearer())
    resolved = await post_alert(alerts_bot, GENERIC, body_of(generic_payload(status="resolved")), bearer())
    refused = await post_alert(alerts_bot, GENERIC, body_of(generic_payload()), bearer("wrong"))

    assert (firing.status, firing.json()["declared"]) == (200, ["INC-1"])
    assert (resolved.status, resolved.json()["updated"]) == (200, ["INC-1"])
    assert refused.status == 401
    incident = await alerts_bot.incident(1)
    assert (incident.severity, incident.service) == (Severity.SEV2, "checkout")
    assert await fingerprints(alerts_bot, 1, ev.AlertFired) == ["pingdom-checkout-502"]
    assert await fingerprints(alerts_bot, 1, ev.AlertResolved) == ["pingdom-checkout-502"]


MALFORMED = [
    (ALERTMANAGER, b"{not json", "the body is not JSON"),
    (ALERTMANAGER, body_of(changed(alertmanager_payload(), "version", "3")), "version: expected '4'"),
    (ALERTMANAGER, body_of(changed(alertmanager_payload(), "groupKey", REMOVED)), "groupKey: missing"),
    (
        ALERTMANAGER,
        body_of(changed(alertmanager_payload(), "alerts.0.labels.team", ["payments"])),
        "alerts[0].labels.team: expected a string, got an array",
    ),
    (GRAFANA, body_of(changed(grafana_payload(), "alerts", [])), "alerts: empty"),
    (GENERIC, body_of(generic_payload(severity="urgent")), "severity: expected 1 to 5 or sev1 to sev4"),
    (GENERIC, b"[" * 50_000, "the body is JSON nested too deeply"),
    (GENERIC, b"\xff" * 10, "the body is not UTF-8"),
]


@pytest.mark.parametrize(("path", "body", "problem"), MALFORMED)
async def test_a_malformed_payload_is_refused_naming_the_problem(
    alerts_bot: BotUnderTest, path: str, body: bytes, problem: str
) -> None:
    tally = Tally()

    answer = await post_alert(alerts_bot, path, body, bearer())

    assert answer.status == 400
    assert answer.json()["error"].startswith(problem)
    assert tally.since(path.removeprefix("/alerts").strip("/") or "generic", "invalid") == 1
    assert await declared_count(alerts_bot) == 0


async def _chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 65536):
        yield b" " * 65536


async def test_a_body_over_one_mebibyte_is_refused_unread(alerts_bot: BotUnderTest) -> None:
    tally = Tally()
    declared_too_big = body_of(generic_payload(details={"log": "x" * MIB}))

    sized = await post_alert(alerts_bot, GENERIC, declared_too_big, bearer())
    chunked = await post_alert(alerts_bot, GENERIC, _chunks(2 * MIB), bearer())
    unauthenticated = await post_alert(alerts_bot, GENERIC, declared_too_big, bearer("wrong"))

    assert (sized.status, chunked.status) == (413, 413)
    assert "1 MiB" in sized.json()["error"]
    assert unauthenticated.status == 401, "the token is checked before any of the body is read"
    assert tally.since("generic", "too_large") == 2
    assert await declared_count(alerts_bot) == 0


async def test_a_body_just_under_one_mebibyte_is_taken(alerts_bot: BotUnderTest) -> None:
    """Bigger than anything Slack sends (the bot's other limit), well within an alert's."""
    payload = generic_payload(details={"log": ""})
    padding = MIB - len(body_of(payload)) - 16
    body = body_of(generic_payload(details={"log": "x" * padding}))
    assert MIB - 64 < len(body) <= MIB

    answer = await post_alert(alerts_bot, GENERIC, body, bearer())

    assert (answer.status, answer.json()["declared"]) == (200, ["INC-1"])


async def test_every_answer_is_json_even_for_a_body_of_another_kind(alerts_bot: BotUnderTest) -> None:
    answer = await post_alert(alerts_bot, GENERIC, b"source=x&summary=y", bearer() | {"Content-Type": "text/plain"})

    assert answer.status == 400
    assert json.loads(answer.text)["error"].startswith("the body is not JSON")


async def test_resolved_alerts_of_no_open_incident_declare_nothing(alerts_bot: BotUnderTest) -> None:
    resolved = alertmanager_payload(prometheus_alert(status="resolved"))

    answer = await post_alert(alerts_bot, ALERTMANAGER, body_of(resolved), bearer())

    assert answer.json() == {"ok": True, "declared": [], "updated": [], "duplicate": False}
    assert await declared_count(alerts_bot) == 0


async def test_no_token_or_signature_reaches_the_logs(alerts_bot: BotUnderTest, captured_logs: CapturedLogs) -> None:
    body = body_of(grafana_payload())
    signed = grafana_signature(body, timestamp=str(int(time.time())))
    await post_alert(alerts_bot, GRAFANA, body, signed)
    await post_alert(alerts_bot, GRAFANA, body, grafana_signature(body, secret="forged-secret"))
    await post_alert(alerts_bot, ALERTMANAGER, body_of(alertmanager_payload()), bearer())
    await post_alert(alerts_bot, ALERTMANAGER, body_of(alertmanager_payload()), bearer("guessed-token"))

    logged = captured_logs.text()
    for secret in (ALERTS_TOKEN, GRAFANA_SECRET, signed[SIGNATURE_HEADER], "guessed-token", "forged-secret"):
        assert secret not in logged
        assert secret not in repr(alerts_bot.settings)
    assert "refused an alert notification: not authenticated" in logged


async def test_text_no_database_stores_is_dropped_rather_than_failing_every_retry(alerts_bot: BotUnderTest) -> None:
    alert = prometheus_alert(team="pay\u0000ments") | {"fingerprint": "f\u0000"}
    body = body_of(alertmanager_payload(alert, group_key='{}:{alertname="HighErrorRate\u0000"}'))

    answer = await post_alert(alerts_bot, ALERTMANAGER, body, bearer())

    assert (answer.status, answer.json()["declared"]) == (200, ["INC-1"])
    assert await fingerprints(alerts_bot, 1, ev.AlertFired) == ["f"]
