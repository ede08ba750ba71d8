"""The one command grammar behind ``@firebreak <verb> …`` and ``/incident <verb> …`` (SPEC §3).

Pure text in, values out: no Slack calls, no I/O. Errors are ``ParseError``s whose ``message`` is
Slack mrkdwn safe to post as is (user text quoted in it cannot form mentions or links).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from typing import TypeVar

from bot.commands.followup_args import read_followup
from bot.commands.usage import (
    ALIASES,
    INCIDENT_VERBS,
    USAGE,
    Verb,
    help_text,
    quote,
    split_title,
    take_service,
    unquote,
    usage_for,
    verb_list,
)
from bot.views.formatting import MENTION_PREFIX, SLASH_PREFIX
from domain import commands as cmd
from domain.durations import parse_duration
from domain.errors import InvalidValue
from domain.incident import Source
from domain.lifecycle import Status, parse_status
from domain.severity import Severity, parse_severity

__all__ = [
    "INCIDENT_VERBS",
    "USAGE",
    "ParseError",
    "Parsed",
    "Verb",
    "declare_command",
    "help_text",
    "parse",
    "to_command",
    "usage_for",
]


@dataclass(frozen=True)
class Parsed:
    verb: Verb
    number: int | None = None
    title: str | None = None
    severity: Severity | None = None
    user_id: str | None = None
    assign_self: bool = False
    status: Status | None = None
    text: str | None = None
    duration: timedelta | None = None
    show_all: bool = False
    due: date | timedelta | None = None
    item: int | None = None  # a follow-up's number
    draft: bool = False  # ``postmortem draft``: the AI's draft rather than the form
    service: str | None = None  # ``declare … service:checkout``
    public: bool = False  # ``public on`` rather than ``public off``


class ParseError(Exception):
    """The text is not a command; ``message`` says why, ``usage`` shows the right form."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage

    @property
    def plain_message(self) -> str:
        """``message`` with quoted user text left raw, for renderers that escape it themselves."""
        return unquote(self.message)

    @property
    def plain_usage(self) -> str:
        return unquote(self.usage)


@dataclass(frozen=True)
class _Context:
    verb: Verb
    slash: bool

    def fail(self, message: str) -> ParseError:
        return ParseError(message, usage_for(self.verb, slash=self.slash))

    def prefix(self, *words: str) -> str:
        """An example command as typed at this entry point, in backticks."""
        return "`" + " ".join((SLASH_PREFIX if self.slash else MENTION_PREFIX, *words)) + "`"


# A mention often arrives as "<@UBOT>: ack" or with zero-width characters pasted in front.
_LEADING_NOISE = re.compile(r"^[\s\u200b\u200c\u200d\u2060\ufeff:;,.!?\-–—]+")
_FIRST_WORD = re.compile(r"(\S+)(.*)", re.DOTALL)
_WORD_PUNCT = ".,:;!?"
_EXPLICIT_REF = re.compile(r"(?:inc[-_]?|#)([0-9]+)", re.IGNORECASE | re.ASCII)
# Nine digits keep a number inside any database integer column; more is a typo, not an incident.
_BARE_NUMBER = re.compile(r"[0-9]{1,9}", re.ASCII)
# A user id is stored in a 32-character column; a longer "id" is not one Slack made.
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]{1,31})(?:\|[^<>]*)?>")
# "sev1" typed as one word where a command is expected is ``sev 1``: how people change severity.
_GLUED_SEVERITY = re.compile(r"sev(?:erity)?[-_]?([0-9]+)", re.IGNORECASE | re.ASCII)

_T = TypeVar("_T")


