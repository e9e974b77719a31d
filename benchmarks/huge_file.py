"""How long a huge article file takes: skipping it, reading and chunking it, embedding it.

    python benchmarks/huge_file.py            # 32 MB over the limit, and a file at the limit

Prints one line per step with wall time and the peak memory of this process, and the projected
time to embed the whole file (embedding is what makes a big file slow: about 1,100 chunks per MB).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from bot.settings import Settings
from index.chunking import Chunker
from index.embedding import MiniLMEmbedder
from index.errors import ArticleError
from index.reading.articles import MAX_ARTICLE_BYTES, ArticleFile, read_article

SENTENCE = "The council met again on Monday and discussed the budget for the harbour works. "


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_text_file(path: Path, size: int, encoding: str = "utf-8") -> None:
    block = (SENTENCE * 12 + "\n\n").encode(encoding)
    with path.open("wb") as f:
        while f.tell() < size:
            f.write(block)


def step(label: str, start: float, extra: str = "") -> None:
    print(f"{label:<38} {time.perf_counter() - start:8.2f} s   peak {peak_mb():7.0f} MB  {extra}")


def main() -> None:
    embedder = MiniLMEmbedder(Settings().model_cache_dir)
    chunker = Chunker(embedder.count_tokens, 200, 32)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        huge = root / "huge.txt"
        write_text_file(huge, 32 * 1024 * 1024)
        t = time.perf_counter()
        try:
            read_article(ArticleFile(huge, root, "huge.txt"))
        except ArticleError as exc:
            step("32 MB file: skipped", t, f"({exc})")

        for label, encoding in (("utf-8", "utf-8"), ("cp1252", "cp1252")):
            at_limit = root / f"limit-{label}.txt"
            write_text_file(at_limit, MAX_ARTICLE_BYTES - 64 * 1024, encoding)
            t = time.perf_counter()
            article = read_article(ArticleFile(at_limit, root, at_limit.name))
            step(f"{MAX_ARTICLE_BYTES >> 20} MB file ({label}): read and decode", t)
        t = time.perf_counter()
        chunks = chunker.split(article.text)
        step(f"{MAX_ARTICLE_BYTES >> 20} MB file: chunk", t, f"({len(chunks)} chunks)")

        sample = [c.text for c in chunks[:256]]
        t = time.perf_counter()
        embedder.embed(sample)
        per_chunk = (time.perf_counter() - t) / len(sample)
        step("embed 256 chunks", t, f"({1 / per_chunk:.0f} chunks/s)")
        per_mb = len(chunks) / (len(article.text) / 2**20)
        for mb in (1, MAX_ARTICLE_BYTES >> 20, 32):
            print(
                f"projected embedding time for {mb:>2} MB: {mb * per_mb * per_chunk / 60:6.1f} min"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
