"""Incremental indexing: bring the collection in line with the folders and addresses, article by
article."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from index.chunking import Chunk, Chunker
from index.embedding import Embedder, Vectors
from index.reading.articles import READABLE_SUFFIXES, Article, find_articles
from index.reading.snapshots import Snapshots, snapshot_name
from index.reading.sources import Cut, Failed, Item, Keep, SourceReader, Unchanged, is_address
from index.search.catalog_sync import update_if_present
from index.search.store import ChunkStore, StoredFile

Progress = Callable[[int, int], None]
Stop = Callable[[], bool]
log = logging.getLogger(__name__)
# Files are embedded together until this many chunks wait, so small files still fill the model's
# batches, and written together, since each write to Chroma is a transaction: at 64, the writes
# took a fifth of the run once the model was fast.
_FLUSH_CHUNKS = 256


@dataclass
class IndexSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_written: int = 0
    chunks_total: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file or address, reason)
    cut: list[tuple[str, str]] = field(default_factory=list)  # (file or address, what a cap cut)
    stopped: bool = False  # asked to stop before every source was read

    def line(self) -> str:
        text = (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {len(self.skipped)} skipped files; "
            f"{self.chunks_written} chunks written, {self.chunks_total} in the index"
        )
        if self.cut:
            text += f"; {len(self.cut)} read in part"
        return text


def file_id(name: str) -> str:
    """An article's stable id, from its name (a file's path relative to the indexed folder)."""
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:16]


def chunk_id(fid: str, index: int) -> str:
    return f"{fid}:{index:04d}"


@dataclass
class _Pending:
    """An article to write: the article, its id and its chunks."""

    article: Article
    fid: str
    chunks: list[Chunk]
    is_update: bool
    snapshot: Path | None = None  # where its text is kept, once written


@dataclass
class _Plan:
    """What a run makes of the folders and addresses, decided source by source as it reads them.

    `writes` yields the articles to write (new or changed) and counts the others in the summary;
    after it, `removals` names the stored articles that are gone.
    """

    roots: list[Path]
    addresses: list[str]
    stored: dict[str, StoredFile]
    chunker: Chunker
    reader: SourceReader
    summary: IndexSummary
    stop: Stop
    seen: set[str] = field(default_factory=set)  # ids of the articles still there
    # (root, source) of the files and addresses whose indexed articles stay even if not read now.
    kept: set[tuple[str, str]] = field(default_factory=set)
    _by_source: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # The version (sha256) of each article the collection holds, as the run changes it.
    written: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for fid, old in self.stored.items():
            self._by_source.setdefault((old.root, old.source), []).append(fid)
            self.written[fid] = old.sha256

    def has_article(self, name: str) -> bool:
        old = self.stored.get(file_id(name))
        return old is not None and old.chunks == old.expected_chunks

    def has_source(self, root: str, source: str) -> bool:
        fids = self._by_source.get((root, source), [])
        return bool(fids) and all(
            self.stored[f].chunks == self.stored[f].expected_chunks for f in fids
        )

    def writes(self, progress: Progress | None) -> Iterator[_Pending]:
        """The new and changed articles, each as soon as it is read and split."""
        files = [f for root in self.roots for f in find_articles(root, READABLE_SUFFIXES)]
        sources = [partial(self.reader.file, f, self) for f in files]
        sources += [partial(self.reader.address, url, self) for url in self.addresses]
        by_sha: dict[str, str] = {}
        for done, read in enumerate(sources, start=1):
            if self.stop():
                self.summary.stopped = True
                return
            if progress:
                progress(done, len(sources))
            for item in read():
                if pending := self._take(item, by_sha):
                    yield pending

    def _take(self, item: Item, by_sha: dict[str, str]) -> _Pending | None:
        """Count an item in the summary; the article to write, if it is one that changed."""
        if isinstance(item, Cut):
            self.summary.cut.append((item.name, item.what))
            return None
        if isinstance(item, Failed | Keep):
            # What was indexed of it before stays: a source that can't be read now loses nothing.
            self.kept.add((item.root, item.source))
            if isinstance(item, Failed):
                self.summary.skipped.append((item.name, item.reason))
            return None
        if isinstance(item, Unchanged):
            fids = [file_id(item.name)] if item.name else self._by_source[(item.root, item.source)]
            self.seen.update(fids)
            self.summary.unchanged += len(fids)
            return None
        article, fid = item, file_id(item.name)
        self.summary.cut.extend((article.name, what) for what in article.cuts)
        if fid in self.seen:
            elsewhere = "feed or page" if is_address(article.root) else "folder"
            self.summary.skipped.append((article.name, f"same name in another {elsewhere}"))
            return None
        if (twin := by_sha.get(article.sha256)) is not None:
            # Not marked as seen, so chunks an earlier run stored under this name go.
            self.summary.skipped.append((article.name, f"duplicate of {twin}"))
            return None
        self.seen.add(fid)
        by_sha[article.sha256] = article.name
        old = self.stored.get(fid)
        if old and old.sha256 == article.sha256 and old.chunks == old.expected_chunks:
            self.summary.unchanged += 1
            return None
        chunks = self._chunks(article.name, article)
        return _Pending(article, fid, chunks, is_update=old is not None) if chunks else None

    def _chunks(self, name: str, article: Article) -> list[Chunk]:
        """The article's chunks; none (and a line in the summary) when it can't be split."""
        try:
            chunks = self.chunker.split(article.text)
        except Exception as exc:
            # One strange file must not stop the run: it is named in the summary instead.
            log.debug("could not split %s", name, exc_info=True)
            self.summary.skipped.append((name, f"could not be split ({exc.__class__.__name__})"))
            return []
        if not chunks:
            self.summary.skipped.append((name, "no text to index"))
        return chunks

    def removals(self) -> Iterator[str]:
        """Ids of the stored articles to delete: gone from a folder indexed now, or from a folder
        that is itself gone. Articles from addresses stay (an entry that left its feed is still
        news), and so does everything when the run stopped before reading every source."""
        if self.summary.stopped:
            return
        roots = {str(r) for r in self.roots}
        for fid, old in self.stored.items():
            if fid in self.seen or (old.root, old.source) in self.kept or is_address(old.root):
                continue
            if old.root in roots or not Path(old.root).is_dir():
                yield fid


def _batches(pending: Iterable[_Pending]) -> Iterator[list[_Pending]]:
    """Files to write, grouped until a group holds `_FLUSH_CHUNKS` chunks."""
    batch: list[_Pending] = []
    for p in pending:
        batch.append(p)
        if sum(len(b.chunks) for b in batch) >= _FLUSH_CHUNKS:
            yield batch
            batch = []
    if batch:
        yield batch


class Indexer:
    """Reads folders and addresses into a ChunkStore, skipping what is already there unchanged."""

    def __init__(
        self,
        store: ChunkStore,
        embedder: Embedder,
        chunker: Chunker,
        *,
        reader: SourceReader,
        snapshots: Snapshots,
        catalog_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.reader = reader
        self.snapshots = snapshots
        self.catalog_dir = catalog_dir

    def run(
        self,
        folders: Sequence[Path],
        *,
        addresses: Sequence[str] = (),
        rebuild: bool = False,
        progress: Progress | None = None,
        stop: Stop | None = None,
    ) -> IndexSummary:
        """Bring the collection in line with `folders` and `addresses`: write new and changed
        articles, delete those gone from the folders; `rebuild` starts from an empty collection.

        When `stop` turns true, the run ends after the article it is reading, keeping what it wrote
        and deleting nothing.
        """
        if not rebuild:
            self.store.check_model()
        started = time.time()
        summary = IndexSummary()
        state = self.reader.state
        with self.store.changes():
            if rebuild:
                self.store.reset()
                self.snapshots.clear()
                state.clear()
            plan = _Plan(
                [folder.resolve() for folder in folders],
                list(addresses),
                self.store.stored_files(),
                self.chunker,
                self.reader,
                summary,
                stop or (lambda: False),
            )
            # Each group is embedded in the background while the next is read and split and the
            # one before is written: reading, splitting and writing use one core, and the model
            # would otherwise leave the others idle meanwhile.
            with ThreadPoolExecutor(1) as background:
                ready: tuple[list[_Pending], Future[Vectors]] | None = None
                for batch in _batches(plan.writes(progress)):
                    plan.written.update((p.fid, p.article.sha256) for p in batch)
                    texts = [_embedding_text(p.article, c) for p in batch for c in p.chunks]
                    embedding = background.submit(self.embedder.embed, texts)
                    if ready:
                        self._write(*ready, summary)
                    ready = batch, embedding
                if ready:
                    self._write(*ready, summary)
            for fid in plan.removals():
                self.store.delete_file(fid)
                self.snapshots.prune(fid)
                summary.removed += 1
                plan.written.pop(fid, None)
            if not summary.stopped:
                # What a run killed part way left: snapshots no stored chunk cites.
                keep = (snapshot_name(fid, sha) for fid, sha in plan.written.items())
                self.snapshots.prune_orphans(keep, before=started)
        # Only now that the writes are in: a run that failed halfway reads its sources again.
        state.save()
        if self.catalog_dir is not None:
            # A process started next in this data dir then finds the catalogue current; this one
            # has Chroma open already, which is the slow part of an update.
            update_if_present(self.store, self.catalog_dir)
        summary.chunks_total = self.store.count()
        return summary

    def close(self) -> None:
        self.reader.close()

    def _write(
        self, batch: list[_Pending], embedding: Future[Vectors], summary: IndexSummary
    ) -> None:
        vectors = embedding.result()
        # Delete first: a run killed between the two leaves incomplete files, which the next run
        # sees (chunk count below n_chunks) and writes again. A new file has nothing to delete.
        for p in batch:
            if p.is_update:
                self.store.delete_file(p.fid)
            if p.article.snapshot:
                p.snapshot = self.snapshots.save(p.fid, p.article)
        nodes: list[Any] = []
        row = 0
        for p in batch:
            n = len(p.chunks)
            nodes += _nodes(p, vectors[row : row + n])
            row += n
            summary.chunks_written += n
            if p.is_update:
                summary.updated += 1
            else:
                summary.added += 1
        # One write for the whole batch: each write is a transaction, about 20 ms in embedded
        # Chroma, which one-chunk files would otherwise pay each.
        self.store.add_nodes(nodes)
        for p in batch:
            if p.snapshot is not None:
                # The chunks that quoted the article's earlier text are gone: so goes that text.
                self.snapshots.prune(p.fid, keep=p.snapshot)


def _embedding_text(article: Article, chunk: Chunk) -> str:
    # The first chunk starts with the title; later ones get it prepended so that they match too.
    return chunk.text if chunk.index == 0 else f"{article.title}\n{chunk.text}"


def _nodes(p: _Pending, vectors: Any) -> list[Any]:
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    article = p.article
    published = article.published
    # What is known of articles other than plain-text files: kept only where there is a value, so
    # that a .txt or .md article's chunks are as they were.
    extra = {
        "source": article.source if article.source != article.name else None,
        "url": article.url,
        "author": article.author,
        "language": article.language,
        "snapshot": str(p.snapshot) if p.snapshot else None,
    }
    nodes = []
    for chunk, vector in zip(p.chunks, vectors, strict=True):
        meta: dict[str, Any] = {
            "file": article.name,
            "root": article.root,
            "title": article.title,
            "date": published.isoformat() if published else "",
            "day": published.toordinal() if published else 0,
            "start": chunk.start,
            "end": chunk.end,
            "chunk": chunk.index,
            "n_chunks": len(p.chunks),
            "sha256": article.sha256,
            "sentences": json.dumps(chunk.sentences, separators=(",", ":")),
        } | {key: value for key, value in extra.items() if value}
        nodes.append(
            TextNode(
                id_=chunk_id(p.fid, chunk.index),
                text=chunk.text,
                metadata=meta,
                embedding=vector.tolist(),
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=p.fid)},
                excluded_embed_metadata_keys=list(meta),
                excluded_llm_metadata_keys=list(meta),
            )
        )
    return nodes
