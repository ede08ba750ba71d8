"""Keeping only what the timeline backs (SPEC §10): every sentence of a postmortem draft names the
timeline entries it rests on (``[#12]``, an event's number); a sentence that names none, or names
one this incident's timeline does not have, is dropped, whatever it says."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# "[#12]", "[#3, #5]" or "[#3][#5]" in a sentence's text.
_CITATION = re.compile(r"\[\s*#\s*[0-9]+(?:\s*,\s*#?\s*[0-9]+)*\s*\]")
_NUMBER = re.compile(r"[0-9]+")
# Left where a citation was taken out: "rolled back [#2]." reads "rolled back."
_SPACE_BEFORE_STOP = re.compile(r"\s+([.,;:!?])")
SENTENCE_MAX = 600


@dataclass(frozen=True)
class Cited:
    """The sentences kept, each with its citations, and how many were dropped."""

    sentences: tuple[str, ...]
    dropped: int

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def cited_sentences(answer: object, entries: frozenset[int]) -> Cited:
    """``answer`` is the model's list of ``{"sentence": str, "cites": [int]}``; a citation written in
    the sentence counts as one given beside it (both must name ``entries``)."""
    items = answer if isinstance(answer, list) else []
    kept: list[str] = []
    for item in items:
        sentence = _sentence(item, entries)
        if sentence is not None:
            kept.append(sentence)
    return Cited(tuple(kept), len(items) - len(kept))


def _sentence(item: object, entries: frozenset[int]) -> str | None:
    if not isinstance(item, Mapping):
        return None
    text, cites = item.get("sentence"), item.get("cites")
    if not isinstance(text, str) or not isinstance(cites, list):
        return None
    written = [int(n) for found in _CITATION.findall(text) for n in _NUMBER.findall(found)]
    given = [n for n in cites if isinstance(n, int) and not isinstance(n, bool)]
    if len(given) != len(cites):
        return None  # a citation that is not an entry's number names no entry
    numbers = _unique([*given, *written])
    plain = _SPACE_BEFORE_STOP.sub(r"\1", " ".join(_CITATION.sub("", text).split()))
    if not plain or not numbers or any(n not in entries for n in numbers) or len(plain) > SENTENCE_MAX:
        return None
    return f"{plain} {''.join(f'[#{n}]' for n in numbers)}"


def _unique(numbers: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(numbers))
