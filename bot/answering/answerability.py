"""Whether the retrieved sentences can answer a question at all: the check before any answer.

A question is covered when one sentence (with the sentence before it and its article's title,
which its "it" and "they" refer to) states what the question is about, in meaning rather than in
its very words:
- every name and number the question gives, and its month and day ("October 30" in any year);
- its focus, when that is more than the kind of answer wanted ("CEO" in "Who is One Medical's
  CEO?", but not "town" in "Which town..."), by lemma or a word WordNet relates;
- enough of its other words, each weighted by how rare it is in the index ("animated" counts for
  more than "film"), by lemma or a related word: an auxiliary or "job" never refuses on its own;
- and, for a question that wants a kind of answer (a person, an amount, a date), a candidate of
  that kind in the sentence; for a measure ("how fast"), a number in its units.
A question that is not covered is refused, naming what no sentence states; neither the extractive
answerer nor a model is asked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.answering.candidates import Statement
from index.language.question_text import search_terms, words_by_term
from index.language.questions import Question
from index.language.words import tokenize
from index.ranking.retrieval import Passage

Idf = Callable[[Sequence[str]], dict[str, float]]
_KIND_WORDS = {
    "person": "a person",
    "organisation": "an organisation",
    "place": "a place",
    "date": "a date",
    "money": "an amount of money",
    "count": "a number",
    "percent": "a percentage",
    "quantity": "an amount",
    "role": "a title",
    "named": "a name",
}

# What "how fast" or "how heavy" wants, named when no sentence states one.
_MEASURE_WORDS = {
    "fast": "a speed",
    "far": "a distance",
    "tall": "a height",
    "high": "a height",
    "deep": "a depth",
    "long": "a length or a time",
    "heavy": "a weight",
    "weigh": "a weight",
}


@dataclass(frozen=True)
class CoverageConfig:
    # The share of the question's other words (rarity-weighted) that a covering sentence states.
    min_share: float = 0.6
    # ... or, by the index's own terms, of the question's stemmed words in two neighbouring
    # sentences of one passage.
    min_term_share: float = 0.35
    window: int = 2
    # A name the question gives weighs as much as this many of its rarest other words ...
    name_weight: float = 1.0
    # ... and a word stated elsewhere in the passage, not beside the answer, this much.
    passage_share: float = 0.5
    # A typed candidate this good counts (see candidates.LABELS).
    min_fit: float = 0.6
    # Terms named when refusing, rarest first.
    named: int = 3


@dataclass(frozen=True)
class Coverage:
    share: float  # of the question's weighted words, in the best sentence
    missing: tuple[str, ...]  # what no sentence states: words as the question has them
    covered: bool


def coverage(
    question: Question,
    statements: Sequence[Statement],
    passages: Sequence[Passage],
    idf: Idf | None,
    config: CoverageConfig | None = None,
) -> Coverage:
    """Whether any of `statements` (one per ranked sentence) covers the question."""
    cfg = config or CoverageConfig()
    if not statements:
        return Coverage(0.0, (), covered=False)
    terms = term_coverage(question.text, passages, idf, cfg) if idf is not None else None
    weights = _weights(question.content, idf)
    heavy = cfg.name_weight * max(weights.values(), default=1.0)
    names = dict.fromkeys(question.names, heavy)
    numbers = dict.fromkeys(question.numbers, heavy)
    focus = 0.0 if question.focus_generic else 2 * heavy
    total = sum(weights.values()) + sum(names.values()) + sum(numbers.values()) + focus

    def share_of(statement: Statement) -> float:
        if not total:
            return 1.0
        stated = sum(w for n, w in names.items() if n in statement.names)
        stated += sum(w for n, w in numbers.items() if n in statement.numbers)
        stated += focus * statement.focus
        for c, w in weights.items():
            stated += (
                w if c in statement.content else cfg.passage_share * w * (c in statement.in_passage)
            )
        return stated / total

    best: tuple[float, Statement] | None = None
    for statement in statements:
        lacking = _lacking(question, statement, cfg)
        share = share_of(statement)
        rank = share - len(lacking)
        if best is None or rank > best[0]:
            best = (rank, statement)
        if not lacking and (share >= cfg.min_share or (terms is not None and terms.covered)):
            return Coverage(share, (), covered=True)
    assert best is not None
    statement = best[1]
    missing = _lacking(question, statement, cfg)
    if not statement.focus and question.focus:
        missing.append(question.focus)
    missing += [n for n in question.numbers if n not in statement.numbers]
    missing += [n for n in question.names if n not in statement.names]
    missing += [c for c in sorted(weights, key=lambda c: -weights[c]) if c not in statement.content]
    named = [question.spelled.get(m, m) for m in missing]
    return Coverage(share_of(statement), tuple(dict.fromkeys(named))[: cfg.named], covered=False)


def term_coverage(
    question: str,
    passages: Sequence[Passage],
    idf: Idf,
    config: CoverageConfig | None = None,
) -> Coverage:
    """How well the passages cover the question; `idf` weighs its terms by their rarity."""
    cfg = config or CoverageConfig()
    words = words_by_term(search_terms(question))
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
        covered=best >= cfg.min_term_share,
    )


def _lacking(question: Question, statement: Statement, cfg: CoverageConfig) -> list[str]:
    """What the question needs that the sentence doesn't state, as words to name."""
    out = []
    if question.unresolved is not None and not statement.acts:
        # "Where were they fired?" with nothing before it: only a sentence where something is
        # done as the question says ("fired", not "live fire drills") can be about "they".
        out.append(question.verb or question.unresolved)
    if not statement.days:
        out.append("that day")
    # "Who is One Medical's CEO?", "how many warships": a person asked for by their role, a
    # number by what it counts: that is stated beside the answer, with whose it is.
    related = question.kind in ("person", "count") and not question.focus_generic
    if related and not any(f.on_focus and f.fit >= cfg.min_fit for f in statement.found):
        out.append(question.focus or "")
    if not statement.bound:
        out += [n for n in question.bound if n not in out]
    wants_one = question.typed or question.kind == "role" or question.prep is not None
    if wants_one and not any(f.fit >= cfg.min_fit for f in statement.found):
        what = _MEASURE_WORDS.get(question.measure or "") or _KIND_WORDS.get(question.kind)
        out.append(what or "an answer")
    return out


def _weights(words: Sequence[str], idf: Idf | None) -> dict[str, float]:
    """Each word's weight: the rarest of its index terms, or 1 without an index."""
    if not words:
        return {}
    terms = tokenize(list(words))
    if idf is None:
        return {w: 1.0 for w in words}
    rarity = idf(sorted({t for ts in terms for t in ts}))
    return {
        w: max((rarity.get(t, 0.0) for t in ts), default=0.0)
        for w, ts in zip(words, terms, strict=True)
        if ts
    }
