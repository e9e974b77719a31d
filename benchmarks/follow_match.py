"""Follow matching on a dev set built from realtimeqa: precision, recall and alerts per follow.

    PYTHONPATH=. python benchmarks/follow_match.py [--eval ../shared/eval/realtimeqa] [--json]
                                                   [--show-false N]

The dev set is built on the fly (nothing of it is kept in the repository):
- topics: each dev question twice, as asked and in a few words (its named entities and the words
  of its noun chunks, at most five words: what a user types after /follow);
- a topic is followed from a week before its question's date, since the quiz asks about the
  week before it and its evidence articles are dated in that week (or earlier);
- its stream: the articles published from that day until 21 days after the question's date, as
  one run of new articles (a score does not depend on the other files of a run, so one call with
  the whole stream gives what a run a day would);
- relevant: the question's own evidence files in its stream. Topics with none there are left
  out. This is strict: an article on the same story that is not the quiz's evidence counts as a
  false alert (`--show-false` prints some to read).

All 902 articles are indexed once (as `newsbot eval` indexes them); every topic is scored
against every article of its stream with threshold 0, and the sweep is computed from those
scores. The threshold is the one with the best F1 over both kinds of topics together.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from question_sets import indexed_settings

STREAM_BEFORE = timedelta(days=7)
STREAM_AFTER = timedelta(days=21)
FEW_WORDS = 5
SWEEP = [round(0.10 + 0.02 * i, 2) for i in range(41)]


@dataclass(frozen=True)
class DevTopic:
    key: int
    text: str
    kind: str  # "question" or "few words"
    question: dict[str, Any]


def few_words(question: str) -> str:
    """The question in a few words: its named entities, then its noun chunks' content words."""
    from index.language.pipeline import parse

    doc = parse([question])[0]
    words: list[str] = []
    spans = [e for e in doc.ents if e.label_ not in {"DATE", "TIME", "ORDINAL", "CARDINAL"}]
    for span in [*spans, *doc.noun_chunks]:
        for token in span:
            keep = not token.is_stop and not token.is_punct and token.tag_ not in {"WDT", "WP"}
            if keep and token.text.casefold() not in {w.casefold() for w in words}:
                words.append(token.text)
    return " ".join(words[:FEW_WORDS]) or question


def dev_topics(queries: Iterable[dict[str, Any]]) -> list[DevTopic]:
    """Each question as asked and in a few words."""
    topics = []
    for n, q in enumerate(queries):
        topics.append(DevTopic(2 * n, q["question"], "question", q))
        topics.append(DevTopic(2 * n + 1, few_words(q["question"]), "few words", q))
    return topics


def load(eval_dir: Path) -> tuple[list[dict[str, Any]], dict[str, date]]:
    queries = [json.loads(line) for line in (eval_dir / "queries.dev.jsonl").open()]
    published = {
        a["file"]: date.fromisoformat(a["published"])
        for a in map(json.loads, (eval_dir / "articles.jsonl").open())
    }
    return queries, published


def stream(question: dict[str, Any], published: dict[str, date]) -> list[str]:
    """The articles published while the topic is followed, in date order."""
    asked = date.fromisoformat(question["question_date"])
    first, last = asked - STREAM_BEFORE, asked + STREAM_AFTER
    return sorted(
        (f for f, d in published.items() if first <= d <= last), key=lambda f: (published[f], f)
    )


def scores(
    eval_dir: Path, weights: tuple[float, float] | None = None
) -> tuple[list[DevTopic], dict[int, list[str]], dict[int, dict[str, float]]]:
    """The topics kept, each one's stream, and its score for every article of it; `weights`
    (dense, lexical) in place of retrieval's."""
    from bot.factory import build_retriever
    from bot.follows.matching import Topic, match_new_articles
    from index.ranking.retrieval import RetrievalConfig

    queries, published = load(eval_dir)
    config = (
        None
        if weights is None
        else RetrievalConfig(dense_weight=weights[0], lexical_weight=weights[1])
    )
    retriever = build_retriever(indexed_settings(eval_dir / "articles"), config=config)
    topics, streams = [], {}
    for t in dev_topics(queries):
        files = stream(t.question, published)
        if set(t.question["evidence_files"]) & set(files):
            topics.append(t)
            streams[t.key] = files
    by_date: dict[str, list[DevTopic]] = {}
    for t in topics:
        by_date.setdefault(t.question["question_date"], []).append(t)
    scored: dict[int, dict[str, float]] = {t.key: {} for t in topics}
    for group in by_date.values():
        files = streams[group[0].key]
        asked = [Topic(t.key, t.text) for t in group]
        for m in match_new_articles(retriever, asked, files, threshold=0.0):
            scored[m.key][m.passage.file] = m.score
    return topics, streams, scored


