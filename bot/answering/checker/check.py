"""The checker: each sentence of a generated answer against the sources it cites (and, when
none of those backs it, against the others), by the evidence `claims` reads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from bot.answering.checker.claims import Claim, Clause, Evidence, clauses_of, match_clause
from bot.answering.checker.markers import (
    link_address,
    links_in,
    says_not_covered,
    split_answer,
    tidy,
    without_links,
)
from bot.answering.checker.result import CheckedSentence, CheckResult, Support, assemble
from bot.answering.prompts import SourceView
from index.embedding import Embedder
from index.language.lexicon import Lexicon, lexicon


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
        return assemble(checked, by_number)

    def check_sentence(
        self, raw: str, markers: list[int], sources: dict[int, SourceView]
    ) -> CheckedSentence:
        """One sentence of the answer (without its markers) against the sources by number."""
        text = tidy(raw)
        cited = tuple(dict.fromkeys(n for n in markers if n in sources))
        invented = tuple(dict.fromkeys(n for n in markers if n not in sources))
        links = links_in(text)
        if says_not_covered(text):
            # "The sources don't say; see http://..." has no source whose link it could be.
            kind: Literal["refusal", "filler"] = "filler" if links else "refusal"
            return CheckedSentence(text, kind, cited, invented, foreign_links=links)
        # An address is checked against the articles' own links below, not word by word.
        claim = Claim.of(without_links(text) if links else text, self.lexicon)
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
        own = {link_address(sources[s.source].passage.chunk.url) for s in support}
        foreign = tuple(link for link in links if link_address(link) not in own)
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
