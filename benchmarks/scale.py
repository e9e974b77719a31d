"""Start-up, search latency and memory as the index grows, with synthetic chunks made from real ones.

    python benchmarks/scale.py table ARTICLES_DIR QUERIES.jsonl [--sizes 20000 100000]
    python benchmarks/scale.py grow DATA_DIR ARTICLES_DIR --size 500000
    python benchmarks/scale.py change DATA_DIR [--files 10]
    python benchmarks/scale.py serve DATA_DIR QUERIES.jsonl [--queries 50]
    python benchmarks/scale.py big ARTICLES_DIR QUERIES.jsonl --size 2000000

Embedding 100,000 chunks with the local model would take hours on 2 cores, so the chunks are
written straight into a Chroma collection ("scale" in DATA_DIR/chroma): the texts of the real
articles' chunks with words shuffled between copies, each with a vector that is its source chunk's
embedding plus noise (so that neighbours are as crowded as in real news), six chunks to a file, and
dates spread over two years.

- `grow` builds (or extends) that collection; `change` re-indexes some of its files (new text, the
  same ids) and brings the data dir's catalogue up to date, as `newsbot index` does after articles
  changed.
- `serve` is a new process, started as a bot is: it prints, as JSON, the seconds from its start
  to its first answer (`first_answer_s`, imports and catalogue included), then the median and 95th
  percentile of searching for the question set's questions, each with its date (the passages an
  answer is made from), and its resident memory. It uses only what every release has (`build_service`), so it runs against an older
  checkout too (`PYTHONPATH=OLD_CHECKOUT python benchmarks/scale.py serve ...`).
- `table` grows one collection through the sizes and prints a row for each, in one process.
- `big` writes a catalogue of SIZE chunks straight to disk, without Chroma (which would take hours
  to fill), over an empty collection with the same version stamp, and prints the `serve` figures
  for it: the 2,000,000-chunk row. Its chunks repeat the seed chunks' words (no shuffling), so
  that their BM25 terms are the seed chunks' own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from timing import p50, p95

_STARTED = time.perf_counter()
COLLECTION = "scale"
CHUNKS_PER_FILE = 6


def rss_mb() -> float:
    """This process's resident memory, file pages it maps (the catalogue's) included."""
    return _proc_kb("/proc/self/status", "VmRSS:") / 1024


def pss_mb() -> float:
    """Its proportional share: a page mapped by two processes counts half in each."""
    return _proc_kb("/proc/self/smaps_rollup", "Pss:") / 1024


def _proc_kb(path: str, key: str) -> int:
    with open(path, encoding="ascii") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def seed_chunks(articles: Path, limit: int) -> tuple[list[str], np.ndarray]:
    from bot.factory import build_embedder
    from bot.settings import Settings
    from index.chunking import Chunker

    embedder = build_embedder(Settings())  # the call every checkout has, older ones included
    chunker = Chunker(embedder.count_tokens, Settings().chunk_tokens, Settings().chunk_overlap)
    texts: list[str] = []
    for path in sorted(articles.glob("*.txt"))[:limit]:
        texts += [c.text for c in chunker.split(path.read_text(encoding="utf-8"))]
    return texts, embedder.embed(texts)


def _seeds(data: Path, articles: Path | None) -> tuple[list[str], np.ndarray]:
    """The seed chunks and their vectors, embedded once and kept beside the collection."""
    texts_file, vectors_file = data / "seed_texts.json", data / "seed_vectors.npy"
    if texts_file.exists():
        return json.loads(texts_file.read_text()), np.load(vectors_file)
    if articles is None:
        sys.exit(f"no seed chunks in {data}: run `grow` first")
    texts, vectors = seed_chunks(articles, 150)
    data.mkdir(parents=True, exist_ok=True)
    texts_file.write_text(json.dumps(texts))
    np.save(vectors_file, vectors)
    return texts, vectors


def synthetic(
    texts: list[str], vectors: np.ndarray, start: int, end: int, salt: int = 0
) -> tuple[list[str], list[str], list[dict[str, Any]], list[list[float]]]:
    """Chunks number `start` to `end`: ids, texts, metadata and embeddings. Another `salt` gives
    the same chunks (ids and files) other words, as an edited article has."""
    rng = random.Random(start * 7 + salt)
    base = date(2022, 6, 1).toordinal()
    ids, docs, metas, embs = [], [], [], []
    for n in range(start, end):
        src = (n + salt) % len(texts)
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
                "document_id": f"synf{n // CHUNKS_PER_FILE:06d}",
                "file": f"syn-{n // CHUNKS_PER_FILE:06d}.txt",
                "title": " ".join(words[:8]),
                "date": date.fromordinal(day).isoformat(),
                "day": day,
                "start": 0,
                "end": len(text),
                "sentences": json.dumps([[0, len(text)]]),
            }
        )
        noise = np.random.default_rng(n + salt).normal(0, 0.02, vectors.shape[1])
        vec = vectors[src] + noise
        embs.append((vec / np.linalg.norm(vec)).tolist())
    return ids, docs, metas, embs


def _store(data: Path) -> Any:
    from bot.factory import build_embedder
    from bot.settings import Settings
    from index.search.chroma import ChromaConfig
    from index.search.store import ChunkStore

    embedder = build_embedder(Settings())
    config = ChromaConfig(path=data / "chroma", collection=COLLECTION)
    return ChunkStore(config, embedder.name, embedder.dim)


def grow(data: Path, articles: Path | None, size: int) -> None:
    """Fill the collection up to `size` chunks."""
    texts, vectors = _seeds(data, articles)
    store = _store(data)
    have = store.count()
    for b in range(have, size, 5000):
        ids, docs, metas, embs = synthetic(texts, vectors, b, min(b + 5000, size))
        store.collection.add(ids=ids, documents=docs, metadatas=metas, embeddings=embs)
    store.mark_changed()


def change(data: Path, files: int, salt: int = 1, *, catalog: bool = True) -> float:
    """Re-index `files` files in the middle of the collection, as `newsbot index` does (their
    chunks deleted, then written with new words); the seconds it took."""
    texts, vectors = _seeds(data, None)
    store = _store(data)
    first = store.count() // 2 // CHUNKS_PER_FILE
    started = time.perf_counter()
    with _changes(store):
        for f in range(first, first + files):
            store.delete_file(f"synf{f:06d}")
            ids, docs, metas, embs = synthetic(
                texts, vectors, f * CHUNKS_PER_FILE, (f + 1) * CHUNKS_PER_FILE, salt
            )
            store.collection.add(ids=ids, documents=docs, metadatas=metas, embeddings=embs)
    if not catalog:  # as an indexer with a data dir of its own: the readers catch up
        return time.perf_counter() - started
    try:  # as `newsbot index` does since the catalogue was kept on disk
        from index.search.catalog_sync import update_if_present
    except ImportError:  # an older checkout: its readers rebuild
        return time.perf_counter() - started
    update_if_present(store, data / "lexical")
    return time.perf_counter() - started


@contextmanager
def _changes(store: Any) -> Iterator[None]:
    """The store's write protocol: `changes()`, or an older checkout's begin/end and stamp."""
    if hasattr(store, "changes"):
        with store.changes():
            yield
        return
    store.begin_changes()
    try:
        yield
    finally:
        store.end_changes()
    store.mark_changed()


def serve(data: Path, queries: Path, n_queries: int) -> dict[str, Any]:
    """A new process's first answer, then its answering latency and memory (see the docstring)."""
    from bot.evaluation import load_queries
    from bot.factory import build_service
    from bot.settings import Settings

    questions = load_queries(queries, "question_date")[:n_queries]
    service = build_service(Settings(data_dir=data, collection=COLLECTION))
    service.answer(questions[0].question, now=questions[0].as_of)
    first = time.perf_counter() - _STARTED
    rss_first = rss_mb()
    times = []
    for q in questions:
        t = time.perf_counter()
        service.search(q.question, now=q.as_of)
        times.append((time.perf_counter() - t) * 1000)
    return {
        "chunks": len(service.retriever.catalog),
        "first_answer_s": round(first, 2),
        "rss_first_mb": round(rss_first),
        "p50_ms": round(p50(times), 1),
        "p95_ms": round(p95(times), 1),
        "rss_mb": round(rss_mb()),
        "pss_mb": round(pss_mb()),
        "load": [round(x, 1) for x in os.getloadavg()],
    }


