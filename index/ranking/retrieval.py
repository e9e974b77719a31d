"""Hybrid retrieval: BM25 and dense similarity fused, ranked by article, aware of when it is asked.

A question is scored against every chunk lexically (BM25 over title and text) and against the
nearest chunks by embedding; the two scores are normalised and added, then a gentle recency prior
(when the question has a date), bonuses for a passage that states the question's numbers and for
one that holds the kind of answer the question wants (`bonuses`), and per-article aggregation
decide the order. Syndicated copies of one story (near-identical passages in different files)
take one place in the ranking and travel together as `duplicates` (`copies`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from index.embedding import Embedder
from index.errors import EmptyIndex
from index.language.question_text import search_terms
from index.language.words import folded_words
from index.ranking.signals import add_answer_type, add_number_match, add_recency
from index.ranking.syndication import CopyGroups
from index.search.catalog import ChunkCatalog, ChunkRecord
from index.search.catalog_sync import current_catalog
from index.search.similarity import Similarity
from index.search.store import ChunkStore

Fusion = Literal["rrf", "score"]
# A passage this share of another's length or less is a quotation of it, not a copy of the story.
_COPY_LENGTH_RATIO = 0.5


@dataclass(frozen=True)
class RetrievalConfig:
    """How passages are found and ordered: the weights of each signal, and how many to keep."""

    candidates: int = 100  # from each retriever, before fusion
    fusion: Fusion = "score"
    rrf_k: float = 60.0
    dense_weight: float = 1.0
    lexical_weight: float = 0.6
    clean_query: bool = True
    # An additive prior of weight * 0.5 ** (age / half_life); only with a date to count from.
    date_aware: bool = True
    recency_weight: float = 1.5
    recent_question_weight: float = 1.5
    half_life_days: float = 14.0
    # Bonus for a chunk with a sentence that holds the kind of answer the question wants.
    answer_type_weight: float = 0.2
    answer_type_depth: int = 20
    # Bonus, scaled by the share of the question's numbers (years, quarters, seasons, magnitudes)
    # that a chunk states: news questions use them as constraints that BM25 weighs like any word.
    number_weight: float = 0.2
    # A file's score: its best chunk plus this share of its second best.
    file_second_weight: float = 0.0
    duplicate_overlap: float = 0.8
    per_file: int = 2

    def __post_init__(self) -> None:
        # Every count and weight is 0 or more (a weight below 0 would reward what it should
        # not); a half-life of 0 would divide by zero.
        for name, value in vars(self).items():
            if isinstance(value, int | float) and not 0 <= value < math.inf:
                raise ValueError(f"{name} must be a number of 0 or more, not {value}")
        if not self.half_life_days:
            raise ValueError("half_life_days must be above 0")


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk and why it was chosen."""

    chunk: ChunkRecord
    score: float
    # Cosine similarity to the question, from the catalogue; 0 for a chunk only BM25 found when
    # `rank` was given no `similarity` to score it by.
    dense: float
    lexical: float  # BM25 score
    # Near-identical chunks of other files (syndicated copies of the same story).
    duplicates: tuple[ChunkRecord, ...] = field(default=(), compare=False)

    @property
    def file(self) -> str:
        return self.chunk.file

    @property
    def files(self) -> tuple[str, ...]:
        """This passage's file and those of its syndicated copies."""
        return (self.chunk.file, *(d.file for d in self.duplicates))

    @property
    def published(self) -> date | None:
        return date.fromisoformat(self.chunk.date) if self.chunk.date else None

    def to_json(self) -> dict[str, Any]:
        """The passage as `newsbot search --json` prints it."""
        return {
            "file": self.file,
            "title": self.chunk.title,
            "date": self.chunk.date or None,
            "score": round(self.score, 6),
            "start": self.chunk.start,
            "end": self.chunk.end,
            "text": self.chunk.text,
            "also_in": [d.file for d in self.duplicates],
        }


@dataclass(frozen=True)
class CollectionStats:
    """What the collection holds, for a person to read."""

    articles: int  # files
    chunks: int
    newest: str | None  # the newest publication date among the articles
    newest_title: str | None  # the title of the article of that date
    indexed_at: datetime | None  # when the collection last changed
    embed_model: str


