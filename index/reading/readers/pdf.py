"""PDF press releases (pypdf): the text layer, its lines joined back into paragraphs, and the
document's title, author, date and language."""

from __future__ import annotations

import io
import logging
import re
from functools import cache
from typing import Any

from index.errors import ArticleError
from index.language.dates import find_date
from index.reading.articles import megabytes
from index.reading.readers.extract import Extract, clean_paragraphs, date_of, text_of, too_much_text
from index.reading.readers.limits import ReadLimits

# A line shorter than this share of a full line ends its paragraph (or is a heading of its own).
_SHORT_LINE = 0.75
# A page draws its text with a few KB of content; one of megabytes is a drawing (or made to stall
# the text extractor, which takes seconds per MB), and its text is left out.
_MAX_PAGE_CONTENT = 1 << 20
# A title in the document's information that is a file name or a placeholder, not a headline.
_PLACEHOLDER_TITLE = re.compile(
    r"^(untitled|document\d*|microsoft word\b.*|.*\.(docx?|pdf|odt))$", re.I
)


@cache
def _pypdf() -> Any:
    import pypdf

    # pypdf logs every oddity of a file it still reads; what can't be read reaches the summary.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    return pypdf


def read_pdf(raw: bytes, limits: ReadLimits | None = None) -> Extract:
    """The article in a PDF's first `limits.max_pdf_pages` pages; ArticleError when it can't be
    read, has no text layer, or more text than `limits.max_article_bytes` (reading stops there).

    Run it in a worker process (`index.reading.readers.documents`): a small file can hold a page that
    takes minutes to read.
    """
    limits = limits or ReadLimits()
    pypdf = _pypdf()
    cuts: list[str] = []
    try:
        reader = pypdf.PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ArticleError("encrypted PDF (it needs a password)")
        pages: list[str] = []
        size = heavy = 0
        for number, page in enumerate(reader.pages, start=1):
            if number > limits.max_pdf_pages:
                cuts.append(
                    f"read the first {limits.max_pdf_pages:,} of {len(reader.pages):,} pages"
                )
                break
            content = page.get_contents()
            drawn = len(content.get_data()) if content is not None else 0
            if drawn > _MAX_PAGE_CONTENT:
                heavy += 1
                continue
            pages.append(page.extract_text() or "")
            size += len(pages[-1])
            if size > limits.max_article_bytes:
                raise too_much_text(None, limits.max_article_bytes)
        info = reader.metadata
        language = reader.trailer["/Root"].get("/Lang")
    except ArticleError:
        raise
    except Exception as exc:
        # pypdf fails on a broken file with errors of many kinds, its own and Python's.
        detail = str(exc).splitlines()[0][:120] if str(exc) else exc.__class__.__name__
        raise ArticleError(f"not a readable PDF ({detail})") from None
    if heavy:
        cuts.append(
            f"{heavy:,} of {len(reader.pages):,} pages left out: each draws more than "
            f"{megabytes(_MAX_PAGE_CONTENT)} (a drawing, or made to stall the reader)"
        )
    paragraphs = clean_paragraphs([p for page in pages for p in reflow(page)])
    if not paragraphs and cuts:
        raise ArticleError(f"no text read ({'; '.join(cuts)})")
    if not paragraphs:
        raise ArticleError("no text layer (a scanned or image-only PDF; it would need OCR)")
    title = text_of(info.title if info else None) or ""
    if not title or _PLACEHOLDER_TITLE.match(title):
        title = paragraphs[0]
    created = info.creation_date if info else None
    return Extract(
        title=title,
        paragraphs=paragraphs,
        published=find_date("\n".join(paragraphs[:8])) or date_of(created),
        author=text_of(info.author if info else None),
        language=text_of(str(language)) if language else None,
        cuts=tuple(cuts),
    )


def reflow(page: str) -> list[str]:
    """A page's lines joined back into paragraphs.

    A PDF holds lines, not paragraphs, and a line break would end a sentence when the text is split:
    lines are joined until a short one (a paragraph's last line, or a heading) or a blank one, and a
    word hyphenated across two lines is made whole.
    """
    lines = [line.strip() for line in page.splitlines()]
    widths = sorted(len(line) for line in lines if line)
    if not widths:
        return []
    full = widths[int(len(widths) * 0.8)]
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if line:
            if current.endswith("-") and current[-2:-1].isalpha() and line[:1].islower():
                current = current[:-1] + line
            else:
                current = f"{current} {line}" if current else line
        if current and (not line or len(line) < _SHORT_LINE * full):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs
