"""Retrieval and answer quality on a question set, scored as docs/evaluation.md describes.

A question set is a JSONL file, one object a line: `question`, `evidence_files` (the article files
that answer it), `answer` and optionally `answer_aliases`, and any date field to ask it as of. A
natural set (questions as people type them) gives `kind` ("answerable", "unanswerable" or
"followup", which is asked after its `first` question in one conversation), `file` for the
evidence and `aliases`; each kind is scored by its own rule (`NaturalReport`).
The articles are indexed into a collection of their own, under the data dir's `eval/` folder, so
the user's index is never touched; re-running reuses it (unchanged files are skipped).
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.conversation import Turn
from bot.errors import ConfigError
from bot.results import Answer
from bot.service import NewsService
from bot.settings import Settings
from index.language.dates import parse_date

HIT_KS = (1, 3, 5, 10)
# Retrieval is scored over the first ten distinct files; this many passages always hold ten
# distinct files, since retrieval keeps at most two passages per file.
RANKED_PASSAGES = 30

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EvalQuery:
    id: str
    question: str
    evidence: frozenset[str]
    answers: tuple[str, ...]  # the gold answer and its aliases; any one matches
    as_of: date | None  # the day it was asked (its date field): the service's "now" for it
    # "quiz" (realtimeqa, rgb), or a natural set's "answerable", "unanswerable", "followup".
    kind: str = "quiz"
    first: str | None = None  # a follow-up's first turn, asked before it

    @property
    def wants_refusal(self) -> bool:
        return self.kind == "unanswerable"


@dataclass(frozen=True)
class QueryResult:
    query: EvalQuery
    ranked_files: tuple[str, ...]  # distinct source files, best first
    answer: str
    cited: tuple[str, ...]  # files the answer cites (with the copies it cites "also in")
    refused: bool
    short_answer: str | None = None
    # The cited quotes with their files: another article that states the gold counts too.
    quotes: tuple[tuple[str, str], ...] = ()
    differs: bool = False  # the answer says its sources state different values


@dataclass
class EvalReport:
    n: int
    hit: dict[int, float]
    mrr10: float
    citation_accuracy: float
    answer_match: float
    refusal_rate: float
    unknown_citations: int  # citations of files that are not in the index: must be 0
    # The short answer equals a gold answer after normalising (no short answer: a miss).
    short_answer_match: float = 0.0
    short_answer_rate: float = 0.0  # how often there is a short answer at all
    median_answer_chars: float = 0.0  # over the answers that are not refusals
    # A short answer that neither holds a gold answer nor lies inside one, over the questions
    # that have a gold answer: a bold wrong answer is worse than none.
    short_answer_wrong: float = 0.0
    # Of the answered questions, those whose answer says the sources differ: it should be rare.
    disagreement_rate: float = 0.0
    natural: NaturalReport | None = None  # when the set has natural questions
    mode: str = "open question"
    results: list[QueryResult] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "mode": self.mode,
            **{f"hit@{k}": round(v, 4) for k, v in self.hit.items()},
            "mrr@10": round(self.mrr10, 4),
            "citation_accuracy": round(self.citation_accuracy, 4),
            "answer_match": round(self.answer_match, 4),
            "short_answer_match": round(self.short_answer_match, 4),
            "short_answer_rate": round(self.short_answer_rate, 4),
            "refusal_rate": round(self.refusal_rate, 4),
            "short_answer_wrong": round(self.short_answer_wrong, 4),
            "disagreement_rate": round(self.disagreement_rate, 4),
            "median_answer_chars": self.median_answer_chars,
            "unknown_citations": self.unknown_citations,
            **({"natural": self.natural.to_json()} if self.natural else {}),
        }

    def lines(self) -> list[str]:
        hits = "  ".join(f"hit@{k} {v:.3f}" for k, v in self.hit.items())
        return [
            f"questions            {self.n} ({self.mode})",
            f"retrieval            {hits}  MRR@10 {self.mrr10:.3f}",
            f"citation accuracy    {self.citation_accuracy:.3f}",
            f"answer match         {self.answer_match:.3f}",
            f"short answer         exact {self.short_answer_match:.3f}  "
            f"given {self.short_answer_rate:.3f}  wrong {self.short_answer_wrong:.3f}",
            f"refusal rate         {self.refusal_rate:.3f}",
            f"sources differ       {self.disagreement_rate:.3f} of the answers",
            f"median answer        {self.median_answer_chars:.0f} characters",
            f"unknown citations    {self.unknown_citations}",
            *(self.natural.lines() if self.natural else []),
        ]


@dataclass(frozen=True)
class NaturalReport:
    """A natural set's figures, by its own rules (docs/evaluation.md): each a share."""

    answerable: int  # answerable and follow-up questions
    followups: int
    unanswerable: int
    answered: float  # not refused, the gold in the answer, and cited
    followups_answered: float
    refused_unanswerable: float  # the right answer to a question the articles don't answer
    refused_answerable: float  # a question they do answer, refused
    short_right: float  # of the answerable: a short answer that holds a gold answer
    short_wrong: float

    def to_json(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in vars(self).items()}

    def lines(self) -> list[str]:
        return [
            f"natural: answered    {self.answered:.3f} of {self.answerable}  "
            f"follow-ups {self.followups_answered:.3f} of {self.followups}",
            f"natural: refused     not covered {self.refused_unanswerable:.3f} of "
            f"{self.unanswerable}  covered {self.refused_answerable:.3f}",
            f"natural: short       right {self.short_right:.3f}  wrong {self.short_wrong:.3f}",
        ]


def normalise(text: str) -> str:
    """The answer-match normalisation: NFKC, casefold, punctuation to spaces, no articles."""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = "".join(" " if unicodedata.category(c)[0] == "P" else c for c in t)
    t = re.sub(r"\b(a|an|the)\b", " ", t)
    return " ".join(t.split())


_KINDS = ("quiz", "answerable", "unanswerable", "followup")


def load_queries(path: Path, as_of_field: str | None = None) -> list[EvalQuery]:
    """Read a JSONL question set; ConfigError names the first line that is not usable."""
    queries: list[EvalQuery] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question = str(row["question"])
            files = row["evidence_files"] if "evidence_files" in row else [row["file"]]
            evidence = frozenset(str(f) for f in files)
            kind = str(row.get("kind", "quiz"))
            first = str(row["first"]) if kind == "followup" else None
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"{path}:{number}: expected a JSON object with question and evidence_files "
                "(or a natural question's kind and file, and a follow-up's first)"
            ) from exc
        if kind not in _KINDS:
            raise ConfigError(f"{path}:{number}: kind={kind!r} is not one of {', '.join(_KINDS)}")
        answers = [str(row["answer"])] if row.get("answer") else []
        aliases = [*(row.get("answer_aliases") or []), *(row.get("aliases") or [])]
        answers += [str(a) for a in aliases if str(a) not in answers]
        as_of = None
        if as_of_field:
            raw = row.get(as_of_field)
            as_of = parse_date(str(raw)) if raw else None
            if raw and as_of is None:
                raise ConfigError(f"{path}:{number}: {as_of_field}={raw!r} is not a date")
        queries.append(
            EvalQuery(
                str(row.get("id", number)), question, evidence, tuple(answers), as_of, kind, first
            )
        )
    if not queries:
        raise ConfigError(f"{path} holds no questions")
    return queries


def distinct_files(files: Iterable[str]) -> tuple[str, ...]:
    """The files in order of their first appearance."""
    return tuple(dict.fromkeys(files))


def cited_files(answer: Answer) -> tuple[str, ...]:
    return distinct_files(f for c in answer.citations for f in (c.file, *c.also_in))


def run_query(
    service: NewsService, query: EvalQuery, *, without_evidence: bool = False
) -> QueryResult:
    """Ask one question; `without_evidence` leaves its evidence files out, as if not indexed."""
    exclude = query.evidence if without_evidence else frozenset()
    # The question's date is when it was asked: its "now", as a Telegram message's date is.
    history: list[Turn] = []
    if query.first is not None:
        first = service.answer(query.first, now=query.as_of, exclude=exclude)
        history.append(Turn.of(first))
    answer = service.answer(query.question, history, now=query.as_of, exclude=exclude)
    # A follow-up's passages are those of the question as it was searched for.
    searched = answer.standalone or query.question
    passages = service.search(searched, k=RANKED_PASSAGES, now=query.as_of, exclude=exclude)
    return QueryResult(
        query=query,
        ranked_files=distinct_files(p.file for p in passages),
        answer=answer.text,
        cited=cited_files(answer),
        refused=answer.refused,
        short_answer=answer.short_answer_text,
        quotes=tuple((c.file, c.quote) for c in answer.citations),
        differs=answer.disagreement is not None,
    )


def matches(gold: Iterable[str], text: str) -> bool:
    """Whether a gold answer occurs in `text`, both normalised."""
    text = normalise(text)
    return any(normalise(a) and normalise(a) in text for a in gold)


def short_answer_wrong(r: QueryResult) -> bool:
    """A short answer that neither holds a gold answer nor lies inside one."""
    if r.short_answer is None or not r.query.answers:
        return False
    short = normalise(r.short_answer)
    gold = [normalise(a) for a in r.query.answers if normalise(a)]
    return not any(g in short or short in g for g in gold)


