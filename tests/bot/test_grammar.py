"""The one command grammar behind `@firebreak …` and `/incident …` (SPEC §3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.grammar import USAGE, Parsed, ParseError, Verb, declare_command, help_text, parse, to_command
from bot.commands.usage import ALIASES, usage_for
from domain import commands as cmd
from domain.incident import SlackSource
from domain.lifecycle import Status
from domain.severity import SEVERITY_USAGE, Severity

SOURCE = SlackSource(channel_id="C1", ts="1700000000.000100")


def slash(text: str) -> Parsed:
    return parse(text, slash=True, in_incident_thread=False)


def thread(text: str) -> Parsed:
    """A mention inside an incident's thread."""
    return parse(text, slash=False, in_incident_thread=True)


def channel(text: str) -> Parsed:
    """A mention anywhere that is not an incident's thread."""
    return parse(text, slash=False, in_incident_thread=False)


def outcome(text: str, *, is_slash: bool, in_thread: bool) -> Parsed | ParseError:
    """What ``parse`` made of the text; any other exception escapes and fails the test."""
    try:
        return parse(text, slash=is_slash, in_incident_thread=in_thread)
    except ParseError as error:
        return error


def refused(text: str, *, entry: str = "slash") -> ParseError:
    with pytest.raises(ParseError) as caught:
        {"slash": slash, "thread": thread, "channel": channel}[entry](text)
    return caught.value


# --- verbs and aliases -------------------------------------------------------------------------

