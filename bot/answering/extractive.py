"""The answer without a language model: the retrieved sentences that best answer the question.

A sentence is worth quoting when it adds what the question asks for, not when it repeats the
question. So besides its words and meaning, each sentence is scored by whether it holds a
candidate answer of the kind asked for (a name for "who", an amount for "how many", a date for
"when", a named thing for "which"), how close that candidate stands to the question's own words,
and how many of the retrieved articles state the same candidate; a sentence that only echoes the
question loses. When one candidate clearly wins, it leads the answer as the short answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.answering.answerability import Coverage, CoverageConfig, Idf, coverage
from bot.answering.candidates import read_sentence
from bot.answering.disagreement import Quoted, disagreement
from bot.answering.entities import known_entities
from bot.answering.mentions import name_stated, nouns_meaning
from bot.answering.refusal import refusal
from bot.answering.sentences import QuestionWords, Sentence, find_pattern_answers, sentences_of
from bot.results import SHORT_ANSWER_SEP, Answer, Citation, ShortAnswer
from index.embedding import Embedder
from index.language.answer_types import answer_kind
from index.language.pipeline import parse
from index.language.questions import Question, analyse
from index.ranking.retrieval import Passage
from index.ranking.syndication import CopyGroups


@dataclass(frozen=True)
class ExtractiveConfig:
    max_sentences: int = 2
    # Below these nothing retrieved is about the question, whatever it states (relevance is a
    # sentence's words and meaning alone, 0 to 1).
    min_relevance: float = 0.30
    min_dense: float = 0.10
    keep_ratio: float = 0.85
    duplicate_overlap: float = 0.6
    # A sentence's score: the share of the question's words it holds ...
    lexical_weight: float = 1.0
    # ... how its passage ranked: retrieval knows which article is about the question ...
    passage_weight: float = 1.0
    # ... a candidate answer of the kind asked for, more when the parse links it to the
    # question's focus and when other articles state it too ...
    answer_weight: float = 1.0
    proximity_weight: float = 0.3
    agreement_weight: float = 0.8
    # ... a typed candidate (from the parse) linked to the question's focus ...
    typed_weight: float = 0.2
    # ... the question's numbers ("Splatoon 2", "2021") stated, in it or the sentence before ...
    number_weight: float = 0.3
    # ... and its meaning, for the sentences the cheaper signals rank highest.
    dense_weight: float = 0.3
    # The short answer needs this lead over the best rival, and a link to the question's focus
    # (or another article stating it).
    short_margin: float = 0.25
    short_link: float = 0.5
    # Sentences embedded per question (embedding is most of an answer's time), and parsed.
    max_embedded: int = 12
    max_parsed: int = 12
    # A noun this close in meaning (the embedding model's cosine) states the question's focus.
    focus_similarity: float = 0.55


@dataclass
class Reading:
    """A question read against its passages: the sentences, best answer first, and whether
    they cover it (`coverage.covered`)."""

    question: Question
    candidates: list[Sentence]
    coverage: Coverage


class ExtractiveAnswerer:
    """Quotes the sentences of the retrieved passages that best answer the question."""

    def __init__(
        self,
        embedder: Embedder,
        config: ExtractiveConfig | None = None,
        coverage: CoverageConfig | None = None,
        idf: Idf | None = None,
    ) -> None:
        self.embedder = embedder
        self.config = config or ExtractiveConfig()
        self.coverage_config = coverage or CoverageConfig()
        self.idf = idf

    def read(self, question: str, passages: Sequence[Passage]) -> Reading:
        """The passages' sentences ranked for `question`, and whether they cover it."""
        analysis = analyse(question)
        candidates = self.rank_sentences(question, passages, analysis)
        statements = [c.statement for c in candidates if c.statement is not None]
        covered = coverage(analysis, statements, passages, self.idf, self.coverage_config)
        best_dense = max((p.dense for p in passages), default=0.0)
        relevance = max((c.relevance for c in candidates), default=0.0)
        if relevance < self.config.min_relevance or best_dense < self.config.min_dense:
            covered = replace(covered, covered=False)
        return Reading(analysis, candidates, covered)

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        standalone: str | None = None,
        reading: Reading | None = None,
    ) -> Answer:
        reading = reading or self.read(standalone or question, passages)
        candidates = reading.candidates
        if not reading.coverage.covered or not candidates:
            return refusal(
                question,
                passages,
                standalone=standalone,
                missing=reading.coverage.missing,
            )
        cfg = self.config
        groups = CopyGroups[Sentence](cfg.duplicate_overlap)  # each claim with its copies
        for cand in candidates:
            if cand.score < candidates[0].score * cfg.keep_ratio:
                break
            may_open = len(groups) < cfg.max_sentences
            groups.add(cand, cand.passage.file, cand.tokens, may_open=may_open)
        chosen = [group.items for group in groups.groups]

        leads, n = [], 1
        for group in chosen:
            leads.append((group[0], n))
            n += len(group)
        short = self._short_answer(leads, candidates, reading.question)
        citations, quoted = _cite(chosen)
        differ = disagreement(reading.question, quoted)
        # Copies of one report are quoted once; when the sources differ, a rewrite that states
        # another value is no copy: each sentence is quoted with its own markers.
        text = " ".join(_quotes(chosen, citations, each_sentence=differ is not None))
        if differ is not None:
            # Which source is right is not for the answer to pick: it says what each states.
            short = None
            text = f"{differ.summary} {text}"
        if short is not None:
            text = f"{short.text}{SHORT_ANSWER_SEP}{text}"
        return Answer(
            question=question,
            text=text,
            citations=tuple(citations),
            mode="extractive",
            standalone=standalone,
            passages=tuple(passages),
            short_answer=short,
            disagreement=differ,
        )

    def _short_answer(
        self,
        leads: Sequence[tuple[Sentence, int]],
        ranked: Sequence[Sentence],
        question: Question,
    ) -> ShortAnswer | None:
        """The candidate of a quoted sentence that clearly wins, as a span of its citation: of
        the kind asked for, linked to what the question is about (to its very focus when that is
        more than a kind: "ambassador", "CEO"), and well ahead of any rival."""
        cfg = self.config
        eligible = [
            (found, cand, n)
            for cand, n in leads
            if cand.statement is not None
            for found in cand.statement.found
            if found.fit >= 0.6
            and (found.link >= cfg.short_link or found.files >= 2)
            and (question.focus_generic or found.on_focus)
            # A later quote's candidate only when it stands right by the question's focus.
            and (n == 1 or (found.on_focus and found.link == 1.0))
            and _names_stated(question, cand)
        ]
        if not eligible:
            return None
        best, top, n = max(eligible, key=lambda e: (e[0].strength, -e[2]))
        floor = ranked[0].score * cfg.keep_ratio
        rivals = [
            f.strength
            for c in ranked
            if c.statement is not None and c.score >= floor
            for f in c.statement.found
            if f.key != best.key
            and not _same_answer(f.key, best.key)
            and not (c is top and any(a <= f.start and f.end <= b for a, b in best.members))
            # Asked for by a focus ("the ambassador"), a name far from it is no rival.
            and (question.focus_generic or f.on_focus)
        ]
        if rivals and best.strength - max(rivals) < cfg.short_margin:
            return None
        start, end = best.start, best.end
        if best.members:
            # "Pete Hegseth and Mohamed Khaled Nordin": the whole list, as the sentence has it.
            start = min(start, *(a for a, _ in best.members))
            end = max(end, *(b for _, b in best.members))
            if end - start > 120:
                start, end = best.start, best.end
        return ShortAnswer(
            text=top.text[start:end],
            n=n,
            start=top.start + start,
            end=top.start + end,
        )

    def rank_sentences(
        self, question: str, passages: Sequence[Passage], analysis: Question | None = None
    ) -> list[Sentence]:
        """The passages' sentences, best answer first."""
        cfg = self.config
        candidates = sentences_of(passages)
        if not candidates:
            return []
        analysis = analysis or analyse(question)
        words = QuestionWords.of(question)
        kind = answer_kind(question)
        if kind is not None:
            find_pattern_answers(candidates, question, kind)
        top = max(passages[0].score, 1e-9)
        for cand in candidates:
            cand.relevance = words.lexical(cand)
            cand.score = cfg.lexical_weight * cand.relevance
            cand.score += cfg.passage_weight * max(cand.passage.score, 0.0) / top
            cand.score -= cfg.number_weight * words.numbers_missing(cand)
            if (span := max(cand.spans, key=lambda s: s.strength, default=None)) is not None:
                cand.score += span.precision * (
                    cfg.answer_weight + cfg.proximity_weight * span.proximity
                )
                cand.score += cfg.agreement_weight * min(span.files - 1, 3) / 3
        if cfg.max_embedded and len(candidates) > cfg.max_embedded:
            candidates = sorted(candidates, key=lambda c: -c.score)[: cfg.max_embedded]
        vectors = self.embedder.embed([question] + [c.text for c in candidates])
        for cand, sim in zip(candidates, vectors[1:] @ vectors[0], strict=True):
            cand.score += cfg.dense_weight * float(sim)
            cand.relevance = 0.45 * cand.relevance + 0.55 * float(sim)
        candidates.sort(key=lambda c: -c.score)
        parsed = candidates[: cfg.max_parsed]
        docs = parse([c.text for c in parsed])
        known = known_entities(docs)
        for cand, doc in zip(parsed, docs, strict=True):
            chunk = cand.passage.chunk
            cand.statement = read_sentence(
                analysis, doc, cand.context_text, chunk.title, chunk.text, known
            )
        if _needs_meaning(analysis, parsed):
            # No sentence names the person's role or the counted thing as the question does:
            # words that mean it count ("officials" for "officers").
            assert analysis.focus is not None
            written = analysis.spelled.get(analysis.focus, analysis.focus)
            near = nouns_meaning(written, docs, self.embedder.embed, cfg.focus_similarity)
            for cand, doc in zip(parsed, docs, strict=True):
                chunk = cand.passage.chunk
                cand.statement = read_sentence(
                    analysis, doc, cand.context_text, chunk.title, chunk.text, known, near
                )
        _count_agreement(parsed)
        for cand in parsed:
            assert cand.statement is not None
            if (best := cand.best) is not None and best.on_focus:
                # An answer of the kind asked for, beside the very word the question asks about
                # ("Kagan Ambassador"): the cheaper signals can't see that.
                cand.score += cfg.typed_weight * best.fit * best.link
        candidates.sort(key=lambda c: -c.score)
        return candidates


