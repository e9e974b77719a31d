"""RSS and Atom feeds (feedparser): each entry with its title, date, author, link and language, and
its full content when the feed carries it."""

from __future__ import annotations

import hashlib
import io
import json
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from index.errors import ArticleError
from index.reading.readers.extract import Extract, clean_paragraphs, text_of
from index.reading.readers.html_page import html_paragraphs
from index.reading.readers.limits import ReadLimits

# feedparser reads on past these, as any feed reader does; every other XML error is a broken feed.
_TOLERATED = ("undefined entity",)
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed. `extract.paragraphs` is its full content, empty when the feed carries
    only a summary (then the linked page holds the article)."""

    key: str  # its id, else its link, else its position in the feed
    link: str | None
    extract: Extract
    fingerprint: str  # changes whenever the entry does
    summary: tuple[str, ...] = ()  # the text of an entry that has neither content nor link


def read_feed(
    raw: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: ReadLimits | None = None,
) -> tuple[list[FeedEntry], int]:
    """The first `limits.max_feed_entries` entries of a feed, and how many it has; ArticleError
    when it is malformed or no feed at all."""
    import feedparser

    headers = {"content-location": url or "", "content-type": content_type or ""}
    # A stream, never the bytes themselves: feedparser opens a string that looks like an address
    # or a path.
    parsed = feedparser.parse(io.BytesIO(raw), response_headers=headers)
    problem = _malformed(parsed)
    if problem:
        raise ArticleError(f"malformed feed ({problem})")
    if not parsed.get("version") and not parsed.entries:
        raise ArticleError("not an RSS or Atom feed")
    language = text_of(parsed.feed.get("language"))
    limits = limits or ReadLimits()
    kept = parsed.entries[: limits.max_feed_entries]
    entries = [_entry(e, n, language, limits.max_field_chars) for n, e in enumerate(kept, start=1)]
    return entries, len(parsed.entries)


def _malformed(parsed: Any) -> str | None:
    if not parsed.get("bozo"):
        return None
    error = parsed.get("bozo_exception")
    # feedparser's own notes (an encoding it overrode, a content type) are not faults of the feed.
    if error is None or type(error).__module__.startswith("feedparser"):
        return None
    message = str(getattr(error, "getMessage", lambda: str(error))())
    if message.startswith(_TOLERATED):
        return None
    line = getattr(error, "getLineNumber", lambda: None)()
    return f"{message}, line {line}" if line else message


def _entry(entry: Any, position: int, feed_language: str | None, max_chars: int) -> FeedEntry:
    link = text_of(entry.get("link"))
    cuts: tuple[str, ...] = ()
    if link is not None and len(link) > max_chars:
        # Neither fetched nor shown: a link cut short leads nowhere.
        cuts = (f"its link was dropped ({len(link):,} characters; the limit is {max_chars:,})",)
        link = None
    content = _content(entry.get("content") or [])
    summary = entry.get("summary_detail") or {}
    extract = Extract(
        title=text_of(entry.get("title")) or "",
        paragraphs=content,
        published=_date(entry),
        url=link,
        author=text_of(entry.get("author")),
        language=next(
            (text_of(d.get("language")) for d in entry.get("content") or [] if d.get("language")),
            text_of(summary.get("language")) or feed_language,
        ),
        cuts=cuts,
    )
    identity = [
        entry.get("id"),
        link,
        entry.get("title"),
        entry.get("published"),
        # Read past feedparser's mapping of a missing "updated" to "published", which warns.
        dict.get(entry, "updated"),
        entry.get("summary"),
        [d.get("value") for d in entry.get("content") or []],
    ]
    return FeedEntry(
        key=(text_of(entry.get("id")) or link or str(position))[:max_chars],
        link=link,
        extract=extract,
        fingerprint=hashlib.sha256(json.dumps(identity, default=str).encode()).hexdigest(),
        summary=html_paragraphs(str(entry.get("summary") or "")),
    )


def _content(details: list[Any]) -> tuple[str, ...]:
    """The entry's full content as paragraphs: its HTML (or XHTML) part first, else plain text."""
    ranked = sorted(details, key=lambda d: "html" not in str(d.get("type", "")))
    for detail in ranked:
        value = str(detail.get("value") or "")
        if "html" in str(detail.get("type", "")):
            paragraphs = html_paragraphs(value)
        else:
            paragraphs = clean_paragraphs(value.split("\n"))
        if paragraphs:
            return paragraphs
    return ()


def _date(entry: Any) -> date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)
        if isinstance(parsed, time.struct_time):
            return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    return None
