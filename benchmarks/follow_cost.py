"""What matching 1,000 follows against a run of 100 new articles costs, in one warm process.

    PYTHONPATH=. python benchmarks/follow_cost.py [--eval ../shared/eval/realtimeqa]
                                                  [--follows 1000] [--articles 100] [--runs 5]

The realtimeqa articles are indexed as `newsbot eval` indexes them; the run's new articles are
the 100 newest of them. The follows are the dev questions as asked and in a few words
(`follow_match.dev_topics`), repeated until there are 1,000, each repeat a variation (lower
case, "news on ..."), so that no two texts are the same. Timed: `match_new_articles` with the
topic vectors given, as the store holds them, and with them embedded on the fly; wall and CPU
time, the median of `--runs` runs after one untimed warm-up.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from follow_match import dev_topics, load
from question_sets import indexed_settings
from timing import p50

_VARIANTS = ("news on {}", "updates about {}", "{} latest")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=Path("../shared/eval/realtimeqa"))
    parser.add_argument("--follows", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from bot.factory import build_retriever
    from bot.follows.matching import THRESHOLD, Topic, match_new_articles, topic_vector

    queries, published = load(args.eval)
    retriever = build_retriever(indexed_settings(args.eval / "articles"))
    base = [t.text for t in dev_topics(queries)]
    texts = [_variant(base[i % len(base)], i // len(base)) for i in range(args.follows)]
    new = sorted(published, key=lambda f: (published[f], f))[-args.articles :]
    started = time.perf_counter()
    vectors = retriever.embedder.embed(texts)
    embed_s = time.perf_counter() - started
    stored = [Topic(i, t, vectors[i]) for i, t in enumerate(texts)]
    bare = [Topic(i, t) for i, t in enumerate(texts)]
    topic_vector(retriever, texts[0])  # loads the catalogue and the model

    def timed(topics: list[Topic]) -> tuple[float, float, int]:
        wall, cpu = time.perf_counter(), time.process_time()
        found = match_new_articles(retriever, topics, new)
        return time.perf_counter() - wall, time.process_time() - cpu, len(found)

    chunks = int(retriever.catalog.in_files(set(new)).sum())
    print(
        f"follows {len(texts)}, new articles {len(new)} ({chunks} chunks), "
        f"index {len(retriever.catalog)} chunks, threshold {THRESHOLD}, cores {os.cpu_count()}"
    )
    for name, topics, runs in (("stored vectors", stored, args.runs), ("embedded", bare, 3)):
        timed(topics)
        results = [timed(topics) for _ in range(runs)]
        print(
            f"{name}: wall p50 {p50(r[0] for r in results):.3f} s, "
            f"cpu p50 {p50(r[1] for r in results):.3f} s, matches {results[0][2]} "
            f"({results[0][2] / len(texts):.2f} per follow), runs {runs}"
        )
    print(f"embedding the {len(texts)} follows in one batch: {embed_s:.2f} s")
    print("uptime:", os.popen("uptime").read().strip())


def _variant(text: str, n: int) -> str:
    """The n-th repeat of a follow's text: as it is, in lower case, then with a few words around."""
    if n < 2:
        return text.lower() if n else text
    return _VARIANTS[(n - 2) % len(_VARIANTS)].format(text)


if __name__ == "__main__":
    main()
