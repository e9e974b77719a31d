"""Incremental indexing: bring the collection in line with the article folders, file by file."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.articles import Article, find_articles, read_article
from index.chunking import Chunk, Chunker
from index.embedding import Embedder, Vectors
from index.errors import ArticleError
from index.store import ChunkStore, StoredFile

Progress = Callable[[int, int], None]
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
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def line(self) -> str:
        text = (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {len(self.skipped)} skipped files; "
            f"{self.chunks_written} chunks written, {self.chunks_total} in the index"
        )
        return text


def file_id(name: str) -> str:
    """A file's stable id: its path relative to the indexed folder."""
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:16]


def chunk_id(fid: str, index: int) -> str:
    return f"{fid}:{index:04d}"


@dataclass
class _Pending:
    """A file to write: its article, its id and its chunks."""

    article: Article
    fid: str
    chunks: list[Chunk]
    is_update: bool


@dataclass
class _Plan:
    """What a run makes of the folders, decided file by file as it reads them.

    `writes` yields the files to write (new or changed) and counts the others in the summary;
    after it, `removals` names the stored files that are gone.
    """

    roots: list[Path]
    stored: dict[str, StoredFile]
    chunker: Chunker
    summary: IndexSummary
    seen: set[str] = field(default_factory=set)  # ids of the files still in the folders

    def writes(self, progress: Progress | None) -> Iterator[_Pending]:
        """The new and changed files, each as soon as it is read and split."""
        files = [f for root in self.roots for f in find_articles(root)]
        skipped = self.summary.skipped
        by_sha: dict[str, str] = {}
        for done, af in enumerate(files, start=1):
            if progress:
                progress(done, len(files))
            fid = file_id(af.name)
            if fid in self.seen:
                skipped.append((af.name, "same name in another folder"))
                continue
            try:
                article = read_article(af)
            except ArticleError as exc:
                # What was indexed of it before stays: a file that can't be read now loses nothing.
                self.seen.add(fid)
                skipped.append((af.name, str(exc)))
                continue
            if (twin := by_sha.get(article.sha256)) is not None:
                # Not marked as seen, so chunks an earlier run stored under this name go.
                skipped.append((af.name, f"duplicate of {twin}"))
                continue
            self.seen.add(fid)
            by_sha[article.sha256] = af.name
            old = self.stored.get(fid)
            if old and old.sha256 == article.sha256 and old.chunks == old.expected_chunks:
                self.summary.unchanged += 1
                continue
            if chunks := self._chunks(af.name, article):
                yield _Pending(article, fid, chunks, is_update=old is not None)

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
        """Ids of the stored files to delete: gone from a folder indexed now, or from a folder
        that is itself gone."""
        for fid, old in self.stored.items():
            if fid in self.seen:
                continue
            if old.root in {str(r) for r in self.roots} or not Path(old.root).is_dir():
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
    """Reads folders of articles into a ChunkStore, skipping what is already there unchanged."""

    def __init__(self, store: ChunkStore, embedder: Embedder, chunker: Chunker) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = chunker

    def run(
        self, folders: Sequence[Path], *, rebuild: bool = False, progress: Progress | None = None
    ) -> IndexSummary:
        """Bring the collection in line with `folders`: write new and changed files, delete those
        that are gone; `rebuild` starts from an empty collection."""
        if not rebuild:
            self.store.check_model()
        summary = IndexSummary()
        with self.store.changes():
            if rebuild:
                self.store.reset()
            plan = _Plan(
                [folder.resolve() for folder in folders],
                self.store.stored_files(),
                self.chunker,
                summary,
            )
            # Each group is embedded in the background while the next is read and split and the
            # one before is written: reading, splitting and writing use one core, and the model
            # would otherwise leave the others idle meanwhile.
            with ThreadPoolExecutor(1) as background:
                ready: tuple[list[_Pending], Future[Vectors]] | None = None
                for batch in _batches(plan.writes(progress)):
                    texts = [_embedding_text(p.article, c) for p in batch for c in p.chunks]
                    embedding = background.submit(self.embedder.embed, texts)
                    if ready:
                        self._write(*ready, summary)
                    ready = batch, embedding
                if ready:
                    self._write(*ready, summary)
            for fid in plan.removals():
                self.store.delete_file(fid)
                summary.removed += 1
        summary.chunks_total = self.store.count()
        return summary

    def _write(
        self, batch: list[_Pending], embedding: Future[Vectors], summary: IndexSummary
    ) -> None:
        vectors = embedding.result()
        # Delete first: a run killed between the two leaves incomplete files, which the next run
        # sees (chunk count below n_chunks) and writes again. A new file has nothing to delete.
        for p in batch:
            if p.is_update:
                self.store.delete_file(p.fid)
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


def _embedding_text(article: Article, chunk: Chunk) -> str:
    # The first chunk starts with the title; later ones get it prepended so that they match too.
    return chunk.text if chunk.index == 0 else f"{article.title}\n{chunk.text}"


def _nodes(p: _Pending, vectors: Any) -> list[Any]:
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    article = p.article
    published = article.published
    nodes = []
    for chunk, vector in zip(p.chunks, vectors, strict=True):
        meta: dict[str, Any] = {
            "file": article.file.name,
            "root": str(article.file.root),
            "title": article.title,
            "date": published.isoformat() if published else "",
            "day": published.toordinal() if published else 0,
            "start": chunk.start,
            "end": chunk.end,
            "chunk": chunk.index,
            "n_chunks": len(p.chunks),
            "sha256": article.sha256,
            "sentences": json.dumps(chunk.sentences, separators=(",", ":")),
        }
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