def _needs_meaning(question: Question, parsed: Sequence[Sentence]) -> bool:
    """Whether the question's focus must be found by meaning: a role or a counted noun that no
    sentence links a candidate to."""
    if question.focus is None or question.focus_generic or question.kind not in ("person", "count"):
        return False
    return not any(f.on_focus for c in parsed if c.statement is not None for f in c.statement.found)


_AGREEING_LINK = 0.5


def _count_agreement(candidates: Sequence[Sentence]) -> None:
    """How many of the retrieved articles state each candidate in a sentence that links it to
    the question, or under a title that names its focus ("Joe Biden" and "Biden" agree): a number
    or name that only recurs says nothing."""
    files_of: dict[str, set[str]] = {}
    for cand in candidates:
        title_focus = cand.statement is not None and cand.statement.title_focus
        for found in cand.statement.found if cand.statement else []:
            # Stated beside the question's words, or in an article whose title is about its
            # focus ("New chief for the port"): that article says it too.
            if found.link >= _AGREEING_LINK or title_focus:
                files_of.setdefault(found.key, set()).update(cand.passage.files)
    for cand in candidates:
        for found in cand.statement.found if cand.statement else []:
            agreeing: set[str] = set(cand.passage.files)
            for key, files in files_of.items():
                if _same_answer(key, found.key):
                    agreeing |= files
            found.files = len(agreeing)


