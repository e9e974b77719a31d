"""Folders as newsrooms have them: web pages, feeds, CMS exports, PDF press releases and Word drafts
beside .txt files, read by the real trafilatura, feedparser, pypdf and python-docx."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.factory import build_indexer
from bot.service import NewsService
from bot.settings import Settings
from index.embedding import MiniLMEmbedder
from tests.conftest import SEED_A, SEEDS, invoke_newsbot
from tests.support.documents import docx_bytes, pdf_bytes
from tests.support.news_pages import (
    BOILERPLATE,
    LATE_STORY,
    MORE_STORIES,
    STORIES,
    Story,
    atom_feed,
    cookie_wall,
    export_record,
    index_page,
    news_page,
    rss_feed,
)

HARBOUR, FERRY, MARKET = STORIES
BRIDGE, SCHOOL, WATER, MUSEUM = MORE_STORIES
BROKEN_FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>Half'
SITEMAP = (
    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    "<url><loc>https://courier.example/</loc></url></urlset>"
)


def _cp1252_page(story: Story) -> bytes:
    """A page in Windows-1252 that declares no charset anywhere."""
    page = news_page(story, layout=1).replace('<meta charset="utf-8">', "")
    return page.encode("cp1252")


def build_folder(folder: Path) -> dict[str, str]:
    """Articles in every format, good and bad; returns {name: reason} for the bad ones."""
    (folder / "pages").mkdir(parents=True)
    (folder / "feeds").mkdir()
    (folder / "exports").mkdir()
    (folder / "releases").mkdir()
    shutil.copy(SEEDS / SEED_A, folder / SEED_A)
    (folder / "pages" / "harbour.html").write_text(news_page(HARBOUR, 0), encoding="utf-8")
    (folder / "pages" / "ferry.htm").write_bytes(_cp1252_page(FERRY))
    (folder / "feeds" / "courier.rss").write_text(rss_feed([MARKET], full=True))
    (folder / "feeds" / "wire.atom").write_text(atom_feed([LATE_STORY], full=True))
    records = [export_record(BRIDGE), export_record(SCHOOL, html_body=True)]
    lines = [json.dumps(r) for r in records] + ['{"id": "cms-broken", "headline": ']
    (folder / "exports" / "cms.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "releases" / "water.pdf").write_bytes(pdf_bytes(WATER))
    (folder / "releases" / "museum.docx").write_bytes(docx_bytes(MUSEUM))
    # Bad input, each to be named with its reason.
    (folder / "pages" / "cookie.html").write_text(cookie_wall())
    (folder / "pages" / "front.html").write_text(index_page())
    (folder / "pages" / "broken.html").write_text('{"error": "not found"}')
    (folder / "releases" / "scan.pdf").write_bytes(pdf_bytes(None, image_only=True))
    (folder / "releases" / "corrupt.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "feeds" / "broken.xml").write_text(BROKEN_FEED)
    (folder / "feeds" / "sitemap.xml").write_text(SITEMAP)
    return {
        "pages/cookie.html": "no article text: a cookie or consent wall",
        "pages/front.html": "no article text: an index page",
        "pages/broken.html": "malformed page",
        "releases/scan.pdf": "no text layer",
        "releases/corrupt.docx": "not a readable Word document",
        "feeds/broken.xml": "malformed feed",
        "feeds/sitemap.xml": "not an RSS or Atom feed",
        "exports/cms.jsonl#line 3": "not JSON",
    }


# Each good article: its name in citations, and what its metadata must give.
EXPECTED: dict[str, dict[str, Any]] = {
    "pages/harbour.html": {"story": HARBOUR, "url": HARBOUR.url(), "author": HARBOUR.author},
    "pages/ferry.htm": {"story": FERRY, "url": FERRY.url(), "author": FERRY.author},
    "feeds/courier.rss#cc-market-roof-vote": {
        "story": MARKET,
        "url": MARKET.url(),
        "author": MARKET.author,
        "language": "en-gb",
    },
    f"feeds/wire.atom#urn:courier:{LATE_STORY.slug}": {
        "story": LATE_STORY,
        "url": LATE_STORY.url(),
        "author": LATE_STORY.author,
        "language": "en",
    },
    f"exports/cms.jsonl#cms-{BRIDGE.slug}": {
        "story": BRIDGE,
        "url": BRIDGE.url(),
        "author": BRIDGE.author,
        "language": "en",
    },
    f"exports/cms.jsonl#cms-{SCHOOL.slug}": {"story": SCHOOL, "url": SCHOOL.url()},
    "releases/water.pdf": {"story": WATER, "author": "Port Elin Press Office", "language": "en-GB"},
    "releases/museum.docx": {"story": MUSEUM, "author": MUSEUM.author, "language": "en-GB"},
}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str], str]:
    root = tmp_path_factory.mktemp("formats")
    folder, data = root / "articles", root / "data"
    bad = build_folder(folder)
    done = invoke_newsbot("index", str(folder), data_dir=data)
    assert done.returncode == 0, done.stderr
    return folder, data, bad, done.stdout


@pytest.fixture(scope="module")
def service(
    indexed: tuple[Path, Path, dict[str, str], str], embedder: MiniLMEmbedder
) -> NewsService:
    from bot.answering.extractive import ExtractiveAnswerer
    from bot.factory import build_retriever

    retriever = build_retriever(Settings(data_dir=indexed[1]), embedder)
    return NewsService(retriever, ExtractiveAnswerer(embedder))


def first_chunks(data: Path, embedder: MiniLMEmbedder) -> dict[str, dict[str, Any]]:
    """The metadata of each stored article's first chunk, by name."""
    from bot.factory import build_store

    got = build_store(Settings(data_dir=data), embedder).collection.get(include=["metadatas"])
    return {m["file"]: m for m in got["metadatas"] if m["chunk"] == 0}


