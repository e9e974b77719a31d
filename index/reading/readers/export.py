"""CMS exports: JSON Lines (one article a line) or JSON (a list of articles, or an object holding
one), each record read by the field names CMSs and scrapers commonly use."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from index.errors import ArticleError
from index.reading.articles import decode_text
from index.reading.readers.extract import Extract, clean_paragraphs, date_of, text_of
from index.reading.readers.html_page import html_paragraphs

# Field names, compared in lower case without "_" or "-" (so published_at is publishedAt), in the
# order they are tried.
TITLE_FIELDS = ("title", "headline", "name")
TEXT_FIELDS = (
    "text",
    "body",
    "content",
    "articleBody",
    "fullText",
    "contentText",
    "story",
    "bodyText",
    "html",
)
DATE_FIELDS = (
    "datePublished",
    "publishedAt",
    "published",
    "publicationDate",
    "publishedDate",
    "pubDate",
    "date",
    "createdAt",
    "created",
    "timestamp",
)
URL_FIELDS = ("url", "canonicalUrl", "link", "permalink", "webUrl", "href")
AUTHOR_FIELDS = ("author", "authors", "byline", "creator", "by")
LANGUAGE_FIELDS = ("language", "lang", "inLanguage", "locale")
ID_FIELDS = ("id", "guid", "uuid", "articleId", "slug")
# Where a JSON file that is an object keeps its list of articles.
LIST_FIELDS = ("articles", "items", "data", "results", "posts", "stories", "entries", "records")
# A body with a tag in it is HTML, as CMSs store it.
_HTML_TAG = re.compile(r"<(p|div|br|h[1-6]|ul|li|span|a|strong|em|b|i)\b", re.I)

_TOO_DEEP = "JSON nested too deeply to read"
Record = tuple[str, Extract | str]  # (its key in the file, the article or why it can't be used)


class _Broken(str):
    """Why a line of JSON Lines could not be parsed (a line may hold a JSON string, too)."""


def read_export(raw: bytes, *, lines: bool, max_key_chars: int = 2000) -> list[Record]:
    """The records of an export, JSON Lines when `lines`; ArticleError when none can be found, or
    when a record is nested too deeply to read."""
    text = decode_text(raw)
    if lines:
        return _keyed(_jsonl_records(text), max_key_chars)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArticleError(f"not JSON ({exc.msg}, line {exc.lineno})") from None
    except RecursionError:
        raise ArticleError(_TOO_DEEP) from None
    records = _records_in(data)
    if records is None:
        fields = ", ".join(LIST_FIELDS[:4])
        raise ArticleError(
            f"no articles found (expected a list of records, one record, or a list under {fields}…)"
        )
    return _keyed(((str(n), r) for n, r in enumerate(records, start=1)), max_key_chars)


def _jsonl_records(text: str) -> Iterator[tuple[str, Any]]:
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"line {n}", json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"line {n}", _Broken(f"not JSON ({exc.msg}, column {exc.colno})")
        except RecursionError:
            # No article is nested a thousand levels deep: the file is made to break readers.
            raise ArticleError(f"{_TOO_DEEP}, line {n}") from None


def _records_in(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        fields = _normalised(data)
        for name in LIST_FIELDS:
            found = fields.get(_norm(name))
            if isinstance(found, list):
                return found
        if _first(fields, TEXT_FIELDS) is not None:
            return [data]
    return None


def _keyed(records: Iterator[tuple[str, Any]], max_key_chars: int) -> list[Record]:
    """Each record under its id (else its URL, else its place), each key once."""
    out: list[Record] = []
    seen: set[str] = set()
    for place, record in records:
        if isinstance(record, _Broken):
            out.append((place, str(record)))
            continue
        if not isinstance(record, dict):
            out.append((place, "not a JSON object"))
            continue
        fields = _normalised(record)
        found_id = _first(fields, ID_FIELDS)
        if isinstance(found_id, int) and not isinstance(found_id, bool):
            found_id = str(found_id)
        key = (text_of(found_id) or text_of(_first(fields, URL_FIELDS)) or place)[:max_key_chars]
        if key in seen:
            key = f"{key} ({place})"
        seen.add(key)
        out.append((key, _extract(fields)))
    return out


def _extract(fields: dict[str, Any]) -> Extract | str:
    paragraphs = _body(_first(fields, TEXT_FIELDS))
    if not paragraphs:
        return f"no article text (looked for {', '.join(TEXT_FIELDS[:4])}…)"
    return Extract(
        title=text_of(_first(fields, TITLE_FIELDS)) or "",
        paragraphs=paragraphs,
        published=date_of(_first(fields, DATE_FIELDS)),
        url=text_of(_first(fields, URL_FIELDS)),
        author=text_of(_first(fields, AUTHOR_FIELDS)),
        language=text_of(_first(fields, LANGUAGE_FIELDS)),
    )


def _body(value: Any) -> tuple[str, ...]:
    """A body as paragraphs: HTML, plain text, a list of paragraphs, or {"rendered": ...}."""
    if isinstance(value, dict):
        inner = _normalised(value)
        value = _first(inner, ("rendered", "html", "text", "value"))
    if isinstance(value, list):
        return clean_paragraphs([v for v in value if isinstance(v, str)])
    if not isinstance(value, str):
        return ()
    if _HTML_TAG.search(value):
        return html_paragraphs(value)
    return clean_paragraphs(value.split("\n"))


def _norm(name: str) -> str:
    return name.replace("_", "").replace("-", "").casefold()


def _normalised(record: dict[str, Any]) -> dict[str, Any]:
    return {_norm(str(k)): v for k, v in record.items()}


def _first(fields: dict[str, Any], names: tuple[str, ...]) -> Any:
    """The first of `names` that the record has with a value."""
    for name in names:
        value = fields.get(_norm(name))
        if value not in (None, "", [], {}):
            return value
    return None
