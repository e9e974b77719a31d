"""Articles by opaque id: the text a citation's offsets index, read from what the index recorded.

An article's id is the indexer's own id of its file (`index.indexing.file_id`, a hash of its name),
so a request names no path: the id is looked up among the index's records, and the text read is the
snapshot the index wrote or the indexed file under the folder the index read it from.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.results import Answer
from bot.web.errors import NotFound
from index.errors import ArticleError
from index.indexing import file_id
from index.reading.articles import decode_text, read_file
from index.search.store import ChunkStore

_ID = re.compile(r"[0-9a-f]{16}")


def article_id(file: str) -> str:
    """The opaque id of the indexed article named `file` (a citation's or passage's `file`)."""
    return file_id(file)


@dataclass(frozen=True)
class ArticleText:
    """An indexed article as `/api/articles/{id}` returns it."""

    id: str
    file: str
    title: str
    date: str | None
    url: str | None
    text: str
    # The text is not what was indexed (the file changed since): offsets may not match.
    changed: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def read_article(store: ChunkStore, article: str, *, max_bytes: int) -> ArticleText:
    """The article with id `article`; NotFound when the index has none (or it can't be read)."""
    gone = NotFound("no article has that id")
    if not _ID.fullmatch(article):
        raise gone
    meta = _first_chunk(store, article)
    if meta is None:
        raise gone
    try:
        text, changed = _text_of(meta, max_bytes)
    except ArticleError:
        raise NotFound("that article's text is no longer readable: index it again") from None
    return ArticleText(
        id=article,
        file=str(meta.get("file", "")),
        title=str(meta.get("title", "")),
        date=str(meta.get("date") or "") or None,
        url=str(meta.get("url") or "") or None,
        text=text,
        changed=changed,
    )


def _first_chunk(store: ChunkStore, article: str) -> Mapping[str, Any] | None:
    for page in store.chunks_of([article]):
        for meta in page.get("metadatas") or []:
            return dict(meta)
    return None


def _text_of(meta: Mapping[str, Any], max_bytes: int) -> tuple[str, bool]:
    """The text the chunk's offsets index: its snapshot, else its file under its folder."""

    snapshot = str(meta.get("snapshot") or "")
    if snapshot:
        return decode_text(read_file(Path(snapshot), max_bytes, "it is one article")), False
    root = Path(str(meta.get("root", ""))).resolve()
    path = (root / str(meta.get("file", ""))).resolve()
    # The name is the index's own, never the request's; still, nothing outside its folder is read.
    if not str(root) or not path.is_relative_to(root):
        raise ArticleError("outside its folder")
    raw = read_file(path, max_bytes, "it is one article")
    return decode_text(raw), hashlib.sha256(raw).hexdigest() != meta.get("sha256")


def answer_json(answer: Answer) -> dict[str, Any]:
    """`Answer.to_json()` (what `ask --json` prints), each citation and closest article with its
    article id added as `article`."""
    data = answer.to_json()
    for key in ("citations", "closest"):
        for item in data.get(key, ()):
            item["article"] = article_id(item["file"])
    return data
