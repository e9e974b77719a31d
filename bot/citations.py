"""The citation checker: every sentence of a generated answer is checked against the text it cites.

For each sentence of the model's answer:
- its markers are parsed (`[2]`, `[1, 3]`, `[1][3]`); a marker to a source that was not given is removed;
- each cited source is searched for the shortest run of one to three consecutive sentences that
  supports the claim: every number, date and name in the claim occurs in it, a negated claim finds a
  negation there, and the claim's content words are covered (fully enough on their own, or less so
  when the embedding model finds the two close in meaning);
- a sentence no cited source supports is tried against the other sources (the model cited the wrong
  one, or forgot to cite), and is **dropped** if none supports it. Dropping rather than marking keeps
  every sentence a user reads backed by a quote; the count of dropped sentences is kept in
  `Verification`.

Every citation that survives carries the supporting run's exact text and its offsets in the file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import Any, Literal

import numpy as np

from bot.answer import Citation, Verification
from bot.prompts import SourceView
from index.articles import MONTHS
from index.chunking import sentence_spans
from index.embedding import Embedder

# One marker group: [3], [1, 2], [1-2], [Source 1], [1][2] is two groups.
_MARKER = re.compile(r"\[\s*(?:sources?\s*)?(\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})*)\s*\]", re.I)
_AFTER_MARKER = re.compile(r"\][.!?]?[\"”’)]*(\s+)(?=[\"“‘(]?[A-Z])")
_BULLET = re.compile(r"^\s*(?:[-*•]+|\d{1,2}[.)])\s+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CAPITALISED = re.compile(r"\b[A-Z][\w'’.-]*")
_NEGATION = re.compile(r"\b(not|no|never|neither|nor|none|without)\b|n['’]t\b", re.I)
_REFUSAL = re.compile(
    r"\b(sources?|articles?|passages?|context|text|information)\b.{0,60}"
    r"\b(do(es)?n['’]?t|do(es)? not|did not|didn['’]t|cannot|can['’]t|fail to)\b.{0,40}"
    r"\b(say|answer|mention|contain|provide|include|state|specify|tell|cover|address)"
    r"|\b(no|not enough) (information|mention|details?)\b"
    r"|\bnot (mentioned|specified|stated|provided|available|covered)\b"
    r"|\bI (don['’]t|do not|cannot|can['’]t) (know|find|answer|tell)\b"
    r"|\bunable to (find|answer|determine)\b",
    re.I,
)
_NUMBER_WORDS = {
    word: str(i)
    for i, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "dozen": "12"}
# Words that open a sentence in capitals without being a name.
_OPENERS = {
    "according",
    "additionally",
    "also",
    "although",
    "however",
    "meanwhile",
    "moreover",
    "overall",
    "furthermore",
    "finally",
    "instead",
    "yes",
    "indeed",
    "answer",
    "today",
    "yesterday",
    "last",
    "next",
    "earlier",
    "later",
    "in",
    "on",
}
# Short and long forms of the names news text uses most (compared after `_plain`).
_ALIASES = {
    "us": ("united states", "america"),
    "usa": ("united states", "us", "america"),
    "uk": ("united kingdom", "britain"),
    "un": ("united nations",),
    "eu": ("european union",),
    "american": ("us", "united states"),
    "british": ("uk", "britain", "united kingdom"),
}
_EXTRA_STOPWORDS = {"also", "said", "says", "would", "could", "may", "might", "according", "must"}


@dataclass(frozen=True)
class CheckConfig:
    max_window: int = 3  # consecutive sentences of a passage one citation may quote
    min_coverage: float = 0.75  # share of the claim's content words found in the quote
    min_coverage_dense: float = 0.5  # ... enough when the embedding similarity is high
    min_dense: float = 0.7
    max_dense_tries: int = 4  # embedding comparisons per source and sentence
    min_content_words: int = 2  # fewer than this is not a checkable statement
    # Try every source for a sentence that cites none, or cites one that doesn't support it.
    attribute: bool = True


@dataclass(frozen=True)
class Support:
    """A run of a source's sentences that backs a claim: the file's text between start and end."""

    source: int
    start: int
    end: int
    quote: str
    coverage: float


@dataclass(frozen=True)
class CheckedSentence:
    text: str  # the model's sentence without its markers
    kind: Literal["claim", "refusal", "filler"]
    cited: tuple[int, ...] = ()  # markers to sources that exist
    invented: tuple[int, ...] = ()  # markers to sources that don't
    support: tuple[Support, ...] = ()
    attributed: bool = False  # supported by a source the model did not cite

    @property
    def supported(self) -> bool:
        return bool(self.support)

    @property
    def citations_verified(self) -> bool:
        """Every marker the model wrote points at a source that supports the sentence."""
        backed = {s.source for s in self.support}
        return not self.invented and bool(self.cited) and set(self.cited) <= backed


@dataclass(frozen=True)
class CheckResult:
    sentences: tuple[CheckedSentence, ...]
    text: str  # the answer as shown: supported sentences with their renumbered markers
    citations: tuple[Citation, ...]

    @property
    def claims(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if s.kind == "claim"]

    @property
    def verification(self) -> Verification:
        claims = self.claims
        return Verification(sentences=len(claims), supported=sum(s.supported for s in claims))

    @property
    def refused(self) -> bool:
        """The model said the sources don't answer, and claimed nothing."""
        return not self.claims and any(s.kind == "refusal" for s in self.sentences)

    @property
    def removed(self) -> int:
        """Claims dropped because no source supports them."""
        v = self.verification
        return v.sentences - v.supported

    @property
    def all_citations_verified(self) -> bool:
        """The model cited every claim, and every one of its markers was right."""
        claims = self.claims
        return bool(claims) and all(s.citations_verified for s in claims)