VALID = [
    ("declare db down", Parsed(Verb.DECLARE, title="db down")),
    ("new db down", Parsed(Verb.DECLARE, title="db down")),
    ("open db down sev1", Parsed(Verb.DECLARE, title="db down", severity=Severity.SEV1)),
    ("ack", Parsed(Verb.ACK)),
    ("acknowledge", Parsed(Verb.ACK)),
    ("sev 2", Parsed(Verb.SEV, severity=Severity.SEV2)),
    ("severity sev1", Parsed(Verb.SEV, severity=Severity.SEV1)),
    ("sev SEV-3", Parsed(Verb.SEV, severity=Severity.SEV3)),
    ("sev p4", Parsed(Verb.SEV, severity=Severity.SEV4)),
    ("sev s1", Parsed(Verb.SEV, severity=Severity.SEV1)),
    ("sev sev 2", Parsed(Verb.SEV, severity=Severity.SEV2)),
    ("assign <@U123>", Parsed(Verb.ASSIGN, user_id="U123")),
    ("assign <@U123|alice>", Parsed(Verb.ASSIGN, user_id="U123")),
    ("assign to <@W0AB9>", Parsed(Verb.ASSIGN, user_id="W0AB9")),
    ("lead me", Parsed(Verb.ASSIGN, assign_self=True)),
    ("commander ME", Parsed(Verb.ASSIGN, assign_self=True)),
    ("status identified", Parsed(Verb.STATUS, status=Status.IDENTIFIED)),
    ("status Monitoring", Parsed(Verb.STATUS, status=Status.MONITORING)),
    ("status mitigated", Parsed(Verb.STATUS, status=Status.MONITORING)),
    ("status investigate", Parsed(Verb.STATUS, status=Status.INVESTIGATING)),
    ("status resolved rolled back", Parsed(Verb.STATUS, status=Status.RESOLVED, text="rolled back")),
    ("resolve", Parsed(Verb.RESOLVE)),
    ("resolve rolled back the deploy", Parsed(Verb.RESOLVE, text="rolled back the deploy")),
    ("reopen", Parsed(Verb.REOPEN)),
    ("reopen errors are back", Parsed(Verb.REOPEN, text="errors are back")),
    ("close", Parsed(Verb.CLOSE)),
    ("note db failover done", Parsed(Verb.NOTE, text="db failover done")),
    ("update", Parsed(Verb.UPDATE)),
    ("update checkout is back", Parsed(Verb.UPDATE, text="checkout is back")),
    ("snooze 30m", Parsed(Verb.SNOOZE, duration=timedelta(minutes=30))),
    ("snooze 1 hour", Parsed(Verb.SNOOZE, duration=timedelta(hours=1))),
    ("list", Parsed(Verb.LIST)),
    ("list open", Parsed(Verb.LIST)),
    ("list all", Parsed(Verb.LIST, show_all=True)),
    ("show", Parsed(Verb.SHOW)),
    ("timeline", Parsed(Verb.TIMELINE)),
    ("help", Parsed(Verb.HELP)),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_every_verb_and_alias_by_slash_command(text: str, expected: Parsed) -> None:
    assert slash(text) == expected


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_every_verb_and_alias_by_mention_in_a_thread(text: str, expected: Parsed) -> None:
    assert thread(text) == expected


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_verbs_are_case_insensitive(text: str, expected: Parsed) -> None:
    verb, _, rest = text.partition(" ")
    assert slash(f"{verb.upper()} {rest}") == expected
    assert thread(f"{verb.title()} {rest}") == expected


def test_every_alias_is_understood() -> None:
    assert set(ALIASES) == {verb.value for verb in Verb} | {
        "new",
        "open",
        "acknowledge",
        "severity",
        "lead",
        "commander",
        "follow-up",
        "follow-ups",
        "catch-up",
    }


@pytest.mark.parametrize(
    "text",
    ["  ack  ", "\n\nack\n", "ack.", "ack!", ": ack", ", ack", "\u200back", "ack\u00a0", "—ack"],
)
def test_noise_around_the_verb_is_ignored(text: str) -> None:
    assert thread(text) == Parsed(Verb.ACK)


def test_a_verb_on_its_own_line_with_text_below() -> None:
    assert thread("note\nfirst line\nsecond line") == Parsed(Verb.NOTE, text="first line\nsecond line")


# --- incident references -----------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["INC-42", "inc-42", "inc42", "Inc_42", "#42", "42", "INC-0042", "INC-42:", "#42,"])
def test_reference_forms(ref: str) -> None:
    assert slash(f"ack {ref}") == Parsed(Verb.ACK, number=42)
    assert slash(f"note {ref} db is back") == Parsed(Verb.NOTE, number=42, text="db is back")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sev 2", Parsed(Verb.SEV, severity=Severity.SEV2)),
        ("sev 42 2", Parsed(Verb.SEV, number=42, severity=Severity.SEV2)),
        ("sev INC-42 sev1", Parsed(Verb.SEV, number=42, severity=Severity.SEV1)),
        ("ack 42", Parsed(Verb.ACK, number=42)),
        ("note 42", Parsed(Verb.NOTE, text="42")),
        ("note 42 db is back", Parsed(Verb.NOTE, number=42, text="db is back")),
        ("note INC-42 42", Parsed(Verb.NOTE, number=42, text="42")),
        ("snooze 30m", Parsed(Verb.SNOOZE, duration=timedelta(minutes=30))),
        ("snooze 1 hour", Parsed(Verb.SNOOZE, duration=timedelta(hours=1))),
        ("snooze 7 1h", Parsed(Verb.SNOOZE, number=7, duration=timedelta(hours=1))),
        ("status 42 monitoring", Parsed(Verb.STATUS, number=42, status=Status.MONITORING)),
        ("assign 42 me", Parsed(Verb.ASSIGN, number=42, assign_self=True)),
        ("assign 42 <@U1>", Parsed(Verb.ASSIGN, number=42, user_id="U1")),
        ("resolve 42", Parsed(Verb.RESOLVE, number=42)),
        ("resolve 42 rolled back", Parsed(Verb.RESOLVE, number=42, text="rolled back")),
        ("reopen #7 flapping", Parsed(Verb.REOPEN, number=7, text="flapping")),
        ("update 42", Parsed(Verb.UPDATE, number=42)),
        ("update 42 all clear", Parsed(Verb.UPDATE, number=42, text="all clear")),
        ("show 42", Parsed(Verb.SHOW, number=42)),
        ("timeline inc-9", Parsed(Verb.TIMELINE, number=9)),
        ("close 3", Parsed(Verb.CLOSE, number=3)),
        # A zero or a ten-digit number cannot name an incident, so it stays an argument.
        ("note 0 errors since the fix", Parsed(Verb.NOTE, text="0 errors since the fix")),
        ("note 1234567890 rows lost", Parsed(Verb.NOTE, text="1234567890 rows lost")),
    ],
)
def test_bare_numbers_are_references_only_when_the_rest_still_makes_a_command(text: str, expected: Parsed) -> None:
    assert slash(text) == expected


def test_outside_a_thread_a_mention_may_name_the_incident_the_same_way() -> None:
    assert channel("ack 42") == Parsed(Verb.ACK, number=42)
    assert channel("sev 42 1") == Parsed(Verb.SEV, number=42, severity=Severity.SEV1)


