"""The answer without a language model: the retrieved sentences that best answer the question.

A sentence is worth quoting when it adds what the question asks for, not when it repeats the
question. So besides its words and meaning, each sentence is scored by whether it holds a
candidate answer of the kind asked for (a name for "who", an amount for "how many", a date for
"when", a named thing for "which"), how close that candidate stands to the question's own words,
and how many of the retrieved articles state the same candidate; a sentence that only echoes the
question loses. When one candidate clearly wins, it leads the answer as the short answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.answer import SHORT_ANSWER_SEP, Answer, Citation, ShortAnswer, Source
from index.answer_types import answer_kind, answer_spans, answer_strength, parse_day
from index.articles import DATELINE, HEADER_LINE
from index.catalog import tokenize
from index.copies import CopyGroups
from index.embedding import Embedder
from index.retrieval import Passage, search_terms
from index.vocabulary import stem, stopwords


@dataclass(frozen=True)
class ExtractiveConfig:
    max_sentences: int = 2
    # Below these the question is refused: nothing retrieved is about it (relevance is the
    # sentence's words and meaning alone, 0 to 1).
    min_relevance: float = 0.30
    min_dense: float = 0.20
    keep_ratio: float = 0.85
    duplicate_overlap: float = 0.6
    # A sentence's score: the share of the question's words it holds ...
    lexical_weight: float = 1.0
    # ... how its passage ranked: retrieval knows which article is about the question ...
    passage_weight: float = 1.0
    # ... a candidate answer of the kind asked for, more when it stands near the question's words
    # and when other articles state it too ...
    answer_weight: float = 1.0
    proximity_weight: float = 0.3
    agreement_weight: float = 0.8
    # ... the question's numbers ("Splatoon 2", "2021") stated, in it or the sentence before ...
    number_weight: float = 0.3
    # ... and its meaning, for the sentences the cheaper signals rank highest.
    dense_weight: float = 0.3
    # The short answer needs this lead over the next candidate of its sentence, and another
    # article stating it or this closeness to the question's words.
    short_margin: float = 0.3
    short_proximity: float = 0.5
    # Sentences embedded per question: embedding is nearly all of an answer's time.
    max_embedded: int = 12


@dataclass
class _Span:
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
class _Candidate:
    passage: Passage
    start: int
    end: int
    text: str
    tokens: frozenset[str]
    # The sentence before it in the passage, which its "it" and "they" refer to.
    context_text: str = ""
    spans: list[_Span] = field(default_factory=list)
    relevance: float = 0.0  # words (and, once embedded, meaning) alone, 0 to 1
    score: float = 0.0

    @property
    def best_span(self) -> _Span | None:
        return max(self.spans, key=lambda s: s.strength, default=None)


class ExtractiveAnswerer:
    """Quotes the sentences of the retrieved passages that best answer the question."""

    def __init__(self, embedder: Embedder, config: ExtractiveConfig | None = None) -> None:
        self.embedder = embedder
        self.config = config or ExtractiveConfig()

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        standalone: str | None = None,
    ) -> Answer:
        query = standalone or question
        candidates = self.rank_sentences(query, passages)
        cfg = self.config
        best_dense = max((p.dense for p in passages), default=0.0)
        relevance = max((c.relevance for c in candidates), default=0.0)
        if relevance < cfg.min_relevance or best_dense < cfg.min_dense:
            return refusal(question, passages, standalone=standalone)

        groups = CopyGroups[_Candidate](cfg.duplicate_overlap)  # each claim with its copies
        for cand in candidates:
            if cand.score < candidates[0].score * cfg.keep_ratio:
                break
            may_open = len(groups) < cfg.max_sentences
            groups.add(cand, cand.passage.file, cand.tokens, may_open=may_open)
        chosen = [group.items for group in groups.groups]

        short = self._short_answer(chosen[0][0])
        citations: list[Citation] = []
        parts: list[str] = []
        for group in chosen:
            markers = []
            for cand in group:
                n = len(citations) + 1
                citations.append(
                    Citation.of_chunk(
                        n,
                        cand.passage.chunk,
                        quote=cand.text,
                        start=cand.start,
                        end=cand.end,
                        score=round(cand.score, 4),
                        also_in=_also_in(cand, group),
                    )
                )
                markers.append(f"[{n}]")
            parts.append(f"{_as_quote(group[0].text)} {''.join(markers)}")
        text = " ".join(parts)
        if short is not None:
            text = f"{short.text}{SHORT_ANSWER_SEP}{text}"
        return Answer(
            question=question,
            text=text,
            citations=tuple(citations),
            mode="extractive",
            standalone=standalone,
            passages=tuple(passages),
            short_answer=short,
        )

    def _short_answer(self, top: _Candidate) -> ShortAnswer | None:
        """The candidate of the quoted sentence that clearly wins, as a span of citation [1]."""
        spans = sorted(top.spans, key=lambda s: -s.strength)
        if not spans:
            return None
        best = spans[0]
        if len(spans) > 1 and best.strength - spans[1].strength < self.config.short_margin:
            return None
        # One of several mentions, far from the question's words, is a guess.
        if len(spans) > 1 and best.files < 2 and best.proximity < self.config.short_proximity:
            return None
        return ShortAnswer(
            text=top.text[best.start : best.end],
            n=1,
            start=top.start + best.start,
            end=top.start + best.end,
        )

    def rank_sentences(self, question: str, passages: Sequence[Passage]) -> list[_Candidate]:
        """The passages' sentences, best answer first."""
        cfg = self.config
        candidates = _sentences(passages)
        if not candidates:
            return []
        words = _QuestionWords.of(question)
        kind = answer_kind(question)
        if kind is not None:
            _find_answers(candidates, question, kind)
        top = max(passages[0].score, 1e-9)
        for cand in candidates:
            cand.relevance = words.lexical(cand)
            cand.score = cfg.lexical_weight * cand.relevance
            cand.score += cfg.passage_weight * max(cand.passage.score, 0.0) / top
            cand.score -= cfg.number_weight * words.numbers_missing(cand)
            if (best := cand.best_span) is not None:
                cand.score += best.precision * (
                    cfg.answer_weight + cfg.proximity_weight * best.proximity
                )
                cand.score += cfg.agreement_weight * min(best.files - 1, 3) / 3
        if cfg.max_embedded and len(candidates) > cfg.max_embedded:
            candidates = sorted(candidates, key=lambda c: -c.score)[: cfg.max_embedded]
        vectors = self.embedder.embed([question] + [c.text for c in candidates])
        for cand, sim in zip(candidates, vectors[1:] @ vectors[0], strict=True):
            cand.score += cfg.dense_weight * float(sim)
            cand.relevance = 0.45 * cand.relevance + 0.55 * float(sim)
        candidates.sort(key=lambda c: -c.score)
        return candidates