def answered_right(r: QueryResult) -> bool:
    """Not refused, the gold in the answer, and a citation of the evidence file or of another
    article whose cited text states the gold too."""
    if r.refused or not matches(r.query.answers, r.answer):
        return False
    return any(f in r.query.evidence for f in r.cited) or any(
        matches(r.query.answers, quote) for _, quote in r.quotes
    )


def score_natural(results: Sequence[QueryResult]) -> NaturalReport | None:
    """The natural set's figures, or None when `results` holds no natural question."""
    asked = [r for r in results if r.query.kind in ("answerable", "followup")]
    follow = [r for r in asked if r.query.kind == "followup"]
    unanswerable = [r for r in results if r.query.wants_refusal]
    if not asked and not unanswerable:
        return None

    def share(rows: Sequence[QueryResult], test: Callable[[QueryResult], bool]) -> float:
        return sum(map(test, rows)) / len(rows) if rows else 0.0

    return NaturalReport(
        answerable=len(asked),
        followups=len(follow),
        unanswerable=len(unanswerable),
        answered=share(asked, answered_right),
        followups_answered=share(follow, answered_right),
        refused_unanswerable=share(unanswerable, lambda r: r.refused),
        refused_answerable=share(asked, lambda r: r.refused),
        short_right=share(
            asked, lambda r: r.short_answer is not None and not short_answer_wrong(r)
        ),
        short_wrong=share(asked, short_answer_wrong),
    )


def score(results: Sequence[QueryResult], indexed_files: set[str]) -> EvalReport:
    """Average every metric over the questions (each question counts once)."""
    n = len(results)
    if not n:
        raise ConfigError("no questions to score")
    hit = {k: 0.0 for k in HIT_KS}
    mrr = cited_ok = matched = refused = unknown = short_exact = short_given = wrong = 0.0
    lengths: list[int] = []
    for r in results:
        gold = r.query.evidence
        first = next((i for i, f in enumerate(r.ranked_files[:10], start=1) if f in gold), None)
        for k in HIT_KS:
            hit[k] += first is not None and first <= k
        mrr += 1.0 / first if first else 0.0
        cited_ok += any(f in gold for f in r.cited)
        unknown += sum(f not in indexed_files for f in r.cited)
        matched += matches(r.query.answers, r.answer)
        refused += r.refused
        if not r.refused:
            lengths.append(len(r.answer))
        if r.short_answer is not None:
            short_given += 1
            short = normalise(r.short_answer)
            short_exact += any(short == normalise(a) for a in r.query.answers)
            wrong += short_answer_wrong(r)
    return EvalReport(
        n=n,
        hit={k: v / n for k, v in hit.items()},
        mrr10=mrr / n,
        citation_accuracy=cited_ok / n,
        answer_match=matched / n,
        refusal_rate=refused / n,
        unknown_citations=int(unknown),
        short_answer_match=short_exact / n,
        short_answer_rate=short_given / n,
        median_answer_chars=statistics.median(lengths) if lengths else 0.0,
        short_answer_wrong=wrong / max(1, sum(bool(r.query.answers) for r in results)),
        disagreement_rate=sum(r.differs for r in results) / max(1, len(lengths)),
        natural=score_natural(results),
        results=list(results),
    )


def evaluate(
    service: NewsService,
    queries: Sequence[EvalQuery],
    progress: Progress | None = None,
    *,
    without_evidence: bool = False,
) -> EvalReport:
    """Every question asked and scored; `without_evidence`: each without its evidence files,
    where the right answer is a refusal."""
    indexed = service.indexed_files()
    results = []
    for done, query in enumerate(queries, start=1):
        results.append(run_query(service, query, without_evidence=without_evidence))
        if progress:
            progress(done, len(queries))
    report = score(results, indexed)
    report.mode = f"open question, {service.answerer_name} answers"
    if without_evidence:
        report.mode += ", evidence files left out"
    return report


def eval_settings(settings: Settings, articles: Path, model: str) -> Settings:
    """Settings for a collection of its own for this folder, chunking and model (the embedder's
    name, which tells model files apart), beside the user's."""
    key = "|".join(
        [
            str(articles.resolve()),
            model,
            str(settings.chunk_tokens),
            str(settings.chunk_overlap),
        ]
    )
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
    if settings.data_dir.resolve() == articles.resolve():
        raise ConfigError("the data dir and the articles folder must differ")
    return settings.model_copy(
        update={"data_dir": settings.data_dir / "eval", "collection": f"eval-{digest}"}
    )
