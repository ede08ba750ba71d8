"""Making user text safe to echo: it reads as the user meant it, never pings anyone, and a link
shows where it goes.

Lengths are counted in UTF-16 code units, the stricter of the two ways Slack's limits can be
read: an emoji-heavy title then stays inside a limit whichever way Slack counts it.
"""

from __future__ import annotations

import re

from domain.text import as_typed_in_slack

ELLIPSIS = "…"
WORD_JOINER = "\u2060"

# A bare @here is turned into a ping by clients and by link_names; an invisible joiner after the
# @ keeps it readable but no longer the keyword. Matched anywhere (even in ops@here.com) because
# a missed ping in an incident channel costs more than an invisible character in an address.
_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")
_LONGEST_ENTITY = len("&amp;")


def slack_len(text: str) -> int:
    # surrogatepass: a lone surrogate (JSON allows "\ud800") counts as the one code unit it is.
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def neutralise_broadcasts(text: str) -> str:
    return _BROADCAST.sub("@" + WORD_JOINER, text)


def escape_mrkdwn(text: str) -> str:
    """The bot's own text for a mrkdwn field: ``<!channel>``, ``<@U1>`` and ``<url|label>`` show literally."""
    return neutralise_broadcasts(as_typed_in_slack(text))


# User text arrives as Slack sends it: ``& < >`` typed by the user as entities, mentions and links
# as ``<…>`` tokens. Text from elsewhere (the console) may hold a bare ``<`` or ``&``: anything that
# is not a token or one of Slack's three entities is taken literally.
_TOKEN_OR_ENTITY = re.compile(r"<([^<>\n]*)>|&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_URL = re.compile(r"^(?:https?|mailto|ftp|tel):", re.IGNORECASE)
_BROADCAST_TOKENS = frozenset({"here", "channel", "everyone"})


def _token_words(token: str) -> tuple[str, str | None]:  # noqa: PLR0911 - one branch per kind of token
    """A token's plain reading, and the mrkdwn Slack shows as that reading without pinging anyone
    (a user's mention, a channel's name), when there is one."""
    body, _, label = token.partition("|")
    kind, name = body[:1], body[1:]
    if kind == "@" and _USER_ID.match(name):
        return "@" + (label.lstrip("@") or name), f"<@{name}>"
    if kind == "#" and _CHANNEL_ID.match(name):
        return "#" + (label.lstrip("#") or name), None if label else f"<#{name}>"
    if kind == "!":
        if name.lower() in _BROADCAST_TOKENS:
            return "@" + name, None
        if name.startswith("subteam^"):
            return "@" + (label.lstrip("@") or name.removeprefix("subteam^")), None
        return label or name, None  # <!date^…|fallback> reads as its fallback
    if _URL.match(body):
        plain_address = label in ("", body, body.removeprefix("mailto:"))
        return (body.removeprefix("mailto:") if plain_address else f"{label} ({body})"), None
    return f"<{token}>", None  # not a token Slack makes: "<title>" typed literally


def _readable(text: str, *, mrkdwn: bool) -> str:
    parts: list[str] = []
    position = 0

    def literal(raw: str) -> None:
        parts.append(escape_mrkdwn(raw) if mrkdwn else neutralise_broadcasts(raw))

    for match in _TOKEN_OR_ENTITY.finditer(text):
        literal(text[position : match.start()])
        position = match.end()
        if match.group(2) is not None:
            literal(_ENTITIES[match.group(2)])
            continue
        words, markup = _token_words(match.group(1))
        if mrkdwn and markup is not None:
            parts.append(markup)
        else:
            literal(words)
    literal(text[position:])
    return "".join(parts)


def readable_mrkdwn(text: str) -> str:
    """User text for a mrkdwn field, read as the user meant it: ``<@U1>`` stays their mention,
    ``<#C1|ops>`` is ``#ops``, ``<https://x|docs>`` is ``docs (https://x)`` and ``<!here>`` the
    word ``@here``, which notifies nobody; every other ``<``, ``>`` and ``&`` shows as typed."""
    return _readable(text, mrkdwn=True)


def readable_plain(text: str) -> str:
    """User text for a ``plain_text`` field or a modal's initial value, where Slack renders no
    markup and decodes no entities: tokens as words, entities as the characters they stand for."""
    return _readable(text, mrkdwn=False)


def _cut(text: str, units: int) -> str:
    """The longest prefix of ``text`` that fits in ``units`` UTF-16 code units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return text[:index]
    return text


def truncate(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit``, else its start with an ellipsis, the whole within ``limit``."""
    if limit < 1:
        raise ValueError("limit must be positive")
    if slack_len(text) <= limit:
        return text
    return _cut(text, limit - 1).rstrip() + ELLIPSIS


def plain_text(text: str, limit: int) -> str:
    """Text for a ``plain_text`` object: Slack renders no markup there, so tokens are shown as words."""
    return truncate(readable_plain(text), limit)


def clip_mrkdwn(text: str, limit: int) -> str:
    """Shorten mrkdwn without cutting an entity (``&amp;``) or a token (``<@U1>``) in two.

    A half entity would show as garbage; a half token (``<!date^…``) swallows the text after it.
    """
    if slack_len(text) <= limit:
        return text
    head = _cut(text, limit - 1)
    amp = head.rfind("&")
    if amp > head.rfind(";") and len(head) - amp < _LONGEST_ENTITY:
        head = head[:amp]
    lt = head.rfind("<")
    if lt > head.rfind(">"):
        head = head[:lt]
    return head.rstrip() + ELLIPSIS


def escape_within(text: str, limit: int) -> str:
    """User text made readable for mrkdwn and shortened to ``limit`` after escaping."""
    return clip_mrkdwn(readable_mrkdwn(text), limit)


def one_line(text: str) -> str:
    """Fold line breaks so a multi-line note stays one audit line."""
    return " ".join(text.split())


def mention(user_id: str) -> str:
    """A ping for a user id the bot itself knows; anything else is shown as escaped text."""
    if _USER_ID.match(user_id):
        return f"<@{user_id}>"
    return escape_mrkdwn(user_id)


def channel_link(channel_id: str) -> str:
    if _CHANNEL_ID.match(channel_id):
        return f"<#{channel_id}>"
    return escape_mrkdwn(channel_id)
