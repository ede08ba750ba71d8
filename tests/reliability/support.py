"""What the reliability tests share: captured logs and the figures they print for the docs."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any


class CapturedLogs(logging.Handler):
    """Every record any logger emits while installed, at every level."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self) -> list[logging.LogRecord]:
        return [r for r in self.records if r.levelno >= logging.ERROR]

    def tracebacks(self) -> list[logging.LogRecord]:
        """Records at ERROR or above that carry an exception: something went unexpectedly wrong."""
        return [r for r in self.errors() if r.exc_info is not None]

    def text(self) -> str:
        """Everything logged, as an operator would see it: messages, extra fields and tracebacks."""
        formatter = logging.Formatter()
        lines = []
        for record in self.records:
            extra = {k: v for k, v in vars(record).items() if k not in _STANDARD}
            lines.append(f"{record.levelname} {record.name} {record.getMessage()} {json.dumps(extra, default=str)}")
            if record.exc_info:
                lines.append(formatter.formatException(record.exc_info))
        return "\n".join(lines)

    def describe(self, records: list[logging.LogRecord]) -> str:
        formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
        return "\n".join(formatter.format(r) for r in records)


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def figures(test: str, **values: Any) -> None:
    """One parseable line of what a test measured, for the docs: ``FIGURES {...}``."""
    print("FIGURES " + json.dumps({"test": test, **values}), flush=True)


# In mrkdwn (a message's ``text``, mrkdwn text objects) these ping people or show a disguised link.
_LIVE_IN_MRKDWN = re.compile(r"<[!@#]|<(?:https?|mailto|tel|slack):|@(?:channel|here|everyone)\b", re.IGNORECASE)
# plain_text objects render no markup, but a bare @here there is still read as one.
_LIVE_IN_PLAIN = re.compile(r"@(?:channel|here|everyone)\b", re.IGNORECASE)


def rendered_texts(args: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every text a Slack call shows: ``("mrkdwn", text)`` or ``("plain_text", text)``."""
    if isinstance(args.get("text"), str):
        yield "mrkdwn", args["text"]
    for key in ("blocks", "attachments", "view"):
        value = args.get(key)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                continue
        yield from _walk(value)


def _walk(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        kind, text = value.get("type"), value.get("text")
        if kind in ("mrkdwn", "plain_text") and isinstance(text, str):
            yield str(kind), text
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child)


# What the bot itself writes in mrkdwn: a date that each reader sees in their own time zone.
BOT_DATE = re.compile(r"<!date\^[0-9]+\^[^|<>]*\|[^<>]*>")


def live_markup(args: Mapping[str, Any], allowed: Iterable[str | re.Pattern[str]] = ()) -> list[str]:
    """The pings and links in what a Slack call shows, except the ``allowed`` ones the bot itself
    writes (the users it names, ``<#C…>``; its ``<!date^…>`` always)."""
    found = []
    keep = (*allowed, BOT_DATE)
    for kind, shown in rendered_texts(args):
        text = shown
        for token in keep:
            text = token.sub("", text) if isinstance(token, re.Pattern) else text.replace(token, "")
        pattern = _LIVE_IN_MRKDWN if kind == "mrkdwn" else _LIVE_IN_PLAIN
        found += [f"{kind}: …{text[max(0, m.start() - 30) : m.end() + 30]}…" for m in pattern.finditer(text)]
    return found
