"""`NewsService.answer` in one process, warm: what one question costs once everything is loaded.

    python benchmarks/answer_time.py QUERIES.jsonl --articles DIR [--as-of-field F] [--warm-up 10]

The articles are indexed as `newsbot eval` indexes them (a collection of their own in the data dir,
reused by a second run). The first `--warm-up` questions are asked untimed (loading the models),
then every other question is timed once, as a new question comes: nothing of its sentences parsed
or cached before. Prints the p50 and p95 over the timed questions, in milliseconds. With `PYTHONPATH=OLD_CHECKOUT` it times an older
release on the same questions: run both back to back and compare the ratio, since a shared
machine's load moves both.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from question_sets import indexed_settings
from timing import p50, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queries", type=Path)
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--as-of-field", default=None)
    parser.add_argument("--warm-up", type=int, default=10)
    args = parser.parse_args()

    from bot.evaluation import load_queries
    from bot.factory import build_service

    settings = indexed_settings(args.articles)
    service = build_service(settings)
    queries = load_queries(args.queries, args.as_of_field)

    def ask(query: object) -> float:
        started = time.perf_counter()
        # An older checkout's service takes the date as `as_of`; today's as the day asked.
        service.answer(query.question, as_of=query.as_of)  # type: ignore[attr-defined]
        return time.perf_counter() - started

    for query in queries[: args.warm_up]:
        ask(query)
    times = [ask(q) * 1000 for q in queries[args.warm_up :]]
    print(f"questions {len(times)}  p50 {p50(times):.1f} ms  p95 {p95(times):.1f} ms")


if __name__ == "__main__":
    main()
