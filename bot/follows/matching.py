"""Stand-in; replaced on merge (MATCH's module takes its place, with these names and signatures).

Which new or changed articles match which followed topics. This stand-in searches the whole
collection for each topic with the articles outside `files` left out, and keeps the passages
whose cosine similarity to the topic reaches THRESHOLD.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from index.indexing import file_id
from index.ranking.retrieval import Passage, Retriever


@dataclass(frozen=True)
class Topic:
    """What matching needs of one follow."""

    key: int  # the follow's id
    text: str  # what the user typed after /follow
    vector: npt.NDArray[np.float32] | None = None  # its embedding, when stored


@dataclass(frozen=True)
class Match:
    key: int  # Topic.key
    passage: Passage  # the best matching chunk of one new or changed article
    score: float


# Stand-in value: not chosen on a dev set.
THRESHOLD: float = 0.45


def topic_vector(retriever: Retriever, text: str) -> npt.NDArray[np.float32]:
    """The embedding to store with a new follow."""
    return np.asarray(retriever.embedder.embed([text])[0], dtype=np.float32)


def match_new_articles(
    retriever: Retriever,
    topics: Sequence[Topic],
    files: Collection[str],
    *,
    threshold: float = THRESHOLD,
) -> list[Match]:
    """For each topic, at most one Match per article among `files` (file ids, as
    `ChunkStore.changed_files` names them), with score >= threshold, best first."""
    wanted = set(files)
    indexed = retriever.indexed_files()
    names = {name for name in indexed if file_id(name) in wanted}
    if not names or not topics:
        return []
    others = indexed - names
    found: list[Match] = []
    for topic in topics:
        best: dict[str, Passage] = {}
        for p in retriever.search(topic.text, k=2 * len(names), exclude=others):
            if p.dense >= threshold and (p.file not in best or p.dense > best[p.file].dense):
                best[p.file] = p
        found += [Match(topic.key, p, p.dense) for p in best.values()]
    return sorted(found, key=lambda m: -m.score)