def parse(text: str, *, slash: bool, in_incident_thread: bool) -> Parsed:
    """Read one command; mentions have had the leading bot mention removed by the caller."""
    body = _LEADING_NOISE.sub("", text).rstrip()
    if not body:
        return Parsed(Verb.DECLARE) if slash else Parsed(Verb.HELP)
    word, rest = _split(body)
    verb = ALIASES.get(word.lower().rstrip(_WORD_PUNCT))
    glued = _GLUED_SEVERITY.fullmatch(word.rstrip(_WORD_PUNCT))
    if verb is None and glued is not None and (slash or in_incident_thread):
        # The severity goes last, so an incident reference may still follow the verb: "sev1 INC-42".
        verb, rest = Verb.SEV, f"{rest} sev{glued.group(1)}"
    if verb is None:
        if not slash and not in_incident_thread:
            return _declaration(body, _Context(Verb.DECLARE, slash=False))
        raise _unknown_verb(word, slash=slash)
    context = _Context(verb, slash)
    try:
        return _with_reference(rest, context, bare_numbers=slash or not in_incident_thread)
    except ParseError as error:
        if slash or in_incident_thread:
            raise
        # Outside a thread a mention starting with a verb may have been meant as a title.
        hint = f"To declare an incident whose title starts with “{quote(word, 20)}”, begin with `declare`."
        raise ParseError(error.message, f"{error.usage}\n{hint}") from None


def _with_reference(rest: str, context: _Context, *, bare_numbers: bool) -> Parsed:
    parse_args = _ARGUMENTS[context.verb]
    if context.verb not in INCIDENT_VERBS or not rest.strip():
        return parse_args(rest, context)
    word, after = _split(rest.lstrip())
    token = word.rstrip(_WORD_PUNCT)
    explicit = _EXPLICIT_REF.fullmatch(token)
    if explicit is not None:
        if _BARE_NUMBER.fullmatch(explicit.group(1)) is None or int(explicit.group(1)) == 0:
            raise context.fail(f"“{quote(token)}” is not an incident number; they look like INC-42.")
        return replace(parse_args(after, context), number=int(explicit.group(1)))
    if not bare_numbers or _BARE_NUMBER.fullmatch(token) is None or int(token) == 0:
        return parse_args(rest, context)
    # "sev 2" is a severity, "sev 42 2" names INC-42: the number is a reference only when what
    # follows it still makes a complete command.
    try:
        return replace(parse_args(after, context), number=int(token))
    except ParseError as as_reference:
        try:
            return parse_args(rest, context)
        except ParseError as as_argument:
            raise (as_reference if after.strip() else as_argument) from None


def _unknown_verb(word: str, *, slash: bool) -> ParseError:
    shown = quote(word.rstrip(_WORD_PUNCT) or word)
    close = difflib.get_close_matches(word.lower()[:40], list(ALIASES), n=1, cutoff=0.75)
    guess = f" Did you mean `{ALIASES[close[0]].value}`?" if close else ""
    if slash:
        message = f"I don't know the command “{shown}”: the commands are {verb_list()}.{guess}"
    else:
        message = f"I don't know the command “{shown}”.{guess}"
    return ParseError(message, help_text(slash=slash))


def _split(text: str) -> tuple[str, str]:
    match = _FIRST_WORD.match(text)
    return (match.group(1), match.group(2)) if match else ("", "")


def _domain_value(context: _Context, reader: Callable[[str], _T], text: str) -> _T:
    # The domain quotes the value back in its message, so it is handed text already made inert.
    try:
        return reader(quote(text.strip().rstrip(".!"), 200))
    except InvalidValue as error:
        raise context.fail(error.message) from None


def _no_arguments(rest: str, context: _Context) -> Parsed:
    if rest.strip():
        besides = " besides the incident" if context.verb in INCIDENT_VERBS else ""
        raise context.fail(f"`{context.verb}` takes no arguments{besides}; I didn't expect “{quote(rest)}”.")
    return Parsed(context.verb)


def _list(rest: str, context: _Context) -> Parsed:
    word = rest.strip().lower().rstrip(_WORD_PUNCT)
    if word in ("", "open", "all"):
        return Parsed(Verb.LIST, show_all=word == "all")
    raise context.fail(f"`list` takes only `all`; I didn't expect “{quote(rest)}”.")


def _sev(rest: str, context: _Context) -> Parsed:
    if not rest.strip():
        raise context.fail(f"Which severity? Give 1 (critical) to 4 (minor), e.g. {context.prefix('sev', '2')}.")
    return Parsed(Verb.SEV, severity=_domain_value(context, parse_severity, rest))


