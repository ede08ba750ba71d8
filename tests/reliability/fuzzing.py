"""Hypothesis strategies for what an attacker, a buggy proxy or a future Slack might send: every
field of every payload either right, hostile (unicode, control characters, markup, huge, empty),
of the wrong JSON type, or missing. And a way to run Hypothesis against the bot, which lives on the
test's event loop, from the worker thread Hypothesis runs in."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import string
import urllib.parse
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands.usage import ALIASES
from bot.local_slack import SlackState
from bot.local_slack.payloads import new_event_id, new_trigger_id
from bot.views import action_ids as ids
from domain.lifecycle import Status
from domain.severity import Severity

T = TypeVar("T")
_SLACK = SlackState()  # the ids of the local Slack the tests run against
API_APP_ID, BOT_USER = _SLACK.app_id, _SLACK.bot_user_id
# Per entry point; raise it for a deeper run: FIREBREAK_FUZZ_EXAMPLES=2000 pytest tests/reliability -k fuzz
EXAMPLES = int(os.environ.get("FIREBREAK_FUZZ_EXAMPLES", "150"))


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Leave the field out altogether."""

# ---------------------------------------------------------------------- values
JUNK: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=4)), max_size=3),
    st.dictionaries(st.text(max_size=6), st.one_of(st.none(), st.integers(), st.text(max_size=4)), max_size=3),
)
"""A value of any JSON type: where a string or an object belongs, usually the wrong one."""

MARKUP = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!here|here>",
    "<!subteam^S0123|@oncall>",
    "<@U0ALICE>",
    "<@W0BOSS|boss>",
    "<#C0OTHER|general>",
    "<http://evil.example|https://slack.com>",
    "<mailto:x@evil.example|support>",
    "@channel",
    "@here",
    "&lt;!channel&gt;",
    "`",
    "```",
    "*bold* _it_ ~s~",
]
CONTROL = st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs"]), max_size=12)
HUGE = st.builds(
    lambda piece, times: piece * times,
    st.sampled_from(["a", "é", "🔥", "\x00", "<", "&", " ", "\u200b", "\ufeff", "INC-1 "]),
    st.integers(min_value=1000, max_value=20000),
)
HOSTILE_TEXT: st.SearchStrategy[str] = st.one_of(
    st.text(max_size=120),
    st.sampled_from(["", " ", "\n", "\x00", "\ud800", "\u202eevil", "💥" * 3, *MARKUP]),
    st.lists(st.one_of(st.sampled_from(MARKUP), st.text(max_size=10), CONTROL), max_size=6).map("".join),
    CONTROL,
    HUGE,
)
"""Text a person (or someone pretending to be Slack) could type or send."""

HOSTILE_ID: st.SearchStrategy[str] = st.one_of(
    st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=60),
    st.sampled_from(
        ["", " ", "\x00", "U0ALICE\x00", "C0\n", "<!channel>", "../../etc", "T" * 500, "1700000000.000100"]
    ),
    st.text(max_size=40),
)
"""Something in the place of a Slack id: too long, empty, with controls, markup or anything."""


def choose(valid: Any, *others: st.SearchStrategy[Any] | Any) -> st.SearchStrategy[Any]:
    """Mostly ``valid``, else one of ``others`` (strategies or plain values): with a dozen fields
    per payload, most payloads then still get past the first check and into the handlers."""
    alternatives = [other if isinstance(other, st.SearchStrategy) else st.just(other) for other in others]
    right = valid if isinstance(valid, st.SearchStrategy) else st.just(valid)
    if not alternatives:
        return right
    wrong = st.one_of(*alternatives)
    # One in ten wrong; shrinking (towards the first entry) makes a failing example as right as it can.
    return st.sampled_from([True] * 9 + [False]).flatmap(lambda valid: right if valid else wrong)


def put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not MISSING:
        target[key] = value


