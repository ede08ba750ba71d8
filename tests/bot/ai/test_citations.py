"""The citation filter (SPEC §10): a postmortem draft keeps only sentences that cite entries of the
incident's own timeline; a sentence without a citation, or with one that names no entry, is dropped."""

from __future__ import annotations

from bot.ai.citations import SENTENCE_MAX, Cited, cited_sentences

ENTRIES = frozenset({1, 2, 5, 12})


def said(sentence: object, cites: object) -> dict[str, object]:
    return {"sentence": sentence, "cites": cites}


def test_cited_sentences_are_kept_with_their_citations() -> None:
    answer = [said("The deploy broke checkout.", [12]), said("It was rolled back.", [2, 5])]
    assert cited_sentences(answer, ENTRIES) == Cited(
        ("The deploy broke checkout. [#12]", "It was rolled back. [#2][#5]"), 0
    )
    assert cited_sentences(answer, ENTRIES).text == "The deploy broke checkout. [#12] It was rolled back. [#2][#5]"


def test_an_uncited_sentence_is_dropped() -> None:
    answer = [said("The deploy broke checkout.", [12]), said("Customers lost 2 million dollars.", [])]
    assert cited_sentences(answer, ENTRIES) == Cited(("The deploy broke checkout. [#12]",), 1)


def test_a_sentence_citing_an_entry_the_incident_lacks_is_dropped() -> None:
    answer = [said("A cosmic ray flipped a bit.", [99]), said("Half right.", [12, 404]), said("Fine.", [1])]
    assert cited_sentences(answer, ENTRIES) == Cited(("Fine. [#1]",), 2)


def test_citations_written_in_the_sentence_count_and_must_be_valid_too() -> None:
    answer = [
        said("Rolled back [#2].", []),
        said("Checkout recovered [#5, #12].", [5]),
        said("Traffic doubled [#77].", [1]),
    ]
    assert cited_sentences(answer, ENTRIES) == Cited(("Rolled back. [#2]", "Checkout recovered. [#5][#12]"), 1)


def test_malformed_items_are_dropped_and_nothing_is_no_sentences() -> None:
    answer = [
        "a bare string",
        said(None, [1]),
        said("cites not a list", 1),
        said("cites a word", ["#1"]),
        said("cites true", [True]),
        said("[#1]", [1]),
        said("x" * (SENTENCE_MAX + 1), [1]),
    ]
    assert cited_sentences(answer, ENTRIES) == Cited((), len(answer))
    assert cited_sentences(None, ENTRIES) == Cited((), 0)
    assert cited_sentences({"sentence": "not a list"}, ENTRIES) == Cited((), 0)