def test_in_a_thread_the_thread_names_the_incident_so_bare_numbers_are_arguments() -> None:
    assert thread("note 500 errors dropped to zero") == Parsed(Verb.NOTE, text="500 errors dropped to zero")
    assert thread("resolve 3 replicas restarted") == Parsed(Verb.RESOLVE, text="3 replicas restarted")
    assert thread("sev 2") == Parsed(Verb.SEV, severity=Severity.SEV2)
    assert "“42”" in refused("ack 42", entry="thread").message


def test_in_a_thread_an_explicit_reference_is_still_read() -> None:
    assert thread("note INC-40 same root cause") == Parsed(Verb.NOTE, number=40, text="same root cause")


@pytest.mark.parametrize("ref", ["INC-0", "#0", "INC-1234567890", "#99999999999999999999"])
def test_impossible_incident_numbers_are_refused(ref: str) -> None:
    error = refused(f"ack {ref}")
    assert "is not an incident number" in error.message
    assert "INC-42" in error.message


@pytest.mark.parametrize("verb", ["list", "help"])
def test_verbs_without_an_incident_take_no_reference(verb: str) -> None:
    assert "“INC-42”" in refused(f"{verb} INC-42").message


# --- declaring ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title", "severity"),
    [
        ("checkout is down", "checkout is down", None),
        ("checkout is down sev1", "checkout is down", Severity.SEV1),
        ("SEV-2 checkout is down", "checkout is down", Severity.SEV2),
        ("checkout sev_3 is down", "checkout is down", Severity.SEV3),
        ("checkout is down p1", "checkout is down", Severity.SEV1),
        ("P2: checkout is down", "checkout is down", Severity.SEV2),
        ("checkout is down s1", "checkout is down", Severity.SEV1),
        ("checkout is down (sev1)", "checkout is down", Severity.SEV1),
        ("checkout is down [SEV1].", "checkout is down", Severity.SEV1),
        ("checkout is down - sev1", "checkout is down", Severity.SEV1),
        ("sev1: checkout is down", "checkout is down", Severity.SEV1),
        ("checkout is down, sev 4", "checkout is down", Severity.SEV4),
        ("checkout is down severity 2", "checkout is down", Severity.SEV2),
        ("sev1 checkout is down sev1", "checkout is down", Severity.SEV1),
        # Bare digits are part of a title, never a severity.
        ("3 replicas down", "3 replicas down", None),
        ("checkout is down 1", "checkout is down 1", None),
        ("42", "42", None),
        # "S3" as a product name is only a severity when it ends the title.
        ("S3 uploads failing", "S3 uploads failing", None),
        ("uploads to s3 failing", "uploads to s3 failing", None),
        ("p99 latency spike", "p99 latency spike", None),
        # With "sev" spelled out, the other spellings stay in the title.
        ("P1 ticket from Acme sev2", "P1 ticket from Acme", Severity.SEV2),
        ("our sev process failed", "our sev process failed", None),
        # Slack sends a typed "<" and ">" as entities: the ";" ending one is text, not a separator.
        ("see &lt;docs&gt; sev1", "see &lt;docs&gt;", Severity.SEV1),
        ("a &amp; b; sev2", "a &amp; b", Severity.SEV2),
    ],
)
def test_a_mention_outside_an_incident_declares(text: str, title: str, severity: Severity | None) -> None:
    assert channel(text) == Parsed(Verb.DECLARE, title=title, severity=severity)
    assert slash(f"declare {text}") == Parsed(Verb.DECLARE, title=title, severity=severity)


def test_a_declaration_title_keeps_mention_markup() -> None:
    assert channel("<@U1> says checkout is down") == Parsed(Verb.DECLARE, title="<@U1> says checkout is down")


def test_empty_text_is_help_for_a_mention_and_the_declare_form_for_the_slash_command() -> None:
    assert channel("") == Parsed(Verb.HELP)
    assert channel("  \n ") == Parsed(Verb.HELP)
    assert thread("") == Parsed(Verb.HELP)
    assert slash("") == Parsed(Verb.DECLARE)
    assert slash("   ") == Parsed(Verb.DECLARE, title=None)


@pytest.mark.parametrize("token", ["sev7", "SEV-0", "sev12", "sev05"])
def test_an_impossible_severity_in_a_title_is_refused(token: str) -> None:
    for error in (refused(f"db down {token}", entry="channel"), refused(f"declare db down {token}")):
        assert error.message == f"“{token}” is not a severity: {SEVERITY_USAGE}"
        assert "[sev1-4]" in error.usage


