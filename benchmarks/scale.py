"""Search latency and memory as the index grows, with synthetic chunks made from real articles.

    python benchmarks/scale.py ARTICLES_DIR QUERIES.jsonl [--sizes 20000 100000] [--queries 50]

Embedding 100,000 chunks with the local model would take hours on 2 cores, so the chunks are
written straight into a Chroma collection: the texts of the real articles' chunks with words
shuffled between copies, each with a vector that is its source chunk's embedding plus noise (so
that neighbours are as crowded as in real news), and dates spread over two years. Search is timed
with newsbot's Retriever (BM25 + Chroma + fusion) on the question set's questions, warm, after the
BM25 index is built. Memory is the process's resident set after each size is loaded.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from bot.evaluation import load_queries
from bot.settings import Settings
from index.chunking import Chunker
from index.embedding import MiniLMEmbedder
from index.retrieval import Retriever
from index.store import ChromaConfig, ChunkStore


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_chunks(
    articles: Path, embedder: MiniLMEmbedder, limit: int
) -> tuple[list[str], np.ndarray]:
    chunker = Chunker(embedder.count_tokens, Settings().chunk_tokens, Settings().chunk_overlap)
    texts: list[str] = []
    for path in sorted(articles.glob("*.txt"))[:limit]:
        texts += [c.text for c in chunker.split(path.read_text(encoding="utf-8"))]
    return texts, embedder.embed(texts)


def grow(store: ChunkStore, texts: list[str], vectors: np.ndarray, start: int, end: int) -> None:
    rng = random.Random(start)
    base = date(2022, 6, 1).toordinal()
    batch = 5000
    for b in range(start, end, batch):
        ids, docs, metas, embs = [], [], [], []
        for n in range(b, min(b + batch, end)):
            src = n % len(texts)
            words = texts[src].split()
            other = texts[rng.randrange(len(texts))].split()
            # A tenth of the words come from another chunk, so no two copies are the same text.
            for _ in range(len(words) // 10):
                words[rng.randrange(len(words))] = other[rng.randrange(len(other))]
            text = " ".join(words)
            day = base + rng.randrange(730)
            ids.append(f"syn{n:07d}")
            docs.append(text)
            metas.append(
                {
                    "file": f"syn-{n // 6:06d}.txt",
                    "title": " ".join(words[:8]),
                    "date": date.fromordinal(day).isoformat(),
                    "day": day,
                    "start": 0,
                    "end": len(text),
                    "sentences": json.dumps([[0, len(text)]]),
                }
            )
            noise = np.random.default_rng(n).normal(0, 0.02, vectors.shape[1])
            vec = vectors[src] + noise
            embs.append((vec / np.linalg.norm(vec)).tolist())
        store.collection.add(ids=ids, documents=docs, metadatas=metas, embeddings=embs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=Path)
    parser.add_argument("queries", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20000, 100000])
    parser.add_argument("--queries", dest="n_queries", type=int, default=50)
    parser.add_argument("--seed-articles", type=int, default=150)
    args = parser.parse_args()
    embedder = MiniLMEmbedder(Settings().model_cache_dir)
    texts, vectors = seed_chunks(args.articles, embedder, args.seed_articles)
    questions = [q for q in load_queries(args.queries, "question_date")][: args.n_queries]
    print(f"{len(texts)} seed chunks; {len(questions)} questions, each with its date")
    print(f"{'chunks':>8} {'load s':>7} {'p50 ms':>7} {'p95 ms':>7} {'RSS MB':>7} {'disk MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        config = ChromaConfig(path=Path(tmp) / "chroma", collection="scale")
        store = ChunkStore(config, embedder.name, embedder.dim)
        have = 0
        for size in sorted(args.sizes):
            grow(store, texts, vectors, have, size)
            have = size
            store.mark_changed()
            retriever = Retriever(store, embedder, Path(tmp) / "lexical")
            t = time.perf_counter()
            _ = retriever.catalog
            load_s = time.perf_counter() - t
            for q in questions[:3]:
                retriever.search(q.question, k=10, as_of=q.as_of)  # warm-up
            times = []
            for q in questions:
                t = time.perf_counter()
                retriever.search(q.question, k=10, as_of=q.as_of)
                times.append((time.perf_counter() - t) * 1000)
            disk = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 2**20
            p95 = statistics.quantiles(times, n=20)[18]
            print(
                f"{size:>8} {load_s:>7.1f} {statistics.median(times):>7.1f} {p95:>7.1f} "
                f"{rss_mb():>7.0f} {disk:>8.0f}",
                flush=True,
            )
            del retriever


if __name__ == "__main__":
    main()
