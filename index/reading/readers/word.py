"""Word drafts (.docx, python-docx): the paragraphs and tables' text, the headline, and the core
properties (author, language, date)."""

from __future__ import annotations

import io
from typing import Any

from index.errors import ArticleError
from index.language.dates import find_date
from index.reading.articles import megabytes
from index.reading.readers.extract import Extract, clean_paragraphs, date_of, text_of, too_much_text
from index.reading.readers.limits import ReadLimits

# A draft's XML is about this many times its text, and more only when it is made to exhaust memory.
_XML_PER_TEXT = 10
# Paragraph styles that mark the headline.
_HEADLINE_STYLES = ("title", "heading 1")


def read_docx(raw: bytes, limits: ReadLimits | None = None) -> Extract:
    """The article in a .docx file; ArticleError when it can't be read, holds no text, or more
    than `limits.max_article_bytes` of it (reading stops there, and a file whose XML inflates to
    more than `_XML_PER_TEXT` times that is not parsed at all).

    Run it in a worker process (`index.reading.readers.documents`), which bounds its time and memory.
    """
    import docx

    limits = limits or ReadLimits()
    _check_sizes(raw, _XML_PER_TEXT * limits.max_article_bytes)
    try:
        document = docx.Document(io.BytesIO(raw))
        blocks = _blocks(document, limits.max_article_bytes)
        props = document.core_properties
    except ArticleError:
        raise
    except Exception as exc:
        # A file that is no Word document fails in zipfile, lxml or python-docx, each its own way.
        detail = str(exc).splitlines()[0][:120] if str(exc) else exc.__class__.__name__
        raise ArticleError(f"not a readable Word document ({detail})") from None
    paragraphs = clean_paragraphs([text for _, text in blocks])
    if not paragraphs:
        raise ArticleError("no text")
    # The draft's own headline; the document's title property is often a template's leftover.
    headline = next((text for style, text in blocks if style in _HEADLINE_STYLES and text), None)
    title = text_of(headline) or text_of(props.title) or paragraphs[0]
    return Extract(
        title=title,
        paragraphs=paragraphs,
        published=find_date("\n".join(paragraphs[:8])) or date_of(props.created),
        author=text_of(props.author),
        language=text_of(props.language),
    )


def _check_sizes(raw: bytes, limit: int) -> None:
    """ArticleError when the XML parts of a .docx inflate to more than `limit` bytes: parsed, XML
    takes about twenty times its size in memory. A zip member never inflates past the size its
    header declares (zipfile stops there), so the headers tell before anything is inflated."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            xml = sum(
                i.file_size for i in archive.infolist() if i.filename.endswith((".xml", ".rels"))
            )
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a zip file: python-docx says so, in its words
    if xml > limit:
        raise ArticleError(
            f"too large once inflated ({megabytes(xml)} of XML; the limit is {megabytes(limit)})"
        )


def _blocks(document: Any, max_text: int) -> list[tuple[str, str]]:
    """(style name in lower case, text) of each paragraph and table row, in document order;
    ArticleError past `max_text` characters."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[tuple[str, str]] = []
    size = 0
    for item in document.iter_inner_content():
        if size > max_text:
            raise too_much_text(None, max_text)
        if isinstance(item, Paragraph):
            style = item.style.name.casefold() if item.style is not None else ""
            blocks.append((style, item.text))
            size += len(item.text)
        elif isinstance(item, Table):
            for row in item.rows:
                cells = dict.fromkeys(
                    cell.text.strip() for cell in row.cells
                )  # merged cells repeat
                blocks.append(("table", " | ".join(c for c in cells if c)))
                size += len(blocks[-1][1])
    return blocks