def test_two_different_severities_are_refused() -> None:
    error = refused("declare db down sev1 sev2")
    assert error.message == "Give one severity, not SEV1 and SEV2."


@pytest.mark.parametrize("text", ["declare", "declare   ", "declare sev1", "new p2", "open - sev3"])
def test_declare_needs_a_title(text: str) -> None:
    error = refused(text)
    assert error.message.startswith("What's the incident? Give it a title")
    assert "`/incident declare checkout errors sev2`" in error.message
    assert error.usage.startswith("`/incident declare <title> [sev1-4] [service:<key>]`")


def test_a_mention_of_only_a_severity_asks_for_a_title() -> None:
    error = refused("sev1", entry="channel")
    assert "`@firebreak declare checkout errors sev2`" in error.message


def test_a_mention_outside_a_thread_starting_with_a_verb_hints_at_declare() -> None:
    error = refused("status page is down", entry="channel")
    assert error.message.startswith("“page” is not a status")
    assert "begin with `declare`" in error.usage
    assert channel("declare status page is down") == Parsed(Verb.DECLARE, title="status page is down")


# --- errors ------------------------------------------------------------------------------------


def test_unknown_verb_in_a_thread() -> None:
    error = refused("foo bar", entry="thread")
    assert error.message.startswith("I don't know the command “foo”")
    assert error.usage == help_text(slash=False)


def test_unknown_verb_by_slash_command_lists_the_verbs() -> None:
    error = refused("foo bar")
    assert error.message.startswith("I don't know the command “foo”: the commands are declare, ack, sev,")
    assert "help" in error.message
    assert error.usage == help_text(slash=True)


def test_a_near_miss_gets_a_suggestion() -> None:
    assert "Did you mean `ack`?" in refused("ackk", entry="thread").message
    assert "Did you mean `snooze`?" in refused("snoze 5m").message


def test_sev_needs_a_severity() -> None:
    error = refused("sev")
    assert error.message.startswith("Which severity?")
    assert "`/incident sev 2`" in error.message
    assert error.usage == usage_for(Verb.SEV, slash=True)
    assert "`/incident sev INC-42 2`" in error.usage
    assert "`@firebreak sev 2`" in refused("sev", entry="thread").usage


@pytest.mark.parametrize(
    ("text", "shown"),
    [("sev 5", "5"), ("sev high", "high"), ("sev 42", "42"), ("sev two", "two"), ("sev 1 2 3", "2 3")],
)
def test_sev_refuses_what_is_not_a_severity(text: str, shown: str) -> None:
    assert refused(text).message == f"“{shown}” is not a severity: {SEVERITY_USAGE}"


def test_sev_after_a_reference_reports_the_severity() -> None:
    assert refused("sev 42 7").message == f"“7” is not a severity: {SEVERITY_USAGE}"


def test_assign_needs_someone() -> None:
    error = refused("assign")
    assert error.message.startswith("Who should lead?")
    assert "`/incident assign [INC-42] @person | me`" in error.usage


@pytest.mark.parametrize("target", ["@alice", "alice", "Alice Smith", "alice@example.com"])
def test_assign_refuses_plain_names(target: str) -> None:
    error = refused(f"assign {target}", entry="thread")
    assert error.message.startswith(f"“{target}” is not a Slack mention")
    assert "@-autocomplete" in error.message


def test_assign_refuses_two_people_groups_and_trailing_words() -> None:
    assert "one commander" in refused("assign <@U1> <@U2>").message
    assert "not a group" in refused("assign <!subteam^S1|oncall>").message
    assert "not a group" in refused("assign <!here>").message
    assert "“please”" in refused("assign <@U1> please").message


def test_status_needs_a_state() -> None:
    error = refused("status")
    assert error.message == "Which status? Use one of investigating, identified, monitoring, resolved, closed."
    assert "<investigating | identified | monitoring | resolved | closed>" in error.usage


def test_status_refuses_unknown_states_and_extra_words() -> None:
    assert refused("status fixed").message.startswith("“fixed” is not a status: use one of investigating")
    assert "add details with `/incident note …`" in refused("status identified bad deploy").message


def test_note_needs_text() -> None:
    error = refused("note", entry="thread")
    assert error.message.startswith("What should the note say?")
    assert "`@firebreak note db failover done`" in error.message
    assert "What should the note say?" in refused("note INC-4").message


