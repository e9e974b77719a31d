"""What an indexing run reads: the files in folders and the pages and feeds at addresses.

Each source gives articles as they are now, `Unchanged` when it is known not to have changed since
it was last read (so it is neither parsed nor fetched in full again), or `Failed` with the reason
it can't be used now, in which case whatever was indexed of it stays.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Protocol

from index.errors import ArticleError
from index.reading.articles import Article, ArticleFile, read_article, read_file
from index.reading.fetching import Fetcher, Response
from index.reading.readers.documents import DocumentReader
from index.reading.readers.extract import Extract, to_article
from index.reading.readers.feed import FEED_TYPES, FeedEntry, read_feed
from index.reading.readers.html_page import decode_page, read_html
from index.reading.readers.limits import ReadLimits
from index.reading.source_state import SourceState, Validators

log = logging.getLogger(__name__)

PAGE_TYPES = ("text/html", "application/xhtml+xml")
XML_TYPES = ("application/xml", "text/xml")
PDF_TYPE = "application/pdf"
# Files past these sizes are skipped: far larger than what each format holds of news.
_FILE_LIMITS = {
    ".html": (10 << 20, "web pages are far smaller"),
    ".htm": (10 << 20, "web pages are far smaller"),
    ".xml": (20 << 20, "news feeds are far smaller"),
    ".rss": (20 << 20, "news feeds are far smaller"),
    ".atom": (20 << 20, "news feeds are far smaller"),
    ".jsonl": (200 << 20, "split larger exports"),
    ".json": (200 << 20, "split larger exports, or export JSON Lines"),
    ".pdf": (50 << 20, "press releases are far smaller"),
    ".docx": (50 << 20, "drafts are far smaller"),
}
_FEED_MARKS = (b"<rss", b"<feed", b"<rdf:rdf")


@dataclass(frozen=True)
class Unchanged:
    """A source's articles (or only `name`) are as indexed: known without reading them again."""

    root: str
    source: str
    name: str | None = None


@dataclass(frozen=True)
class Failed:
    """A source, or one article of it (`name`), can't be used now; what is indexed of it stays."""

    name: str
    reason: str
    root: str
    source: str


@dataclass(frozen=True)
class Cut:
    """A source was read only in part, by a cap (`what` says what was left out)."""

    name: str
    what: str


@dataclass(frozen=True)
class Keep:
    """What is indexed of a source stays even if it was not read now: entries that left a feed."""

    root: str
    source: str


Item = Article | Unchanged | Failed | Keep | Cut


class Known(Protocol):
    """What the collection holds now, as far as a reader needs to know."""

    def has_article(self, name: str) -> bool: ...
    def has_source(self, root: str, source: str) -> bool: ...


