"""The citation checker: every sentence of a generated answer is checked against the text it cites.

For each sentence of the model's answer:
- its markers are parsed (`[2]`, `[1, 3]`, `[1][3]`); a marker to a source that was not given is removed;
- each cited source is searched, clause by clause, for the stretch of one to three consecutive
  sentences that supports the claim (`bot.answering.claims`):
  - the hard facts first, strictly: every number, date and name of the claim occurs in the stretch,
    each number and date in a clause about something the claim talks about; a negated claim finds a
    negation there, and nothing there denies (or says the opposite of) what the claim asserts;
  - then the claim's content words: three in four of them must be there as themselves (an
    inflection, a short month name, another spelling included), or, counting the words WordNet
    relates to them, with the embedding model finding the clauses that say it close in meaning;
- a sentence no cited source supports is tried against the other sources (the model cited the wrong
  one, or forgot to cite), and is **dropped** if none supports it. Dropping rather than marking keeps
  every sentence a user reads backed by a quote; the count of dropped sentences is kept in
  `Verification`.

Every citation that survives carries the supporting sentences' exact text and their offsets in the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Literal

import numpy as np

from bot.answer import Citation, Verification
from bot.answering.claims import Claim, Clause, Evidence, clauses_of, match_clause
from bot.answering.prompts import SourceView
from index.embedding import Embedder
from index.language.lexicon import Lexicon, lexicon
from index.language.sentences import sentence_spans

__all__ = [
    "CheckConfig",
    "CheckResult",
    "CheckedSentence",
    "CitationChecker",
    "StreamingCheck",
    "Support",
    "links_in",
]

# One marker group: [3], [1, 2], [1-2], [Source 1], [1][2] is two groups.
_MARKER = re.compile(r"\[\s*(?:sources?\s*)?(\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})*)\s*\]", re.I)
_AFTER_MARKER = re.compile(r"\][.!?]?[\"”’)]*(\s+)(?=[\"“‘(]?[A-Z])")
_BULLET = re.compile(r"^\s*(?:[-*•]+|\d{1,2}[.)])\s+")
# A web address in the model's words: with a scheme, "www.", or a host followed by a path.
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>()\[\]\"'“”‘’]+"
    r"|\b(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>()\[\]\"'“”‘’]*",
    re.I,
)
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


@dataclass(frozen=True)
class CheckConfig:
    max_window: int = 3  # consecutive sentences of a passage one citation may quote
    # Share of the claim's content words and facts found in the quote, as themselves ...
    min_coverage: float = 0.75
    # ... or counting related words (WordNet), when the embedding model finds the two this close;
    min_related: float = 0.75
    min_dense: float = 0.7
    # ... less for a claim anchored by this many hard facts (numbers, dates, names), all found
    min_related_anchored: float = 0.5
    anchor_facts: int = 2
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
    # Web addresses in the sentence that are not the link of the article supporting it: the
    # sentence is dropped, whatever else backs it (an article can't send readers elsewhere).
    foreign_links: tuple[str, ...] = ()

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

    def __init__(
        self,
        embedder: Embedder | None = None,
        config: CheckConfig | None = None,
        lex: Lexicon | None = None,
    ) -> None:
        self.embedder = embedder
        self.config = config or CheckConfig()
        self.lexicon = lex or lexicon()

    def check(self, answer: str, sources: Sequence[SourceView]) -> CheckResult:
        by_number = {s.n: s for s in sources}
        checked = [
            self.check_sentence(text, markers, by_number) for text, markers in split_answer(answer)
        ]
        return _assemble(checked, by_number)

    def check_sentence(
        self, raw: str, markers: list[int], sources: dict[int, SourceView]
    ) -> CheckedSentence:
        """One sentence of the answer (without its markers) against the sources by number."""
        text = _tidy(raw)
        cited = tuple(dict.fromkeys(n for n in markers if n in sources))
        invented = tuple(dict.fromkeys(n for n in markers if n not in sources))
        links = links_in(text)
        if _REFUSAL.search(text):
            # "The sources don't say; see http://..." has no source whose link it could be.
            kind: Literal["refusal", "filler"] = "filler" if links else "refusal"
            return CheckedSentence(text, kind, cited, invented, foreign_links=links)
        # An address is checked against the articles' own links below, not word by word.
        claim = Claim.of(_tidy(_LINK.sub(" ", text)) if links else text, self.lexicon)
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
        own = {_address(sources[s.source].passage.chunk.url) for s in support}
        foreign = tuple(link for link in links if _address(link) not in own)
        if foreign:
            return CheckedSentence(text, "claim", cited, invented, foreign_links=foreign)
        return CheckedSentence(text, "claim", cited, invented, tuple(support), attributed)

    def supports(self, claim: Claim, source: SourceView) -> Support | None:
        """The shortest, best-covering run of the source's sentences that backs the claim.

        The evidence is a stretch of clauses that holds every hard fact of the claim. Its words
        decide alone when enough of them are the claim's own; when it takes related words to reach
        that share, the embedding model must also find the stretch close in meaning to the claim.
        """
        cfg = self.config
        candidates = [e for e in self.stretches(claim, source) if e.holds()]
        # Best covered first; of equals, the fewest sentences, then the fewest clauses.
        candidates.sort(key=lambda e: (-e.same, _sentences(e), len(e.clauses)))
        best = next((e for e in candidates if e.same >= cfg.min_coverage), None)
        score = best.same if best else 0.0
        if best is None and self.embedder is not None:
            best = self._close_in_meaning(claim, source, candidates)
            score = best.near if best else 0.0
        if best is None:
            return None
        start, end = best.clauses[0].sentence[0], best.clauses[-1].sentence[1]
        return Support(source.n, start, end, source.sentence_text(start, end), round(score, 4))

    def stretches(self, claim: Claim, source: SourceView) -> Iterator[Evidence]:
        """Every stretch of consecutive clauses of the source, within `max_window` sentences of
        one run of usable sentences, with what it has of the claim (its facts or not)."""
        for run in _runs(source):
            text = source.sentence_text(run[0][0], run[-1][1])
            clauses = _clauses(text, tuple(run), self.lexicon)
            found = tuple(match_clause(claim, clause) for clause in clauses)
            for i in range(len(clauses)):
                first = run.index(clauses[i].sentence)
                for j in range(i, len(clauses)):
                    if run.index(clauses[j].sentence) - first >= self.config.max_window:
                        break
                    yield Evidence.of(claim, clauses[i : j + 1], found[i : j + 1])

    def similarity(self, claim: str, texts: Sequence[str]) -> list[float]:
        """The embedding model's cosine similarity of the claim to each text."""
        assert self.embedder is not None
        vectors = self.embedder.embed([claim, *texts])
        return [float(np.dot(vectors[0], v)) for v in vectors[1:]]

    def _close_in_meaning(
        self, claim: Claim, source: SourceView, candidates: list[Evidence]
    ) -> Evidence | None:
        """The first stretch, best covered by related words, that the embedding model finds
        close in meaning to the claim. Each run of sentences is tried once, by its tightest
        stretch, so that a long neighbour never stands in for the clause that says it."""
        cfg = self.config
        anchored = len(claim.numbers) + len(claim.months) + len(claim.names) >= cfg.anchor_facts
        floor = cfg.min_related_anchored if anchored else cfg.min_related
        near = sorted(
            (e for e in candidates if e.near >= floor),
            key=lambda e: (-e.near, len(e.clauses)),
        )
        tightest: dict[tuple[int, int], Evidence] = {}
        for e in near:
            tightest.setdefault((e.clauses[0].sentence[0], e.clauses[-1].sentence[1]), e)
        tries = list(tightest.values())[: cfg.max_dense_tries]
        if not tries:
            return None
        texts = [source.sentence_text(e.clauses[0].start, e.clauses[-1].end) for e in tries]
        similar = self.similarity(claim.text, texts)
        return next((e for e, s in zip(tries, similar, strict=True) if s >= cfg.min_dense), None)


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


