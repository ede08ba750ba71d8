"""``[alerts]`` in the config file: where alerts declare incidents and how severities are read
(SPEC §11). A mistake stops start-up with a message naming the file, the key and the value: a
route that silently matched nothing would only be noticed in the middle of an outage.

    [alerts]
    channel = "C0ALERTS"            # where alerts declare incidents unless a route says otherwise
    window = "30m"                  # an open incident of a service absorbs its new alert groups this long
    auto_resolve = false            # true: resolve when every alert has resolved (else the thread asks)
    escalate_at = 20                # firing alerts at which the thread suggests a higher severity
    severity_label = "severity"     # the label read for a severity…
    severity = { page = "sev1" }    # …and what its values mean, beside critical/error/high/warning

    [[alerts.routes]]
    match = { team = "payments" }   # every label given must be carried
    service = "payments"
    channel = "C0PAYMENTS"
    severity = "sev2"               # one severity for all, or a table like the one above
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.runtime.settings import ConfigError
from domain.alerts import (
    DEFAULT_ALERT_WINDOW,
    DEFAULT_ESCALATE_AT,
    DEFAULT_SEVERITY_LABEL,
    DEFAULT_SEVERITY_MAPPING,
    DEFAULT_SEVERITY_VALUES,
    AlertRoute,
    AlertRouting,
    SeverityMapping,
)
from domain.durations import parse_duration
from domain.errors import InvalidValue
from domain.severity import Severity, parse_severity

ALERTS_KEYS = {"channel", "window", "auto_resolve", "escalate_at", "severity", "severity_label", "routes"}
_ROUTE_KEYS = {"match", "service", "channel", "severity", "severity_label"}
# A channel's id: its name can change, its id does not (and the card is posted by id).
_CHANNEL_ID = re.compile(r"^[A-Z][A-Z0-9]{1,31}$")
_MAX_ESCALATE_AT = 100_000


def alert_routing(table: Mapping[str, Any], source: str) -> AlertRouting:
    window = _window(table.get("window"), source)
    auto_resolve = table.get("auto_resolve", False)
    if not isinstance(auto_resolve, bool):
        raise ConfigError(f"{source}: [alerts] auto_resolve = {auto_resolve!r} must be true or false.")
    escalate_at = table.get("escalate_at", DEFAULT_ESCALATE_AT)
    if isinstance(escalate_at, bool) or not isinstance(escalate_at, int) or not 1 <= escalate_at <= _MAX_ESCALATE_AT:
        raise ConfigError(
            f"{source}: [alerts] escalate_at = {escalate_at!r} must be a whole number of firing alerts "
            f"from 1 to {_MAX_ESCALATE_AT}, like {DEFAULT_ESCALATE_AT}."
        )
    routes = table.get("routes", [])
    if not isinstance(routes, list) or not all(isinstance(route, Mapping) for route in routes):
        raise ConfigError(f"{source}: [[alerts.routes]] must be tables, each with a match = {{ label = value }}.")
    return AlertRouting(
        channel=_channel(table.get("channel"), "[alerts] channel", source),
        routes=tuple(_route(route, index, source) for index, route in enumerate(routes, start=1)),
        severity=_mapping(table, "[alerts]", source) or DEFAULT_SEVERITY_MAPPING,
        window=window,
        auto_resolve=auto_resolve,
        escalate_at=escalate_at,
    )


def _route(table: Mapping[str, Any], index: int, source: str) -> AlertRoute:
    where = f"[[alerts.routes]] #{index}"
    unknown = sorted(set(table) - _ROUTE_KEYS)
    if unknown:
        raise ConfigError(
            f"{source}: {where} {unknown[0]} is not a setting Firebreak knows "
            f"(expected one of: {', '.join(sorted(_ROUTE_KEYS))})."
        )
    match = table.get("match")
    if (
        not isinstance(match, Mapping)
        or not match
        or not all(isinstance(value, str) and value for value in match.values())
    ):
        raise ConfigError(
            f"{source}: {where} match = {match!r} must be a table of labels and their values, "
            'like match = { team = "payments" }.'
        )
    service = table.get("service")
    if service is not None and (not isinstance(service, str) or not service.strip()):
        raise ConfigError(f"{source}: {where} service = {service!r} must be a service's name.")
    return AlertRoute(
        match=tuple(sorted(match.items())),
        service=service.strip() if service else None,
        channel=_channel(table.get("channel"), f"{where} channel", source),
        severity=_mapping(table, where, source),
    )


def _mapping(table: Mapping[str, Any], where: str, source: str) -> SeverityMapping | None:
    """``severity = "sev2"`` (one for all) or ``severity = { page = "sev1" }`` beside the default
    words, read from ``severity_label``; None when neither is given."""
    label = table.get("severity_label", DEFAULT_SEVERITY_LABEL)
    if not isinstance(label, str) or not label.strip():
        raise ConfigError(f"{source}: {where} severity_label = {label!r} must be a label's name, like 'severity'.")
    given = table.get("severity")
    if given is None:
        return None if "severity_label" not in table else SeverityMapping(label=label.strip())
    if isinstance(given, str):
        return SeverityMapping(fixed=_severity(given, f"{where} severity", source))
    if not isinstance(given, Mapping):
        raise ConfigError(
            f'{source}: {where} severity = {given!r} must be a severity ("sev2") or a table of label values, '
            'like { critical = "sev1", page = "sev1" }.'
        )
    values = dict(DEFAULT_SEVERITY_VALUES) | {
        str(value).strip().lower(): _severity(meant, f"{where} severity.{value}", source)
        for value, meant in given.items()
    }
    return SeverityMapping(label=label.strip(), values=tuple(values.items()))


def _severity(value: object, key: str, source: str) -> Severity:
    try:
        if not isinstance(value, str):
            raise InvalidValue("it must be a severity in quotes")
        return parse_severity(value)
    except InvalidValue as error:
        said = f'{source}: {key} = {value!r} is not a severity ("sev1" to "sev4")'
        raise ConfigError(f"{said}: {error.message}") from error


def _channel(value: object, key: str, source: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _CHANNEL_ID.match(value.strip()):
        raise ConfigError(
            f"{source}: {key} = {value!r} must be a Slack channel id like C0123ABCD "
            "(a channel's name can change; its id does not: it is in the channel's details)."
        )
    return value.strip()


def _window(value: object, source: str) -> timedelta:
    if value is None:
        return DEFAULT_ALERT_WINDOW
    try:
        if not isinstance(value, str):
            raise InvalidValue("it must be a duration in quotes")
        return parse_duration(value)
    except InvalidValue as error:
        raise ConfigError(
            f'{source}: [alerts] window = {value!r} is not a duration, like "30m": {error.message}'
        ) from error
