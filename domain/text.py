"""Limits and clean-up for the free text people type into commands.

Limits keep every field inside what one Slack block can show (a header holds 150 characters, a
section 3000) with room for the bot's own words around it.
"""

from __future__ import annotations

import re
import unicodedata

from domain.errors import InvalidValue

TITLE_MAX = 120
DESCRIPTION_MAX = 2000
SERVICE_MAX = 80
NOTE_MAX = 2500
SUMMARY_MAX = 500
REASON_MAX = 500
UPDATE_MAX = 2800

_WHITESPACE_RUN = re.compile(r"[ \t]+")


def _drop_controls(value: str, keep_newlines: bool) -> str:
    kept = []
    for char in value:
        if char == "\n" and keep_newlines:
            kept.append(char)
        elif char in "\t\r\n":
            kept.append(" ")
        elif unicodedata.category(char) not in ("Cc", "Cs"):
            kept.append(char)
    return "".join(kept)


def clean_line(value: str, field: str, limit: int) -> str:
    """A required one-line field: controls removed, whitespace folded, not empty, not too long."""
    text = _WHITESPACE_RUN.sub(" ", _drop_controls(value, keep_newlines=False)).strip()
    if not text:
        raise InvalidValue(f"The {field} cannot be empty.")
    return _within(text, field, limit)


def clean_text(value: str, field: str, limit: int) -> str:
    """A required multi-line field: controls removed, not empty, not too long."""
    text = _drop_controls(value, keep_newlines=True).strip()
    if not text:
        raise InvalidValue(f"The {field} cannot be empty.")
    return _within(text, field, limit)


def clean_optional(value: str | None, field: str, limit: int, *, multiline: bool = True) -> str | None:
    if value is None or not value.strip():
        return None
    return clean_text(value, field, limit) if multiline else clean_line(value, field, limit)


def _within(text: str, field: str, limit: int) -> str:
    if len(text) > limit:
        raise InvalidValue(f"The {field} is {len(text)} characters long; the limit is {limit}.")
    return text
