"""The answer without a language model: the retrieved sentences that best answer the question."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.answer import Answer, Citation, Source
from index.answer_types import answer_shape, has_shape
from index.embedding import Embedder
from index.lexical import tokenize
from index.retrieval import Passage


@dataclass(frozen=True)
class ExtractiveConfig:
    max_sentences: int = 2
    # Below these the question is refused: nothing retrieved is about it.
    min_score: float = 0.30
    min_dense: float = 0.20
    keep_ratio: float = 0.85
    duplicate_overlap: float = 0.6
    dense_weight: float = 0.55
    lexical_weight: float = 0.45
    shape_bonus: float = 0.08
    rank_bonus: float = 0.04
    # Sentences embedded per question, the best by words, kind of answer and passage rank:
    # embedding is nearly all of an answer's time (0 embeds every sentence).
    max_embedded: int = 12


@dataclass
class _Candidate:
    passage_rank: int
    passage: Passage
    start: int
    end: int
    text: str
    tokens: frozenset[str]
    score: float = 0.0


class ExtractiveAnswerer:
    """Quotes the sentences of the retrieved passages that best answer the question."""

    def __init__(self, embedder: Embedder, config: ExtractiveConfig | None = None) -> None:
        self.embedder = embedder
        self.config = config or ExtractiveConfig()

    def answer(
        self, question: str, passages: Sequence[Passage], *, search_text: str | None = None
    ) -> Answer:
        query = search_text or question
        candidates = self.rank_sentences(query, passages)
        cfg = self.config
        best_dense = max((p.dense for p in passages), default=0.0)
        if not candidates or candidates[0].score < cfg.min_score or best_dense < cfg.min_dense:
            return refusal(question, passages, standalone=search_text)

        chosen: list[list[_Candidate]] = []  # each claim with its syndicated copies
        for cand in candidates:
            if cand.score < candidates[0].score * cfg.keep_ratio:
                break
            twin = next(
                (
                    group
                    for group in chosen
                    if _overlap(group[0].tokens, cand.tokens) >= cfg.duplicate_overlap
                ),
                None,
            )
            if twin is not None:
                if all(c.passage.file != cand.passage.file for c in twin):
                    twin.append(cand)
                continue
            if len(chosen) < cfg.max_sentences:
                chosen.append([cand])

        citations: list[Citation] = []
        parts: list[str] = []
        for group in chosen:
            markers = []
            for cand in group:
                n = len(citations) + 1
                chunk = cand.passage.chunk
                citations.append(
                    Citation.of_chunk(
                        n,
                        chunk,
                        quote=cand.text,
                        start=cand.start,
                        end=cand.end,
                        score=round(cand.score, 4),
                        also_in=_also_in(cand, group),
                    )
                )
                markers.append(f"[{n}]")
            parts.append(f"{_as_quote(group[0].text)} {''.join(markers)}")
        return Answer(
            question=question,
            text=" ".join(parts),
            citations=tuple(citations),
            mode="extractive",
            standalone_question=search_text,
            passages=tuple(passages),
        )

    def rank_sentences(self, question: str, passages: Sequence[Passage]) -> list[_Candidate]:
        cfg = self.config
        q_tokens = frozenset(tokenize([question])[0])
        shape = answer_shape(question)
        candidates: list[_Candidate] = []
        seen: set[tuple[str, int]] = set()
        for rank, passage in enumerate(passages):
            chunk = passage.chunk
            for start, end in chunk.sentences:
                if (chunk.file, start) in seen:
                    continue
                seen.add((chunk.file, start))
                text = chunk.text[start - chunk.start : end - chunk.start]
                if len(text.split()) < 4:
                    continue
                candidates.append(
                    _Candidate(rank, passage, start, end, text, frozenset(tokenize([text])[0]))
                )
        if not candidates:
            return []
        for cand in candidates:
            lexical = len(q_tokens & cand.tokens) / len(q_tokens) if q_tokens else 0.0
            cand.score = cfg.lexical_weight * lexical + cfg.rank_bonus / (1 + cand.passage_rank)
            if shape and has_shape(cand.text, question, shape):
                cand.score += cfg.shape_bonus
        if cfg.max_embedded and len(candidates) > cfg.max_embedded:
            candidates = sorted(candidates, key=lambda c: -c.score)[: cfg.max_embedded]
        vectors = self.embedder.embed([question] + [c.text for c in candidates])
        dense = vectors[1:] @ vectors[0]
        for cand, sim in zip(candidates, dense, strict=True):
            cand.score += cfg.dense_weight * float(sim)
        candidates.sort(key=lambda c: -c.score)
        return candidates


def refusal(question: str, passages: Sequence[Passage], *, standalone: str | None = None) -> Answer:
    closest: list[Source] = []
    for p in passages:
        if all(s.file != p.file for s in closest):
            closest.append(Source(file=p.file, title=p.chunk.title, date=p.chunk.date or None))
        if len(closest) == 3:
            break
    return Answer(
        question=question,
        text="The articles I have don't cover that.",
        refused=True,
        mode="extractive",
        standalone_question=standalone,
        closest=tuple(closest),
        passages=tuple(passages),
    )


def _also_in(cand: _Candidate, group: Sequence[_Candidate]) -> tuple[str, ...]:
    """The other files that report this sentence: its group's and the passage's syndicated copies."""
    files = [c.passage.file for c in group if c is not cand]
    files += [d.file for d in cand.passage.duplicates if cand.text in d.text]
    return tuple(dict.fromkeys(f for f in files if f != cand.passage.file))


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _as_quote(text: str) -> str:
    # A sentence that opens with its own quotation mark is quoted already.
    return text if text[:1] in "“\"‘'«" else f"“{text}”"