class CitationChecker:
    """Checks a generated answer against the numbered sources it was written from."""

    def __init__(self, embedder: Embedder | None = None, config: CheckConfig | None = None) -> None:
        self.embedder = embedder
        self.config = config or CheckConfig()

    def check(self, answer: str, sources: Sequence[SourceView]) -> CheckResult:
        by_number = {s.n: s for s in sources}
        checked = [
            self._check_sentence(text, markers, by_number) for text, markers in split_answer(answer)
        ]
        return _assemble(checked, by_number)

    def _check_sentence(
        self, raw: str, markers: list[int], sources: dict[int, SourceView]
    ) -> CheckedSentence:
        text = _tidy(raw)
        cited = tuple(dict.fromkeys(n for n in markers if n in sources))
        invented = tuple(dict.fromkeys(n for n in markers if n not in sources))
        if _REFUSAL.search(text):
            return CheckedSentence(text, "refusal", cited, invented)
        claim = Claim.of(text)
        if len(claim.words) < self.config.min_content_words:
            return CheckedSentence(text, "filler", cited, invented)
        support = [s for n in cited if (s := self.supports(claim, sources[n])) is not None]
        attributed = False
        if not support and self.config.attribute:
            others = [
                s
                for n, source in sources.items()
                if n not in cited and (s := self.supports(claim, source)) is not None
            ]
            if others:
                support = [max(others, key=lambda s: s.coverage)]
                attributed = True
        return CheckedSentence(text, "claim", cited, invented, tuple(support), attributed)

    def supports(self, claim: Claim, source: SourceView) -> Support | None:
        """The shortest, best-covering run of the source's sentences that backs the claim."""
        cfg = self.config
        candidates: list[tuple[Support, str]] = []
        for run in _runs(source):
            for size in range(1, cfg.max_window + 1):
                for i in range(len(run) - size + 1):
                    start, end = run[i][0], run[i + size - 1][1]
                    quote = source.sentence_text(start, end)
                    coverage = claim.coverage(quote)
                    if coverage is None:
                        continue
                    candidates.append((Support(source.n, start, end, quote, coverage), quote))
        if not candidates:
            return None
        # Best covered first; of equals, the shortest quote.
        candidates.sort(key=lambda c: (-c[0].coverage, c[0].end - c[0].start))
        best = next((c for c, _ in candidates if c.coverage >= cfg.min_coverage), None)
        if best is None and self.embedder is not None:
            # Close in meaning, worded differently: the embedding model decides.
            near = [c for c in candidates if c[0].coverage >= cfg.min_coverage_dense]
            for support, quote in near[: cfg.max_dense_tries]:
                if self._dense(claim.text, quote) >= cfg.min_dense:
                    best = support
                    break
        if best is None:
            return None
        return Support(best.source, best.start, best.end, best.quote, round(best.coverage, 4))

    def _dense(self, a: str, b: str) -> float:
        assert self.embedder is not None
        vectors = self.embedder.embed([a, b])
        return float(np.dot(vectors[0], vectors[1]))


