"""Events to and from plain JSON-ready dicts, so storage can keep them without knowing each type.

The payload holds an event's own fields; ``actor``, ``at`` and a Slack ``source`` travel beside it
because storage keeps them in columns of their own. A console source names no Slack message, so it
has no columns: the payload says ``"via": "console"`` instead.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from enum import Enum
from typing import Any

from domain.events import EVENT_TYPES, Event
from domain.incident import ConsoleSource, SlackSource, Source

_ENVELOPE = frozenset({"actor", "at", "source"})
# No event has a field of this name (a test checks), so it cannot clash with one.
_VIA = "via"
_VIA_CONSOLE = "console"


def encode_payload(event: Event) -> dict[str, Any]:
    payload = {f.name: _encode(getattr(event, f.name)) for f in dataclasses.fields(event) if f.name not in _ENVELOPE}
    if isinstance(event.source, ConsoleSource):
        payload[_VIA] = _VIA_CONSOLE
    return payload


def slack_source(event: Event) -> SlackSource | None:
    """The part of an event's source that storage keeps in columns: the Slack message it came from."""
    return event.source if isinstance(event.source, SlackSource) else None


def decode_event(
    type_name: str, payload: dict[str, Any], *, actor: str, at: datetime, source: SlackSource | None
) -> Event:
    """``source`` is what :func:`slack_source` gave storage for the event's columns."""
    cls = EVENT_TYPES.get(type_name)
    if cls is None:
        raise ValueError(f"unknown event type {type_name!r}")
    hints = _hints(cls)
    # A field added to an event type after some were stored takes its default for those.
    fields = {name: _decode(hints[name], payload[name]) for name in hints if name not in _ENVELOPE and name in payload}
    origin: Source | None = ConsoleSource() if payload.get(_VIA) == _VIA_CONSOLE else source
    return cls(actor=actor, at=at, source=origin, **fields)


def encode_value(value: Any) -> Any:
    """A domain value (a dataclass, a tuple of them…) as JSON-ready data, as event payloads hold it."""
    return _encode(value)


def decode_value(hint: Any, raw: Any) -> Any:
    """The value of type ``hint`` that :func:`encode_value` gave ``raw`` for."""
    return _decode(hint, raw)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """A dataclass's resolved field types; resolving is slow, so each class is resolved once."""
    if cls not in _HINTS:
        hints = typing.get_type_hints(cls)
        _HINTS[cls] = {f.name: hints[f.name] for f in dataclasses.fields(cls)}
    return _HINTS[cls]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    return value


def _decode(hint: Any, raw: Any) -> Any:  # noqa: PLR0911 - one branch per shape of type
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        if raw is None:
            return None
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _decode(inner, raw)
    if origin is tuple:
        item_hint = typing.get_args(hint)[0]
        return tuple(_decode(item_hint, item) for item in raw)
    if hint is datetime:
        return datetime.fromisoformat(raw)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(raw)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        nested = _hints(hint)
        return hint(**{name: _decode(nested[name], raw[name]) for name in nested})
    return raw
