"""``[services.<key>]`` in the config file: the service catalog (SPEC §13). A mistake stops start-up
with a message naming the file, the service and the field: an owner id with a typo would only be
found out when a SEV1 pages nobody.

    [services.checkout]
    name = "Checkout"                 # shown on the card; the key when left out
    owner = "S0PAYMENTS"              # a Slack user group (S…) or user (U…) id
    channel = "C0CHECKOUT"            # where its incidents are declared from the console and alerts
    runbook = [
      { text = "Check the payments dashboard", link = "https://grafana.example.com/d/payments" },
      { text = "Fail over to the replica" },
    ]

    [services.checkout.sla.sev1]      # likewise sev2 … sev4: replaces [sla] for its incidents
    ack = "2m"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from bot.runtime.settings import ConfigError
from domain.alerts import AlertRouting
from domain.durations import parse_duration
from domain.errors import InvalidValue
from domain.services import CHANNEL_ID, OWNER_ID, SERVICE_KEY, RunbookStep, Service, ServiceCatalog
from domain.severity import Severity
from domain.sla import SlaPolicy, SlaWindows
from domain.text import NOTE_MAX, SERVICE_MAX

_SERVICE_KEYS = ("name", "owner", "channel", "sla", "runbook")
_STEP_KEYS = ("text", "link")
WINDOW_KEYS = ("ack", "update", "resolve")
SEVERITY_NAMES = tuple(f"sev{severity.value}" for severity in Severity)
RUNBOOK_MAX = 20
# Characters that would end a Slack link token early (``<url|text>``) or split the address.
_UNSAFE_IN_LINK = set("<>| \t\n")
_OWNER = "a Slack user (U…) or user group (S…) id"


def service_catalog(table: Mapping[str, Any], policy: SlaPolicy, source: str) -> tuple[ServiceCatalog, SlaPolicy]:
    """The catalog ``[services]`` describes, and ``policy`` with each service's SLA overrides."""
    services: dict[str, Service] = {}
    overrides: dict[str, dict[Severity, SlaWindows]] = {}
    for key, settings in table.items():
        where = f"[services.{key}]"
        if not SERVICE_KEY.match(key):
            raise ConfigError(
                f"{source}: {where} is not a service key Firebreak accepts: lower-case letters, digits, "
                "'-' and '_', up to 40, like [services.checkout]."
            )
        if not isinstance(settings, Mapping):
            raise ConfigError(f"{source}: {where} must be a table of settings, not {type(settings).__name__}.")
        known_keys(settings, _SERVICE_KEYS, where, source)
        services[key] = Service(
            key=key,
            name=_name(settings.get("name", key), where, source),
            owner=_id(
                settings.get("owner"), OWNER_ID, f"{where} owner", "a Slack user (U…) or user group (S…) id", source
            ),
            channel=_id(settings.get("channel"), CHANNEL_ID, f"{where} channel", "a Slack channel id (C…)", source),
            runbook=_runbook(settings.get("runbook", []), where, source),
        )
        overrides[key] = _sla(settings.get("sla", {}), policy, key, source)
    return ServiceCatalog(services), replace(policy, services=overrides)


def routed_to_services(routing: AlertRouting, catalog: ServiceCatalog, source: str) -> AlertRouting:
    """Routes name catalog services by key, and declare in the service's channel unless they name
    one: a typo in a route's service would file its alerts under a service nobody owns."""
    routes = []
    for index, route in enumerate(routing.routes, start=1):
        service = catalog.get(route.service)
        if route.service is not None and service is None:
            known = ", ".join(sorted(catalog.services))
            raise ConfigError(
                f"{source}: [[alerts.routes]] #{index} service = {route.service!r} is not in the catalog "
                f"(the [services.…] keys: {known})."
            )
        routes.append(
            route if service is None else replace(route, service=service.key, channel=route.channel or service.channel)
        )
    return replace(routing, routes=tuple(routes))


def known_keys(table: Mapping[str, Any], known: tuple[str, ...], where: str, source: str) -> None:
    for key in table:
        if key not in known:
            expected = ", ".join(sorted(known))
            raise ConfigError(
                f"{source}: {where} {key} is not a setting Firebreak knows (expected one of: {expected})."
            )


def duration_setting(value: object, key: str, source: str, *, allow_off: bool) -> timedelta | None:
    """A duration written in quotes (``"90s"``, ``"5m"``, ``"1h"``, ``"3d"``), or ``"off"`` where allowed."""
    if allow_off and value == "off":
        return None
    if not isinstance(value, str):
        raise ConfigError(f'{source}: {key} must be a duration in quotes, like "90s", "5m", "1h" or "3d".')
    try:
        return parse_duration(value)
    except InvalidValue as error:
        extra = ' or "off"' if allow_off else ""
        raise ConfigError(f"{source}: {key} = {value!r} is not a duration{extra}: {error.message}") from error


def windows_setting(table: object, base: SlaWindows, where: str, source: str) -> SlaWindows:
    """``base`` with the windows ``table`` (an ``[….sla.sevN]`` table) sets."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: {where} must be a table of settings, not {type(table).__name__}.")
    known_keys(table, WINDOW_KEYS, where, source)
    given = {key: duration_setting(table[key], f"{where} {key}", source, allow_off=True) for key in table}
    return replace(base, **given)


def _sla(table: object, policy: SlaPolicy, key: str, source: str) -> dict[Severity, SlaWindows]:
    where = f"[services.{key}.sla]"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: {where} must be a table of severities, like [services.{key}.sla.sev1].")
    known_keys(table, SEVERITY_NAMES, where, source)
    return {
        Severity(int(name[3:])): windows_setting(
            windows, policy.for_severity(Severity(int(name[3:]))), f"[services.{key}.sla.{name}]", source
        )
        for name, windows in table.items()
    }


def _name(value: object, where: str, source: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > SERVICE_MAX:
        raise ConfigError(
            f"{source}: {where} name = {value!r} must be the service's name, 1 to {SERVICE_MAX} characters."
        )
    return value.strip()


def _id(value: object, shape: Any, key: str, what: str, source: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not shape.match(value.strip()):
        raise ConfigError(
            f"{source}: {key} = {value!r} must be {what}, not a name: names change, ids do not "
            "(a member's or group's id is in their profile, a channel's in its details)."
        )
    return value.strip()


def _runbook(value: object, where: str, source: str) -> tuple[RunbookStep, ...]:
    example = 'runbook = [{ text = "Check the dashboard", link = "https://…" }, { text = "Fail over" }]'
    if not isinstance(value, list) or not all(isinstance(step, Mapping) for step in value):
        raise ConfigError(f"{source}: {where} runbook must be a list of steps, like {example}.")
    if len(value) > RUNBOOK_MAX:
        raise ConfigError(f"{source}: {where} runbook has {len(value)} steps; at most {RUNBOOK_MAX} fit a message.")
    return tuple(_step(step, f"{where} runbook step {number}", source) for number, step in enumerate(value, start=1))


def _step(step: Mapping[str, Any], where: str, source: str) -> RunbookStep:
    known_keys(step, _STEP_KEYS, where, source)
    text = step.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > NOTE_MAX:
        raise ConfigError(f"{source}: {where} text = {text!r} must say what to do, 1 to {NOTE_MAX} characters.")
    link = step.get("link")
    if link is not None:
        parts = urlsplit(link) if isinstance(link, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or _UNSAFE_IN_LINK & set(link):
            raise ConfigError(f"{source}: {where} link = {link!r} must be a web address starting https:// or http://.")
    return RunbookStep(text=" ".join(text.split()), link=link)
