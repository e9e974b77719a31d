"""What reading one source may cost: the caps a reader keeps to, each named in the summary when it
cuts something (a feed's later entries, a PDF's later pages, a link too long to keep)."""

from __future__ import annotations

from dataclasses import dataclass

from index.reading.articles import MAX_ARTICLE_BYTES


@dataclass(frozen=True)
class ReadLimits:
    """The caps of one run; every one has a setting in the application that uses this package."""

    max_article_bytes: int = MAX_ARTICLE_BYTES  # an article's text; reading stops past it
    max_feed_entries: int = 500  # entries read from one feed, the first ones (the newest, usually)
    max_field_chars: int = 2000  # a link, an id, an author: a longer link is dropped, the rest cut
    max_pdf_pages: int = 500  # pages read from one PDF, the first ones
    document_timeout: float = 30.0  # seconds to read one PDF or Word file
    document_memory: int = 1024 << 20  # bytes of memory reading one PDF or Word file may take