def all_chunks(data: Path, embedder: MiniLMEmbedder) -> list[tuple[str, dict[str, Any]]]:
    from bot.factory import build_store

    got = build_store(Settings(data_dir=data), embedder).collection.get(
        include=["documents", "metadatas"]
    )
    return list(zip(got["documents"], got["metadatas"], strict=True))


def test_each_format_is_indexed_with_title_date_and_url_from_its_metadata(
    indexed, embedder
) -> None:
    _, data, _, out = indexed
    stored = first_chunks(data, embedder)
    assert set(stored) == {*EXPECTED, SEED_A}, out
    for name, want in EXPECTED.items():
        meta, story = stored[name], want["story"]
        assert meta["title"] == story.title, name
        assert meta["date"] == story.published.isoformat(), name
        for key in ("url", "author", "language"):
            if key in want:
                assert meta.get(key) == want[key], (name, key)
    # The .txt article is stored as before: no snapshot, no source, no URL.
    assert not {"snapshot", "url", "source"} & set(stored[SEED_A])
    assert out.startswith(f"{len(EXPECTED) + 1} added, 0 updated, 0 unchanged, 0 removed")


def test_every_chunk_is_the_text_of_its_snapshot_at_its_offsets(indexed, embedder) -> None:
    folder, data, _, _ = indexed
    snapshots = set()
    for text, meta in all_chunks(data, embedder):
        if meta["file"] == SEED_A:
            source = (folder / SEED_A).read_text(encoding="utf-8")
        else:
            snapshots.add(meta["snapshot"])
            source = Path(meta["snapshot"]).read_text(encoding="utf-8")
            assert Path(meta["snapshot"]).is_relative_to(data)
        assert source[meta["start"] : meta["end"]] == text
    assert len(snapshots) == len(EXPECTED)


def test_bad_input_is_named_with_its_reason_and_the_rest_is_indexed(indexed) -> None:
    _, _, bad, out = indexed
    skipped = dict(re.findall(r"^  skipped (.+?): (.+)$", out, flags=re.M))
    assert set(skipped) == set(bad), out
    for name, reason in bad.items():
        assert skipped[name].startswith(reason), (name, skipped[name])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_answers_quote_the_article_body_and_carry_its_link(service, name: str) -> None:
    want = EXPECTED[name]
    story: Story = want["story"]
    answer = service.answer(story.question)
    assert not answer.refused, answer.text
    cited = answer.citations[0]
    assert cited.file == name
    assert story.answer in cited.quote
    # The quote is the article's words (its title or body), never the page's boilerplate.
    assert any(cited.quote in s or s in cited.quote for s in [*story.sentences, story.title])
    assert not any(b in cited.quote or cited.quote in b for b in BOILERPLATE)
    assert cited.snapshot is not None
    assert Path(cited.snapshot).read_text(encoding="utf-8")[cited.start : cited.end] == cited.quote
    assert cited.url == want.get("url")
    data = answer.to_json()["citations"][0]
    assert data["snapshot"] == cited.snapshot and data.get("url") == want.get("url")
    assert list(data)[:9] == [
        "n",
        "file",
        "title",
        "date",
        "quote",
        "start",
        "end",
        "score",
        "also_in",
    ]


def test_a_page_in_windows_1252_without_a_charset_is_decoded(service) -> None:
    answer = service.answer(FERRY.question)
    assert "Vardø shipyard" in answer.citations[0].quote


def test_a_second_run_embeds_nothing(indexed) -> None:
    folder, data, bad, _ = indexed
    again = invoke_newsbot("index", str(folder), data_dir=data)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(
        f"0 added, 0 updated, {len(EXPECTED) + 1} unchanged, 0 removed, {len(bad)} skipped files; "
        "0 chunks written"
    ), again.stdout


def test_records_that_go_are_removed_and_entries_that_leave_a_feed_stay(
    settings: Settings, embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    folder = tmp_path / "small"
    folder.mkdir()
    export, feed = folder / "cms.json", folder / "wire.rss"
    export.write_text(json.dumps({"articles": [export_record(BRIDGE), export_record(SCHOOL)]}))
    feed.write_text(rss_feed([HARBOUR, FERRY], full=True))
    indexer = build_indexer(settings, embedder)
    assert indexer.run([folder]).added == 4

    # A record deleted from the export goes; an entry that left the feed stays.
    export.write_text(json.dumps([export_record(BRIDGE)]))
    feed.write_text(rss_feed([FERRY], full=True))
    run = indexer.run([folder])
    assert (run.added, run.removed, run.unchanged) == (0, 1, 2)
    names = set(first_chunks(settings.data_dir, embedder))
    assert names == {
        f"cms.json#cms-{BRIDGE.slug}",
        "wire.rss#cc-harbour-reopens",
        "wire.rss#cc-ferry-electric-ships",
    }

    # An export that can't be read now loses nothing; a feed file deleted takes its entries along.
    export.write_text("{not json")
    feed.unlink()
    run = indexer.run([folder])
    assert run.removed == 2 and run.skipped == [
        ("cms.json", "not JSON (Expecting property name enclosed in double quotes, line 1)")
    ]
    assert set(first_chunks(settings.data_dir, embedder)) == {f"cms.json#cms-{BRIDGE.slug}"}
    snapshots = list((settings.data_dir / "snapshots").rglob("*.txt"))
    assert len(snapshots) == 1  # the removed articles' snapshots went with them
