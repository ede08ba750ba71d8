"""Reading a JSON payload field by field, so that whatever is wrong with it is refused with the
field's path and the problem (``alerts[2].labels.team: expected a string, got a number``): the
person who configured the monitoring tool reads that answer in its logs and fixes the config."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from domain.alerts import AlertLink, AlertStatus

# Go's zero time: Alertmanager and Grafana send it as the end of an alert that has not ended.
_ZERO_YEAR = 1
_STATUSES = ", ".join(f'"{status}"' for status in AlertStatus)
# JSON can spell what no stored text may hold: NUL (Postgres refuses it) and other control
# characters, and lone surrogates ("\ud800", which no encoder takes). Tabs and line feeds stay.
_STORABLE = re.compile("[^\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]*")


class PayloadError(Exception):
    """A payload refused as malformed; the message names the field and what is wrong with it."""


def parse_json(body: bytes) -> object:
    """The body as JSON, or a PayloadError saying why it is not."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise PayloadError("the body is not UTF-8") from None
    except RecursionError:
        raise PayloadError("the body is JSON nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, NaN, an integer too long to convert
        raise PayloadError(f"the body is not JSON: {str(error)[:120]}") from None


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def storable(value: str) -> str:
    """``value`` without the characters no stored text may hold (a label is still worth keeping)."""
    if _STORABLE.fullmatch(value):
        return value
    return "".join(char for char in value if char in "\t\n" or unicodedata.category(char) not in ("Cc", "Cs"))


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


@dataclass(frozen=True)
class Fields:
    """A JSON object at ``path`` in the payload ("" for the payload itself)."""

    values: Mapping[str, object]
    path: str = ""

    @classmethod
    def of(cls, value: object, path: str = "") -> Fields:
        if not isinstance(value, dict):
            where = f"{path}: expected" if path else "the body must be"
            raise PayloadError(f"{where} a JSON object, got {json_type(value)}")
        return cls(value, path)

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def present(self, key: str) -> bool:
        return self.values.get(key) is not None

    def _get(self, key: str) -> object:
        value = self.values.get(key)
        if value is None:
            raise PayloadError(f"{self.name(key)}: missing")
        return value

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise PayloadError(f"{self.name(key)}: expected a string, got {json_type(value)}")
        text = storable(value)
        if not text.strip():
            raise PayloadError(f"{self.name(key)}: empty")
        return text

    def optional_text(self, key: str) -> str | None:
        """The string at ``key``; None when it is absent, null or empty."""
        value = self.values.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise PayloadError(f"{self.name(key)}: expected a string, got {json_type(value)}")
        return storable(value) or None

    def status(self, key: str = "status") -> AlertStatus:
        value = self.text(key)
        if value not in tuple(AlertStatus):
            raise PayloadError(f"{self.name(key)}: expected {_STATUSES}, got {value[:40]!r}")
        return AlertStatus(value)

    def count(self, key: str) -> int:
        """A non-negative integer; 0 when absent."""
        value = self.values.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PayloadError(f"{self.name(key)}: expected a whole number ≥ 0, got {json_type(value)}")
        return value

    def strings(self, key: str) -> dict[str, str]:
        """An object whose values are all strings (labels, annotations); {} when absent."""
        if not self.present(key):
            return {}
        mapping = Fields.of(self.values[key], self.name(key))
        strings: dict[str, str] = {}
        for name, value in mapping.values.items():
            if not isinstance(value, str):
                raise PayloadError(f"{mapping.name(name)}: expected a string, got {json_type(value)}")
            strings[storable(name)] = storable(value)
        return strings

    def objects(self, key: str) -> list[Fields]:
        """A non-empty array of objects."""
        items = self._get(key)
        if not isinstance(items, list):
            raise PayloadError(f"{self.name(key)}: expected an array, got {json_type(items)}")
        if not items:
            raise PayloadError(f"{self.name(key)}: empty")
        return [Fields.of(item, f"{self.name(key)}[{index}]") for index, item in enumerate(items)]

    def moment(self, key: str) -> datetime | None:
        """An RFC 3339 time; None when absent, empty, or Go's zero time (not ended)."""
        value = self.optional_text(key)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise PayloadError(f"{self.name(key)}: expected an RFC 3339 time, got {value[:40]!r}")
        return None if moment.year == _ZERO_YEAR else moment


def web_link(href: str | None, text: str) -> AlertLink | None:
    """A link worth showing: an absolute http(s) URL, else None."""
    if href is None:
        return None
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return AlertLink(href, text)
