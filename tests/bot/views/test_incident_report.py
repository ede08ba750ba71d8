"""The incident report (SPEC §10), read as a Markdown renderer reads it: an incident over two days
with a reopen has its durations in days, its whole timeline as a table whose cells hold whatever
people wrote without breaking, its updates, postmortem and follow-ups."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from bot.views.incident_report import incident_report, markdown_text, table_cell
from domain import commands as cmd
from domain.postmortem import PostmortemField, PostmortemText
from tests.builders import REPORTER, Story, at, declared

LEAD = "U0LEAD"
NAMES = {REPORTER: "Rita Reporter", LEAD: "Lee | Lead"}
# A note that would break a naive table: a pipe, line breaks, backticks, a heading, a quote, HTML.
NASTY = "db | cache split\n# not a heading\n> not a quote\n```rm -rf```\n<script>alert(1)</script> *bold* [x](y)"
NASTY_READ = "db | cache split # not a heading > not a quote ```rm -rf``` <script>alert(1)</script> *bold* [x](y)"


class _Tables(HTMLParser):
    """The rendered page's table cells, row by row, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")
        else:
            assert tag in ("table", "thead", "tbody", "code"), f"unexpected <{tag}> in a table"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def rendered(markdown: str) -> str:
    html: str = MarkdownIt("commonmark").enable("table").render(markdown)
    return html


def cells(markdown: str) -> list[list[str]]:
    tables = _Tables()
    tables.feed(rendered(markdown))
    return tables.rows


def two_days_and_a_reopen() -> Story:
    """Declared at T0, acknowledged after 5 min, resolved after 1 d 2 h, reopened 3 h later and
    resolved for good at 2 d 1 h; then reviewed."""
    story = declared("Checkout | payments `down`", service="payments")
    story.do(cmd.Acknowledge(actor=LEAD), at(5))
    story.do(cmd.Assign(actor=LEAD, commander=LEAD), at(6))
    story.do(cmd.AddNote(actor=LEAD, text=NASTY), at(7, seconds=9))
    story.do(cmd.PostStakeholderUpdate(actor=LEAD, text="Checkout is slow.\n# Still on it"), at(20))
    story.do(cmd.Resolve(actor=LEAD, summary="rolled back"), at(days=1, hours=2))
    story.do(cmd.Reopen(actor=LEAD, reason="errors are back"), at(days=1, hours=5))
    story.do(cmd.Resolve(actor=LEAD, summary=None), at(days=2, hours=1))
    texts = (PostmortemText(PostmortemField.ROOT_CAUSE, "A | bad deploy\n1. first"),)
    story.do(cmd.EditPostmortem(actor=LEAD, texts=texts), at(days=2, hours=2))
    story.do(cmd.AddFollowUp(actor=LEAD, text="alert on `queue` | depth", due=date(2026, 12, 20)), at(days=2, hours=3))
    return story


def test_durations_show_days_and_leave_out_the_time_resolved_before_the_reopen() -> None:
    story = two_days_and_a_reopen()
    report = incident_report(story.incident, story.timeline, NAMES, at(days=3))
    assert "- Time to acknowledge: 5 min" in report
    # Open 1 d 2 h, resolved 3 h, open again 20 h: 1 d 22 h of work; 2 d 1 h from declared to resolved.
    assert "- Time to resolve: 1 d 22 h (the 3 h it spent resolved before it was reopened left out)" in report
    assert "- In total, declared to resolved: 2 d 1 h" in report


def test_an_open_incident_says_how_long_it_has_been_open() -> None:
    story = declared()
    report = incident_report(story.incident, story.timeline, NAMES, at(days=1, hours=1))
    assert "- Time to acknowledge: not acknowledged" in report
    assert "- Time to resolve: not resolved yet (open for 1 d 1 h so far)" in report


def test_the_timeline_is_one_table_row_per_event_with_utc_seconds_and_names() -> None:
    story = two_days_and_a_reopen()
    report = incident_report(story.incident, story.timeline, NAMES, at(days=3))
    timeline = report.split("## Timeline")[1].split("## Stakeholder updates")[0]
    rows = cells(timeline)
    assert rows[0] == ["#", "When (UTC)", "What happened"]
    assert len(rows) == 1 + len(story.timeline), "one row per event, none split or merged"
    assert all(len(row) == 3 for row in rows), rows
    assert [row[0] for row in rows[1:]] == [str(seq) for seq, _ in story.timeline]
    note = next(row for row in rows if "added a note" in row[2])
    assert note[1] == "2026-11-23 03:07:09 UTC"
    assert note[2] == f"Lee | Lead added a note: {NASTY_READ}", "read as typed, nothing interpreted"
    assert rows[1][2].startswith("Rita Reporter declared INC-42 (SEV2): Checkout | payments `down`")
    resolved_again = [row for row in rows if "resolved INC-42" in row[2]]
    assert [row[1] for row in resolved_again] == ["2026-11-24 05:00:00 UTC", "2026-11-25 04:00:00 UTC"]


def test_nothing_people_wrote_becomes_markup_anywhere_in_the_report() -> None:
    story = two_days_and_a_reopen()
    html = rendered(incident_report(story.incident, story.timeline, NAMES, at(days=3)))
    assert "<script>" not in html
    assert "<blockquote>" not in html
    assert "<em>" not in html
    assert "<a " not in html
    assert html.count("<h1>") == 1
    assert "<ol" not in html, "a numbered line in the postmortem stays a line"
    assert "Checkout is slow.<br />\n# Still on it" in html, "an update's lines kept, its # no heading"
    assert "A | bad deploy<br />\n1. first" in html


def test_facts_updates_postmortem_and_followups() -> None:
    story = two_days_and_a_reopen()
    report = incident_report(
        story.incident, story.timeline, NAMES, at(days=3), page_url="https://fb.example/incidents/INC-42"
    )
    assert report.startswith("# INC-42 · Checkout \\| payments \\`down\\`\n")
    for fact in (
        "**Severity:** SEV2 · major",
        "**Service:** payments",
        "**Commander:** Lee \\| Lead",
        "**Status:** Resolved",
    ):
        assert f"- {fact}\n" in report
    assert "- **In the console:** <https://fb.example/incidents/INC-42>" in report
    assert "### 2026-11-23 03:20:00 UTC · Lee \\| Lead\n\nCheckout is slow.\\\n\\# Still on it\n" in report
    assert "### Root cause\n\nA \\| bad deploy\\\n1\\. first\n" in report
    assert "### Summary\n\nNot written.\n" in report
    followups = cells(report.split("## Follow-ups")[1])
    assert followups[1] == ["1", "alert on `queue` | depth", "Lee | Lead", "2026-12-20", "open"]


def test_an_incident_with_nothing_after_it_says_so() -> None:
    story = declared()
    report = incident_report(story.incident, story.timeline, {}, at(1))
    assert "## Stakeholder updates\n\nNone published.\n" in report
    assert "## Postmortem\n\nNot written yet.\n" in report
    assert report.endswith("## Follow-ups\n\nNone.\n")
    assert f"**Reported by:** {REPORTER}" in report, "an unknown person is shown by their id"


def test_escaping_reads_back_as_the_text() -> None:
    text = "a|b `c` \\d *e* _f_ [g] ~h~ <i> &j"
    html = rendered(markdown_text(text))
    assert html == "<p>a|b `c` \\d *e* _f_ [g] ~h~ &lt;i&gt; &amp;j</p>\n"
    assert table_cell("one\n\ntwo ") == "one<br><br>two"
