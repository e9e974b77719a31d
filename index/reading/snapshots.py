"""Snapshots: the text extracted from a page, feed entry, export record, PDF or Word file, kept as
a file, so that every citation's quote can be checked against the text its offsets index.

A snapshot is named by its article's id and a hash of its text: a new version is written beside the
old one, and the old one goes only once the chunks that cite it are replaced.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from index.reading.articles import Article
from index.reading.private import private_dir, write_private


class Snapshots:
    """The snapshot files of one collection, in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, article_id: str, article: Article) -> Path:
        """Write the article's text (UTF-8, line breaks as they are) and return its path."""
        private_dir(self.folder)
        path = self.folder / snapshot_name(article_id, article.sha256)
        if not path.exists():
            write_private(path, article.text)
        return path.resolve()

    def prune(self, article_id: str, keep: Path | None = None) -> None:
        """Delete the article's snapshots but `keep` (all of them when it is None)."""
        for old in self.folder.glob(f"{article_id}-*.txt"):
            if keep is None or old.resolve() != keep:
                old.unlink(missing_ok=True)

    def prune_orphans(self, keep: Iterable[str], *, before: float) -> int:
        """Delete the files (snapshots, half-written ones) not named in `keep` and last changed
        before `before` (a `time.time()`): what a run killed between writing a snapshot and its
        chunks, or its chunks and the pruning, left behind. A file changed since is another
        process's, still at work. Returns how many went."""
        names = set(keep)
        gone = 0
        try:
            entries = list(self.folder.iterdir())
        except FileNotFoundError:
            return 0
        for entry in entries:
            try:
                if entry.name not in names and entry.is_file() and entry.stat().st_mtime < before:
                    entry.unlink()
                    gone += 1
            except FileNotFoundError:
                continue
        return gone

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def snapshot_name(article_id: str, sha256: str) -> str:
    """The file name of the snapshot of one version (`sha256`) of an article."""
    return f"{article_id}-{sha256[:12]}.txt"
