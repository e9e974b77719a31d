"""What a reader makes of a document, and the article (with its snapshot text) made from that."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from index.errors import ArticleError
from index.language.dates import parse_date
from index.reading.articles import Article, megabytes, web_url
from index.reading.readers.limits import ReadLimits

_SPACE = re.compile(r"[^\S\n]+")
# What is never text: C0 and C1 controls but tab and line breaks, lone surrogates (JSON can hold
# them; UTF-8 can't) and the two non-characters. lxml refuses a string holding any of them, and a
# terminal obeys the controls.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# A language tag ("en", "pt-BR", "zh-Hant-TW") is short; anything longer is no tag.
_LANGUAGE_CHARS = 35
_CHAR_REF = re.compile(r"&#([xX][0-9a-fA-F]{1,8}|[0-9]{1,10});?")
_SPACING = frozenset("\x0b\x0c\x1c\x1d\x1e\x1f\x85")  # controls that part words


@dataclass(frozen=True)
class Extract:
    """An article as a reader found it: its paragraphs and what is known about it."""

    title: str
    paragraphs: tuple[str, ...]
    published: date | None = None
    url: str | None = None
    author: str | None = None
    language: str | None = None
    cuts: tuple[str, ...] = ()  # what the reader left out, by a cap of `ReadLimits`


def drop_controls(text: str) -> str:
    """`text` without control characters, surrogates and non-characters (those that part words
    become spaces)."""
    if not _NOT_TEXT.search(text):
        return text
    return _NOT_TEXT.sub(lambda m: " " if m.group() in _SPACING else "", text)


def markup_without_controls(markup: str) -> str:
    """HTML or XML without control characters, neither as they are nor written as character
    references (`&#27;`), which the parser would turn into them."""
    markup = drop_controls(markup)
    if "&#" not in markup:
        return markup
    return _CHAR_REF.sub(_drop_control_ref, markup)


def _drop_control_ref(match: re.Match[str]) -> str:
    number = match.group(1)
    try:
        code = int(number[1:], 16) if number[:1] in "xX" else int(number)
        char = chr(code)
    except (ValueError, OverflowError):
        return ""  # no character at all: the parser would choke on it too
    return match.group(0) if not _NOT_TEXT.match(char) and code != 0 else ""


def clean_paragraphs(pieces: list[str]) -> tuple[str, ...]:
    """Paragraphs with their whitespace folded and none left empty: a line break inside one would
    end a sentence."""
    folded = (" ".join(_SPACE.sub(" ", drop_controls(piece)).split()) for piece in pieces)
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


def too_much_text(size: int | None, limit: int) -> ArticleError:
    """The error of an article whose text is past `limit` (`size`, when it was read to the end)."""
    found = megabytes(size) if size is not None else f"more than {megabytes(limit)}"
    return ArticleError(f"too much text ({found}; the limit is {megabytes(limit)})")


def to_article(
    extract: Extract, *, name: str, root: str, source: str, limits: ReadLimits | None = None
) -> Article:
    """The article of an extract; ArticleError when it holds no text, or too much.

    A link longer than `limits.max_field_chars` is dropped (a cut link leads nowhere) and an
    author cut to it; `cuts` says so.
    """
    limits = limits or ReadLimits()
    title = " ".join(extract.title.split())[:300]
    text = snapshot_text(title, extract.paragraphs)
    if not extract.paragraphs or not text.strip():
        raise ArticleError("no article text")
    if len(text) > limits.max_article_bytes:
        raise too_much_text(len(text), limits.max_article_bytes)
    cap, cuts = limits.max_field_chars, list(extract.cuts)
    url = web_url(extract.url)
    if url is not None and len(url) > cap:
        cuts.append(f"its link was dropped ({len(url):,} characters; the limit is {cap:,})")
        url = None
    author = extract.author
    if author is not None and len(author) > cap:
        cuts.append(f"its author was cut to {cap:,} characters (from {len(author):,})")
        author = author[:cap]
    language = extract.language[:_LANGUAGE_CHARS] if extract.language else None
    # The hash covers all that is indexed, so a new title or date is a change too.
    identity = [text, title, str(extract.published or ""), url, author, language]
    return Article(
        name=name,
        root=root,
        source=source,
        text=text,
        sha256=hashlib.sha256(json.dumps(identity).encode("utf-8")).hexdigest(),
        title=title or text.split("\n", 1)[0][:300],
        published=extract.published,
        url=url,
        author=author or None,
        language=language or None,
        snapshot=True,
        cuts=tuple(cuts),
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
        return " ".join(drop_controls(value).split()) or None
    if isinstance(value, dict):
        return text_of(value.get("name"))
    if isinstance(value, list):
        names = [n for n in (text_of(v) for v in value) if n]
        return ", ".join(names) or None
    return None
