"""Every model output passes here before Slack sees it (SPEC §6).

The result is plain text (it is escaped again when shown): no broadcast or group pings, no
mentions of people (the model is asked to name roles; stray ids become a role), no links the
incident's facts did not already contain, and within Slack's length limits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.text import UPDATE_MAX

_SLACK_TOKEN = re.compile(r"<([^<>\n]{1,600})>")
_URL = re.compile(r"https?://[^\s<>|\"')\]]+", re.IGNORECASE)
_BROADCAST_WORD = re.compile(r"(?<![\w@])@(channel|here|everyone)\b", re.IGNORECASE)
_USER_ID = re.compile(r"^@([UW][A-Z0-9]{2,})(?:\|[^>]*)?$")
_LINK = re.compile(r"^((?:https?|mailto):[^|]+)(?:\|(.*))?$", re.IGNORECASE | re.DOTALL)


def allowed_links(texts: Iterable[str]) -> frozenset[str]:
    """The links the incident's own facts contain: the only ones an update may repeat."""
    return frozenset(_normal(url) for text in texts for url in _URL.findall(text))


def sanitise(text: str, *, commander: str | None, links: frozenset[str], limit: int = UPDATE_MAX) -> str:
    text = _SLACK_TOKEN.sub(lambda match: _token(match.group(1), commander, links), text)
    text = _URL.sub(lambda match: match.group(0) if _normal(match.group(0)) in links else "[link removed]", text)
    text = _BROADCAST_WORD.sub(lambda match: match.group(1), text)
    text = text.replace("<", "‹").replace(">", "›")
    text = re.sub(r"[ \t]+\n", "\n", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _token(inner: str, commander: str | None, links: frozenset[str]) -> str:
    """One ``<…>`` Slack token: special mentions and groups vanish, people become roles."""
    if inner.startswith(("!", "#")):
        return ""
    user = _USER_ID.match(inner)
    if user:
        return "the incident commander" if user.group(1) == commander else "a responder"
    link = _LINK.match(inner)
    if link:
        url, label = link.group(1), (link.group(2) or "").strip()
        if _normal(url) in links:
            return url if not label else f"{label} ({url})"
        return label or "[link removed]"
    return inner


def _normal(url: str) -> str:
    return url.rstrip(".,;:").lower()