@dataclass(frozen=True)
class _QuestionWords:
    """The question's terms (stemmed, as indexed) and its numbers."""

    terms: frozenset[str]
    numbers: frozenset[str]

    @classmethod
    def of(cls, question: str) -> _QuestionWords:
        return cls(
            terms=frozenset(tokenize([search_terms(question)])[0]),
            numbers=frozenset(_NUMBER.findall(question)),
        )

    def lexical(self, cand: _Candidate) -> float:
        """The share of the question's terms that the sentence holds."""
        return len(self.terms & cand.tokens) / len(self.terms) if self.terms else 0.0

    def numbers_missing(self, cand: _Candidate) -> float:
        """The share of the question's numbers that the sentence and the one before don't state."""
        if not self.numbers:
            return 0.0
        stated = set(_NUMBER.findall(f"{cand.context_text} {cand.text}"))
        return len(self.numbers - stated) / len(self.numbers)


def _sentences(passages: Sequence[Passage]) -> list[_Candidate]:
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
    # One call for all: the tokenizer's cost is mostly per call.
    tokens = tokenize([text for _, _, _, text, _ in found])
    return [
        _Candidate(passage, start, end, text, frozenset(words), context_text=context)
        for (passage, start, end, text, context), words in zip(found, tokens, strict=True)
    ]


_WORD = re.compile(r"[\w$%€£]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _find_answers(candidates: list[_Candidate], question: str, kind: str) -> None:
    """Each sentence's candidate answers, how near the question's words they stand, and how many
    of the articles state each one."""
    asked = set(stem([w for w in _WORD.findall(question.casefold()) if w not in stopwords()]))
    # Words written in lower case somewhere in these sentences are ordinary words, not names.
    common = frozenset(w for cand in candidates for w in _WORD.findall(cand.text) if w.islower())
    spans: list[tuple[_Candidate, _Span]] = []
    for cand in candidates:
        for a, b in answer_spans(cand.text, question, kind, common):
            key = _answer_key(cand.text[a:b], kind)
            if not key:
                continue
            span = _Span(a, b, key, proximity=_proximity(cand, a, b, asked))
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


def _proximity(cand: _Candidate, start: int, end: int, asked: set[str]) -> float:
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


def refusal(
    question: str,
    passages: Sequence[Passage],
    *,
    standalone: str | None = None,
    missing: Sequence[str] = (),
) -> Answer:
    """The answer that says the articles don't cover the question, and which of them come closest.

    `missing`: the question's key terms that no retrieved passage states, which the text names.
    """
    closest: list[Source] = []
    for p in passages:
        if all(s.file != p.file for s in closest):
            closest.append(
                Source(
                    file=p.file,
                    title=p.chunk.title,
                    date=p.chunk.date or None,
                    url=p.chunk.url or None,
                )
            )
        if len(closest) == 3:
            break
    text = "The articles I have don't cover that."
    if missing:
        named = " or ".join(f"“{term}”" for term in missing[:3])
        text += f" None of them mentions {named}"
        if closest:
            near = closest[0]
            when = f" ({near.date})" if near.date else ""
            text += f"; the nearest is “{near.headline}”{when}"
        text += "."
    return Answer(
        question=question,
        text=text,
        refused=True,
        mode="extractive",
        standalone=standalone,
        closest=tuple(closest),
        passages=tuple(passages),
        missing=tuple(missing),
    )


def _also_in(cand: _Candidate, group: Sequence[_Candidate]) -> tuple[str, ...]:
    """The other files that report this sentence: its group's and the passage's syndicated copies."""
    files = [c.passage.file for c in group if c is not cand]
    files += [d.file for d in cand.passage.duplicates if cand.text in d.text]
    return tuple(dict.fromkeys(f for f in files if f != cand.passage.file))


def _as_quote(text: str) -> str:
    # A sentence that opens with its own quotation mark is quoted already.
    return text if text[:1] in "“\"‘'«" else f"“{text}”"
