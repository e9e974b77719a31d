"""Hybrid retrieval: BM25 and dense similarity fused by rank, aware of when the question is asked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from index.embedding import Embedder
from index.errors import EmptyIndex
from index.lexical import ChunkCatalog, ChunkRecord
from index.store import ChunkStore

# Questions that ask for the newest news get a stronger pull towards recent articles.
_RECENT_WORDS = re.compile(
    r"\b(today|yesterday|tonight|this (week|month|weekend|year)|last (week|night)|latest|"
    r"recent(ly)?|newest|now|currently|so far)\b",
    re.I,
)


@dataclass(frozen=True)
class RetrievalConfig:
    candidates: int = 60  # from each retriever, before fusion
    rrf_k: float = 60.0
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    recency_weight: float = 0.004
    recent_question_weight: float = 0.012
    half_life_days: float = 30.0
    per_file: int = 2


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk and why it was chosen."""

    chunk: ChunkRecord
    score: float
    dense: float  # cosine similarity to the question (0 when not among the dense candidates)
    lexical: float  # BM25 score

    @property
    def file(self) -> str:
        return self.chunk.file

    @property
    def published(self) -> date | None:
        return date.fromisoformat(self.chunk.date) if self.chunk.date else None


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
        self._version: object = None

    @property
    def catalog(self) -> ChunkCatalog:
        version = self.store.metadata.get("version")
        if self._catalog is None or version != self._version:
            self.store.check_model()
            self._catalog = ChunkCatalog.load(self.store, self.cache_dir)
            self._version = version
        return self._catalog

    def search(self, question: str, *, k: int = 10, as_of: date | None = None) -> list[Passage]:
        """The `k` best passages for `question`, best first; nothing published after `as_of`."""
        catalog = self.catalog
        if not len(catalog):
            raise EmptyIndex(
                "no articles are indexed yet: run `newsbot index` (seeds/) or `newsbot index FOLDER`."
            )
        if not question.strip():
            return []
        cfg = self.config
        allowed = np.ones(len(catalog), dtype=bool)
        if as_of is not None:
            allowed = (catalog.days == 0) | (catalog.days <= as_of.toordinal())

        lexical = catalog.bm25_scores(question)
        lexical = np.where(allowed, lexical, 0.0)
        lex_order = [int(i) for i in np.argsort(-lexical)[: cfg.candidates] if lexical[i] > 0]

        query_vector = self.embedder.embed([question])[0]
        where = None
        if as_of is not None:
            where = {"day": {"$lte": as_of.toordinal()}}
        dense_hits = self.store.query(query_vector.tolist(), cfg.candidates, where)
        dense_sim = {
            catalog.position[cid]: sim for cid, sim in dense_hits if cid in catalog.position
        }
        dense_order = sorted(dense_sim, key=lambda i: -dense_sim[i])

        fused: dict[int, float] = {}
        for rank, i in enumerate(lex_order):
            fused[i] = fused.get(i, 0.0) + cfg.lexical_weight / (cfg.rrf_k + rank + 1)
        for rank, i in enumerate(dense_order):
            fused[i] = fused.get(i, 0.0) + cfg.dense_weight / (cfg.rrf_k + rank + 1)
        if as_of is not None:
            weight = (
                cfg.recent_question_weight if _RECENT_WORDS.search(question) else cfg.recency_weight
            )
            today = as_of.toordinal()
            for i in fused:
                day = int(catalog.days[i])
                if day:
                    age = max(0, today - day)
                    fused[i] += weight * 0.5 ** (age / cfg.half_life_days)

        ranked = sorted(fused, key=lambda i: -fused[i])
        passages: list[Passage] = []
        per_file: dict[str, int] = {}
        for i in ranked:
            record = catalog.records[i]
            if per_file.get(record.file, 0) >= cfg.per_file:
                continue
            per_file[record.file] = per_file.get(record.file, 0) + 1
            passages.append(
                Passage(
                    chunk=record,
                    score=fused[i],
                    dense=float(dense_sim.get(i, 0.0)),
                    lexical=float(lexical[i]),
                )
            )
            if len(passages) >= k:
                break
        return passages
