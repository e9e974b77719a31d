"""Indexing time per article for each format, and how cleanly web pages give their article text.

    PYTHONPATH=. python benchmarks/formats.py --eval-dir realtimeqa    # 30 of its articles in each format
    PYTHONPATH=. python benchmarks/formats.py --eval-dir realtimeqa --articles 60 --repeat 2

Timing: the same articles (realtimeqa's, from the folder --eval-dir names: articles/ and
articles.jsonl, a line per article with its `file` and `chars`) are written as .txt files, web
pages in the test pages' three layouts (with their navigation, cookie banner, related links and
comments), one RSS and one Atom feed with full content, one JSON Lines export, one PDF and one .docx
each. Each folder is indexed into a fresh data dir with the local embedding model, which is loaded
once beforehand, after one untimed warm-up run; with --repeat, the formats take turns and each
keeps its fastest run. "read" is the format's reader alone (the real SourceReader, nothing
stored); "index" is the whole run (read, chunk, embed, store, snapshot). "title, date" counts the
articles stored with the title and date they were written with.

Extraction quality: each test story (tests/support/news_pages.py), and each of the articles above,
as a page in each layout, read by trafilatura as `newsbot index` reads it. "kept" is the share of
the article's sentences found whole in the extracted text; "leaked" the share of the boilerplate
sentences on the pages that turned up in it. trafilatura with its default settings (newsbot asks
it to favour precision) is measured beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.factory import build_embedder, build_indexer, build_store
from bot.settings import Settings
from index.errors import ArticleError
from index.language.sentences import sentence_spans
from index.reading.articles import READABLE_SUFFIXES, find_articles
from index.reading.readers.html_page import decode_page, read_html
from index.reading.sources import Failed
from tests.support.documents import docx_bytes, pdf_bytes
from tests.support.news_pages import (
    BOILERPLATE,
    LATE_STORY,
    MORE_STORIES,
    STORIES,
    Story,
    atom_feed,
    export_record,
    news_page,
    rss_feed,
)

LAYOUTS = (0, 1, 2)
_SOURCE_LINE = re.compile(r"^Published: (\d{4}-\d{2}-\d{2})")


def load_stories(eval_dir: Path, n: int) -> list[Story]:
    """The first `n` realtimeqa articles of at least 1,500 characters that a PDF's WinAnsi text can
    hold (so that every format carries the same words)."""
    stories: list[Story] = []
    for line in (eval_dir / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text = (eval_dir / "articles" / row["file"]).read_text(encoding="utf-8")
        lines = text.split("\n")
        found = _SOURCE_LINE.match(lines[1]) if len(lines) > 1 else None
        if not found or row["chars"] < 1500:
            continue
        paragraphs = tuple(
            p for p in (" ".join(b.split()) for b in "\n".join(lines[2:]).split("\n\n")) if p
        )
        title = " ".join(lines[0].split())
        try:
            "\n".join([title, *paragraphs]).encode("cp1252")
        except UnicodeEncodeError:
            continue
        slug = row["file"].removesuffix(".txt")
        stories.append(
            Story(slug, title, date.fromisoformat(found.group(1)), "Staff", paragraphs, "", "")
        )
        if len(stories) == n:
            break
    return stories


def write_format(fmt: str, stories: list[Story], folder: Path) -> None:
    folder.mkdir(parents=True)
    if fmt == "txt":
        for s in stories:
            body = "\n\n".join(s.paragraphs)
            (folder / f"{s.slug}.txt").write_text(
                f"{s.title}\n\nPublished: {s.published}\n\n{body}\n", encoding="utf-8"
            )
    elif fmt == "html":
        for i, s in enumerate(stories):
            (folder / f"{s.slug}.html").write_text(news_page(s, i % 3), encoding="utf-8")
    elif fmt == "rss":
        (folder / "feed.rss").write_text(rss_feed(stories, full=True), encoding="utf-8")
    elif fmt == "atom":
        (folder / "feed.atom").write_text(atom_feed(stories, full=True), encoding="utf-8")
    elif fmt == "jsonl":
        lines = [json.dumps(export_record(s)) for s in stories]
        (folder / "export.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif fmt == "pdf":
        for s in stories:
            (folder / f"{s.slug}.pdf").write_bytes(pdf_bytes(s))
    elif fmt == "docx":
        for s in stories:
            (folder / f"{s.slug}.docx").write_bytes(docx_bytes(s))


class _Nothing:
    """A collection that holds nothing: every source is read in full."""

    def has_article(self, name: str) -> bool:
        return False

    def has_source(self, root: str, source: str) -> bool:
        return False


@dataclass
class Timing:
    fmt: str
    articles: int
    read_s: float
    index_s: float
    chunks: int
    right: int  # stored with the title and date written


def time_format(fmt: str, stories: list[Story], work: Path, embedder: Any) -> Timing:
    folder, data = work / fmt / "articles", work / fmt / "data"
    write_format(fmt, stories, folder)
    settings = Settings(_env_file=None, data_dir=data)
    indexer = build_indexer(settings, embedder)
    files = list(find_articles(folder, READABLE_SUFFIXES))
    started = time.perf_counter()
    items = [item for f in files for item in indexer.reader.file(f, _Nothing())]
    read_s = time.perf_counter() - started
    failed = [i for i in items if isinstance(i, Failed)]
    assert not failed, failed
    indexer.reader.state.clear()
    started = time.perf_counter()
    summary = indexer.run([folder])
    index_s = time.perf_counter() - started
    assert summary.added == len(stories) and not summary.skipped, summary
    got = build_store(settings, embedder).collection.get(include=["metadatas"])
    written = {(s.title, s.published.isoformat()) for s in stories}
    firsts = [m for m in got["metadatas"] if m["chunk"] == 0]
    right = sum((m["title"], m["date"]) in written for m in firsts)
    return Timing(fmt, len(stories), read_s, index_s, summary.chunks_written, right)


def _flat(text: str) -> str:
    return " ".join(text.split())


def sentences(paragraphs: Iterable[str]) -> list[str]:
    """The sentences of an article, as the chunker cuts them."""
    return [_flat(p[a:b]) for p in paragraphs for a, b in sentence_spans(p)]


@dataclass
class Quality:
    pages: int = 0
    sentences: int = 0
    kept: int = 0
    boilerplate: int = 0  # boilerplate sentences on the pages
    leaked: int = 0
    failed: int = 0  # pages with no article found


def page_text(page: str) -> str:
    from lxml import html as lxml_html

    return _flat(str(lxml_html.fromstring(page).text_content()))


def newsbot_text(page: str) -> str | None:
    """The article text `newsbot index` takes from a page, or None when it finds none."""
    try:
        return " ".join(read_html(decode_page(page.encode("utf-8"))).paragraphs)
    except ArticleError:
        return None


def trafilatura_default_text(page: str) -> str | None:
    """What trafilatura gives with its defaults (no favor_precision), for comparison."""
    import trafilatura

    text: str | None = trafilatura.extract(page, include_comments=False)
    return text


def measure_extraction(stories: list[Story], extract: Callable[[str], str | None]) -> Quality:
    """Article sentences kept and boilerplate sentences leaked, over every story in every layout."""
    quality = Quality()
    for story in stories:
        wanted = sentences(story.paragraphs)
        for layout in LAYOUTS:
            page = news_page(story, layout)
            quality.pages += 1
            on_page = [b for b in BOILERPLATE if _flat(b) in page_text(page)]
            quality.sentences += len(wanted)
            quality.boilerplate += len(on_page)
            text = extract(page)
            if text is None:
                quality.failed += 1
                continue
            got = _flat(text)
            quality.kept += sum(s in got for s in wanted)
            quality.leaked += sum(_flat(b) in got for b in on_page)
    return quality


def _report(label: str, q: Quality) -> str:
    return (
        f"{label:<34} {q.pages:5d} pages  kept {q.kept}/{q.sentences} article sentences "
        f"({q.kept / q.sentences:.1%})  leaked {q.leaked}/{q.boilerplate} boilerplate sentences "
        f"({q.leaked / q.boilerplate:.1%})  no article found: {q.failed}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=30, help="articles per format")
    parser.add_argument("--repeat", type=int, default=1, help="runs per format, the fastest kept")
    parser.add_argument("--eval-dir", type=Path, required=True, help="the RealTime QA set's folder")
    parser.add_argument(
        "--formats", default="txt,html,rss,atom,jsonl,pdf,docx", help="comma-separated"
    )
    args = parser.parse_args(argv)
    stories = load_stories(args.eval_dir, args.articles)
    words = sum(len(" ".join(s.paragraphs).split()) for s in stories)
    print(f"{len(stories)} realtimeqa articles, {words / len(stories):.0f} words each on average")

    embedder = build_embedder(Settings(_env_file=None))
    formats = args.formats.split(",")
    best: dict[str, Timing] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # Chroma's first collection in a process costs more than the next: that is not a format's.
        time_format("txt", stories[:2], Path(tmp) / "warm-up", embedder)
        for run in range(args.repeat):
            for fmt in formats:
                t = time_format(fmt, stories, Path(tmp) / str(run), embedder)
                if fmt not in best or t.index_s < best[fmt].index_s:
                    best[fmt] = t
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} at the end")
    print(
        f"{'format':<7} {'read ms/article':>16} {'index ms/article':>17} {'chunks':>7}  title, date"
    )
    for fmt in formats:
        t = best[fmt]
        print(
            f"{t.fmt:<7} {1000 * t.read_s / t.articles:16.1f} "
            f"{1000 * t.index_s / t.articles:17.1f} {t.chunks:7d}  {t.right}/{t.articles}"
        )

    tests = [*STORIES, *MORE_STORIES, LATE_STORY]
    for label, extract in (
        ("newsbot", newsbot_text),
        ("trafilatura's defaults", trafilatura_default_text),
    ):
        print(f"{label}:")
        print(_report("  the test stories' pages", measure_extraction(tests, extract)))
        print(_report("  realtimeqa articles as pages", measure_extraction(stories, extract)))


if __name__ == "__main__":
    main()