def is_address(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def short_address(url: str) -> str:
    """An address as citations name it: without its scheme."""
    return url.split("://", 1)[-1]


def failure_reason(exc: Exception) -> str:
    """What the summary says of a source that failed with `exc`: its own message when it is one of
    ours, else what went wrong in a few words (the traceback goes to the debug log)."""
    if isinstance(exc, ArticleError):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    if isinstance(exc, MemoryError):
        return "too large to read in memory"
    detail = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"could not be read ({exc.__class__.__name__}{': ' + detail if detail else ''})"


@dataclass
class SourceReader:
    """Reads sources into items, with what the last run learnt of them (`state`).

    Each source fails on its own: whatever goes wrong while one file, address or feed entry is
    read becomes its `Failed`, and the run reads on.
    """

    fetcher: Fetcher
    state: SourceState
    limits: ReadLimits = field(default_factory=ReadLimits)
    documents: DocumentReader | None = None  # PDF and Word files; made on the first one

    def close(self) -> None:
        self.fetcher.close()
        if self.documents is not None:
            self.documents.close()

    def file(self, af: ArticleFile, known: Known) -> Iterator[Item]:
        """The articles of a file in an indexed folder."""
        yield from self._guarded(af.name, str(af.root), af.name, lambda: self._file(af, known))

    def address(self, url: str, known: Known) -> Iterator[Item]:
        """The article of a page, or the entries of a feed, at `url`."""
        yield from self._guarded(url, url, url, lambda: self._address(url, known))

    @staticmethod
    def _guarded(
        name: str, root: str, source: str, read: Callable[[], Iterator[Item]]
    ) -> list[Item]:
        """A source's items, or its one failure: none of what it gave before it failed is used."""
        try:
            return list(read())
        except Exception as exc:
            log.debug("could not read %s", name, exc_info=True)
            return [Failed(name, failure_reason(exc), root, source)]

    def _file(self, af: ArticleFile, known: Known) -> Iterator[Item]:
        root, suffix = str(af.root), af.path.suffix.lower()
        if (outside := _outside(af)) is not None:
            yield Failed(
                af.name, f"a link to {outside}, outside the folder: not followed", root, af.name
            )
            return
        if suffix not in _FILE_LIMITS:  # .txt and .md: the file is the article, read as it is
            try:
                yield read_article(af, self.limits.max_article_bytes)
            except ArticleError as exc:
                yield Failed(af.name, str(exc), root, af.name)
            return
        try:
            raw = read_file(af.path, *_FILE_LIMITS[suffix])
        except ArticleError as exc:
            yield Failed(af.name, str(exc), root, af.name)
            return
        key, digest = str(af.path), hashlib.sha256(raw).hexdigest()
        seen = self.state.get(key)
        if seen and seen.sha256 == digest and known.has_source(root, af.name):
            yield Unchanged(root, af.name)
            return
        items = list(self._file_items(af, suffix, raw, known))
        if not any(isinstance(item, Failed) for item in items):
            self.state.put(key, Validators(sha256=digest))
        yield from items

    def _file_items(self, af: ArticleFile, suffix: str, raw: bytes, known: Known) -> Iterator[Item]:
        from index.reading.readers.export import read_export

        root = str(af.root)
        try:
            if suffix in (".xml", ".rss", ".atom"):
                entries, cuts = self._feed(af.name, raw)
                yield Keep(root, af.name)
                yield from cuts
                yield from self._entries(
                    entries, root, af.name, known, lambda e: f"{af.name}#{e.key}"
                )
            elif suffix in (".jsonl", ".json"):
                records = read_export(
                    raw, lines=suffix == ".jsonl", max_key_chars=self.limits.max_field_chars
                )
                for key, record in records:
                    yield self._article(record, f"{af.name}#{key}", root, af.name)
            elif suffix in (".pdf", ".docx"):
                extract = self._documents().read("pdf" if suffix == ".pdf" else "docx", raw)
                yield self._article(extract, af.name, root, af.name)
            else:
                yield self._article(read_html(decode_page(raw)), af.name, root, af.name)
        except ArticleError as exc:
            yield Failed(af.name, str(exc), root, af.name)

    def _feed(
        self, name: str, raw: bytes, url: str | None = None, media_type: str | None = None
    ) -> tuple[list[FeedEntry], list[Cut]]:
        """A feed's entries, up to the cap, and a `Cut` when it has more."""
        entries, total = read_feed(raw, url=url, content_type=media_type, limits=self.limits)
        if total == len(entries):
            return entries, []
        return entries, [Cut(name, f"read the first {len(entries):,} of {total:,} entries")]

    def _documents(self) -> DocumentReader:
        if self.documents is None:
            self.documents = DocumentReader(self.limits)
        return self.documents

    def _address(self, url: str, known: Known) -> Iterator[Item]:
        seen = self.state.get(url) if known.has_source(url, url) else None
        try:
            response = self.fetcher.get(
                url,
                accept=(*PAGE_TYPES, *FEED_TYPES, *XML_TYPES, PDF_TYPE),
                etag=seen.etag if seen else None,
                last_modified=seen.last_modified if seen else None,
            )
        except ArticleError as exc:
            yield Failed(url, str(exc), url, url)
            return
        if response.not_modified:
            yield Unchanged(url, url)
            return
        items = list(self._response_items(url, response, known))
        if not any(isinstance(item, Failed) for item in items):
            self.state.put(
                url, Validators(etag=response.etag, last_modified=response.last_modified)
            )
        yield from items

    def _response_items(self, url: str, response: Response, known: Known) -> Iterator[Item]:
        try:
            if _is_feed(response):
                entries, cuts = self._feed(url, response.body, response.url, response.media_type)
                yield from cuts
                yield from self._entries(entries, url, url, known, _entry_name(url))
            elif response.media_type == PDF_TYPE:
                extract = self._documents().read("pdf", response.body)
                yield self._article(_at(extract, response.url), short_address(url), url, url)
            else:
                page = read_html(decode_page(response.body, response.charset), url=response.url)
                yield self._article(page, short_address(url), url, url)
        except ArticleError as exc:
            yield Failed(url, str(exc), url, url)

    def _entries(
        self,
        entries: list[FeedEntry],
        root: str,
        source: str,
        known: Known,
        name_of: Callable[[FeedEntry], str],
    ) -> Iterator[Item]:
        """A feed's entries: its full content where the feed has it, else the linked page. An
        entry that fails is named on its own, and the feed reads on."""
        for entry in entries:
            name = name_of(entry)
            try:
                yield self._entry(entry, name, root, source, known)
            except Exception as exc:
                log.debug("could not read %s", name, exc_info=True)
                yield Failed(name, failure_reason(exc), root, source)

    def _entry(self, entry: FeedEntry, name: str, root: str, source: str, known: Known) -> Item:
        if entry.extract.paragraphs:
            return self._article(entry.extract, name, root, source)
        if entry.link:
            return self._linked(entry, name, root, source, known)
        if entry.summary:
            return self._article(
                replace(entry.extract, paragraphs=entry.summary), name, root, source
            )
        return Failed(name, "no text: neither content nor a link", root, source)

    def _linked(self, entry: FeedEntry, name: str, root: str, source: str, known: Known) -> Item:
        """An entry whose article is on its page: fetched again only when the entry changed."""
        seen = self.state.get(name)
        if seen and seen.fingerprint == entry.fingerprint and known.has_article(name):
            return Unchanged(root, source, name)
        assert entry.link is not None
        try:
            response = self.fetcher.get(entry.link, accept=PAGE_TYPES)
            page = read_html(decode_page(response.body, response.charset), url=response.url)
        except ArticleError as exc:
            return Failed(name, f"{exc} (the entry's page {entry.link})", root, source)
        feed = entry.extract
        # The feed states the entry's title, date and author; the page its text and address.
        merged = Extract(
            title=feed.title or page.title,
            paragraphs=page.paragraphs,
            published=feed.published or page.published,
            url=page.url or entry.link,
            author=feed.author or page.author,
            language=page.language or feed.language,
            cuts=feed.cuts + page.cuts,
        )
        article = self._article(merged, name, root, source)
        if isinstance(article, Article):
            self.state.put(name, Validators(fingerprint=entry.fingerprint))
        return article

    def _article(
        self, extract: Extract | str, name: str, root: str, source: str
    ) -> Article | Failed:
        if isinstance(extract, str):  # why the record can't be used
            return Failed(name, extract, root, source)
        try:
            return to_article(extract, name=name, root=root, source=source, limits=self.limits)
        except ArticleError as exc:
            return Failed(name, str(exc), root, source)


def _outside(af: ArticleFile) -> str | None:
    """Where a file found through a link leads, when that is outside its indexed folder."""
    # realpath, not Path.resolve: it doesn't raise on a link loop, which read_file names.
    target = os.path.realpath(af.path)
    root = str(af.root)
    return None if target == root or target.startswith(root.rstrip(os.sep) + os.sep) else target


def _is_feed(response: Response) -> bool:
    if response.media_type in FEED_TYPES:
        return True
    if response.media_type in PAGE_TYPES or response.media_type == PDF_TYPE:
        return False
    # XML, or no type at all: what the document opens with tells.
    head = response.body[:1024].lower()
    return any(mark in head for mark in _FEED_MARKS)


def _entry_name(feed_url: str) -> Callable[[FeedEntry], str]:
    """An entry of a feed at an address is named by its own address, else by its key in the feed."""

    def name(entry: FeedEntry) -> str:
        return short_address(entry.link) if entry.link else f"{short_address(feed_url)}#{entry.key}"

    return name


def _at(extract: Extract, url: str) -> Extract:
    return extract if extract.url else replace(extract, url=url)
