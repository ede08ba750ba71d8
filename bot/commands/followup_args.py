"""The arguments of ``followup``: ``<text> [@owner] [due <date | duration>]`` or ``done <n>``.

The owner and the due date are read off the end, in either order, so a mention or the word
"due" inside the text stays text. Refusals are ``InvalidValue``s whose messages quote what was
typed made inert (the grammar adds the usage line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.commands.usage import quote
from domain.errors import InvalidValue
from domain.followup_rules import parse_due

_LAST_WORD = re.compile(r"(.*?)\s*(\S+)\s*$", re.DOTALL)
_PUNCT = ".,:;!?"
# The same shape as the grammar's: a user id Slack made, optionally with its name.
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]{1,31})(?:\|[^<>]*)?>")
_NUMBER = re.compile(r"#?([0-9]{1,9})", re.ASCII)


@dataclass(frozen=True)
class FollowUpArgs:
    text: str | None = None
    owner: str | None = None
    due: date | timedelta | None = None
    done: int | None = None  # the number of the follow-up to mark done


def read_followup(rest: str) -> FollowUpArgs:
    words = rest.split()
    if [word.lower() for word in words[:1]] == ["done"] and len(words) in (1, 2):
        return FollowUpArgs(done=_number(words[1:]))
    text, owner, due = rest.strip(), None, None
    while True:
        before, last = _split_last(text)
        word = last.rstrip(_PUNCT)
        earlier, previous = _split_last(before)
        if due is None and previous.lower() == "due":
            due, text = _due(word), earlier
        elif due is None and word.lower() == "due":
            raise InvalidValue("Due when? Give a date like 2026-12-20 or a duration like 3d, 2w or 36h.")
        elif owner is None and (mention := _USER_MENTION.fullmatch(word)) is not None:
            owner, text = mention.group(1), before
        elif owner is None and word.startswith(("@", "<!", "<#")) and before:
            raise InvalidValue(
                f"“{quote(word)}” is not a person's Slack mention: pick the owner with Slack's @-autocomplete"
                " so it becomes a real mention."
            )
        else:
            break
    if not text:
        raise InvalidValue("What should the follow-up say?")
    return FollowUpArgs(text=text, owner=owner, due=due)


def _split_last(text: str) -> tuple[str, str]:
    match = _LAST_WORD.fullmatch(text)
    return (match.group(1), match.group(2)) if match else ("", "")


def _due(word: str) -> date | timedelta:
    return parse_due(quote(word))


def _number(given: list[str]) -> int:
    """The ``<n>`` of ``done <n>``, if one was given."""
    if not given:
        raise InvalidValue("Which follow-up is done? Give its number; `followups` lists them.")
    word = given[0]
    match = _NUMBER.fullmatch(word.rstrip(_PUNCT))
    if match is None or int(match.group(1)) == 0:
        raise InvalidValue(f"“{quote(word)}” is not a follow-up number; `followups` lists them.")
    return int(match.group(1))
