"""The words of the command language (verbs, aliases, severities in titles) and its usage text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from bot.views.formatting import MENTION_PREFIX, SLASH_PREFIX
from domain.errors import InvalidValue
from domain.severity import Severity, parse_severity


class Verb(StrEnum):
    DECLARE = "declare"
    ACK = "ack"
    SEV = "sev"
    ASSIGN = "assign"
    STATUS = "status"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"
    NOTE = "note"
    UPDATE = "update"
    SNOOZE = "snooze"
    FOLLOWUP = "followup"
    FOLLOWUPS = "followups"
    POSTMORTEM = "postmortem"
    CATCHUP = "catchup"
    REPORT = "report"
    PUBLIC = "public"
    LIST = "list"
    SHOW = "show"
    TIMELINE = "timeline"
    REPOST = "repost"
    HELP = "help"


# Every word a person may type for a verb, lower case; the verbs' own names included.
ALIASES: Mapping[str, Verb] = MappingProxyType(
    {
        **{verb.value: verb for verb in Verb},
        "new": Verb.DECLARE,
        "open": Verb.DECLARE,
        "acknowledge": Verb.ACK,
        "severity": Verb.SEV,
        "lead": Verb.ASSIGN,
        "commander": Verb.ASSIGN,
        "follow-up": Verb.FOLLOWUP,
        "follow-ups": Verb.FOLLOWUPS,
        "catch-up": Verb.CATCHUP,
    }
)

# Verbs that act on (or show) one incident, so an incident reference may follow them.
INCIDENT_VERBS: frozenset[Verb] = frozenset(Verb) - {Verb.DECLARE, Verb.LIST, Verb.HELP}


@dataclass(frozen=True)
class _Syntax:
    args: str
    summary: str
    example: str


_SYNTAX: Mapping[Verb, _Syntax] = MappingProxyType(
    {
        Verb.DECLARE: _Syntax("<title> [sev1-4] [service:<key>]", "declare an incident", "checkout errors sev2"),
        Verb.ACK: _Syntax("", "acknowledge", ""),
        Verb.SEV: _Syntax("<1-4>", "change severity (1 critical … 4 minor)", "2"),
        Verb.ASSIGN: _Syntax("@person | me", "set the commander", "@alice"),
        Verb.STATUS: _Syntax(
            "<investigating | identified | monitoring | resolved | closed>", "move in the lifecycle", "identified"
        ),
        Verb.RESOLVE: _Syntax("[summary]", "resolve, with an optional one-line summary", "rolled back the deploy"),
        Verb.REOPEN: _Syntax("[reason]", "reopen a resolved incident", "errors are back"),
        Verb.CLOSE: _Syntax("", "close a resolved incident", ""),
        Verb.NOTE: _Syntax("<text>", "add a note to the timeline", "db failover done"),
        Verb.UPDATE: _Syntax(
            "[text]", "alone: draft a stakeholder update with AI; with text: publish yours", "checkout is back"
        ),
        Verb.SNOOZE: _Syntax("<duration>", "postpone the next reminder", "30m"),
        Verb.FOLLOWUP: _Syntax(
            "<text> [@owner] [due <date | duration>] | done <n>",
            "add a follow-up (yours unless you name an owner; due e.g. 2026-12-20 or 2w), or mark #n done",
            "alert on queue depth @alice due 2w",
        ),
        Verb.FOLLOWUPS: _Syntax("", "the incident's follow-ups, with owners and due dates", ""),
        Verb.POSTMORTEM: _Syntax(
            "[draft]",
            "write the postmortem of a resolved or closed incident (a form); `draft`: AI drafts it from the timeline",
            "draft",
        ),
        Verb.CATCHUP: _Syntax("", "catch up: the incident so far and what to do next, for you alone", ""),
        Verb.REPORT: _Syntax("", "a link to the incident's report (Markdown) in the console", ""),
        Verb.PUBLIC: _Syntax(
            "on [public title] | off",
            "show the incident on the public status page (its published updates only), or take it off",
            "on Checkout is slow",
        ),
        Verb.LIST: _Syntax("[all]", "open incidents, or all recent ones", ""),
        Verb.SHOW: _Syntax("", "the incident's current state", ""),
        Verb.TIMELINE: _Syntax("", "the incident's timeline", ""),
        Verb.REPOST: _Syntax("", "post the incident's card again after Slack refused it (invite me first)", ""),
        Verb.HELP: _Syntax("", "this help", ""),
    }
)


def _code(*words: str) -> str:
    return "`" + " ".join(word for word in words if word) + "`"


USAGE: Mapping[Verb, str] = MappingProxyType(
    {verb: f"{_code(verb.value, syntax.args)} — {syntax.summary}" for verb, syntax in _SYNTAX.items()}
)


def usage_for(verb: Verb, *, slash: bool) -> str:
    """One verb's usage line as typed at this entry point, with an example where one helps."""
    syntax = _SYNTAX[verb]
    if slash:
        ref = "[INC-42]" if verb in INCIDENT_VERBS else ""
        line = f"{_code(SLASH_PREFIX, verb.value, ref, syntax.args)} — {syntax.summary}"
        example_ref = "INC-42" if verb in INCIDENT_VERBS else ""
        example = _code(SLASH_PREFIX, verb.value, example_ref, syntax.example)
    else:
        line = f"{_code(MENTION_PREFIX, verb.value, syntax.args)} — {syntax.summary}"
        example = _code(MENTION_PREFIX, verb.value, syntax.example)
    return f"{line}, e.g. {example}" if syntax.example else line


