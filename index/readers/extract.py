"""What a reader makes of a document, and the article (with its snapshot text) made from that."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from index.articles import MAX_ARTICLE_BYTES, Article, megabytes, parse_date, web_url
from index.errors import ArticleError

_SPACE = re.compile(r"[^\S\n]+")


@dataclass(frozen=True)
class Extract:
    """An article as a reader found it: its paragraphs and what is known about it."""

    title: str
    paragraphs: tuple[str, ...]
    published: date | None = None
    url: str | None = None
    author: str | None = None
    language: str | None = None


def clean_paragraphs(pieces: list[str]) -> tuple[str, ...]:
    """Paragraphs with their whitespace folded and none left empty: a line break inside one would
    end a sentence."""
    folded = (" ".join(_SPACE.sub(" ", piece).split()) for piece in pieces)
    return tuple(p for p in folded if p)


def snapshot_text(title: str, paragraphs: tuple[str, ...]) -> str:
    """The text kept as the article's snapshot: its title, then its paragraphs, a blank line apart.

    The title leads, as the first line of a .txt article does; a body that opens with the title
    (a page's headline, a draft's Title paragraph) doesn't repeat it.
    """
    body = list(paragraphs)
    while body and body[0].casefold() == title.casefold():
        body.pop(0)
    return "\n\n".join([title, *body]) if title else "\n\n".join(body)


def to_article(extract: Extract, *, name: str, root: str, source: str) -> Article:
    """The article of an extract; ArticleError when it holds no text, or too much."""
    title = " ".join(extract.title.split())[:300]
    text = snapshot_text(title, extract.paragraphs)
    if not extract.paragraphs or not text.strip():
        raise ArticleError("no article text")
    if len(text) > MAX_ARTICLE_BYTES:
        raise ArticleError(
            f"too much text ({megabytes(len(text))}; the limit is {megabytes(MAX_ARTICLE_BYTES)})"
        )
    url = web_url(extract.url)
    # The hash covers all that is indexed, so a new title or date is a change too.
    identity = [text, title, str(extract.published or ""), url, extract.author, extract.language]
    return Article(
        name=name,
        root=root,
        source=source,
        text=text,
        sha256=hashlib.sha256(json.dumps(identity).encode("utf-8")).hexdigest(),
        title=title or text.split("\n", 1)[0][:300],
        published=extract.published,
        url=url,
        author=extract.author or None,
        language=extract.language or None,
        snapshot=True,
    )


def date_of(value: object) -> date | None:
    """A publication date from a metadata value: an ISO or written date, a datetime, or a Unix
    timestamp (seconds or milliseconds)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds).date()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        # An ISO timestamp ("2024-05-02T08:30:00Z") first: its date runs into the "T".
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return parse_date(value)
    return None


def text_of(value: object) -> str | None:
    """A metadata value as one line of text: a string, or the names in a list or a {"name": ...}."""
    if isinstance(value, str):
        return " ".join(value.split()) or None
    if isinstance(value, dict):
        return text_of(value.get("name"))
    if isinstance(value, list):
        names = [n for n in (text_of(v) for v in value) if n]
        return ", ".join(names) or None
    return None