def test_snooze_needs_a_duration() -> None:
    error = refused("snooze")
    assert error.message.startswith("Snooze for how long?")
    assert "`/incident snooze 30m`" in error.message
    assert "`/incident snooze INC-42 30m`" in error.usage


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("snooze abc", "abc"),
        ("snooze 30", "30"),
        # Both readings fail; with words after the number, the error is about them.
        ("snooze 5 fortnights", "fortnights"),
    ],
)
def test_snooze_refuses_what_is_not_a_duration(text: str, shown: str) -> None:
    error = refused(text)
    assert error.message == f"“{shown}” is not a duration: use e.g. 90s, 5m, 1h, 3d."


def test_snooze_refuses_zero() -> None:
    assert "is zero" in refused("snooze 0m").message


@pytest.mark.parametrize("verb", ["ack", "close", "show", "timeline"])
def test_incident_verbs_without_arguments_refuse_extras(verb: str) -> None:
    error = refused(f"{verb} INC-4 right now")
    assert error.message == f"`{verb}` takes no arguments besides the incident; I didn't expect “right now”."
    assert error.usage.startswith(f"`/incident {verb} [INC-42]`")


def test_help_and_list_refuse_extras() -> None:
    assert refused("help me please").message == "`help` takes no arguments; I didn't expect “me please”."
    assert refused("list everything").message == "`list` takes only `all`; I didn't expect “everything”."


def test_user_text_quoted_in_errors_cannot_ping_anyone() -> None:
    for error in (refused("<!channel> hello"), refused("sev <!here>"), refused("assign @everyone <!channel>")):
        assert "<!" not in error.message
        assert "&lt;!" in error.message


def test_user_text_quoted_in_errors_is_short_and_on_one_line() -> None:
    error = refused("sev " + "x" * 5000 + "\nmore")
    assert len(error.message) < 400
    assert "\n" not in error.message


# --- text arguments are kept as typed ----------------------------------------------------------


def test_text_arguments_keep_newlines_and_markup() -> None:
    note = "rolled back <@U1>'s deploy\n• <https://status|status page> &amp; db\n\n*done*"
    assert thread(f"note {note}") == Parsed(Verb.NOTE, text=note)
    assert slash(f"update INC-3 {note}") == Parsed(Verb.UPDATE, number=3, text=note)
    assert slash(f"resolve {note}").text == note
    assert slash(f"reopen {note}").text == note


def test_long_text_is_passed_through_for_the_domain_to_judge() -> None:
    note = "x" * 10_000
    assert thread(f"note {note}").text == note


# --- robustness --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "🔥",
        "🔥 checkout is on fire 🔥 sev1",
        "ack 🔥",
        "sev 🔥",
        "note 🔥",
        "\x00\x01\x02",
        "\u202e\u200b",
        "ＡＣＫ",
        "sev ４",
        "ack ٤٢",
        "İ" * 100,
        "a" * 1_000_000,
        "sev1 " * 100_000,
        "note " + " " * 100_000 + "x",
        "declare a" + " " * 100_000 + "b sev1",
        "assign " + "<@U1|" * 10_000,
        "<" * 10_000,
    ],
)
def test_odd_input_is_a_command_or_a_parse_error(text: str) -> None:
    for is_slash, in_thread in ((True, False), (False, True), (False, False)):
        result = outcome(text, is_slash=is_slash, in_thread=in_thread)
        assert isinstance(result, Parsed) or (result.message and result.usage)


def test_emoji_titles_survive() -> None:
    assert channel("🔥 checkout is on fire 🔥 sev1") == Parsed(
        Verb.DECLARE, title="🔥 checkout is on fire 🔥", severity=Severity.SEV1
    )


@given(st.text(), st.booleans(), st.booleans())
def test_any_text_parses_or_raises_parse_error(text: str, is_slash: bool, in_thread: bool) -> None:
    result = outcome(text, is_slash=is_slash, in_thread=in_thread)
    assert isinstance(result, Parsed) or (result.message and result.usage)


@settings(max_examples=300)
@given(st.sampled_from(sorted(ALIASES)), st.text(), st.booleans(), st.booleans())
def test_any_arguments_to_any_verb_parse_or_raise_parse_error(
    verb: str, rest: str, is_slash: bool, in_thread: bool
) -> None:
    result = outcome(f"{verb} {rest}", is_slash=is_slash, in_thread=in_thread)
    assert isinstance(result, ParseError) or result.verb is ALIASES[verb]