def serve_in_new_process(data: Path, queries: Path, n_queries: int) -> dict[str, Any]:
    """`serve` in a process of its own, as this interpreter runs it (PYTHONPATH included)."""
    done = subprocess.run(
        [sys.executable, __file__, "serve", str(data), str(queries), "--queries", str(n_queries)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def big(articles: Path, queries: Path, size: int, n_queries: int, data: Path) -> dict[str, Any]:
    """Write a catalogue of `size` chunks straight to disk (segments of 500,000) and serve it."""
    from index.language.words import tokenize
    from index.search.catalog import bm25_text
    from index.search.catalog_files import ChunkRow, Manifest, SegmentWriter
    from index.search.catalog_sync import catalog_folder

    texts, vectors = _seeds(data, articles)
    tokens = tokenize([bm25_text("", t, 0) for t in texts])
    store = _store(data)  # empty: its version stamp is what the catalogue is current for
    folder = catalog_folder(store, data / "lexical")
    folder.mkdir(parents=True, exist_ok=True)
    base = date(2022, 6, 1).toordinal()
    rng = np.random.default_rng(0)
    segments = []
    for seg_start in range(0, size, 500_000):
        writer = SegmentWriter(folder, vectors.shape[1])
        for b in range(seg_start, min(seg_start + 500_000, size), 5000):
            n = np.arange(b, min(b + 5000, size))
            src = n % len(texts)
            days = base + rng.integers(0, 730, len(n))
            rows = [
                ChunkRow(
                    id=f"syn{i:07d}",
                    file_id=f"synf{i // CHUNKS_PER_FILE:07d}",
                    file=f"syn-{i // CHUNKS_PER_FILE:07d}.txt",
                    title=" ".join(texts[s].split()[:8]),
                    date=date.fromordinal(int(d)).isoformat(),
                    day=int(d),
                    start=0,
                    end=len(texts[s]),
                    text=texts[s],
                    sentences=[(0, len(texts[s]))],
                )
                for i, s, d in zip(n.tolist(), src.tolist(), days.tolist(), strict=True)
            ]
            vecs = vectors[src] + rng.normal(0, 0.02, (len(n), vectors.shape[1]))
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            writer.add(rows, vecs.astype(np.float32), [tokens[s] for s in src.tolist()])
        segments.append(writer.finish())
    Manifest(str(store.metadata["version"]), tuple(segments), None).write(folder)
    return serve_in_new_process(data, queries, n_queries)


def table(articles: Path, queries: Path, sizes: list[int], n_queries: int) -> None:
    """A row per size: the first answer of a process started after the collection grew to it,
    and that process's latency and memory."""
    print(f"{'chunks':>9} {'first s':>8} {'p50 ms':>7} {'p95 ms':>7} {'RSS MB':>7} {'disk MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        for size in sorted(sizes):
            grow(data, articles, size)
            row = serve_in_new_process(data, queries, n_queries)
            disk = sum(f.stat().st_size for f in data.rglob("*") if f.is_file()) / 2**20
            print(
                f"{size:>9} {row['first_answer_s']:>8.1f} {row['p50_ms']:>7.1f} "
                f"{row['p95_ms']:>7.1f} {row['rss_mb']:>7.0f} {disk:>8.0f}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("table")
    p.add_argument("articles", type=Path)
    p.add_argument("queries", type=Path)
    p.add_argument("--sizes", type=int, nargs="+", default=[20000, 100000])
    p.add_argument("--queries", dest="n_queries", type=int, default=50)
    p = commands.add_parser("grow")
    p.add_argument("data", type=Path)
    p.add_argument("articles", type=Path)
    p.add_argument("--size", type=int, required=True)
    p = commands.add_parser("change")
    p.add_argument("data", type=Path)
    p.add_argument("--files", type=int, default=10)
    p.add_argument("--salt", type=int, default=1)
    p.add_argument("--leave-catalog", action="store_true", help="as an indexer elsewhere would")
    p = commands.add_parser("serve")
    p.add_argument("data", type=Path)
    p.add_argument("queries", type=Path)
    p.add_argument("--queries", dest="n_queries", type=int, default=50)
    p = commands.add_parser("big")
    p.add_argument("articles", type=Path)
    p.add_argument("queries", type=Path)
    p.add_argument("--size", type=int, default=2_000_000)
    p.add_argument("--queries", dest="n_queries", type=int, default=50)
    p.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "table":
        table(args.articles, args.queries, args.sizes, args.n_queries)
    elif args.command == "grow":
        grow(args.data, args.articles, args.size)
    elif args.command == "change":
        took = change(args.data, args.files, args.salt, catalog=not args.leave_catalog)
        print(f"re-indexed {args.files} files in {took:.1f} s")
    elif args.command == "serve":
        print(json.dumps(serve(args.data, args.queries, args.n_queries)), flush=True)
    else:
        print(json.dumps(big(args.articles, args.queries, args.size, args.n_queries, args.data)))


if __name__ == "__main__":
    main()
