"""Free text in commands: cleaned of control characters, folded where it must be one line, bounded."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from domain import events as ev
from domain.commands import AddNote, PostStakeholderUpdate, RecordAiDraft
from domain.errors import InvalidValue
from domain.incident import Undeclared
from domain.text import DESCRIPTION_MAX, NOTE_MAX, SERVICE_MAX, TITLE_MAX, UPDATE_MAX, _drop_controls
from tests.builders import REF, Story, at, declare_command, declared
from tests.domain.paths import ALICE


def _undeclared() -> Story:
    return Story(Undeclared(REF))


@pytest.mark.parametrize("title", ["", "   ", "\t\n\r ", "\x00\x07\x1b"])
def test_empty_title_is_refused(title: str) -> None:
    error = _undeclared().refuse(declare_command(title=title), at(), InvalidValue)
    assert error.message == "The title cannot be empty."


def test_title_limit() -> None:
    assert TITLE_MAX == 120
    error = _undeclared().refuse(declare_command(title="t" * 121), at(), InvalidValue)
    assert error.message == "The title is 121 characters long; the limit is 120."
    run = _undeclared()
    run.do(declare_command(title="  " + "t" * 120 + "\x07\n"), at())
    assert run.incident.title == "t" * 120


def test_title_controls_are_stripped_and_newlines_folded() -> None:
    run = _undeclared()
    run.do(declare_command(title="  Checkout\x00 is\r\n  down\x1b\tin\n\nEU  "), at())
    assert run.incident.title == "Checkout is down in EU"


def test_description_and_service_are_optional_and_cleaned() -> None:
    run = _undeclared()
    run.do(declare_command(description="   ", service="  "), at())
    assert (run.incident.description, run.incident.service) == ("", None)

    run = _undeclared()
    run.do(declare_command(description="Line one\x07\nLine two ", service=" payments\napi "), at())
    assert run.incident.description == "Line one\nLine two"
    assert run.incident.service == "payments api"


def test_description_and_service_limits() -> None:
    error = _undeclared().refuse(declare_command(description="d" * (DESCRIPTION_MAX + 1)), at(), InvalidValue)
    assert error.message == f"The description is {DESCRIPTION_MAX + 1} characters long; the limit is 2000."
    error = _undeclared().refuse(declare_command(service="s" * (SERVICE_MAX + 1)), at(), InvalidValue)
    assert error.message == f"The service is {SERVICE_MAX + 1} characters long; the limit is 80."


def test_note_keeps_its_lines_but_not_control_characters() -> None:
    run = declared()
    produced = run.do(AddNote(actor=ALICE, text="  Rolled back\x00 812\nWatching\x1b graphs  "), at(minutes=1))
    note = produced[0]
    assert isinstance(note, ev.NoteAdded)
    assert note.text == "Rolled back 812\nWatching graphs"


def test_a_line_break_sent_by_a_browser_form_is_one_line_break() -> None:
    run = declared()
    [note] = run.do(AddNote(actor=ALICE, text="Rolled back\r\nWatching graphs\rstill"), at(minutes=1))
    assert isinstance(note, ev.NoteAdded)
    assert note.text == "Rolled back\nWatching graphs still"


@pytest.mark.parametrize("text", ["", "  \n\t ", "\x00"])
def test_empty_note_is_refused(text: str) -> None:
    error = declared().refuse(AddNote(actor=ALICE, text=text), at(minutes=1), InvalidValue)
    assert error.message == "The note cannot be empty."


def test_note_limit() -> None:
    run = declared()
    error = run.refuse(AddNote(actor=ALICE, text="n" * (NOTE_MAX + 1)), at(minutes=1), InvalidValue)
    assert error.message == "The note is 2501 characters long; the limit is 2500."
    run.do(AddNote(actor=ALICE, text="n" * NOTE_MAX), at(minutes=1))


def test_stakeholder_update_and_draft_limits() -> None:
    run = declared()
    error = run.refuse(PostStakeholderUpdate(actor=ALICE, text="u" * (UPDATE_MAX + 1)), at(minutes=1), InvalidValue)
    assert error.message == "The stakeholder update is 2801 characters long; the limit is 2800."
    error = run.refuse(PostStakeholderUpdate(actor=ALICE, text=" \n "), at(minutes=1), InvalidValue)
    assert error.message == "The stakeholder update cannot be empty."
    draft = RecordAiDraft(actor=ALICE, text="u" * (UPDATE_MAX + 1), model="m", based_on=(1,), ai_written=True)
    error = run.refuse(draft, at(minutes=1), InvalidValue)
    assert error.message == "The draft is 2801 characters long; the limit is 2800."


def _character_by_character(value: str, keep_newlines: bool) -> str:
    """What clean-up does to each character, spelled out: the fast path must agree with it."""
    kept = []
    for char in value:
        if char in "\n\x85\u2028\u2029":
            kept.append("\n" if keep_newlines else " ")
        elif char in "\t\r\x0b\x0c":
            kept.append(" ")
        elif unicodedata.category(char) not in ("Cc", "Cs"):
            kept.append(char)
    return "".join(kept)


@pytest.mark.parametrize("keep_newlines", [True, False])
def test_every_character_is_cleaned_as_its_category_says(keep_newlines: bool) -> None:
    """Text without controls skips the look at each character; every code point, alone and in
    ordinary text, is treated as the character-by-character rule treats it."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        for value in (char, f"db {char} failover"):
            assert _drop_controls(value, keep_newlines) == _character_by_character(value, keep_newlines), hex(code)
