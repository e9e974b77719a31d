"""Whether the retrieved passages can answer a question at all: the check before any answer.

A question is covered when one passage states enough of it in one place: the share of the
question's terms found within two neighbouring sentences, each term weighted by how rare it is among
the indexed chunks (a name or "F-35" counts for more than "agree"), so that a passage on the right
topic that lacks what the question is about does not pass. A question that is not covered is refused, naming the rare terms no passage states; neither
the extractive answerer nor a model is asked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.catalog import tokenize
from index.retrieval import Passage, search_terms
from index.vocabulary import stopwords

Idf = Callable[[Sequence[str]], dict[str, float]]
# Words of how a question asks, not of what it asks about ("how many", "what did they say").
_ASKING = frozenset(
    {"many", "much", "say", "says", "said", "tell", "told", "want", "wants", "happen", "happened"}
)


@dataclass(frozen=True)
class CoverageConfig:
    # The share of the question's (rarity-weighted) terms that two neighbouring sentences of one
    # passage must state.
    min_share: float = 0.35
    window: int = 2
    # Terms named when refusing, rarest first.
    named: int = 3


@dataclass(frozen=True)
class Coverage:
    share: float  # of the question's weighted terms, in the best window
    missing: tuple[
        str, ...
    ]  # the question's words (as written) that no passage states, rarest first
    covered: bool


def coverage(
    question: str,
    passages: Sequence[Passage],
    idf: Idf,
    config: CoverageConfig | None = None,
) -> Coverage:
    """How well the passages cover the question; `idf` weighs its terms by their rarity."""
    cfg = config or CoverageConfig()
    words = _words_by_term(search_terms(question))
    weight = idf(list(words))
    total = sum(weight.values())
    if not total:
        return Coverage(1.0, (), covered=bool(passages))
    stated: set[str] = set()
    best = 0.0
    # Each passage's title and sentences, tokenised in one call: its cost is mostly per call.
    texts = [
        [
            *([p.chunk.title] if p.chunk.title else []),
            *(p.chunk.text_at(a, b) for a, b in p.chunk.sentences),
        ]
        for p in passages
    ]
    tokens = iter(tokenize([text for passage in texts for text in passage]))
    for passage in texts:
        sentences = [set(next(tokens)) for _ in passage]
        stated.update(*sentences)
        for i in range(len(sentences)):
            window = set().union(*sentences[i : i + cfg.window])
            best = max(best, sum(w for t, w in weight.items() if t in window) / total)
    missing = sorted((t for t in weight if t not in stated), key=lambda t: -weight[t])
    return Coverage(
        share=best,
        missing=tuple(words[t] for t in missing[: cfg.named]),
        covered=best >= cfg.min_share,
    )


def _words_by_term(text: str) -> dict[str, str]:
    """Each search term of `text` (stemmed, as indexed) with the word it came from."""
    kept = [word.strip(".,;:!?\"“”‘’'()[]") for word in text.split()]
    kept = [w for w in kept if w.casefold() not in stopwords() and w.casefold() not in _ASKING]
    words: dict[str, str] = {}
    if not kept:
        return words
    for word, terms in zip(kept, tokenize(kept), strict=True):
        for term in terms:
            words.setdefault(term, word)
    return words