def verb_list() -> str:
    return ", ".join(verb.value for verb in Verb)


def help_text(*, slash: bool) -> str:
    """The full usage for one entry point, as Slack mrkdwn."""
    if slash:
        intro = [
            f"*Firebreak* — {_code(SLASH_PREFIX, '<command>', '[INC-42]', '…')}",
            "Name the incident right after the command (`INC-42`, `#42` or `42`); you can leave it out"
            " when the channel has exactly one open incident.",
            f"{_code(SLASH_PREFIX)} alone opens the declare form.",
        ]
    else:
        intro = [
            f"*Firebreak* — mention me with a command in an incident's thread: {_code(MENTION_PREFIX, '<command>')}",
            f"Anywhere else, {_code(MENTION_PREFIX, '<title>', '[sev1-4]')} declares an incident on your"
            " message's thread.",
        ]
    lines = [f"• {usage_for(verb, slash=slash)}" for verb in Verb]
    aliases = ", ".join(f"`{word}` = `{verb.value}`" for word, verb in ALIASES.items() if word != verb.value)
    return "\n".join([*intro, *lines, f"Also: {aliases}."])


def quote(text: str, limit: int = 40) -> str:
    """User text fit to quote in a message: one line, short, and inert as Slack markup."""
    shown = " ".join(text.split())
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return shown.replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")


def unquote(text: str) -> str:
    """Undo :func:`quote`'s entities, for a renderer that escapes everything itself (escaping
    twice would show people ``&lt;`` where they typed ``<``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">")


# Severity spelled with "sev" counts anywhere in a title and is an error when out of range; "p1"
# counts anywhere; "s1" only as the last word, so "S3 uploads failing" keeps its title. Bare digits
# never count: "3 replicas down" is a title, not SEV3.
_SEV_TOKEN = re.compile(r"sev(?:erity)?[-_]?([0-9]+)", re.IGNORECASE | re.ASCII)
_SEV_WORD = re.compile(r"sev(?:erity)?", re.IGNORECASE)
_P_TOKEN = re.compile(r"p[-_]?([1-4])", re.IGNORECASE | re.ASCII)
_S_TOKEN = re.compile(r"s[-_]?([1-4])", re.IGNORECASE | re.ASCII)
_TOKEN_EDGES = "()[]{}.,;:!?\"'"  # noqa: S105 - punctuation, not a password
# What is left dangling once "sev1" is cut out of "sev1: db down" or "db down - sev1".
_SEPARATORS = " \t\n-–—:,;|/"
# The ";" that ends one of Slack's entities ("&gt;") is text, not a separator left dangling.
_DANGLING_END = re.compile(rf"(?<!&amp)(?<!&lt)(?<!&gt)[{re.escape(_SEPARATORS)}]+$")


def split_title(text: str) -> tuple[str | None, Severity | None]:
    """The title with any severity words taken out, and that severity."""
    tokens = [(m.start(), m.end(), m.group().strip(_TOKEN_EDGES)) for m in re.finditer(r"\S+", text)]
    sev_hits: list[tuple[list[int], str]] = []
    p_hits: list[tuple[list[int], str]] = []
    for index, (_, _, core) in enumerate(tokens):
        following = tokens[index + 1][2] if index + 1 < len(tokens) else ""
        if match := _SEV_TOKEN.fullmatch(core):
            parse_severity(quote(core))  # "sev7" is a mistake worth reporting, not part of a title
            sev_hits.append(([index], match.group(1)))
        elif _SEV_WORD.fullmatch(core) and following in ("1", "2", "3", "4"):
            sev_hits.append(([index, index + 1], following))
        elif match := _P_TOKEN.fullmatch(core):
            p_hits.append(([index], match.group(1)))
    hits = sev_hits or p_hits
    if not hits and tokens and (match := _S_TOKEN.fullmatch(tokens[-1][2])):
        hits = [([len(tokens) - 1], match.group(1))]
    found = sorted({Severity(int(digit)) for _, digit in hits})
    if len(found) > 1:
        raise InvalidValue(f"Give one severity, not {' and '.join(s.label for s in found)}.")
    dropped = {index for indexes, _ in hits for index in indexes}
    kept, position = [], 0
    for index in sorted(dropped):
        start, end, _ = tokens[index]
        kept.append(text[position:start])
        position = end
    title = "".join([*kept, text[position:]])
    if dropped:
        title = _DANGLING_END.sub("", re.sub(r"[ \t]{2,}", " ", title).strip().lstrip(_SEPARATORS))
    return (title.strip() or None), (found[0] if found else None)


# ``service:checkout`` anywhere in a declaration names its service (SPEC §13), and is no part of its title.
# ("the service: is down" has no service word: a colon at a word's end is the title's.)
_SERVICE_WORD = re.compile(r"(?:^|(?<=\s))service:(\S+)", re.IGNORECASE)


def take_service(text: str) -> tuple[str, str | None]:
    """The declaration's text without its ``service:<key>`` word, and the service it names."""
    found = list(_SERVICE_WORD.finditer(text))
    if not found:
        return text, None
    names = {match.group(1).strip(_TOKEN_EDGES) for match in found}
    if "" in names:
        raise InvalidValue("Name the service right after `service:`, e.g. `service:checkout`.")
    if len(names) > 1:
        raise InvalidValue(f"Give one service, not {' and '.join(quote(name, 40) for name in sorted(names))}.")
    return re.sub(r"[ \t]{2,}", " ", _SERVICE_WORD.sub("", text)).strip(), names.pop()