def command_text() -> st.SearchStrategy[str]:
    """A command as typed after the mention or the slash: a verb (or not), a reference, hostile arguments."""
    verb = st.sampled_from(sorted(ALIASES))
    number = st.one_of(st.integers(min_value=-3, max_value=12), st.integers(min_value=10**8, max_value=10**20))
    return st.one_of(
        HOSTILE_TEXT,
        st.builds(lambda v, rest: f"{v} {rest}", verb, HOSTILE_TEXT),
        st.builds(lambda v, n, rest: f"{v} INC-{n} {rest}", verb, number, HOSTILE_TEXT),
        st.builds(lambda v, n, rest: f"{v} {n} {rest}", verb, number, HOSTILE_TEXT),
        st.builds(lambda m: f"assign {m}", st.sampled_from([*MARKUP, "<@U" + "A" * 40 + ">", "<@U0ALICE|x>"])),
    )


_timestamps = itertools.count(1)


def slack_ts() -> st.SearchStrategy[str]:
    """A new message ts each time (as Slack's are): a repeated one would make most requests look
    like Slack retrying the first, and answer them with silence."""
    return st.builds(lambda: f"1700000001.{next(_timestamps):06d}")


# Keys Bolt reads from every payload while building its context, before any listener runs.
BOLT_KEYS = [
    "authorizations",
    "enterprise",
    "enterprise_id",
    "is_enterprise_install",
    "is_ext_shared_channel",
    "context_team_id",
    "context_enterprise_id",
    "team",
    "user",
    "channel",
    "function_data",
    "bot_access_token",
]


def bolt_noise() -> st.SearchStrategy[dict[str, Any]]:
    """Now and then, a key Bolt reads for itself with a value of any type."""
    return choose({}, st.dictionaries(st.sampled_from(BOLT_KEYS), JUNK, min_size=1, max_size=2))


# ---------------------------------------------------------------------- Events API
@st.composite
def event_envelopes(draw: st.DrawFn, workspace: str, channel: str, homes: list[str]) -> dict[str, Any]:
    event: dict[str, Any] = {}
    put(event, "type", draw(choose("app_mention", st.sampled_from(["message", "reaction_added", ""]), JUNK)))
    put(event, "user", draw(choose("U0ALICE", HOSTILE_ID, JUNK, MISSING, BOT_USER)))
    text = draw(command_text())
    put(event, "text", draw(choose(f"<@{BOT_USER}> {text}", text, JUNK, MISSING)))
    put(event, "channel", draw(choose(channel, HOSTILE_ID, JUNK, MISSING)))
    put(event, "ts", draw(choose(slack_ts(), HOSTILE_ID, JUNK, MISSING)))
    put(event, "thread_ts", draw(choose(MISSING, st.sampled_from(homes), HOSTILE_ID, JUNK)))
    put(event, "bot_id", draw(choose(MISSING, "B0OTHERBOT", "B0FIREBOT", JUNK)))
    put(event, "subtype", draw(choose(MISSING, "bot_message", "message_changed", JUNK)))
    envelope: dict[str, Any] = draw(bolt_noise())
    put(envelope, "token", "legacy")
    put(envelope, "team_id", draw(choose(workspace, HOSTILE_ID, JUNK, MISSING)))
    put(envelope, "api_app_id", API_APP_ID)
    put(
        envelope,
        "type",
        draw(choose("event_callback", st.sampled_from(["url_verification", "app_rate_limited"]), JUNK)),
    )
    put(envelope, "challenge", draw(choose(MISSING, HOSTILE_TEXT, JUNK)))
    put(envelope, "event_id", draw(choose(st.builds(new_event_id), HOSTILE_ID, JUNK, MISSING)))
    put(envelope, "event_time", draw(choose(1700000000, JUNK)))
    put(envelope, "event", draw(choose(event, JUNK, MISSING)))
    return envelope