def _runs(source: SourceView) -> list[list[tuple[int, int]]]:
    """The source's usable sentences in runs of neighbours: a quote never spans a left-out one,
    nor text between two sentences that is not one of them (an order taken out of the chunk's
    sentences, `bot.answering.injection`)."""
    chunk = source.passage.chunk
    usable = set(source.sentences)
    runs: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for span in chunk.sentences:
        if current and chunk.text_at(current[-1][1], span[0]).strip():
            runs.append(current)
            current = []
        if span in usable:
            current.append(span)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


@lru_cache(maxsize=512)
def _clauses(text: str, run: tuple[tuple[int, int], ...], lex: Lexicon) -> tuple[Clause, ...]:
    """The clauses of a run of sentences, `text` being the run from its first sentence's start.

    Cached: every sentence of an answer is checked against the same few passages.
    """
    base = run[0][0]
    return tuple(
        clause
        for start, end in run
        for clause in clauses_of(text[start - base : end - base], (start, end), start, lex)
    )


def _sentences(evidence: Evidence) -> int:
    return len({c.sentence for c in evidence.clauses})


def _assemble(checked: list[CheckedSentence], sources: dict[int, SourceView]) -> CheckResult:
    assembly = _Assembly(sources)
    # "... but the sources don't say when" is worth keeping beside verified claims.
    keep_refusals = any(s.supported for s in checked)
    for sentence in checked:
        assembly.add(sentence, keep_refusal=keep_refusals)
    return CheckResult(
        sentences=tuple(checked), text=" ".join(assembly.parts), citations=tuple(assembly.citations)
    )