def _assign(rest: str, context: _Context) -> Parsed:
    target = re.sub(r"^to\s+", "", rest.strip(), flags=re.IGNORECASE).rstrip(_WORD_PUNCT)
    if not target:
        raise context.fail(f"Who should lead? Mention them, e.g. {context.prefix('assign', '@alice')}, or say `me`.")
    if target.lower() in ("me", "myself", "@me"):
        return Parsed(Verb.ASSIGN, assign_self=True)
    mention = _USER_MENTION.fullmatch(target)
    if mention is not None:
        return Parsed(Verb.ASSIGN, user_id=mention.group(1))
    if len(_USER_MENTION.findall(target)) > 1:
        raise context.fail("An incident has one commander: mention just one person.")
    if _USER_MENTION.match(target) is not None:
        raise context.fail(f"Mention just the person; I didn't expect “{quote(_USER_MENTION.sub('', target))}”.")
    if target.startswith("<!"):
        raise context.fail("The commander must be one person, not a group or channel.")
    raise context.fail(
        f"“{quote(target)}” is not a Slack mention: pick the person with Slack's @-autocomplete"
        " so it becomes a real mention."
    )


def _status(rest: str, context: _Context) -> Parsed:
    if not rest.strip():
        names = ", ".join(status.value for status in Status if status is not Status.DECLARED)
        raise context.fail(f"Which status? Use one of {names}.")
    word, after = _split(rest.strip())
    status = _domain_value(context, parse_status, word)
    if not after.strip():
        return Parsed(Verb.STATUS, status=status)
    if status is Status.RESOLVED:
        return Parsed(Verb.STATUS, status=status, text=after.strip())
    raise context.fail(f"`status` takes just the new state; add details with {context.prefix('note', '…')}.")


def _optional_text(rest: str, context: _Context) -> Parsed:
    return Parsed(context.verb, text=rest.strip() or None)


def _note(rest: str, context: _Context) -> Parsed:
    if not rest.strip():
        raise context.fail(f"What should the note say? e.g. {context.prefix('note', 'db failover done')}.")
    return Parsed(Verb.NOTE, text=rest.strip())


def _snooze(rest: str, context: _Context) -> Parsed:
    if not rest.strip():
        raise context.fail(f"Snooze for how long? e.g. {context.prefix('snooze', '30m')} or `2h`.")
    return Parsed(Verb.SNOOZE, duration=_domain_value(context, parse_duration, rest))


def _followup(rest: str, context: _Context) -> Parsed:
    try:
        args = read_followup(rest)
    except InvalidValue as error:
        raise context.fail(error.message) from None
    return Parsed(Verb.FOLLOWUP, text=args.text, user_id=args.owner, due=args.due, item=args.done)


def _postmortem(rest: str, context: _Context) -> Parsed:
    word = rest.strip().lower().rstrip(_WORD_PUNCT)
    if word in ("", "draft"):
        return Parsed(Verb.POSTMORTEM, draft=word == "draft")
    first, after = _split(rest.strip())
    named = after.strip().rstrip(_WORD_PUNCT)
    if first.lower() == "draft" and _EXPLICIT_REF.fullmatch(named):
        # The incident goes right after the verb, as for every verb (SPEC §3).
        raise context.fail(f"Name the incident before `draft`: {context.prefix('postmortem', named, 'draft')}.")
    raise context.fail(f"`postmortem` takes only `draft`; I didn't expect “{quote(rest)}”.")


def _public(rest: str, context: _Context) -> Parsed:
    first, after = _split(rest.strip())
    word = first.lower().rstrip(_WORD_PUNCT)
    if word == "on":
        return Parsed(Verb.PUBLIC, public=True, text=after.strip() or None)
    if word == "off" and not after.strip():
        return Parsed(Verb.PUBLIC, public=False)
    example = context.prefix("public", "on", "Checkout is slow")
    raise context.fail(f"`public` takes `on` (and a public title if you like, e.g. {example}) or `off`.")


def _declaration(text: str, context: _Context) -> Parsed:
    try:
        text, service = take_service(text)
        title, severity = split_title(text)
    except InvalidValue as error:
        raise context.fail(error.message) from None
    if title is None:
        example = context.prefix("declare", "checkout errors sev2")
        raise context.fail(f"What's the incident? Give it a title, e.g. {example}.")
    return Parsed(Verb.DECLARE, title=title, severity=severity, service=service)


