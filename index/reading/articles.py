"""Finding article files and reading plain-text ones; what an article is, whatever its format.

A `.txt` or `.md` file is its own text, so a citation's offsets index the file. Every other format
(`index/reading/readers/`) is extracted into a text of its own, which the index keeps as a snapshot.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from index.errors import ArticleError
from index.language.dates import find_date

ARTICLE_SUFFIXES = (".txt", ".md")
# Every format a folder may hold; `index/reading/readers` reads all but the plain-text ones.
READABLE_SUFFIXES = (
    *ARTICLE_SUFFIXES,
    ".html",
    ".htm",
    ".xml",
    ".rss",
    ".atom",
    ".jsonl",
    ".json",
    ".pdf",
    ".docx",
)
# A long news feature is about 100 KB. A .txt of many MB is a log, a dump or a whole archive, and
# embedding it would hold a run for many minutes (about 1,100 chunks per MB, measured by
# benchmarks/huge_file.py), so anything past 2 MB is skipped and named in the summary.
MAX_ARTICLE_BYTES = 2 * 1024 * 1024
# Judging how garbled a decoding looks reads every character; a sample decides as well.
_SNIFF_BYTES = 256 * 1024
# charset-normalizer's own threshold: past this share of odd characters a decoding is nonsense.
_MAX_MESS = 0.2
# Byte order marks that say how a file is encoded, longest first (UTF-32's starts like UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class ArticleFile:
    """An article file found under an indexed folder."""

    path: Path
    root: Path
    name: str  # the path relative to `root`, with forward slashes: what citations show


@dataclass(frozen=True)
class Article:
    """An article's text and what is known about it.

    `name` is what citations show: the path in its folder, `path#key` for one record of a file that
    holds many (an export, a feed), or the address of a page without its scheme. `text` is what
    citation offsets index: the file itself for .txt and .md, else the extracted text, which the
    index keeps as a snapshot (`snapshot`). `sha256` tells an unchanged article from a changed one.
    """

    name: str
    root: str  # the folder it was found in, or the address it was fetched from
    source: str  # the file or address that held it (`name` for a file of one article)
    text: str
    sha256: str
    title: str
    published: date | None
    url: str | None = None
    author: str | None = None
    language: str | None = None
    snapshot: bool = False
    cuts: tuple[str, ...] = ()  # what its reader left out by a cap (pages, a link), for the summary


def web_url(value: object) -> str | None:
    """`value` if it is an absolute http(s) address, else None: the only links worth showing."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or any(ch.isspace() for ch in value)
    ):
        return None
    return value


def find_articles(
    root: Path, suffixes: tuple[str, ...] = ARTICLE_SUFFIXES
) -> Iterator[ArticleFile]:
    """Yield the files under `root` whose names end in `suffixes`, sorted, never leaving it through
    a symlink loop. A link to a folder outside `root` is not followed: it is yielded itself, for
    the reader to name (a link to a file outside is yielded as any file is)."""
    root = root.resolve()
    inside = str(root).rstrip(os.sep) + os.sep
    seen_dirs: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            dirnames[:] = []
            continue
        seen_dirs.add(key)
        here = Path(dirpath)
        kept = []
        for d in sorted(d for d in dirnames if not d.startswith(".")):
            target = os.path.realpath(here / d)
            if target == str(root) or target.startswith(inside):
                kept.append(d)
            else:
                yield ArticleFile(
                    path=here / d, root=root, name=(here / d).relative_to(root).as_posix()
                )
        dirnames[:] = kept
        for filename in sorted(filenames):
            if filename.startswith(".") or not filename.lower().endswith(suffixes):
                continue
            path = here / filename
            yield ArticleFile(path=path, root=root, name=path.relative_to(root).as_posix())


def read_article(file: ArticleFile, limit: int = MAX_ARTICLE_BYTES) -> Article:
    """Read and decode one .txt or .md article of at most `limit` bytes; raise ArticleError with a
    short reason when it can't be used."""
    raw = read_file(file.path, limit, "news articles are far smaller")
    text = decode_text(raw)
    if not text.strip():
        raise ArticleError("empty")
    return Article(
        name=file.name,
        root=str(file.root),
        source=file.name,
        text=text,
        sha256=hashlib.sha256(raw).hexdigest(),
        title=find_title(text),
        published=find_date(text),
    )


def read_file(path: Path, limit: int, why_limit: str) -> bytes:
    """A regular file's bytes, up to `limit` of them; ArticleError with a short reason otherwise
    (`why_limit` says why the limit is enough)."""
    try:
        info = path.stat()
        # A named pipe or a device would block the run or never end; only plain files are read.
        if not stat.S_ISREG(info.st_mode):
            raise ArticleError("not a regular file")
        if info.st_size > limit:
            raise ArticleError(
                f"too large ({megabytes(info.st_size)}; the limit is {megabytes(limit)}, and "
                f"{why_limit})"
            )
        return path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"unreadable ({exc.strerror or exc.__class__.__name__})") from exc


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def decode_text(raw: bytes) -> str:
    """Decode bytes as UTF-8, else as the detected encoding; refuse binary data."""
    for bom, encoding in _BOMS:
        # UTF-16 and UTF-32 text is full of NUL bytes, so a BOM is trusted before the binary check.
        if raw.startswith(bom):
            try:
                return raw.decode(encoding).removeprefix("\ufeff")
            except UnicodeDecodeError:
                break
    if b"\x00" in raw[:8192]:
        raise ArticleError("binary file, not text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = _decode_legacy(raw)
    # Offsets must index the file's own text; only a BOM is dropped, nothing is normalised.
    return text.removeprefix("\ufeff")


def _decode_legacy(raw: bytes) -> str:
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio

    best = from_bytes(raw).best()
    # Short Western text is often guessed as a Baltic or DOS code page that decodes it into
    # nonsense just as cleanly; Windows-1252 is by far the likeliest, so it wins a tie.
    try:
        western = raw.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None:
        mess = mess_ratio(western[:_SNIFF_BYTES])
        if mess <= (_MAX_MESS if best is None else best.chaos + 0.05):
            return western
    if best is None:
        # Binary data with no NUL byte near the start decodes as Windows-1252, into nonsense.
        raise ArticleError("binary file, not text in any known encoding")
    return str(best)


def find_title(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""
