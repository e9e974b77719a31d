"""newsbot's retrieval next to the plain LlamaIndex default pipeline, in one process, same data and model.

    python benchmarks/retrieval_vs_llamaindex.py QUERIES.jsonl ARTICLES_DIR [--as-of-field question_date]

LlamaIndex's side is its documented default: SimpleDirectoryReader, VectorStoreIndex (in memory) with
the default SentenceSplitter, top-10 similarity retrieval, and the same all-MiniLM-L6-v2 embedder
wrapped as a LlamaIndex BaseEmbedding. newsbot's side indexes into a temporary data dir (or reuses
--newsbot-data) and searches with its defaults. Both are scored like `newsbot eval`: hit@1 and
MRR@10 over distinct source files. Peak memory is the growth of the process's peak RSS during each
side's indexing and querying, measured newsbot first (so LlamaIndex's figure is an upper bound
when it fits within newsbot's peak; it is printed as measured).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from timing import p50, p95

from bot.evaluation import EvalQuery, QueryResult, distinct_files, load_queries, score
from bot.settings import Settings
from index.embedding import MiniLMEmbedder


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def llamaindex_embedding(embedder: MiniLMEmbedder) -> Any:
    from llama_index.core.embeddings import BaseEmbedding

    class MiniLM(BaseEmbedding):  # type: ignore[misc]
        """newsbot's ONNX all-MiniLM-L6-v2, as LlamaIndex sees an embedding model."""

        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in embedder.embed([query])[0]]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return [float(x) for x in embedder.embed([text])[0]]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in row] for row in embedder.embed(texts)]

    return MiniLM(model_name=embedder.name, embed_batch_size=64)


def timed_queries(run: Any, queries: list[EvalQuery]) -> tuple[list[QueryResult], list[float]]:
    results, times = [], []
    run(queries[0])  # warm-up, not counted
    for q in queries:
        t = time.perf_counter()
        files = run(q)
        times.append((time.perf_counter() - t) * 1000)
        results.append(QueryResult(q, files, "", (), False))
    return results, times


def newsbot_side(
    articles: Path, queries: list[EvalQuery], embedder: MiniLMEmbedder, data: Path
) -> dict[str, float]:
    from bot.factory import build_indexer, build_retriever

    settings = Settings(data_dir=data, collection="bench")
    before = peak_mb()
    t = time.perf_counter()
    summary = build_indexer(settings, embedder).run([articles])
    retriever = build_retriever(settings, embedder)
    _ = retriever.catalog  # the BM25 index is part of indexing
    index_s = time.perf_counter() - t if summary.chunks_written else float("nan")

    def run(q: EvalQuery) -> tuple[str, ...]:
        passages = retriever.search(q.question, k=30, as_of=q.as_of)
        return distinct_files(f for p in passages for f in p.files)

    results, times = timed_queries(run, queries)
    report = score(results, {r.file for r in retriever.catalog.records})
    return figures(report, index_s, times, peak_mb() - before)


def llamaindex_side(
    articles: Path, queries: list[EvalQuery], embedder: MiniLMEmbedder
) -> dict[str, float]:
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex

    LlamaSettings.embed_model = llamaindex_embedding(embedder)
    before = peak_mb()
    t = time.perf_counter()
    documents = SimpleDirectoryReader(str(articles)).load_data()
    index = VectorStoreIndex.from_documents(documents)
    index_s = time.perf_counter() - t
    retriever = index.as_retriever(similarity_top_k=30)

    def run(q: EvalQuery) -> tuple[str, ...]:
        nodes = retriever.retrieve(q.question)
        return distinct_files(str(n.node.metadata.get("file_name", "")) for n in nodes)

    results, times = timed_queries(run, queries)
    report = score(results, {str(d.metadata.get("file_name")) for d in documents})
    return figures(report, index_s, times, peak_mb() - before)


def figures(report: Any, index_s: float, times: list[float], mem: float) -> dict[str, float]:
    return {
        "hit@1": report.hit[1],
        "MRR@10": report.mrr10,
        "index s": index_s,
        "query p50 ms": p50(times),
        "query p95 ms": p95(times),
        "peak MB (growth)": mem,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queries", type=Path)
    parser.add_argument("articles", type=Path)
    parser.add_argument("--as-of-field", default=None)
    parser.add_argument("--newsbot-data", type=Path, default=None, help="reuse this data dir")
    args = parser.parse_args()
    queries = load_queries(args.queries, args.as_of_field)
    embedder = MiniLMEmbedder(Settings().model_cache_dir)
    with tempfile.TemporaryDirectory() as tmp:
        ours = newsbot_side(args.articles, queries, embedder, args.newsbot_data or Path(tmp))
    # LlamaIndex's retriever has no date filter: its questions are asked without one.
    plain = [EvalQuery(q.id, q.question, q.evidence, q.answers, None) for q in queries]
    theirs = llamaindex_side(args.articles, plain, embedder)
    print(f"{len(queries)} questions, as-of field: {args.as_of_field or 'none'}")
    print(f"{'':18} {'newsbot':>10} {'LlamaIndex':>11} {'ratio':>7}")
    for key in ours:
        a, b = ours[key], theirs[key]
        ratio = a / b if b else float("nan")
        print(f"{key:18} {a:10.3f} {b:11.3f} {ratio:7.2f}")


if __name__ == "__main__":
    main()