# ---------------------------------------------------------------------- slash commands
@st.composite
def slash_bodies(draw: st.DrawFn, workspace: str, channel: str, response_url: str) -> str:
    form: dict[str, Any] = {}
    put(form, "token", "legacy")
    put(form, "team_id", draw(choose(workspace, HOSTILE_ID, MISSING)))
    put(form, "channel_id", draw(choose(channel, HOSTILE_ID, MISSING)))
    put(form, "user_id", draw(choose("U0ALICE", HOSTILE_ID, MISSING)))
    put(form, "command", draw(choose("/incident", st.sampled_from(["/other", "", "/INCIDENT"]), HOSTILE_ID)))
    put(form, "text", draw(choose(command_text(), MISSING)))
    put(form, "trigger_id", draw(choose(st.builds(new_trigger_id), HOSTILE_ID, MISSING)))
    put(form, "response_url", draw(choose(response_url, HOSTILE_TEXT, MISSING)))
    for key, value in draw(bolt_noise()).items():
        form.setdefault(key, json.dumps(value))
    fields = {k: v if isinstance(v, str) else str(v) for k, v in form.items()}
    body = urllib.parse.urlencode(fields, errors="surrogatepass")  # a lone surrogate becomes invalid UTF-8
    suffix: str = draw(choose("", st.sampled_from(["&", "&&=", "&text=%ZZ", "&payload=", "&payload=%7B", "&=x"])))
    return body + suffix


# ---------------------------------------------------------------------- interactivity
_CHOICES = [s.name for s in Severity] + [s.value for s in Status] + ["30m", "2h", "99d", "0s", "x" * 41]
ACTION_IDS = [
    ids.ACK,
    ids.SEVERITY,
    ids.STATUS,
    ids.COMMANDER,
    ids.STAKEHOLDER_UPDATE,
    ids.RESOLVE,
    ids.REOPEN,
    ids.CLOSE,
    ids.POST_UPDATE,
    ids.SNOOZE,
]


def ref_values(workspace: str) -> st.SearchStrategy[str]:
    number = st.one_of(st.integers(min_value=1, max_value=3), st.integers(min_value=4, max_value=10**18))
    return st.one_of(
        number.map(lambda n: f"{workspace}:{n}"),
        st.builds(lambda n, c: f"{workspace}:{n}:{c}", number, st.sampled_from(_CHOICES)),
        st.builds(lambda n: f"TOTHERSPACE:{n}:SEV1", number),
        HOSTILE_ID,
    )


@st.composite
def block_actions(draw: st.DrawFn, workspace: str, channel: str, card_ts: str, response_url: str) -> dict[str, Any]:
    action: dict[str, Any] = {}
    put(action, "type", draw(choose("button", st.sampled_from(["static_select", "users_select"]), JUNK)))
    put(action, "action_id", draw(choose(st.sampled_from(ACTION_IDS), HOSTILE_ID.map("incident.".__add__), JUNK)))
    put(action, "block_id", draw(choose(f"{ids.CARD_ACTIONS}:{workspace}:1:v1", HOSTILE_ID, JUNK, MISSING)))
    put(action, "value", draw(choose(ref_values(workspace), JUNK, MISSING)))
    option = draw(
        choose(st.builds(lambda v: {"value": v}, ref_values(workspace)), st.builds(lambda j: {"value": j}, JUNK), JUNK)
    )
    put(action, "selected_option", draw(choose(MISSING, option)))
    put(action, "selected_user", draw(choose(MISSING, "U0BOB", HOSTILE_ID, JUNK)))
    put(action, "action_ts", draw(choose(slack_ts(), HOSTILE_ID, JUNK, MISSING)))
    actions = draw(
        choose([action], st.just([]), st.just([action, action]), JUNK, st.lists(JUNK, min_size=1, max_size=2))
    )
    container = {"type": "message", "message_ts": card_ts, "channel_id": channel, "is_ephemeral": False}
    payload: dict[str, Any] = draw(bolt_noise())
    payload.update(
        {
            "type": "block_actions",
            "api_app_id": API_APP_ID,
            "team": draw(choose({"id": workspace, "domain": "test"}, st.builds(lambda j: {"id": j}, JUNK), JUNK)),
            "user": draw(
                choose({"id": "U0ALICE", "team_id": workspace}, st.builds(lambda i: {"id": i}, HOSTILE_ID), JUNK)
            ),
            "channel": draw(choose({"id": channel}, st.builds(lambda i: {"id": i}, HOSTILE_ID), JUNK)),
            "container": draw(choose(container, JUNK)),
            "message": draw(choose({"ts": card_ts, "text": "card"}, JUNK)),
            "trigger_id": draw(choose(st.builds(new_trigger_id), HOSTILE_ID, JUNK)),
            "response_url": draw(choose(response_url, JUNK)),
            "actions": actions,
        }
    )
    gone = st.lists(st.sampled_from(["team", "user", "channel", "container", "trigger_id"]), min_size=1, max_size=2)
    for key in draw(choose([], gone)):
        payload.pop(key, None)
    return payload