def _same_answer(a: str, b: str) -> bool:
    wa, wb = set(a.split()), set(b.split())
    return bool(wa and wb) and (wa <= wb or wb <= wa)


def _cite(chosen: Sequence[Sequence[Sentence]]) -> tuple[list[Citation], list[Quoted]]:
    """A citation for every article that states each chosen claim, numbered in order; and the
    quoted sentences, for telling whether they disagree."""
    citations: list[Citation] = []
    quoted: list[Quoted] = []
    for group in chosen:
        for cand in group:
            n = len(citations) + 1
            if cand.statement is not None:
                quoted.append(_quoted(cand, n))
            citations.append(
                Citation.of_chunk(
                    n,
                    cand.passage.chunk,
                    quote=cand.text,
                    start=cand.start,
                    end=cand.end,
                    score=round(cand.score, 4),
                    also_in=_also_in(cand, group),
                )
            )
    return citations, quoted


def _quotes(
    chosen: Sequence[Sequence[Sentence]], citations: Sequence[Citation], *, each_sentence: bool
) -> list[str]:
    """Each claim quoted once, with the markers of every article that states it (or, with
    `each_sentence`, each of its different sentences with its own)."""
    parts: list[str] = []
    numbers = iter(c.n for c in citations)
    for group in chosen:
        markers: dict[str, list[int]] = {}
        for cand in group:
            text = cand.text if each_sentence else group[0].text
            markers.setdefault(text, []).append(next(numbers))
        parts += [
            f"{_as_quote(text)} {''.join(f'[{n}]' for n in ns)}" for text, ns in markers.items()
        ]
    return parts


def _names_stated(question: Question, cand: Sentence) -> bool:
    """Whether the sentence (with the one before it and its article's title) states every name
    the question gives: "how about Oppenheimer?" is not answered by a figure of Barbie's."""
    around = f"{cand.context_text} {cand.text} {cand.passage.chunk.title}"
    return all(name_stated(n, around) for n in question.names)


def _quoted(cand: Sentence, n: int) -> Quoted:
    assert cand.statement is not None
    chunk = cand.passage.chunk
    return Quoted(
        statement=cand.statement,
        text=cand.text,
        context=cand.context_text,
        files=tuple(cand.passage.files),
        title=chunk.title,
        date=chunk.date or None,
        passage=chunk.text,
        n=n,
    )


def _also_in(cand: Sentence, group: Sequence[Sentence]) -> tuple[str, ...]:
    """The other files that report this sentence: its group's and the passage's syndicated copies."""
    files = [c.passage.file for c in group if c is not cand]
    files += [d.file for d in cand.passage.duplicates if cand.text in d.text]
    return tuple(dict.fromkeys(f for f in files if f != cand.passage.file))


def _as_quote(text: str) -> str:
    # A sentence that opens with its own quotation mark is quoted already.
    return text if text[:1] in "“\"‘'«" else f"“{text}”"
