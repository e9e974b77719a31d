"""How often a model's citations check out: RealTime QA dev questions through the generated path.

Run by hand, not by the tests. It starts the llama.cpp server with SmolLM2 (or uses --base-url),
indexes the articles into their own data dir (once; later runs reuse it), asks each question as of
its `question_date`, and reports per answer:
- citations all verify: the model cited every claim, and every marker pointed at an existing
  source that backs the sentence;
- at least one unsupported sentence removed by the checker;
- the final mode (generated, extractive fallback, refusal) and the latency.

    PYTHONPATH=. python benchmarks/llm_citations.py --eval-dir realtimeqa --limit 30 --distractors 120 --out /tmp/llm_citations.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bot.answering.checker.check import CitationChecker
from bot.answering.llm import ChatModel, ModelConfig
from bot.answering.prompts import answer_messages, source_views
from bot.errors import ModelError
from bot.factory import build_embedder, build_indexer, build_retriever
from bot.settings import Settings
from tests.support.llm_server import LlamaServer, llama_server_missing, smollm2_gguf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--eval-dir",
        type=Path,
        required=True,
        help="the RealTime QA set's folder (articles/, queries.dev.jsonl)",
    )
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "rtqa-llm")
    parser.add_argument("--limit", type=int, default=0, help="first N dev questions (0: all)")
    parser.add_argument("--k", type=int, default=4, help="passages per question")
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--base-url", default=None, help="an OpenAI-compatible server to use")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--out", type=Path, default=None, help="write per-question rows here")
    parser.add_argument(
        "--distractors",
        type=int,
        default=None,
        help="index only the questions' evidence files and this many other articles (a quicker "
        "run on a small machine; retrieval is then easier than over the whole set)",
    )
    args = parser.parse_args()

    queries = [
        json.loads(line)
        for line in (args.eval_dir / "queries.dev.jsonl").read_text().splitlines()
        if line.strip()
    ]
    if args.limit:
        queries = queries[: args.limit]

    settings = Settings(data_dir=args.data_dir, top_k=args.k)
    embedder = build_embedder(settings)
    if not (args.data_dir / "chroma").exists():
        articles = args.eval_dir / "articles"
        if args.distractors is not None:
            articles = subset_folder(articles, queries, args.distractors, args.data_dir)
        print(f"indexing {articles} into {args.data_dir} ...", file=sys.stderr)
        print(build_indexer(settings, embedder).run([articles]).line(), file=sys.stderr)
    retriever = build_retriever(settings, embedder)
    checker = CitationChecker(embedder)

    server = None
    base_url = args.base_url
    if base_url is None:
        if reason := llama_server_missing():
            sys.exit(reason)
        model_file = smollm2_gguf()
        assert model_file is not None
        server = LlamaServer(model_file, Path(tempfile.gettempdir()) / "llm_citations_server.log")
        server.start()
        base_url = server.base_url
    model = ChatModel(
        ModelConfig(
            args.model, base_url=base_url, temperature=0.0, max_tokens=args.max_tokens, timeout=300
        )
    )
    rows: list[dict[str, Any]] = []
    try:
        for i, q in enumerate(queries, start=1):
            rows.append(ask(q, retriever, model, checker, args.k))
            r = rows[-1]
            print(
                f"{i:>3}/{len(queries)} {r['latency_s']:6.1f}s {r['outcome']:<22} "
                f"{r['supported']}/{r['sentences']} {q['question'][:60]}",
                file=sys.stderr,
            )
    finally:
        if server is not None:
            server.stop()
    summary = summarise(rows)
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))


def subset_folder(
    articles: Path, queries: list[dict[str, Any]], distractors: int, data_dir: Path
) -> Path:
    """A folder of links to the evidence files and the first `distractors` other articles."""
    evidence = {name for q in queries for name in q["evidence_files"]}
    others = sorted(p.name for p in articles.glob("*.txt") if p.name not in evidence)
    folder = data_dir.parent / f"{data_dir.name}-articles"
    folder.mkdir(parents=True, exist_ok=True)
    for name in sorted(evidence) + others[:distractors]:
        link = folder / name
        if not link.exists():
            link.symlink_to(articles / name)
    return folder


def ask(
    q: dict[str, Any], retriever: Any, model: ChatModel, checker: CitationChecker, k: int
) -> dict[str, Any]:
    started = time.perf_counter()
    as_of = date.fromisoformat(q["question_date"])
    passages = retriever.search(q["question"], k=k, as_of=as_of)
    sources = source_views(passages)
    row: dict[str, Any] = {"id": q["id"], "question": q["question"]}
    try:
        raw = model.complete(answer_messages(q["question"], sources))
    except ModelError as exc:
        row.update(outcome="model error", error=str(exc), sentences=0, supported=0)
        row["latency_s"] = round(time.perf_counter() - started, 2)
        return row
    result = checker.check(raw, sources)
    v = result.verification
    markers = [s for s in result.sentences if s.cited or s.invented]
    if result.refused:
        outcome = "refusal"
    elif v.supported == 0:
        outcome = "extractive fallback"
    else:
        outcome = "generated"
    row.update(
        outcome=outcome,
        raw=raw,
        shown=result.text,
        sentences=v.sentences,
        supported=v.supported,
        removed=result.removed,
        all_citations_verified=result.all_citations_verified,
        used_markers=bool(markers),
        invented_markers=sum(len(s.invented) for s in result.sentences),
        attributed=sum(s.attributed for s in result.sentences),
        cites_evidence=any(c.file in q["evidence_files"] for c in result.citations),
        latency_s=round(time.perf_counter() - started, 2),
    )
    return row


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)

    def share(key: str) -> float:
        return round(sum(bool(r.get(key)) for r in rows) / n, 3) if n else 0.0

    outcomes: dict[str, int] = {}
    for r in rows:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    claims = sum(r["sentences"] for r in rows)
    return {
        "questions": n,
        "all_citations_verified": share("all_citations_verified"),
        "at_least_one_sentence_removed": round(sum(r.get("removed", 0) > 0 for r in rows) / n, 3)
        if n
        else 0.0,
        "answers_with_markers": share("used_markers"),
        "invented_markers": sum(r.get("invented_markers", 0) for r in rows),
        "claims": claims,
        "claims_supported": round(sum(r["supported"] for r in rows) / claims, 3) if claims else 0.0,
        "claims_attributed": sum(r.get("attributed", 0) for r in rows),
        "cites_evidence_file": share("cites_evidence"),
        "outcomes": outcomes,
        "mean_latency_s": round(statistics.mean(r["latency_s"] for r in rows), 2) if n else 0.0,
    }


if __name__ == "__main__":
    main()