class Retriever:
    """Finds the passages that bear on a question in one collection."""

    def __init__(
        self,
        store: ChunkStore,
        embedder: Embedder,
        cache_dir: Path,
        config: RetrievalConfig | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.cache_dir = cache_dir
        self.config = config or RetrievalConfig()
        self._catalog: ChunkCatalog | None = None
        self._updating = threading.Lock()

    @property
    def catalog(self) -> ChunkCatalog:
        """The catalogue for the collection as it is now.

        One thread brings it up to date after the collection changes; the others meanwhile
        answer from the one before, so that an update never holds up an answer under way.
        """
        have = self._catalog
        if have is not None and have.version == str(self.store.metadata.get("version", "empty")):
            return have
        if have is not None and not self._updating.acquire(blocking=False):
            return have
        if have is None:
            self._updating.acquire()
        try:
            if self._catalog is not None and self._catalog is not have:
                return self._catalog  # another thread updated it while this one waited
            self.store.check_model()
            self._catalog = current_catalog(self.store, self.cache_dir, have=have)
            return self._catalog
        finally:
            self._updating.release()

    def stats(self) -> CollectionStats:
        """How many articles and chunks the collection holds, how new, and since when."""
        catalog = self.catalog
        newest = catalog.newest_article()
        stamp = self.store.metadata.get("indexed_at")
        return CollectionStats(
            articles=len(catalog.files()),
            chunks=len(catalog),
            newest=newest.date if newest else None,
            newest_title=newest.title if newest else None,
            indexed_at=datetime.fromtimestamp(float(stamp)) if stamp else None,
            embed_model=self.embedder.name,
        )

    def indexed_files(self) -> set[str]:
        """The names of the files the collection holds chunks of."""
        return self.catalog.files()

    def newest_titles(self, limit: int = 3) -> list[str]:
        """The titles of the newest articles, newest first."""
        return self.catalog.newest_titles(limit)

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """How rare each term (a token as the catalogue makes it) is among the chunks."""
        return self.catalog.idf(terms)

    def search(
        self,
        question: str,
        *,
        k: int = 10,
        as_of: date | None = None,
        exclude: Collection[str] = (),
    ) -> list[Passage]:
        """The `k` best passages for `question`, best first; nothing published after `as_of`.

        Files in `exclude` are left out as if they were not indexed.
        """
        catalog = self.catalog
        if not len(catalog):
            raise EmptyIndex()
        if not question.strip():
            return []
        cfg = self.config
        terms = search_terms(question) if cfg.clean_query else question
        lexical = catalog.bm25_scores(terms)
        query_vector = self.embedder.embed([question])[0]
        allowed = _allowed(catalog, as_of, exclude)
        similarity = catalog.similarity(query_vector)
        dense = similarity.nearest(allowed, cfg.candidates)
        return rank(
            catalog,
            question,
            lexical,
            dense,
            as_of=as_of,
            k=k,
            config=cfg,
            similarity=similarity,
            allowed=allowed,
        )


def _allowed(
    catalog: ChunkCatalog, as_of: date | None, exclude: Collection[str]
) -> npt.NDArray[np.bool_] | None:
    """Which chunks a search may return: none deleted, none published after `as_of`, none of
    `exclude`'s files.

    Undated articles stay: nothing says they are from after the question. None: every chunk.
    """
    allowed: npt.NDArray[np.bool_] | None = None if catalog.alive.all() else catalog.alive
    if as_of is not None:
        dated = (catalog.days == 0) | (catalog.days <= as_of.toordinal())
        allowed = dated if allowed is None else allowed & dated
    if exclude:
        kept = ~catalog.in_files(exclude)
        allowed = kept if allowed is None else allowed & kept
    return allowed


def rank(
    catalog: ChunkCatalog,
    question: str,
    lexical: npt.NDArray[np.float32],
    dense: dict[int, float],
    *,
    as_of: date | None,
    k: int,
    config: RetrievalConfig,
    similarity: Similarity | None = None,
    allowed: npt.NDArray[np.bool_] | None = None,
) -> list[Passage]:
    """Fuse the two retrievers' scores and order the passages by article, best first.

    `dense` holds the nearest chunks; `similarity`, when given, every chunk's cosine similarity,
    so that a chunk found only by BM25 is scored by how close it really is. Only the chunks that
    `allowed` marks are ranked (by default, none published after `as_of`).
    """
    cfg = config
    lexical = lexical.copy()
    if allowed is None and as_of is not None:
        allowed = _allowed(catalog, as_of, ())
    if allowed is not None:
        lexical[~allowed] = 0.0
        dense = {i: s for i, s in dense.items() if allowed[i]}
    lex_order = _best(lexical, cfg.candidates)
    dense_order = sorted(dense, key=lambda i: -dense[i])
    fused = _fuse(lexical, lex_order, dense, dense_order, cfg, similarity)
    if not fused:
        return []
    if cfg.number_weight:
        add_number_match(fused, catalog, question, cfg.number_weight)
    if as_of is not None and cfg.date_aware:
        # RRF scores are about 1/60 where normalised ones are about 1.
        scale = 1 / 25.0 if cfg.fusion == "rrf" else 1.0
        add_recency(
            fused,
            catalog,
            question,
            as_of,
            weight=cfg.recency_weight * scale,
            recent_question_weight=cfg.recent_question_weight * scale,
            half_life_days=cfg.half_life_days,
        )
    if cfg.answer_type_weight:
        add_answer_type(fused, catalog, question, cfg.answer_type_weight, cfg.answer_type_depth)
    if similarity is not None:
        dense = similarity.exact(fused)
    return _by_file(catalog, fused, lexical, dense, k, cfg)


def _best(scores: npt.NDArray[np.float32], n: int) -> list[int]:
    """The positions of the `n` best scores above 0, best first: sorting only the candidates, as
    sorting every chunk's score took a third of a search at 500,000 chunks."""
    found = np.flatnonzero(scores > 0)
    if len(found) > n:
        found = found[np.argpartition(-scores[found], n - 1)[:n]]
    return [int(i) for i in found[np.argsort(-scores[found], kind="stable")]]


def _fuse(
    lexical: npt.NDArray[np.float32],
    lex_order: list[int],
    dense: dict[int, float],
    dense_order: list[int],
    cfg: RetrievalConfig,
    similarity: Similarity | None = None,
) -> dict[int, float]:
    fused: dict[int, float] = {}
    if cfg.fusion == "rrf":
        for rank_, i in enumerate(lex_order if cfg.lexical_weight else ()):
            fused[i] = fused.get(i, 0.0) + cfg.lexical_weight / (cfg.rrf_k + rank_ + 1)
        for rank_, i in enumerate(dense_order if cfg.dense_weight else ()):
            fused[i] = fused.get(i, 0.0) + cfg.dense_weight / (cfg.rrf_k + rank_ + 1)
        return fused
    # Scores scaled to [0, 1] over the candidates: the best BM25 score is 1, and cosine similarity
    # runs from the weakest dense candidate (0) to the best (1). A chunk that only BM25 found is
    # scored on the same scale by its own similarity, below 0 when it is further than every dense
    # candidate, or 0 when that is unknown (no `similarity` was given); one only the dense side
    # found gets 0 from BM25.
    top_lex = float(lexical[lex_order[0]]) if lex_order else 0.0
    if dense_order:
        hi, lo = dense[dense_order[0]], dense[dense_order[-1]]
        span = hi - lo if hi > lo else 1.0
    for i in lex_order if cfg.lexical_weight else ():
        fused[i] = cfg.lexical_weight * float(lexical[i]) / top_lex
    for i in dense_order if cfg.dense_weight else ():
        fused[i] = fused.get(i, 0.0) + cfg.dense_weight * (dense[i] - lo) / span
    if similarity is not None and dense_order and cfg.dense_weight and cfg.lexical_weight:
        found_by_lexical = similarity.exact(i for i in lex_order if i not in dense)
        for i, cosine in found_by_lexical.items():
            fused[i] += cfg.dense_weight * (cosine - lo) / span
    return fused


def _by_file(
    catalog: ChunkCatalog,
    fused: dict[int, float],
    lexical: npt.NDArray[np.float32],
    dense: dict[int, float],
    k: int,
    cfg: RetrievalConfig,
) -> list[Passage]:
    ranked = sorted(fused, key=lambda i: -fused[i])
    chunks_of: dict[str, list[int]] = {}
    for i in ranked:
        chunks_of.setdefault(catalog.records[i].file, []).append(i)
    file_score = {
        f: fused[c[0]] + (cfg.file_second_weight * fused[c[1]] if len(c) > 1 else 0.0)
        for f, c in chunks_of.items()
    }
    files = sorted(chunks_of, key=lambda f: -file_score[f])
    groups = CopyGroups[int](cfg.duplicate_overlap, min_length_ratio=_COPY_LENGTH_RATIO)
    for f in files:
        for i in chunks_of[f][: cfg.per_file]:
            groups.add(i, f, folded_words(catalog.records[i].text))
        if len(groups) >= k:
            break
    passages: list[Passage] = []
    for group in groups.groups[:k]:
        i = group.first
        record = catalog.records[i]
        passages.append(
            Passage(
                chunk=record,
                score=file_score[record.file] if i == chunks_of[record.file][0] else fused[i],
                dense=float(dense.get(i, 0.0)),
                lexical=float(lexical[i]),
                duplicates=tuple(catalog.records[c] for c in group.copies),
            )
        )
    return passages
