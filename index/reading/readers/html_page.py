"""Web pages: the article's text without navigation, banners, related links and comments, with its
title, date, author, canonical address and language (trafilatura, and htmldate for the date)."""

from __future__ import annotations

import codecs
import logging
import re
from functools import cache
from typing import Any

from index.errors import ArticleError
from index.reading.articles import decode_text
from index.reading.readers.extract import (
    Extract,
    clean_paragraphs,
    date_of,
    markup_without_controls,
    text_of,
)

# Where a page that declares no charset in its headers says it in its first bytes.
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I
)
_HEAD_BYTES = 4096
# Words of a consent dialog. A page whose text is short and full of them is a cookie wall that the
# extractor took for the article.
_CONSENT = re.compile(
    r"\b(cookies?|consent|privacy|partners|personali[sz]ed|advertising|accept all|reject all|"
    r"gdpr|tracking|your device|personal data|legitimate interest)\b",
    re.I,
)
_CONSENT_TERMS = 3
_CONSENT_MAX_WORDS = 250
# An article states things in sentences. A page whose text has fewer words than this in paragraphs
# that end like sentences is a list of headlines and links (a front page, a section, a tag page).
_MIN_PROSE_WORDS = 25
_PROSE_WORDS = 8
_SENTENCE_END = (".", "!", "?", ".”", ".’", '."', "?”", "!”", ".)")
# Elements that start a line of their own when a fragment of HTML is turned into paragraphs.
_BLOCKS = (
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "tr",
    "section",
    "article",
    "figcaption",
    "dd",
    "dt",
)


@cache
def _trafilatura() -> Any:
    import trafilatura

    # Both log each page they give up on at WARNING and above; the reason reaches the summary.
    for name in ("trafilatura", "htmldate", "courlan", "justext", "readability"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return trafilatura


def decode_page(raw: bytes, charset: str | None = None) -> str:
    """A page's text: in the charset its headers or its <meta> declare, else UTF-8, else the
    encoding detection finds (a non-UTF-8 page that declares none is still read)."""
    declared = charset or _meta_charset(raw[:_HEAD_BYTES])
    if declared:
        try:
            return raw.decode(codecs.lookup(declared).name).removeprefix("\ufeff")
        except (LookupError, UnicodeError, ValueError):
            # Python knows codecs no page is written in (punycode, unicode_escape), which fail
            # in ways of their own.
            pass  # a wrong declaration is common; detection does better than giving up
    try:
        return decode_text(raw)
    except ArticleError as exc:
        raise ArticleError(f"malformed page ({exc})") from None


def _meta_charset(head: bytes) -> str | None:
    found = _META_CHARSET.search(head)
    return found.group(1).decode("ascii") if found else None


def read_html(page: str, *, url: str | None = None) -> Extract:
    """The article in a page; ArticleError when the page is not HTML or holds no article."""
    trafilatura = _trafilatura()
    from trafilatura.utils import load_html

    tree = load_html(markup_without_controls(page))
    if tree is None:
        raise ArticleError("malformed page (not HTML)")
    language = tree.get("lang") or _meta(tree, "content-language")
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        # Precision over recall: a sentence of boilerplate quoted as news is worse than a lost one.
        favor_precision=True,
    )
    paragraphs = clean_paragraphs((doc.text or "").split("\n")) if doc is not None else ()
    if reason := missing_article(paragraphs):
        raise ArticleError(reason)
    assert doc is not None
    return Extract(
        title=text_of(doc.title) or "",
        paragraphs=paragraphs,
        published=date_of(doc.date),
        url=doc.url or url,
        author=text_of(doc.author),
        language=text_of(language),
    )


def _meta(tree: Any, http_equiv: str) -> str | None:
    for element in tree.iterfind(".//meta[@http-equiv]"):
        if str(element.get("http-equiv", "")).lower() == http_equiv:
            return str(element.get("content", "")) or None
    return None


def missing_article(paragraphs: tuple[str, ...]) -> str | None:
    """Why the text a page gave is no article (a cookie wall, a page of links), or None."""
    text = " ".join(paragraphs)
    consent = {m.group(0).casefold() for m in _CONSENT.finditer(text)}
    if len(consent) >= _CONSENT_TERMS and len(text.split()) <= _CONSENT_MAX_WORDS:
        return "no article text: a cookie or consent wall"
    prose = sum(
        len(p.split())
        for p in paragraphs
        if len(p.split()) >= _PROSE_WORDS and p.endswith(_SENTENCE_END)
    )
    if prose < _MIN_PROSE_WORDS:
        return "no article text: an index page, or only headlines, links and boilerplate"
    return None


def html_paragraphs(fragment: str) -> tuple[str, ...]:
    """The paragraphs of a piece of HTML (a feed entry's content, an export's body), as text."""
    if not fragment.strip():
        return ()
    from lxml import etree
    from lxml import html as lxml_html

    fragment = markup_without_controls(fragment)
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_paragraphs(fragment.split("\n"))
    for element in list(root.iter("script", "style", "noscript", "template")):
        element.drop_tree()
    for element in root.iter(*_BLOCKS):
        # A line break before and after each block, so that its text is a paragraph of its own.
        element.text = "\n" + (element.text or "")
        element.tail = "\n" + (element.tail or "")
    return clean_paragraphs(str(root.text_content()).split("\n"))
