"""The sanitiser (SPEC §6): whatever the model writes, nothing that pings, mentions or links to
anything the incident's facts did not contain reaches Slack, and it fits Slack's limits."""

from __future__ import annotations

import pytest

from bot.ai.sanitise import allowed_links, sanitise
from domain.text import UPDATE_MAX

COMMANDER = "U0LEAD"
STATUS_PAGE = "https://status.example.com/incidents/42"
LINKS = allowed_links([f"Checkout is failing, see {STATUS_PAGE}.", "no links in this note"])


def clean(text: str, *, limit: int = UPDATE_MAX) -> str:
    result = sanitise(text, commander=COMMANDER, links=LINKS, limit=limit)
    assert "<" not in result, result
    assert ">" not in result, result
    return result


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Heads up <!channel> checkout is down", "Heads up  checkout is down"),
        ("<!here> checkout is down", "checkout is down"),
        ("checkout is down <!everyone>", "checkout is down"),
        ("<!channel|@channel> checkout is down", "checkout is down"),
        ("Paging <!subteam^S123|@oncall> now", "Paging  now"),
        ("Paging <!subteam^S123> now", "Paging  now"),
        ("Since <!date^1392734382^{date_short}|Feb 18, 2014> it fails", "Since  it fails"),
        ("See <#C123|general> for more", "See  for more"),
        ("See <#C123> for more", "See  for more"),
    ],
)
def test_broadcasts_groups_dates_and_channels_are_removed(raw: str, expected: str) -> None:
    assert " ".join(clean(raw).split()) == " ".join(expected.split())


@pytest.mark.parametrize(
    "raw",
    [
        "@channel checkout is down",
        "checkout is down @here",
        "Everyone (@everyone) should know",
        "@CHANNEL loud",
        "@Here. Now.",
    ],
)
def test_bare_broadcast_words_lose_their_at_sign(raw: str) -> None:
    result = clean(raw)
    for word in ("@channel", "@here", "@everyone"):
        assert word not in result.lower(), result
    assert any(word in result.lower() for word in ("channel", "here", "everyone")), "the word itself stays"


def test_an_address_that_merely_contains_a_broadcast_word_is_left_alone() -> None:
    assert clean("write to ops@here.example") == "write to ops@here.example"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<@U123> is looking into it", "a responder is looking into it"),
        ("<@U123|alice> is looking into it", "a responder is looking into it"),
        ("<@W0ENTERPRISE> is looking", "a responder is looking"),
        (f"<@{COMMANDER}> leads the response", "the incident commander leads the response"),
        (f"<@{COMMANDER}|lead> leads the response", "the incident commander leads the response"),
    ],
)
def test_people_become_roles(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_without_a_commander_every_person_is_a_responder() -> None:
    assert sanitise(f"<@{COMMANDER}> leads", commander=None, links=LINKS) == "a responder leads"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Details: <https://evil.example|click here>", "Details: click here"),
        ("Details: <https://evil.example>", "Details: [link removed]"),
        ("Details: https://evil.example/login now", "Details: [link removed] now"),
        ("Write to <mailto:ceo@evil.example|the CEO>", "Write to the CEO"),
        (f"Details: {STATUS_PAGE}.evil.example/x", "Details: [link removed]"),
        (f"Details: {STATUS_PAGE.replace('https://', 'https://user@')}", "Details: [link removed]"),
    ],
)
def test_links_the_facts_do_not_contain_are_removed(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_links_from_the_facts_are_kept() -> None:
    assert clean(f"Follow {STATUS_PAGE} for news.") == f"Follow {STATUS_PAGE} for news."
    assert clean(f"Follow <{STATUS_PAGE}|the status page>.") == f"Follow the status page ({STATUS_PAGE})."
    assert clean(f"Follow <{STATUS_PAGE}>.") == f"Follow {STATUS_PAGE}."
    shouted = STATUS_PAGE.upper().replace("HTTPS", "https")
    assert clean(f"Follow {shouted}") == f"Follow {shouted}", "links compare without case"


def test_no_angle_brackets_survive_even_half_tokens_or_nesting() -> None:
    for raw in ("a <!channel b", "x > y", "<<!channel>>", "<!chan<!here>nel>", "<https://evil.example|<!here>>", "<>"):
        result = clean(raw)
        assert "!channel>" not in result
        assert "!here>" not in result


def test_everything_at_once() -> None:
    raw = (
        "*Impact:* <!channel> checkout down. Ask <@U999|bob> or <!subteam^S1|@sre> in <#C42|ops>; "
        f"@here see <https://evil.example|this> and {STATUS_PAGE} and http://tracker.evil.example/1"
    )
    result = clean(raw)
    for forbidden in ("<!", "<@", "<#", "@here", "@sre", "U999", "S1", "C42", "evil.example"):
        assert forbidden not in result, (forbidden, result)
    assert STATUS_PAGE in result
    assert "a responder" in result


@pytest.mark.parametrize("limit", [50, 500, UPDATE_MAX])
def test_output_is_cut_to_the_limit(limit: int) -> None:
    result = clean("Checkout is failing for some customers. " * 200, limit=limit)
    assert len(result) <= limit
    assert result.endswith("…")


def test_short_output_is_not_cut() -> None:
    assert clean("All good.", limit=50) == "All good."
