"""The passages' sentences as answers to rank: each sentence once, with the sentence before it,
its terms, and the candidate answers its wording shows (index/language/answer_types' patterns:
a name for "who", an amount for "how many"), how near the question's words they stand and how many
articles state them. The cheap signals; the parse's reading (candidates.py) is added to the top
sentences only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.answering.candidates import Found, Statement
from index.language.answer_types import answer_spans, answer_strength, parse_day
from index.language.dates import DATELINE, HEADER_LINE
from index.language.question_text import search_terms
from index.language.vocabulary import stem, stopwords
from index.language.words import WORD_WITH_SIGNS as _WORD
from index.language.words import tokenize
from index.ranking.retrieval import Passage


@dataclass
class PatternSpan:
    start: int  # offsets into the sentence's text
    end: int
    key: str  # the candidate, folded, to count the articles that state it
    proximity: float = 0.0  # 1 right beside a question word, towards 0 far from any
    files: int = 1  # how many retrieved articles state it
    precision: float = 1.0  # for a date: 1 the full date, less a day or a year alone

    @property
    def strength(self) -> float:
        """How surely it is the answer: a precise mention near the question's words, stated by
        more than one article (each other article counting as much as being right beside)."""
        return self.precision * (1.0 + self.proximity) + min(self.files - 1, 2)


@dataclass
class Sentence:
    passage: Passage
    start: int
    end: int
    text: str
    tokens: frozenset[str]
    # The sentence before it in the passage, which its "it" and "they" refer to.
    context_text: str = ""
    spans: list[PatternSpan] = field(default_factory=list)  # candidate answers, by their shape
    statement: Statement | None = None  # what the parse found in it, for the top sentences
    relevance: float = 0.0  # words (and, once embedded, meaning) alone, 0 to 1
    score: float = 0.0

    @property
    def best(self) -> Found | None:
        found = self.statement.found if self.statement is not None else []
        return max(found, key=lambda f: f.strength, default=None)


@dataclass(frozen=True)
class QuestionWords:
    """The question's terms (stemmed, as indexed) and its numbers."""

    terms: frozenset[str]
    numbers: frozenset[str]

    @classmethod
    def of(cls, question: str) -> QuestionWords:
        return cls(
            terms=frozenset(tokenize([search_terms(question)])[0]),
            numbers=frozenset(_NUMBER.findall(question)),
        )

    def lexical(self, cand: Sentence) -> float:
        """The share of the question's terms that the sentence holds."""
        return len(self.terms & cand.tokens) / len(self.terms) if self.terms else 0.0

    def numbers_missing(self, cand: Sentence) -> float:
        """The share of the question's numbers that the sentence and the one before don't state."""
        if not self.numbers:
            return 0.0
        stated = set(_NUMBER.findall(f"{cand.context_text} {cand.text}"))
        return len(self.numbers - stated) / len(self.numbers)


def sentences_of(passages: Sequence[Passage]) -> list[Sentence]:
    """Every sentence of the passages worth quoting (four words or more), each once."""
    found: list[tuple[Passage, int, int, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for passage in passages:
        chunk = passage.chunk
        previous = ""
        for start, end in chunk.sentences:
            text = chunk.text_at(start, end)
            if HEADER_LINE.match(text):
                continue
            if dateline := DATELINE.match(text):
                # "Apr 13, 2017 ... ": when a snippet appeared, not what it says; quoted without.
                start += dateline.end()
                text = text[dateline.end() :]
            context, previous = previous, text
            # "New York (CNN Business) —" alone on its line is a dateline, not a statement.
            if (
                len(text.split()) < 4
                or text.rstrip().endswith(("—", "–"))
                or ((chunk.file, text) in seen)
            ):
                continue
            seen.add((chunk.file, text))
            found.append((passage, start, end, text, context))
    found = [f for f in found if not _cut_short_of(f[3], f[0].file, found)]
    # One call for all: the tokenizer's cost is mostly per call.
    tokens = tokenize([text for _, _, _, text, _ in found])
    return [
        Sentence(passage, start, end, text, frozenset(words), context_text=context)
        for (passage, start, end, text, context), words in zip(found, tokens, strict=True)
    ]


_CUT = re.compile(r"\s*(\.\.\.|…)\s*$")


def _cut_short_of(
    text: str, file: str, found: Sequence[tuple[Passage, int, int, str, str]]
) -> bool:
    """A summary line cut off with "..." ("valued at approximately $3.9 ...") whose whole sentence
    the same article states too: that one is quoted instead."""
    cut = _CUT.search(text)
    if cut is None:
        return False
    head = text[: cut.start()]
    return any(p.file == file and t != text and t.startswith(head) for p, _, _, t, _ in found)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def find_pattern_answers(candidates: list[Sentence], question: str, kind: str) -> None:
    """Each sentence's candidate answers, how near the question's words they stand, and how many
    of the articles state each one."""
    asked = set(stem([w for w in _WORD.findall(question.casefold()) if w not in stopwords()]))
    # Words written in lower case somewhere in these sentences are ordinary words, not names.
    common = frozenset(w for cand in candidates for w in _WORD.findall(cand.text) if w.islower())
    spans: list[tuple[Sentence, PatternSpan]] = []
    for cand in candidates:
        for a, b in answer_spans(cand.text, question, kind, common):
            key = _answer_key(cand.text[a:b], kind)
            if not key:
                continue
            span = PatternSpan(a, b, key, proximity=_proximity(cand, a, b, asked))
            if kind == "date":
                span.precision = answer_strength(cand.text[a:b], question, "date")
            cand.spans.append(span)
            spans.append((cand, span))
    # Two mentions agree when one's words hold the other's: "Joe Biden" and "Biden".
    files_of: dict[str, set[str]] = {}
    for cand, span in spans:
        files_of.setdefault(span.key, set()).update(cand.passage.files)
    words = {key: set(key.split()) for key in files_of}
    for _, span in spans:
        agreeing: set[str] = set()
        for key, files in files_of.items():
            if words[key] <= words[span.key] or words[span.key] <= words[key]:
                agreeing |= files
        span.files = len(agreeing)


def _answer_key(text: str, kind: str) -> str:
    """A candidate answer in the form its mentions share: folded words; a date as month and day."""
    if kind == "date" and (day := parse_day(text)) is not None:
        return f"{day[0]:02d}-{day[1]:02d}"
    return " ".join(w.casefold() for w in _WORD.findall(text))


def _proximity(cand: Sentence, start: int, end: int, asked: set[str]) -> float:
    """1 / (1 + the words between the span and the nearest question word): in its sentence, or
    else in the sentence before, counting the words in between."""
    text = cand.text
    gaps = []
    for m in _WORD.finditer(text):
        if _stem_of(m.group(0)) not in asked:
            continue
        if m.end() <= start:
            gaps.append(len(_WORD.findall(text[m.end() : start])))
        elif m.start() >= end:
            gaps.append(len(_WORD.findall(text[end : m.start()])))
    if not gaps and cand.context_text:
        before = [m for m in _WORD.finditer(cand.context_text) if _stem_of(m.group(0)) in asked]
        if before:
            tail = len(_WORD.findall(cand.context_text[before[-1].end() :]))
            gaps.append(tail + len(_WORD.findall(text[:start])))
    return 1.0 / (1.0 + min(gaps)) if gaps else 0.0


@lru_cache(maxsize=8192)
def _stem_of(word: str) -> str:
    return stem([word.casefold()])[0]