def _input(value: Any) -> dict[str, Any]:
    return {ids.INPUT: {"type": "plain_text_input", "value": value}}


@st.composite
def view_submissions(draw: st.DrawFn, workspace: str, channel: str) -> dict[str, Any]:
    text = choose(HOSTILE_TEXT, JUNK, None)
    severity = choose(st.sampled_from([s.name for s in Severity]), HOSTILE_ID, JUNK)
    declare_values = {
        ids.DECLARE_TITLE_BLOCK: draw(choose(st.builds(_input, text), JUNK)),
        ids.DECLARE_SEVERITY_BLOCK: draw(
            choose(st.builds(lambda v: {ids.INPUT: {"selected_option": {"value": v}}}, severity), JUNK)
        ),
        ids.DECLARE_DESCRIPTION_BLOCK: draw(choose(st.builds(_input, text), JUNK, MISSING)),
        ids.DECLARE_SERVICE_BLOCK: draw(choose(st.builds(_input, text), JUNK, MISSING)),
    }
    declare_values = {k: v for k, v in declare_values.items() if v is not MISSING}
    resolve_values = {ids.RESOLVE_SUMMARY_BLOCK: draw(choose(st.builds(_input, text), JUNK))}
    callback = draw(choose(st.sampled_from([ids.DECLARE_MODAL, ids.RESOLVE_MODAL]), HOSTILE_ID, JUNK))
    metadata = draw(
        choose(
            st.sampled_from([json.dumps({"channel_id": channel}), json.dumps({"ref": f"{workspace}:1"})]),
            st.builds(lambda v: json.dumps({"channel_id": v, "ref": v}), JUNK),
            st.builds(lambda n: json.dumps({"ref": f"{workspace}:{n}"}), st.integers(min_value=-1, max_value=10**19)),
            HOSTILE_TEXT,
            JUNK,
        )
    )
    values = declare_values if callback == ids.DECLARE_MODAL else resolve_values
    view: dict[str, Any] = {"type": "modal"}
    put(view, "id", draw(choose(st.integers(1, 10**6).map(lambda n: f"V{n:08d}"), HOSTILE_ID, JUNK)))
    put(view, "callback_id", callback)
    put(view, "private_metadata", metadata)
    put(view, "team_id", draw(choose(workspace, JUNK, MISSING)))
    put(view, "state", draw(choose({"values": draw(choose(values, JUNK))}, JUNK, MISSING)))
    payload: dict[str, Any] = draw(bolt_noise())
    payload.update(
        {
            "type": "view_submission",
            "api_app_id": API_APP_ID,
            "team": draw(choose({"id": workspace, "domain": "test"}, st.builds(lambda j: {"id": j}, JUNK), JUNK)),
            "user": draw(
                choose({"id": "U0ALICE", "team_id": workspace}, st.builds(lambda i: {"id": i}, HOSTILE_ID), JUNK)
            ),
            "trigger_id": draw(choose(st.builds(new_trigger_id), JUNK)),
            "view": draw(choose(view, JUNK)),
        }
    )
    return payload


# ---------------------------------------------------------------------- running
def run_examples(
    loop: asyncio.AbstractEventLoop,
    strategy: st.SearchStrategy[T],
    check: Callable[[T], Coroutine[Any, Any, None]],
    *,
    examples: int = EXAMPLES,
) -> None:
    """Run ``check`` on ``examples`` generated values; call from a worker thread (``asyncio.to_thread``)
    while ``loop`` runs the bot: each check is run on that loop and waited for."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(strategy)
    def property_holds(value: T) -> None:
        asyncio.run_coroutine_threadsafe(check(value), loop).result(timeout=60)

    property_holds()
