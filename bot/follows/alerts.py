"""What a follower is shown of a matching article: a citation of its sentence that best states the
topic, kept in the outbox as JSON and read back as the `Citation` every front end renders."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.results import Citation
from index.language.question_text import search_terms
from index.language.words import tokenize
from index.search.catalog import ChunkRecord


def citation_for(chunk: ChunkRecord, topic: str, score: float) -> Citation:
    """Citation [1] of the chunk's sentence that shares the most terms with `topic` (the first
    such, the title left out), or of the whole chunk when it has no sentence spans."""
    spans = list(chunk.sentences) or [(chunk.start, chunk.end)]
    # The title is shown already; the quote is what the article says.
    body = [(a, b) for a, b in spans if chunk.text_at(a, b).strip() != chunk.title.strip()]
    spans = body or spans
    texts = [chunk.text_at(a, b) for a, b in spans]
    wanted, *sentences = tokenize([search_terms(topic), *texts])
    terms = set(wanted)
    best = max(range(len(spans)), key=lambda i: (len(terms & set(sentences[i])), -i))
    start, end = spans[best]
    return Citation.of_chunk(1, chunk, quote=texts[best], start=start, end=end, score=score)


def to_json(citation: Citation) -> dict[str, Any]:
    return asdict(citation)


def from_json(data: dict[str, Any]) -> Citation:
    return Citation(**{**data, "also_in": tuple(data.get("also_in") or ())})
