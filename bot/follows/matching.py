"""Follows matched against the articles an index run added or changed.

A follow's topic is a question or a few words ("Ukraine grain deal"). Each is scored against the
chunks of the new files only, with retrieval's two signals on an absolute scale, so that one
threshold serves every topic and every run (retrieval's fused scores are scaled to each
question's best candidate, and RRF's are ranks, so neither is absolute):

- dense: the cosine similarity of the topic's embedding and the chunk's, one matrix product of
  every topic against every new chunk;
- lexical: the share of the topic's search terms (`search_terms` without the words that only ask,
  tokenized as BM25 indexes them) that the chunk holds, each weighted by its idf in the whole
  catalogue, so that a rare name counts for more than a common word.

They are added with retrieval's weights and divided by their sum, so a score runs from about 0
to 1. An article's score is its best chunk's. The threshold was chosen on the realtimeqa dev set
(`benchmarks/follow_match.py`; docs/evaluation.md, "Following a story").
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from index.language.question_text import ASKING, plain_question, search_terms
from index.language.words import tokenize
from index.ranking.retrieval import Passage, Retriever
from index.search.catalog import ChunkCatalog, bm25_text


@dataclass(frozen=True)
class Topic:
    """What matching needs of one follow."""

    key: int  # the follow's id (the store assigns it)
    text: str  # what the user typed after /follow
    # Its embedding, when stored. Not compared: == on two arrays gives an array, not a bool.
    vector: npt.NDArray[np.float32] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Match:
    """One topic's best chunk in one new article. `passage.dense` is the cosine similarity and
    `passage.lexical` the idf-weighted share of the topic's terms the chunk holds."""

    key: int  # Topic.key
    passage: Passage
    score: float


# The best F1 on the realtimeqa dev set (342 topics, as asked and in a few words): precision 0.744
# counting only the quiz's evidence articles as relevant, recall 0.871, 1.53 alerts per follow per
# 100 new articles (docs/evaluation.md, "Following a story").
THRESHOLD: float = 0.54


def topic_vector(retriever: Retriever, text: str) -> npt.NDArray[np.float32]:
    """The embedding to store with a new follow (so a run does not embed 1,000 topics again)."""
    return np.asarray(retriever.embedder.embed([plain_question(text)])[0], dtype=np.float32)


def match_new_articles(
    retriever: Retriever,
    topics: Sequence[Topic],
    files: Collection[str],
    *,
    threshold: float = THRESHOLD,
) -> list[Match]:
    """For each topic, at most one Match per article among `files` (the names of the files an
    index run added or changed, as the catalogue holds them), with score >= threshold, best first."""
    kept = [(t, text) for t in topics if (text := plain_question(t.text))]
    if not kept or not files:
        return []
    catalog = retriever.catalog
    positions = np.flatnonzero(catalog.in_files(set(files)) & catalog.alive)
    if not len(positions):
        return []
    cfg = retriever.config
    topics, texts = [t for t, _ in kept], [text for _, text in kept]
    dense = _topic_vectors(retriever, topics, texts) @ catalog.vectors_at(positions).T
    lexical = _term_shares(catalog, texts, positions)
    scores = (cfg.dense_weight * dense + cfg.lexical_weight * lexical) / (
        cfg.dense_weight + cfg.lexical_weight or 1.0
    )
    matches = []
    for file_chunks in _by_file(catalog, positions):
        columns = file_chunks[np.argmax(scores[:, file_chunks], axis=1)]
        best = scores[np.arange(len(topics)), columns]
        for row in np.flatnonzero(best >= threshold):
            column = int(columns[row])
            passage = Passage(
                chunk=catalog.records[int(positions[column])],
                score=float(best[row]),
                dense=float(dense[row, column]),
                lexical=float(lexical[row, column]),
            )
            matches.append(Match(topics[row].key, passage, float(best[row])))
    matches.sort(key=lambda m: (-m.score, m.key, m.passage.file))
    return matches


def _topic_vectors(
    retriever: Retriever, topics: Sequence[Topic], texts: Sequence[str]
) -> npt.NDArray[np.float32]:
    """Each topic's stored embedding, the missing ones embedded (from `texts`) in one batch."""
    dim = retriever.embedder.dim
    out = np.empty((len(topics), dim), dtype=np.float32)
    missing = [i for i, t in enumerate(topics) if t.vector is None]
    for i, t in enumerate(topics):
        if t.vector is not None:
            out[i] = t.vector
    if missing:
        out[missing] = retriever.embedder.embed([texts[i] for i in missing])
    return out


def _term_shares(
    catalog: ChunkCatalog, texts: Sequence[str], positions: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """For each topic (its plain text) and chunk, the idf-weighted share of the topic's terms the
    chunk holds."""
    # As the coverage check weighs a question's terms (`words_by_term`): without the words that
    # only ask ("how many"), tokenized in one call, as a call costs more than its texts.
    asking = set().union(*tokenize(sorted(ASKING)))
    cleaned = [search_terms(t) for t in texts]
    topic_terms = [set(t) - asking for t in tokenize(cleaned)]
    records = [catalog.records[int(i)] for i in positions]
    chunk_terms = [set(t) for t in tokenize([bm25_text(r.title, r.text, r.start) for r in records])]
    vocabulary = sorted(set().union(*topic_terms))
    idf = catalog.idf(vocabulary)
    # Only the terms some new chunk holds can add to a share; the others only to its whole.
    present = sorted(set(vocabulary) & set().union(*chunk_terms))
    column = {term: j for j, term in enumerate(present)}
    weights = np.zeros((len(texts), len(present)), dtype=np.float32)
    whole = np.ones(len(texts), dtype=np.float32)
    for row, terms in enumerate(topic_terms):
        whole[row] = sum(idf[t] for t in terms) or 1.0
        for t in terms & column.keys():
            weights[row, column[t]] = idf[t]
    holds = np.zeros((len(present), len(records)), dtype=np.float32)
    for j, terms in enumerate(chunk_terms):
        for t in terms & column.keys():
            holds[column[t], j] = 1.0
    shares: npt.NDArray[np.float32] = (weights @ holds) / whole[:, None]
    return shares


def _by_file(catalog: ChunkCatalog, positions: npt.NDArray[np.int64]) -> list[npt.NDArray[np.intp]]:
    """The columns (indexes into `positions`) of each file's chunks."""
    columns: dict[str, list[int]] = {}
    for column, i in enumerate(positions):
        columns.setdefault(catalog.records[int(i)].file, []).append(column)
    return [np.array(c, dtype=np.intp) for c in columns.values()]