@dataclass(frozen=True)
class Claim:
    """What a sentence asserts, in the forms the checker compares."""

    text: str
    words: frozenset[str]  # stemmed content words
    numbers: frozenset[str]
    months: frozenset[int]
    names: tuple[str, ...]  # normalised, each must occur in the quote
    negated: bool

    @classmethod
    def of(cls, text: str) -> Claim:
        months = frozenset(
            MONTHS[w.casefold()]
            for w in _WORD.findall(text)
            if w.casefold() in MONTHS and w[0].isupper()
        )
        return cls(
            text=text,
            words=content_words(text),
            numbers=numbers_in(text),
            months=months,
            names=tuple(dict.fromkeys(_names(text))),
            negated=bool(_NEGATION.search(text)),
        )

    def coverage(self, quote: str) -> float | None:
        """The share of the claim's content words in `quote`, or None if a hard fact is missing."""
        if not self.numbers <= numbers_in(quote):
            return None
        if self.months and not self.months <= _months_in(quote):
            return None
        plain = _plain(quote)
        if not all(_mentions(plain, name) for name in self.names):
            return None
        if self.negated and not _NEGATION.search(quote):
            return None
        if not self.words:
            return 0.0
        return len(self.words & content_words(quote)) / len(self.words)


def split_answer(answer: str) -> list[tuple[str, list[int]]]:
    """The answer's sentences, each with the source numbers of its markers.

    A marker that opens a sentence ("... on Monday. [2] The ...") belongs to the sentence before it.
    """
    out: list[tuple[str, list[int]]] = []
    for piece in _pieces(answer):
        lead = re.match(rf"^(\s*{_MARKER.pattern}[\s.,;:]*)+", piece, re.I)
        if lead and out:
            out[-1][1].extend(_numbers_of(lead.group(0)))
            piece = piece[lead.end() :]
        markers = _numbers_of(piece)
        text = _MARKER.sub("", piece)
        if not text.strip(" \t\n.,;:"):
            if out:
                out[-1][1].extend(markers)
            continue
        out.append((text, markers))
    return out


def _pieces(answer: str) -> list[str]:
    """Sentences, also split after a marker that a capital follows: the sentence tokenizer keeps
    "... in Washington, D.C. [2] The talks ..." together, taking "D.C." for an abbreviation."""
    cuts = [0, *(m.start(1) for m in _AFTER_MARKER.finditer(answer)), len(answer)]
    out: list[str] = []
    for a, b in pairwise(cuts):
        segment = answer[a:b]
        out.extend(segment[start:end] for start, end in sentence_spans(segment))
    return out


def content_words(text: str) -> frozenset[str]:
    stemmer = _stemmer()
    words = [w.casefold().replace("’", "'") for w in _WORD.findall(text)]
    words = [w.removesuffix("'s") for w in words if w not in _stopwords()]
    return frozenset(stemmer.stemWords([w for w in words if w]))


def numbers_in(text: str) -> frozenset[str]:
    found = set()
    for match in _NUMBER.finditer(text):
        # "1,000" and "1000" are one number; "2.50" and "2.5" too.
        value = re.sub(r",(?=\d{3}(?!\d))", "", match.group(0))
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        found.add(value)
    for word in _WORD.findall(text):
        if (digits := _NUMBER_WORDS.get(word.casefold())) is not None:
            found.add(digits)
    return frozenset(found)


