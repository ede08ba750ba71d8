"""The optional TOML file named by ``FIREBREAK_CONFIG``: SLA windows, the scheduler tick, the AI model.

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

from bot.runtime.settings import ConfigError
from domain.durations import parse_duration
from domain.errors import InvalidValue
from domain.severity import Severity
from domain.sla import DEFAULT_POLICY, SlaPolicy

DEFAULT_TICK = timedelta(seconds=30)
DEFAULT_AI_MODEL = "claude-haiku-4-5"
_SECTIONS = {"scheduler": {"tick"}, "sla": {f"sev{s.value}" for s in Severity}, "ai": {"model"}}
_WINDOW_KEYS = ("ack", "update", "resolve")


@dataclass(frozen=True)
class FirebreakConfig:
    policy: SlaPolicy = DEFAULT_POLICY
    tick: timedelta = DEFAULT_TICK
    ai_model: str = DEFAULT_AI_MODEL


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
        tick = _duration(scheduler["tick"], "[scheduler] tick", source, allow_off=False)
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
            table = _table(sla, name, source, prefix="sla.")
            _known_keys(table, {key: set() for key in _WINDOW_KEYS}, source, f"sla.{name}")
            overrides = {
                key: _duration(table[key], f"[sla.{name}] {key}", source, allow_off=True)
                for key in _WINDOW_KEYS
                if key in table
            }
            windows[severity] = replace(windows[severity], **overrides)
        config = replace(config, policy=SlaPolicy(windows))
    ai = _table(data, "ai", source)
    if "model" in ai:
        if not isinstance(ai["model"], str) or not ai["model"].strip():
            raise ConfigError(f"{source}: [ai] model must be a model name such as {DEFAULT_AI_MODEL!r}.")
        config = replace(config, ai_model=ai["model"].strip())
    return config


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
    if prefix == "" and name in _SECTIONS and name != "sla":
        _known_keys(value, {key: set() for key in _SECTIONS[name]}, source, name)
    return value


def _duration(value: object, key: str, source: str, *, allow_off: bool) -> timedelta | None:
    if allow_off and value == "off":
        return None
    if not isinstance(value, str):
        raise ConfigError(f'{source}: {key} must be a duration in quotes, like "90s", "5m", "1h" or "3d".')
    try:
        return parse_duration(value)
    except InvalidValue as error:
        extra = ' or "off"' if allow_off else ""
        raise ConfigError(f"{source}: {key} = {value!r} is not a duration{extra}: {error.message}") from error
