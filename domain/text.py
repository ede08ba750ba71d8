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
SLACK_ERROR_MAX = 100

_WHITESPACE_RUN = re.compile(r"[ \t]+")


_LINE_BREAKS = "\n\x85\u2028\u2029"
_SPACES = "\t\r\x0b\x0c"


# Text with none of what _drop_controls changes (controls, surrogates, Unicode line breaks), which
# is nearly all text people type: it is returned as it is, without a look at each character.
_UNTOUCHED = re.compile("[^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]*")


def _drop_controls(value: str, keep_newlines: bool) -> str:
    """Line breaks of any kind become newlines (or spaces on one line); other controls go."""
    if _UNTOUCHED.fullmatch(value):
        return value
    kept = []
    # A browser sends a textarea's line breaks as CRLF (HTML's rule for forms): one break, not two.
    for char in value.replace("\r\n", "\n"):
        if char in _LINE_BREAKS:
            kept.append("\n" if keep_newlines else " ")
        elif char in _SPACES:
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


def as_typed_in_slack(text: str) -> str:
    """Text as Slack sends what a person typed: ``& < >`` as entities. Titles, notes and summaries
    are kept so whichever way they came in, so text from elsewhere (the console, a search) is made
    the same before it is stored or compared."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
