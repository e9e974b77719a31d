"""Word drafts (.docx, python-docx): the paragraphs and tables' text, the headline, and the core
properties (author, language, date)."""

from __future__ import annotations

import io
from typing import Any

from index.articles import find_date
from index.errors import ArticleError
from index.readers.extract import Extract, clean_paragraphs, date_of, text_of

# Paragraph styles that mark the headline.
_HEADLINE_STYLES = ("title", "heading 1")


def read_docx(raw: bytes) -> Extract:
    """The article in a .docx file; ArticleError when it can't be read or holds no text."""
    import docx

    try:
        document = docx.Document(io.BytesIO(raw))
        blocks = _blocks(document)
        props = document.core_properties
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


def _blocks(document: Any) -> list[tuple[str, str]]:
    """(style name in lower case, text) of each paragraph and table row, in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[tuple[str, str]] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            style = item.style.name.casefold() if item.style is not None else ""
            blocks.append((style, item.text))
        elif isinstance(item, Table):
            for row in item.rows:
                cells = dict.fromkeys(
                    cell.text.strip() for cell in row.cells
                )  # merged cells repeat
                blocks.append(("table", " | ".join(c for c in cells if c)))
    return blocks
