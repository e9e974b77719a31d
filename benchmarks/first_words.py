"""Time to the first visible words of a generated answer, now that only checked sentences stream.

    PYTHONPATH=. python benchmarks/first_words.py [--questions 5] [--max-tokens 96]

Runs the real llama.cpp server with SmolLM2 (tests/support/llm_server.py) over the seed articles
and, for each question, times from the call to:
- the model's first piece of text (what used to be shown first, unchecked);
- the first checked sentence `NewsService.stream()` yields (what is shown first now);
- the final, checked answer;
- and, for comparison, the extractive answer alone (the other design: show it first, replace it).
Prints the median of each in milliseconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.factory import build_service
from bot.results import Answer
from bot.settings import Settings
from tests.support.llm_server import LlamaServer, llama_server_missing, smollm2_gguf

ROOT = Path(__file__).resolve().parents[1]

QUESTIONS = [
    "Which agreement did the two countries renew?",
    "Where did the defence ministers meet?",
    "Which rocket systems were fired in the Straits of Malacca?",
    "How many Malaysian officials train in the US?",
    "What did the United States and Malaysia sign?",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=96)
    args = parser.parse_args()
    if reason := llama_server_missing():
        sys.exit(reason)
    work = Path(tempfile.mkdtemp())
    try:
        data = work / "data"
        subprocess.run(
            [sys.executable, "-m", "bot", "index", str(ROOT / "seeds")],
            env={"NEWSBOT_DATA_DIR": str(data), "PATH": "/usr/bin:/bin"},
            check=True,
            capture_output=True,
        )
        model = smollm2_gguf()
        assert model is not None
        server = LlamaServer(model, work / "server.log")
        server.start()
        try:
            settings = Settings(
                _env_file=None,
                data_dir=data,
                openai_base_url=server.base_url,
                llm_model="smollm2",
                llm_max_tokens=args.max_tokens,
                llm_temperature=0.0,
                llm_timeout=300,
                top_k=2,
            )
            run(settings, QUESTIONS[: args.questions])
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(settings: Settings, questions: list[str]) -> None:
    service = build_service(settings)
    assert service.generator is not None
    service.answer(questions[0])  # warm: model loaded, embedder and WordNet ready
    raw_first: list[float] = []
    checked_first: list[float] = []
    final: list[float] = []
    extractive: list[float] = []
    delays: list[float] = []  # first checked sentence after the model's first piece, same answer
    model = service.generator.model
    real_stream = model.stream
    seen: list[float] = []

    def timed_stream(messages: object) -> object:
        # The model's first piece, timed inside the same call (a second call would find the
        # prompt in llama.cpp's cache and start sooner).
        for i, piece in enumerate(real_stream(messages)):  # type: ignore[arg-type]
            if i == 0:
                seen.append(time.perf_counter())
            yield piece

    model.stream = timed_stream  # type: ignore[method-assign,assignment]
    for question in questions:
        seen.clear()
        start = time.perf_counter()
        first = None
        for item in service.stream(question):
            if isinstance(item, Answer):
                final.append(time.perf_counter() - start)
            elif first is None:
                first = time.perf_counter() - start
        if seen:
            raw_first.append(seen[0] - start)
        if first is not None:
            checked_first.append(first)
            if seen:
                delays.append(first - (seen[0] - start))
        passages = service.search(question)
        start = time.perf_counter()
        service.extractive.answer(question, passages)
        extractive.append(time.perf_counter() - start)
    shown = len(checked_first)

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.0f} ms" if values else "n/a"

    print(f"{len(questions)} questions, SmolLM2-135M on llama.cpp, top_k 2")
    print(f"  model's first raw piece (unchecked, shown before): {ms(raw_first)}")
    print(f"  first checked sentence (shown now; {shown} answers had one): {ms(checked_first)}")
    print(f"  first checked sentence after the model's first piece, same answer: {ms(delays)}")
    print(f"  final checked answer: {ms(final)}")
    print(f"  extractive answer alone: {ms(extractive)}")


if __name__ == "__main__":
    main()