# --- to domain commands ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ack", cmd.Acknowledge(actor="U9", source=SOURCE)),
        ("sev 1", cmd.ChangeSeverity(actor="U9", source=SOURCE, severity=Severity.SEV1)),
        ("assign <@U1>", cmd.Assign(actor="U9", source=SOURCE, commander="U1")),
        ("assign me", cmd.Assign(actor="U9", source=SOURCE, commander="U9")),
        ("status identified", cmd.ChangeStatus(actor="U9", source=SOURCE, status=Status.IDENTIFIED)),
        ("status resolved ok", cmd.ChangeStatus(actor="U9", source=SOURCE, status=Status.RESOLVED, summary="ok")),
        ("resolve", cmd.Resolve(actor="U9", source=SOURCE)),
        ("resolve fixed", cmd.Resolve(actor="U9", source=SOURCE, summary="fixed")),
        ("reopen back", cmd.Reopen(actor="U9", source=SOURCE, reason="back")),
        ("close", cmd.Close(actor="U9", source=SOURCE)),
        ("note hi\nthere", cmd.AddNote(actor="U9", source=SOURCE, text="hi\nthere")),
        ("update all clear", cmd.PostStakeholderUpdate(actor="U9", source=SOURCE, text="all clear", model=None)),
        ("snooze 2h", cmd.Snooze(actor="U9", source=SOURCE, duration=timedelta(hours=2))),
    ],
)
def test_to_command(text: str, expected: cmd.IncidentCommand) -> None:
    assert to_command(thread(text), actor="U9", source=SOURCE) == expected


def test_to_command_without_a_source() -> None:
    assert to_command(slash("ack 4"), actor="U9", source=None) == cmd.Acknowledge(actor="U9")


@pytest.mark.parametrize("text", ["declare db down", "update", "list", "list all", "show", "timeline", "help"])
def test_to_command_refuses_what_changes_no_incident(text: str) -> None:
    with pytest.raises(ValueError, match="not a change to an incident"):
        to_command(slash(text), actor="U9", source=None)


def test_to_command_refuses_an_incomplete_parse() -> None:
    with pytest.raises(ValueError, match="not a change to an incident"):
        to_command(Parsed(Verb.SEV), actor="U9", source=None)


def test_declare_command() -> None:
    declared = declare_command(channel("checkout down p2"), actor="U9", source=SOURCE, channel_id="C1", thread_ts="1.2")
    assert declared == cmd.Declare(
        actor="U9", source=SOURCE, title="checkout down", severity=Severity.SEV2, channel_id="C1", thread_ts="1.2"
    )


def test_declare_command_defaults_the_severity() -> None:
    declared = declare_command(slash("declare checkout down"), actor="U9", source=None, channel_id="C1", thread_ts=None)
    assert declared.severity is Severity.SEV3
    other = declare_command(
        slash("declare checkout down"),
        actor="U9",
        source=None,
        channel_id="C1",
        thread_ts=None,
        default_severity=Severity.SEV4,
    )
    assert other.severity is Severity.SEV4


@pytest.mark.parametrize("parsed", [Parsed(Verb.DECLARE), Parsed(Verb.ACK)])
def test_declare_command_needs_a_titled_declaration(parsed: Parsed) -> None:
    with pytest.raises(ValueError, match="not a declaration"):
        declare_command(parsed, actor="U9", source=None, channel_id="C1", thread_ts=None)


# --- usage -------------------------------------------------------------------------------------


def test_usage_has_one_line_per_verb() -> None:
    assert set(USAGE) == set(Verb)
    assert USAGE[Verb.SEV] == "`sev <1-4>` — change severity (1 critical … 4 minor)"
    assert all("\n" not in line and line.startswith(f"`{verb.value}") for verb, line in USAGE.items())


def test_help_text_uses_the_entry_points_prefix() -> None:
    by_slash, by_mention = help_text(slash=True), help_text(slash=False)
    for verb in Verb:
        assert f"`/incident {verb.value}" in by_slash
        assert f"`@firebreak {verb.value}" in by_mention
    assert "@firebreak" not in by_slash
    assert "/incident" not in by_mention
    assert "`/incident sev INC-42 2`" in by_slash
    assert "`@firebreak sev 2`" in by_mention
    assert "`lead` = `assign`" in by_slash


def test_parse_error_is_an_exception_with_its_message() -> None:
    error = ParseError("Which severity?", "usage")
    assert str(error) == "Which severity?"
    assert (error.message, error.usage) == ("Which severity?", "usage")