_ARGUMENTS: dict[Verb, Callable[[str, _Context], Parsed]] = {
    Verb.DECLARE: _declaration,
    Verb.ACK: _no_arguments,
    Verb.SEV: _sev,
    Verb.ASSIGN: _assign,
    Verb.STATUS: _status,
    Verb.RESOLVE: _optional_text,
    Verb.REOPEN: _optional_text,
    Verb.CLOSE: _no_arguments,
    Verb.NOTE: _note,
    Verb.UPDATE: _optional_text,
    Verb.SNOOZE: _snooze,
    Verb.FOLLOWUP: _followup,
    Verb.FOLLOWUPS: _no_arguments,
    Verb.POSTMORTEM: _postmortem,
    Verb.CATCHUP: _no_arguments,
    Verb.REPORT: _no_arguments,
    Verb.PUBLIC: _public,
    Verb.LIST: _list,
    Verb.SHOW: _no_arguments,
    Verb.TIMELINE: _no_arguments,
    Verb.REPOST: _no_arguments,
    Verb.HELP: _no_arguments,
}


def to_command(  # noqa: PLR0912 - one branch per verb that changes an incident
    parsed: Parsed, *, actor: str, source: Source | None
) -> cmd.IncidentCommand:
    """The domain command for a verb that changes an incident; ``ValueError`` for any other verb."""
    build: Callable[..., cmd.IncidentCommand]
    match parsed:
        case Parsed(verb=Verb.ACK):
            build = cmd.Acknowledge
        case Parsed(verb=Verb.SEV, severity=Severity() as severity):
            build = partial(cmd.ChangeSeverity, severity=severity)
        case Parsed(verb=Verb.ASSIGN, assign_self=True):
            build = partial(cmd.Assign, commander=actor)
        case Parsed(verb=Verb.ASSIGN, user_id=str() as user_id):
            build = partial(cmd.Assign, commander=user_id)
        case Parsed(verb=Verb.STATUS, status=Status() as status):
            build = partial(cmd.ChangeStatus, status=status, summary=parsed.text)
        case Parsed(verb=Verb.RESOLVE):
            build = partial(cmd.Resolve, summary=parsed.text)
        case Parsed(verb=Verb.REOPEN):
            build = partial(cmd.Reopen, reason=parsed.text)
        case Parsed(verb=Verb.CLOSE):
            build = cmd.Close
        case Parsed(verb=Verb.NOTE, text=str() as text):
            build = partial(cmd.AddNote, text=text)
        case Parsed(verb=Verb.UPDATE, text=str() as text):
            build = partial(cmd.PostStakeholderUpdate, text=text, model=None)
        case Parsed(verb=Verb.SNOOZE, duration=timedelta() as duration):
            build = partial(cmd.Snooze, duration=duration)
        case Parsed(verb=Verb.PUBLIC):
            build = partial(cmd.SetPublic, public=parsed.public, title=parsed.text)
        case Parsed(verb=Verb.REPOST):
            build = cmd.RepostCard
        case Parsed(verb=Verb.FOLLOWUP, item=int() as item):
            build = partial(cmd.CompleteFollowUp, number=item)
        case Parsed(verb=Verb.FOLLOWUP, text=str() as text):
            build = partial(cmd.AddFollowUp, text=text, owner=parsed.user_id, due=parsed.due)
        case _:
            raise ValueError(f"“{parsed.verb}” with these arguments is not a change to an incident: {parsed}")
    return build(actor=actor, source=source)


def declare_command(
    parsed: Parsed,
    *,
    actor: str,
    source: Source | None,
    channel_id: str,
    thread_ts: str | None,
    default_severity: Severity = Severity.SEV3,
) -> cmd.Declare:
    """The ``Declare`` for a parsed declaration; ``ValueError`` if it is not one or has no title."""
    if parsed.verb is not Verb.DECLARE or parsed.title is None:
        raise ValueError(f"not a declaration with a title: {parsed}")
    return cmd.Declare(
        actor=actor,
        source=source,
        title=parsed.title,
        severity=parsed.severity or default_severity,
        channel_id=channel_id,
        thread_ts=thread_ts,
        service=parsed.service,
    )
