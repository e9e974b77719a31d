"""What a passage earns besides matching the question's words and meaning.

Each adds to the fused scores of `retrieval.rank`, scaled by its weight in `RetrievalConfig`: a
gentle prior for recent articles (when the question has a date), a bonus for a passage that
states the question's numbers, and one for a passage that holds the kind of answer the question
wants (a date for "when", a name for "who").
"""

from __future__ import annotations

import re
from datetime import date

from index.language.answer_types import answer_shape, answer_strength
from index.language.dates import DATELINE, HEADER_LINE
from index.search.catalog import ChunkCatalog, ChunkRecord

# Questions that ask for the newest news get a stronger pull towards recent articles.
_RECENT_WORDS = re.compile(
    r"\b(today|yesterday|tonight|this (week|month|weekend|year)|last (week|night)|latest|"
    r"recent(ly)?|newest|now|currently|so far)\b",
    re.I,
)


def add_recency(
    fused: dict[int, float],
    catalog: ChunkCatalog,
    question: str,
    as_of: date,
    *,
    weight: float,
    recent_question_weight: float,
    half_life_days: float,
) -> None:
    """Add to each dated chunk's score a prior that halves every `half_life_days` of its age;
    a question that asks for the latest news gets `recent_question_weight` instead of `weight`."""
    if _RECENT_WORDS.search(question):
        weight = recent_question_weight
    today = as_of.toordinal()
    for i in fused:
        day = int(catalog.days[i])
        if day:
            fused[i] += weight * 0.5 ** (max(0, today - day) / half_life_days)


_NUMBER = re.compile(r"\b\d[\d.,]*\b")


def add_number_match(
    fused: dict[int, float], catalog: ChunkCatalog, question: str, weight: float
) -> None:
    """Add to each chunk's score the share of the question's numbers that it states."""
    wanted = set(_NUMBER.findall(question))
    if not wanted:
        return
    for i in fused:
        stated = set(_NUMBER.findall(catalog.records[i].text))
        fused[i] += weight * len(wanted & stated) / len(wanted)


def add_answer_type(
    fused: dict[int, float], catalog: ChunkCatalog, question: str, weight: float, depth: int
) -> None:
    """Add to the `depth` best chunks' scores how fully they hold an answer of the kind asked for."""
    shape = answer_shape(question)
    if shape is None:
        return
    for i in sorted(fused, key=lambda i: -fused[i])[:depth]:
        fused[i] += weight * answer_strength(_body(catalog.records[i]), question, shape)


# The header lines and a leading dateline say when the piece appeared, which answers no question.


def _body(record: ChunkRecord) -> str:
    text = record.text
    if record.title and text.startswith(record.title):
        text = text[len(record.title) :]
    return DATELINE.sub("", HEADER_LINE.sub("", text))
