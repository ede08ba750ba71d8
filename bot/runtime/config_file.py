"""The optional TOML file named by ``FIREBREAK_CONFIG``: SLA windows, the scheduler tick, the AI model,
the severities closed only with a postmortem, where alerts go (``[alerts]``, SPEC §11).

A bad file stops start-up with a message that names the key and what is wrong with it; a silently
ignored typo in an SLA window would only be discovered when a reminder fails to come.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.runtime.alert_config import ALERTS_KEYS, alert_routing
from bot.runtime.service_config import duration_setting, routed_to_services, service_catalog, windows_setting
from bot.runtime.settings import ConfigError
from domain.alerts import DEFAULT_ALERT_ROUTING, AlertRouting
from domain.postmortem import DEFAULT_POSTMORTEM_POLICY, PostmortemPolicy
from domain.services import NO_SERVICES, ServiceCatalog
from domain.severity import Severity
from domain.sla import DEFAULT_POLICY, SlaPolicy

DEFAULT_TICK = timedelta(seconds=30)
DEFAULT_AI_MODEL = "claude-haiku-4-5"
_SECTIONS = {
    "scheduler": {"tick"},
    "sla": {f"sev{s.value}" for s in Severity},
    "ai": {"model"},
    "postmortem": {"required"},
    "alerts": ALERTS_KEYS,
    "services": set(),
    "status_page": {"title", "url"},
}
# Tables of their own naming: severities, services.
_NAMED_TABLES = {"sla", "services"}


@dataclass(frozen=True)
class StatusBranding:
    """``[status_page]``: what the public status page is called, and where it is reached (its
    emails' links start there; else at CONSOLE_URL)."""

    title: str = "Status"
    url: str | None = None


@dataclass(frozen=True)
class FirebreakConfig:
    policy: SlaPolicy = DEFAULT_POLICY
    tick: timedelta = DEFAULT_TICK
    ai_model: str = DEFAULT_AI_MODEL
    postmortem: PostmortemPolicy = DEFAULT_POSTMORTEM_POLICY
    alerts: AlertRouting = DEFAULT_ALERT_ROUTING
    services: ServiceCatalog = NO_SERVICES
    status_page: StatusBranding = StatusBranding()


def load_config(path: str | None) -> FirebreakConfig:
    if path is None:
        return FirebreakConfig()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"FIREBREAK_CONFIG names {path}, which cannot be read: {error.strerror}.") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}.") from error
    return parse_config(data, source=path)


def parse_config(data: Mapping[str, Any], *, source: str) -> FirebreakConfig:
    _known_keys(data, _SECTIONS, source, "")
    config = FirebreakConfig()
    scheduler = _table(data, "scheduler", source)
    if "tick" in scheduler:
        tick = duration_setting(scheduler["tick"], "[scheduler] tick", source, allow_off=False)
        assert tick is not None
        config = replace(config, tick=tick)
    sla = _table(data, "sla", source)
    for name in sla:
        if name not in _SECTIONS["sla"]:
            raise ConfigError(f"{source}: [sla.{name}] is not a severity (expected sev1, sev2, sev3 or sev4).")
    if sla:
        windows = dict(DEFAULT_POLICY.windows)
        for severity in Severity:
            name = f"sev{severity.value}"
            windows[severity] = windows_setting(sla.get(name, {}), windows[severity], f"[sla.{name}]", source)
        config = replace(config, policy=SlaPolicy(windows))
    services = _table(data, "services", source)
    if services:
        catalog, policy = service_catalog(services, config.policy, source)
        config = replace(config, services=catalog, policy=policy)
    ai = _table(data, "ai", source)
    if "model" in ai:
        if not isinstance(ai["model"], str) or not ai["model"].strip():
            raise ConfigError(f"{source}: [ai] model must be a model name such as {DEFAULT_AI_MODEL!r}.")
        config = replace(config, ai_model=ai["model"].strip())
    postmortem = _table(data, "postmortem", source)
    if "required" in postmortem:
        config = replace(config, postmortem=_postmortem_policy(postmortem["required"], source))
    alerts = _table(data, "alerts", source)
    if alerts:
        config = replace(config, alerts=alert_routing(alerts, source))
    if config.services:
        config = replace(config, alerts=routed_to_services(config.alerts, config.services, source))
    status_page = _table(data, "status_page", source)
    if status_page:
        config = replace(config, status_page=_status_branding(status_page, source))
    return config


def _status_branding(table: Mapping[str, Any], source: str) -> StatusBranding:
    title, url = table.get("title", StatusBranding.title), table.get("url")
    if not isinstance(title, str) or not title.strip():
        raise ConfigError(f'{source}: [status_page] title must be the page\'s name, like "Acme status".')
    if url is not None and (not isinstance(url, str) or not url.startswith(("https://", "http://"))):
        raise ConfigError(
            f'{source}: [status_page] url must be the page\'s base URL, like "https://status.example.com".'
        )
    return StatusBranding(title.strip(), url.rstrip("/") if url else None)


def _postmortem_policy(value: object, source: str) -> PostmortemPolicy:
    """``required = ["sev1", "sev2"]``: the severities closed only with a postmortem (``[]``: none)."""
    example = '["sev1", "sev2"], or [] for none'
    if not isinstance(value, list):
        raise ConfigError(f"{source}: [postmortem] required must be a list of severities, like {example}.")
    severities = set()
    for item in value:
        name = item.strip().lower() if isinstance(item, str) else None
        if name not in _SECTIONS["sla"]:
            raise ConfigError(
                f"{source}: [postmortem] required names {item!r}, which is not a severity "
                f"(expected sev1, sev2, sev3 or sev4, like {example})."
            )
        severities.add(Severity(int(name[3:])))
    return PostmortemPolicy(frozenset(severities))


def _known_keys(data: Mapping[str, Any], known: Mapping[str, set[str]], source: str, section: str) -> None:
    for key in data:
        if key not in known:
            where = f"[{section}] {key}" if section else f"[{key}]"
            allowed = ", ".join(sorted(known))
            raise ConfigError(f"{source}: {where} is not a setting Firebreak knows (expected one of: {allowed}).")


def _table(data: Mapping[str, Any], name: str, source: str, prefix: str = "") -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: [{prefix}{name}] must be a table of settings, not {type(value).__name__}.")
    if prefix == "" and name in _SECTIONS and name not in _NAMED_TABLES:
        _known_keys(value, {key: set() for key in _SECTIONS[name]}, source, name)
    return value
