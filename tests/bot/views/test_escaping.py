from __future__ import annotations

import pytest

from bot.views.escaping import (
    ELLIPSIS,
    WORD_JOINER,
    channel_link,
    clip_mrkdwn,
    escape_mrkdwn,
    escape_within,
    mention,
    neutralise_broadcasts,
    one_line,
    plain_text,
    readable_mrkdwn,
    readable_plain,
    slack_len,
    truncate,
)
from tests.bot.views.samples import HOSTILE_TEXT, RAW_PINGS


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here>", "&lt;!here&gt;"),
        ("<!everyone>", "&lt;!everyone&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<!subteam^S1>", "&lt;!subteam^S1&gt;"),
        ("<https://evil|ok>", "&lt;https://evil|ok&gt;"),
        ("a & b", "a &amp; b"),
        ("&lt;", "&amp;lt;"),
        ("@here", f"@{WORD_JOINER}here"),
        ("@channel now", f"@{WORD_JOINER}channel now"),
        ("hey @Everyone!", f"hey @{WORD_JOINER}Everyone!"),
        ("mail @hereford", "mail @hereford"),
        ("plain words", "plain words"),
    ],
)
def test_escape_mrkdwn(raw: str, shown: str) -> None:
    assert escape_mrkdwn(raw) == shown


def test_escaped_text_has_no_markup_left() -> None:
    escaped = escape_mrkdwn("<!channel> <@U1> <https://x|y> @here & @channel")
    assert "<" not in escaped
    assert ">" not in escaped
    assert "@here" not in escaped
    assert "@channel" not in escaped
    assert escaped.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0


def test_plain_text_reads_tokens_as_words_and_defuses_broadcasts() -> None:
    # plain_text renders no markup and decodes no entities: what the user meant, as words (SPEC §2).
    assert plain_text("<!here> & @here", 100) == f"@{WORD_JOINER}here & @{WORD_JOINER}here"


def test_truncate_counts_utf16_units() -> None:
    assert slack_len("a🔥") == 3
    assert truncate("abcdef", 6) == "abcdef"
    assert truncate("abcdefg", 6) == "abcde" + ELLIPSIS
    cut = truncate("🔥" * 10, 7)
    assert cut == "🔥🔥🔥" + ELLIPSIS
    assert slack_len(cut) <= 7
    with pytest.raises(ValueError, match="positive"):
        truncate("x", 0)


def test_plain_text_truncates_with_ellipsis() -> None:
    text = plain_text("word " * 100, 75)
    assert slack_len(text) <= 75
    assert text.endswith(ELLIPSIS)


@pytest.mark.parametrize("limit", range(2, 40))
def test_clip_mrkdwn_never_splits_entities_or_tokens(limit: int) -> None:
    text = "x &amp; <@U123> &lt;b&gt; <!date^1^{time}|12:00> tail"
    clipped = clip_mrkdwn(text, limit)
    assert slack_len(clipped) <= limit
    body = clipped.removesuffix(ELLIPSIS)
    assert body.count("<") == body.count(">")
    for index, char in enumerate(body):
        if char == "&":
            assert body[index:].startswith(("&amp;", "&lt;", "&gt;"))


def test_escape_within_limits_after_escaping() -> None:
    text = escape_within("<" * 100, 50)
    assert slack_len(text) <= 50
    assert text.endswith(ELLIPSIS)
    assert text.removesuffix(ELLIPSIS).replace("&lt;", "") == ""


def test_mention_only_for_user_ids() -> None:
    assert mention("U123ABC") == "<@U123ABC>"
    assert mention("W0ENTERPRISE") == "<@W0ENTERPRISE>"
    assert mention("system") == "system"
    assert mention("U1> <!channel") == "U1&gt; &lt;!channel"
    assert mention("u123") == "u123"


def test_channel_link() -> None:
    assert channel_link("C0123") == "<#C0123>"
    assert channel_link("<!here>") == "&lt;!here&gt;"


def test_neutralise_and_one_line() -> None:
    assert neutralise_broadcasts("@HERE") == f"@{WORD_JOINER}HERE"
    assert one_line("a\n b\t\nc") == "a b c"


J = WORD_JOINER


@pytest.mark.parametrize(
    ("typed", "mrkdwn", "plain"),
    [
        ("<@U1>", "<@U1>", "@U1"),
        ("<@U1|bob>", "<@U1>", "@bob"),
        ("<#C1|ops>", "#ops", "#ops"),
        ("<#C1>", "<#C1>", "#C1"),
        ("<https://x|docs>", "docs (https://x)", "docs (https://x)"),
        ("<https://x>", "https://x", "https://x"),
        ("<mailto:a@b.c|a@b.c>", "a@b.c", "a@b.c"),
        ("<!here>", f"@{J}here", f"@{J}here"),
        ("<!channel|@channel>", f"@{J}channel", f"@{J}channel"),
        ("<!everyone>", f"@{J}everyone", f"@{J}everyone"),
        ("<!subteam^S1>", "@S1", "@S1"),
        ("<!subteam^S1|@oncall>", "@oncall", "@oncall"),
        ("<!date^1^{time}|12:00>", "12:00", "12:00"),
        # Typed characters arrive from Slack as entities and show as typed, escaped once.
        ("&lt;https://evil.example|docs&gt;", "&lt;https://evil.example|docs&gt;", "<https://evil.example|docs>"),
        ("a &amp; b", "a &amp; b", "a & b"),
        # Not from Slack (the console): a bare < or & is text, and <title> is not a token.
        ("a < b & c", "a &lt; b &amp; c", "a < b & c"),
        ("<title>", "&lt;title&gt;", "<title>"),
        ("<javascript:alert(1)|click>", "&lt;javascript:alert(1)|click&gt;", "<javascript:alert(1)|click>"),
    ],
)
def test_user_text_reads_as_the_user_meant_it(typed: str, mrkdwn: str, plain: str) -> None:
    assert readable_mrkdwn(typed) == mrkdwn
    assert readable_plain(typed) == plain


def test_the_issues_title_reads_plainly_in_a_header() -> None:
    typed = "<!here> payments down see &lt;https://evil.example|docs&gt;"
    assert plain_text(typed, 150) == f"@{J}here payments down see <https://evil.example|docs>"
    assert escape_within(typed, 300) == f"@{J}here payments down see &lt;https://evil.example|docs&gt;"


def test_readable_text_never_pings_and_never_hides_a_link() -> None:
    for text in (readable_mrkdwn(HOSTILE_TEXT), readable_plain(HOSTILE_TEXT)):
        for raw in RAW_PINGS:
            assert raw not in text
        for word in ("@here", "@channel", "@everyone"):
            assert word not in text
        assert "ok (https://evil)" in text
