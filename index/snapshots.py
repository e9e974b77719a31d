"""Snapshots: the text extracted from a page, feed entry, export record, PDF or Word file, kept as
a file, so that every citation's quote can be checked against the text its offsets index.

A snapshot is named by its article's id and a hash of its text: a new version is written beside the
old one, and the old one goes only once the chunks that cite it are replaced.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from index.articles import Article


class Snapshots:
    """The snapshot files of one collection, in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, article_id: str, article: Article) -> Path:
        """Write the article's text (UTF-8, line breaks as they are) and return its path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{article_id}-{article.sha256[:12]}.txt"
        if not path.exists():
            tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
            try:
                with tmp.open("w", encoding="utf-8", newline="") as f:
                    f.write(article.text)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        return path.resolve()

    def prune(self, article_id: str, keep: Path | None = None) -> None:
        """Delete the article's snapshots but `keep` (all of them when it is None)."""
        for old in self.folder.glob(f"{article_id}-*.txt"):
            if keep is None or old.resolve() != keep:
                old.unlink(missing_ok=True)

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