class _Assembly:
    """The answer as shown, built sentence by sentence: supported claims with their markers
    renumbered in order of first use, each quote cited once."""

    def __init__(self, sources: dict[int, SourceView]) -> None:
        self.sources = sources
        self.citations: list[Citation] = []
        self.parts: list[str] = []
        self._numbers: dict[tuple[str, int, int], int] = {}
        self._seen: set[str] = set()

    def add(self, sentence: CheckedSentence, *, keep_refusal: bool = False) -> str | None:
        """The sentence as shown, or None when it isn't (unsupported, a repeat, filler)."""
        if sentence.text.casefold() in self._seen:
            return None  # small models repeat themselves; a repeat adds nothing
        shown: str | None = None
        if sentence.kind == "claim" and sentence.supported:
            self._seen.add(sentence.text.casefold())
            markers = [f"[{self._number(support)}]" for support in sentence.support]
            shown = _with_markers(sentence.text, "".join(dict.fromkeys(markers)))
        elif sentence.kind == "refusal" and keep_refusal:
            shown = sentence.text
        if shown is not None:
            self.parts.append(shown)
        return shown

    def _number(self, support: Support) -> int:
        chunk = self.sources[support.source].passage.chunk
        key = (chunk.file, support.start, support.end)
        if key not in self._numbers:
            self._numbers[key] = len(self.citations) + 1
            self.citations.append(
                Citation.of_chunk(
                    self._numbers[key],
                    chunk,
                    quote=support.quote,
                    start=support.start,
                    end=support.end,
                    score=support.coverage,
                )
            )
        return self._numbers[key]


class StreamingCheck:
    """Checks an answer while the model writes it, so that only checked text is ever shown.

    `feed` takes the model's next piece and returns the sentences it completed that a source
    supports, as the answer will show them (markers renumbered); a sentence is complete once the
    next one has begun, and the last one at `result`. What the model wrote and nothing backs is
    never returned. `result` is the check of the whole answer, reusing each sentence's check.
    """

    def __init__(self, checker: CitationChecker, sources: Sequence[SourceView]) -> None:
        self.checker = checker
        self.sources = {s.n: s for s in sources}
        self.raw = ""
        self._assembly = _Assembly(self.sources)
        self._done = 0  # sentences of `raw` already checked
        self._memo: dict[tuple[str, tuple[int, ...]], CheckedSentence] = {}
        self._ended_sentence = False

    def feed(self, piece: str) -> list[str]:
        self.raw += piece
        if _SENTENCE_END.search(piece):
            self._ended_sentence = True
            return []
        if not self._ended_sentence or not any(ch.isalpha() for ch in piece):
            return []
        # A sentence ended in an earlier piece and this one begins the next: split again.
        self._ended_sentence = False
        sentences = split_answer(self.raw)
        return self._show(sentences[:-1])

    def result(self) -> CheckResult:
        """The check of everything fed; the last sentence is shown only from here on."""
        sentences = split_answer(self.raw)
        checked = [self._check(text, markers) for text, markers in sentences]
        return _assemble(checked, self.sources)

    def rest(self) -> list[str]:
        """The sentences not yet returned by `feed`, once the model has finished."""
        return self._show(split_answer(self.raw))

    def _show(self, complete: list[tuple[str, list[int]]]) -> list[str]:
        shown = []
        for text, markers in complete[self._done :]:
            part = self._assembly.add(self._check(text, markers))
            if part is not None:
                shown.append(part if len(self._assembly.parts) == 1 else " " + part)
        self._done = max(self._done, len(complete))
        return shown

    def _check(self, text: str, markers: list[int]) -> CheckedSentence:
        key = (text, tuple(markers))
        if key not in self._memo:
            self._memo[key] = self.checker.check_sentence(text, markers, self.sources)
        return self._memo[key]


_SENTENCE_END = re.compile(r"[.!?\n\]]")


def links_in(text: str) -> tuple[str, ...]:
    """The web addresses in `text`, without the punctuation that ends a sentence after one."""
    return tuple(m.group().rstrip(".,;:!?") for m in _LINK.finditer(text))


def _address(url: str) -> str:
    """A link as compared with an article's own: no scheme, "www.", case or trailing slash."""
    low = url.strip().casefold()
    low = re.sub(r"^https?://", "", low)
    return low.removeprefix("www.").rstrip("/")


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