def figures(
    topics: list[DevTopic],
    streams: dict[int, list[str]],
    scored: dict[int, dict[str, float]],
    threshold: float,
) -> dict[str, float]:
    alerts = hits = relevant = articles = 0
    for t in topics:
        gold = set(t.question["evidence_files"]) & set(streams[t.key])
        sent = {f for f, s in scored[t.key].items() if s >= threshold}
        alerts += len(sent)
        hits += len(sent & gold)
        relevant += len(gold)
        articles += len(streams[t.key])
    precision = hits / alerts if alerts else 1.0
    recall = hits / relevant
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": threshold,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "alerts_per_follow_per_100": 100 * alerts / articles,
        "relevant_per_follow_per_100": 100 * relevant / articles,
        "alerts": alerts,
        "false_alerts": alerts - hits,
        "relevant": relevant,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=Path("../shared/eval/realtimeqa"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show-false", type=int, default=0, metavar="N")
    parser.add_argument(
        "--weights", type=_pair, default=None, metavar="D,L", help="dense and lexical weights"
    )
    args = parser.parse_args()

    topics, streams, scored = scores(args.eval, args.weights)
    kinds = {
        "both": topics,
        **{k: [t for t in topics if t.kind == k] for k in ("question", "few words")},
    }
    sweep = {k: [figures(ts, streams, scored, x) for x in SWEEP] for k, ts in kinds.items()}
    chosen = max(sweep["both"], key=lambda row: (row["f1"], row["threshold"]))["threshold"]
    at_chosen = {k: figures(ts, streams, scored, chosen) for k, ts in kinds.items()}
    mean_stream = sum(len(streams[t.key]) for t in topics) / len(topics)
    if args.json:
        print(json.dumps({"chosen": chosen, "at_chosen": at_chosen, "sweep": sweep}, indent=1))
    else:
        print(
            f"topics {len(topics)} ({len(kinds['question'])} questions, "
            f"{len(kinds['few words'])} few-words); mean stream {mean_stream:.0f} articles"
        )
        print(
            "| threshold | P (both) | R (both) | F1 | alerts/follow/100 | P (question) | R (question) | P (few words) | R (few words) |"
        )
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for b, q, w in zip(sweep["both"], sweep["question"], sweep["few words"], strict=True):
            print(
                f"| {b['threshold']:.2f} | {b['precision']:.3f} | {b['recall']:.3f} | "
                f"{b['f1']:.3f} | {b['alerts_per_follow_per_100']:.2f} | {q['precision']:.3f} | "
                f"{q['recall']:.3f} | {w['precision']:.3f} | {w['recall']:.3f} |"
            )
        print(f"chosen (best F1 over both): {chosen:.2f}")
        for k, row in at_chosen.items():
            print(f"  {k}: " + ", ".join(f"{n} {v:.3f}" for n, v in row.items()))
    if args.show_false:
        _show_false(topics, streams, scored, chosen, args.show_false, args.eval)


def _pair(text: str) -> tuple[float, float]:
    dense, lexical = (float(x) for x in text.split(","))
    return dense, lexical


def _show_false(
    topics: list[DevTopic],
    streams: dict[int, list[str]],
    scored: dict[int, dict[str, float]],
    threshold: float,
    n: int,
    eval_dir: Path,
) -> None:
    """Every n-th false alert at the threshold, to read whether it is about the same story."""
    titles = {a["file"]: a["title"] for a in map(json.loads, (eval_dir / "articles.jsonl").open())}
    false = [
        (t, f, s)
        for t in topics
        for f, s in sorted(scored[t.key].items())
        if s >= threshold and f not in t.question["evidence_files"]
    ]
    step = max(1, len(false) // n)
    for t, f, s in false[::step][:n]:
        gold = [titles[g] for g in t.question["evidence_files"]]
        print(
            f"\n[{t.kind}] {t.text}\n  alert {s:.3f}: {titles[f][:120]}\n  evidence: {gold[0][:120]}"
        )


if __name__ == "__main__":
    main()