def _months_in(text: str) -> frozenset[int]:
    return frozenset(
        MONTHS[w.casefold()] for w in _WORD.findall(text) if w.casefold() in MONTHS
    ) | frozenset(int(m) for m in re.findall(r"\b\d{4}-(\d{2})-\d{2}\b", text))


def _names(text: str) -> list[str]:
    """Capitalised words: names, places, organisations (a month is checked as a date instead)."""
    names = []
    for i, match in enumerate(_CAPITALISED.finditer(text)):
        word = match.group(0).rstrip(".-’'")
        low = word.casefold().removesuffix("’s").removesuffix("'s")
        if len(low) < 2 or low in MONTHS or low in _NUMBER_WORDS:
            continue
        at_start = i == 0 and not text[: match.start()].strip(" \"“'‘(")
        if at_start and (low in _stopwords() or low in _OPENERS):
            continue
        if low in _stopwords() and not word.isupper():
            continue
        if plain := _plain(low):
            names.append(plain)
    return names


def _mentions(plain_text: str, name: str) -> bool:
    return any(
        re.search(rf"\b{re.escape(form)}\b", plain_text) for form in (name, *_ALIASES.get(name, ()))
    )


def _plain(text: str) -> str:
    """Casefolded, possessives and dots dropped: "U.S.'s" and "US" compare equal."""
    text = text.casefold().replace("’", "'")
    text = re.sub(r"'s\b", "", text)
    return re.sub(r"(?<=\w)\.(?=\w)|(?<=\b\w)\.", "", text)


def _runs(source: SourceView) -> list[list[tuple[int, int]]]:
    """The source's usable sentences in runs of neighbours: a quote never spans a left-out one."""
    all_spans = source.passage.chunk.sentences
    usable = set(source.sentences)
    runs: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for span in all_spans:
        if span in usable:
            current.append(span)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _assemble(checked: list[CheckedSentence], sources: dict[int, SourceView]) -> CheckResult:
    citations: list[Citation] = []
    numbers: dict[tuple[str, int, int], int] = {}
    parts: list[str] = []
    has_claim = any(s.supported for s in checked)
    seen: set[str] = set()
    for sentence in checked:
        if sentence.text.casefold() in seen:
            continue  # small models repeat themselves; a repeat adds nothing
        if sentence.kind == "claim" and sentence.supported:
            seen.add(sentence.text.casefold())
            markers = []
            for support in sentence.support:
                chunk = sources[support.source].passage.chunk
                key = (chunk.file, support.start, support.end)
                if key not in numbers:
                    numbers[key] = len(citations) + 1
                    citations.append(
                        Citation.of_chunk(
                            numbers[key],
                            chunk,
                            quote=support.quote,
                            start=support.start,
                            end=support.end,
                            score=support.coverage,
                        )
                    )
                markers.append(f"[{numbers[key]}]")
            parts.append(_with_markers(sentence.text, "".join(dict.fromkeys(markers))))
        elif sentence.kind == "refusal" and has_claim:
            # "... but the sources don't say when" is worth keeping beside verified claims.
            parts.append(sentence.text)
    return CheckResult(sentences=tuple(checked), text=" ".join(parts), citations=tuple(citations))


def _with_markers(text: str, markers: str) -> str:
    match = re.search(r"[.!?]+[\"”’')]*$", text)
    if match:
        return f"{text[: match.start()]} {markers}{text[match.start() :]}"
    return f"{text} {markers}"


def _tidy(text: str) -> str:
    text = _BULLET.sub("", text)
    text = " ".join(text.split())
    return re.sub(r"\s+([.,;:!?])", r"\1", text).strip()


def _numbers_of(text: str) -> list[int]:
    out: list[int] = []
    for match in _MARKER.finditer(text):
        body = match.group(1)
        if re.fullmatch(r"\d+\s*[-–]\s*\d+", body):
            a, b = (int(x) for x in re.split(r"\s*[-–]\s*", body))
            if 0 < b - a < 10:
                out.extend(range(a, b + 1))
                continue
        out.extend(int(x) for x in re.findall(r"\d+", body))
    return out


@cache
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@cache
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS) | _EXTRA_STOPWORDS
