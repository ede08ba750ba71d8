"""The three payloads as the receiver reads them, and what it says about each way one can be wrong;
Grafana's signature and the bearer token as the receiver checks them."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.receivers.alerts.alert_auth import bearer_matches, grafana_signature_problem
from bot.receivers.alerts.alert_payloads import alertmanager_notification, grafana_notification
from bot.receivers.alerts.generic_payload import generic_notification
from bot.receivers.alerts.payload_fields import PayloadError, parse_json
from bot.runtime.settings import Settings
from domain.alerts import AlertLink, AlertStatus
from domain.severity import Severity
from tests.alerts.samples import (
    GRAFANA_SECRET,
    REMOVED,
    alertmanager_payload,
    body_of,
    changed,
    generic_payload,
    grafana_payload,
    grafana_signature,
    prometheus_alert,
)

NOW = 1_800_000_000


def test_an_alertmanager_notification_is_read_whole() -> None:
    payload = alertmanager_payload(
        prometheus_alert(fingerprint="f1"), prometheus_alert("DiskFull", fingerprint="f2", status="resolved")
    )
    payload["truncatedAlerts"] = 3

    notification = alertmanager_notification(payload)

    assert (notification.source, notification.group_key) == ("alertmanager", '{}:{alertname="HighErrorRate"}')
    assert notification.truncated == 3
    assert (notification.service, notification.severity) == (None, None), "routing decides them"
    first, second = notification.alerts
    assert (first.fingerprint, first.status, first.summary) == ("f1", AlertStatus.FIRING, "HighErrorRate on checkout")
    assert first.labels == (("alertname", "HighErrorRate"), ("service", "checkout"), ("severity", "critical"))
    assert first.starts_at == datetime(2026, 12, 7, 9, 30, 0, 123456, tzinfo=UTC)
    assert first.ends_at is None, "Go's zero time means not ended"
    assert first.links == (
        AlertLink("http://prometheus.example.com:9090/graph?g0.expr=rate%28errors%5B5m%5D%29", "Source"),
        AlertLink("https://runbooks.example.com/checkout", "Runbook"),
    )
    assert (second.status, second.ends_at) == (AlertStatus.RESOLVED, datetime(2026, 12, 7, 9, 45, tzinfo=UTC))


def test_the_summary_falls_back_to_the_alert_name_then_to_alert() -> None:
    unnamed = prometheus_alert()
    del unnamed["annotations"]
    unnamed["labels"] = {"job": "api"}
    named = changed(prometheus_alert(), "annotations", {"summary": "  "})

    alerts = alertmanager_notification(alertmanager_payload(named, unnamed)).alerts

    assert [alert.summary for alert in alerts] == ["HighErrorRate", "alert"]


def test_links_that_are_not_web_addresses_are_left_out() -> None:
    alert = prometheus_alert() | {"generatorURL": "javascript:alert(1)"}
    alert["annotations"]["runbook_url"] = "/relative/runbook"

    (signal,) = alertmanager_notification(alertmanager_payload(alert)).alerts

    assert signal.links == ()


def test_a_grafana_notification_is_read_whole() -> None:
    notification = grafana_notification(grafana_payload())

    assert notification.source == "grafana"
    assert notification.group_key == '{}/{alertname="High memory usage"}:{alertname="High memory usage"}'
    (signal,) = notification.alerts
    assert (signal.fingerprint, signal.summary) == ("c6eadffa33fcdf37", "This alert was triggered for zone us-1")
    assert signal.starts_at == datetime(2021, 10, 12, 9, 51, 3, 157076, tzinfo=timezone(timedelta(hours=2)))
    assert [link.text for link in signal.links] == ["Alert rule", "Silence", "Runbook"], "empty URLs left out"


def test_a_generic_alert_is_read_whole() -> None:
    notification = generic_notification(generic_payload())

    assert (notification.source, notification.group_key) == ("generic", "pingdom-checkout-502")
    assert (notification.service, notification.severity) == ("checkout", Severity.SEV2)
    (signal,) = notification.alerts
    assert (signal.fingerprint, signal.status, signal.summary) == (
        "pingdom-checkout-502",
        AlertStatus.FIRING,
        "Checkout answers 502",
    )
    assert signal.labels == (("checks", "3"), ("region", "eu-west-1"), ("service", "checkout"), ("source", "pingdom"))
    assert signal.links == (AlertLink("https://pingdom.example.com/checks/42", "Pingdom check"),)


@pytest.mark.parametrize(
    ("severity", "expected"),
    [(1, Severity.SEV1), (4, Severity.SEV4), (5, Severity.SEV4), ("3", Severity.SEV3), ("SEV1", Severity.SEV1)],
)
def test_a_generic_severity_is_one_to_five_or_sev1_to_sev4(severity: object, expected: Severity) -> None:
    assert generic_notification(generic_payload(severity=severity)).severity == expected


def test_a_generic_alert_needs_only_a_summary_and_a_dedup_key() -> None:
    notification = generic_notification({"summary": "Queue backed up", "dedup_key": "queue"})

    assert (notification.service, notification.severity) == (None, None)
    assert notification.alerts[0].status == AlertStatus.FIRING
    assert notification.alerts[0].labels == ()


def test_characters_no_stored_text_may_hold_are_dropped() -> None:
    """NUL (Postgres refuses it), other controls, lone surrogates: JSON can spell them all."""
    body = rb'{"summary": "Disk\u0000 full\ud800\t!", "dedup_key": "disk\u0007", "details": {"k\u0000": "v\udfff"}}'

    notification = generic_notification(parse_json(body))

    (signal,) = notification.alerts
    assert (signal.summary, signal.fingerprint, notification.group_key) == ("Disk full\t!", "disk", "disk")
    assert signal.labels == (("k", "v"),)
    with pytest.raises(PayloadError, match=r"^dedup_key: empty"):
        generic_notification(parse_json(rb'{"summary": "s", "dedup_key": "\u0000"}'))


ALERTMANAGER_MISTAKES = [
    ("version", "3", "version: expected '4'"),
    ("version", REMOVED, "version: missing"),
    ("groupKey", REMOVED, "groupKey: missing"),
    ("groupKey", 7, "groupKey: expected a string, got a number"),
    ("status", "pending", 'status: expected "firing", "resolved", got \'pending\''),
    ("truncatedAlerts", -1, "truncatedAlerts: expected a whole number ≥ 0"),
    ("alerts", {}, "alerts: expected an array, got an object"),
    ("alerts", [], "alerts: empty"),
    ("alerts.0", "HighErrorRate", "alerts[0]: expected a JSON object, got a string"),
    ("alerts.0.fingerprint", REMOVED, "alerts[0].fingerprint: missing"),
    ("alerts.0.status", True, "alerts[0].status: expected a string, got a boolean"),
    ("alerts.0.labels", REMOVED, "alerts[0].labels: missing"),
    ("alerts.0.labels", ["a"], "alerts[0].labels: expected a JSON object, got an array"),
    ("alerts.0.labels.team", 5, "alerts[0].labels.team: expected a string, got a number"),
    ("alerts.0.annotations.summary", None, "alerts[0].annotations.summary: expected a string, got null"),
    ("alerts.0.startsAt", "yesterday", "alerts[0].startsAt: expected an RFC 3339 time, got 'yesterday'"),
    ("alerts.0.startsAt", "2026-12-07T09:30:00", "alerts[0].startsAt: expected an RFC 3339 time"),
    ("alerts.0.generatorURL", 1, "alerts[0].generatorURL: expected a string, got a number"),
]


@pytest.mark.parametrize(("path", "value", "message"), ALERTMANAGER_MISTAKES)
def test_a_malformed_alertmanager_payload_is_refused_naming_the_field(path: str, value: object, message: str) -> None:
    with pytest.raises(PayloadError) as refused:
        alertmanager_notification(changed(alertmanager_payload(), path, value))
    assert str(refused.value).startswith(message)


def test_grafana_payloads_are_checked_the_same_way() -> None:
    with pytest.raises(PayloadError, match=r"^version: expected '1'"):
        grafana_notification(changed(grafana_payload(), "version", "2"))
    with pytest.raises(PayloadError, match=r"^alerts\[0\]\.fingerprint: missing"):
        grafana_notification(changed(grafana_payload(), "alerts.0.fingerprint", REMOVED))


GENERIC_MISTAKES = [
    ({"summary": REMOVED}, "summary: missing"),
    ({"summary": "   "}, "summary: empty"),
    ({"dedup_key": ["a"]}, "dedup_key: expected a string, got an array"),
    ({"status": "acknowledged"}, "status: expected"),
    ({"severity": 0}, "severity: expected 1 to 5 or sev1 to sev4, got 0"),
    ({"severity": "sev5"}, "severity: expected 1 to 5 or sev1 to sev4, got 'sev5'"),
    ({"severity": True}, "severity: expected 1 to 5 or sev1 to sev4, got true"),
    ({"details": "region=eu"}, "details: expected a JSON object, got a string"),
    ({"links": {"href": "x"}}, "links: expected an array, got an object"),
    ({"links": [{"text": "Pingdom"}]}, "links[0].href: missing"),
    ({"links": [{"href": "ftp://files.example.com/x"}]}, "links[0].href: expected an http or https URL"),
]


@pytest.mark.parametrize(("fields", "message"), GENERIC_MISTAKES)
def test_a_malformed_generic_payload_is_refused_naming_the_field(fields: dict[str, Any], message: str) -> None:
    payload = {key: value for key, value in (generic_payload() | fields).items() if value is not REMOVED}
    with pytest.raises(PayloadError) as refused:
        generic_notification(payload)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the body is not JSON"),
        (b'{"version": NaN}', "the body is not JSON: NaN is not a JSON number"),
        (b"\xff\xfe{}", "the body is not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "the body is JSON nested too deeply"),
        (b"", "the body is not JSON"),
    ],
)
def test_a_body_that_is_not_json_is_refused(body: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=f"^{message}"):
        parse_json(body)


def test_a_body_that_is_json_but_not_an_object_is_refused() -> None:
    with pytest.raises(PayloadError, match=r"^the body must be a JSON object, got an array"):
        alertmanager_notification(parse_json(b"[]"))


# ---------------------------------------------------------------------- who may send
@pytest.mark.parametrize(
    ("authorization", "accepted"),
    [
        ("Bearer right-token", True),
        ("bearer  right-token ", True),
        ("Bearer wrong-token", False),
        ("Bearer right-token-and-more", False),
        ("Basic right-token", False),
        ("right-token", False),
        ("Bearer é", False),
        (None, False),
    ],
)
def test_the_bearer_token_must_be_the_very_token(authorization: str | None, accepted: bool) -> None:
    assert bearer_matches(authorization, "right-token") is accepted


BODY = body_of(grafana_payload())


def test_a_grafana_signature_over_the_body_is_accepted() -> None:
    assert grafana_signature_problem(grafana_signature(BODY), BODY, GRAFANA_SECRET, NOW) is None


def test_a_grafana_signature_over_timestamp_and_body_is_accepted_while_fresh() -> None:
    for age in (0, 299, -299):
        headers = grafana_signature(BODY, timestamp=str(NOW - age))
        assert grafana_signature_problem(headers, BODY, GRAFANA_SECRET, NOW) is None, age


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({}, "no bearer token and no X-Grafana-Alerting-Signature"),
        (grafana_signature(BODY, secret="another-secret"), "X-Grafana-Alerting-Signature does not match the body"),
        (grafana_signature(BODY + b" "), "X-Grafana-Alerting-Signature does not match the body"),
        (grafana_signature(BODY, timestamp=str(NOW - 301)), "X-Grafana-Alerting-Timestamp is more than 5 minutes"),
        (grafana_signature(BODY, timestamp=str(NOW + 301)), "X-Grafana-Alerting-Timestamp is more than 5 minutes"),
        (grafana_signature(BODY, timestamp="1e9"), "X-Grafana-Alerting-Timestamp is not a Unix time"),
        (grafana_signature(BODY, timestamp="9" * 40), "X-Grafana-Alerting-Timestamp is not a Unix time"),
        # Signed over the body alone, sent with a timestamp: the timestamp could have been added by anyone.
        (grafana_signature(BODY) | {"X-Grafana-Alerting-Timestamp": str(NOW)}, "does not match the body"),
        ({"X-Grafana-Alerting-Signature": "zz-not-hex-é"}, "X-Grafana-Alerting-Signature does not match the body"),
    ],
)
def test_a_bad_or_stale_grafana_signature_is_refused_saying_why(headers: dict[str, str], problem: str) -> None:
    found = grafana_signature_problem(headers, BODY, GRAFANA_SECRET, NOW)
    assert found is not None
    assert problem in found


def test_each_credential_comes_from_the_environment_and_a_blank_one_is_unset() -> None:
    slack = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    on = Settings.from_env(slack | {"ALERTS_TOKEN": " token ", "GRAFANA_WEBHOOK_SECRET": "secret"})
    off = Settings.from_env(slack | {"ALERTS_TOKEN": "  "})

    assert (on.alerts_token, on.grafana_webhook_secret) == ("token", "secret")
    assert (off.alerts_token, off.grafana_webhook_secret) == (None, None)


# Text as JSON can spell it, unstorable characters included: NUL, other controls, lone surrogates.
TEXTS = st.text() | st.text(alphabet=st.sampled_from(["\x00", "\x07", "\x9f", "\t", "\n", "\ud800", "a", "é"]))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXTS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXTS, children, max_size=3),
    max_leaves=12,
)
READERS = {
    "alertmanager": (alertmanager_notification, alertmanager_payload),
    "grafana": (grafana_notification, grafana_payload),
    "generic": (generic_notification, generic_payload),
}
PATHS = [
    "version", "groupKey", "status", "truncatedAlerts", "alerts", "alerts.0", "alerts.0.status", "alerts.0.labels",
    "alerts.0.labels.alertname", "alerts.0.annotations", "alerts.0.startsAt", "alerts.0.endsAt", "alerts.0.fingerprint",
    "alerts.0.generatorURL", "summary", "dedup_key", "severity", "details", "links", "service", "source",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(source=st.sampled_from(sorted(READERS)), path=st.sampled_from(PATHS), value=JSON_VALUES | st.just(REMOVED))
def test_any_value_anywhere_is_read_into_storable_text_or_refused_as_malformed(
    source: str, path: str, value: object
) -> None:
    read, sample = READERS[source]
    try:
        payload = changed(sample(), path, value)
    except (KeyError, IndexError, TypeError):
        return  # the path is not in this source's payload
    try:
        notification = read(payload)
    except PayloadError:
        return  # refused: a 400 that names the field
    texts = [notification.group_key] + [
        text
        for signal in notification.alerts
        for text in (signal.fingerprint, signal.summary, *(part for label in signal.labels for part in label))
    ]
    assert all(char in "\t\n" or unicodedata.category(char) not in ("Cc", "Cs") for text in texts for char in text)
