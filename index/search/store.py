"""The Chroma collection that holds the chunks: opening it, checking its model, reading and writing.

It is the durable copy of the index; searches read the catalogue (`catalog`), which `catalog_sync`
builds from it. How the collection is reached (a folder or a server) is `chroma`'s.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from index.errors import (
    EmbeddingMismatch,
)
from index.search.chroma import (
    ChromaConfig,
    chroma_errors,
    client_for,
    embedded_metadata,
    lock_for_writing,
)

# Keys this project writes into each chunk's metadata (LlamaIndex adds its own beside them).
FILE_ID = "document_id"  # LlamaIndex's ref_doc_id: one per article file
# The collection's metadata keeps a log of which files each recent version changed, so that a
# reader a few versions behind fetches only those. Every question reads the metadata, so the log
# is bounded: beyond these, a reader that far behind reads the whole collection again.
CHANGE_LOG_VERSIONS = 50
CHANGE_LOG_FILES = 2000


@dataclass
class _Changes:
    """A `changes()` block under way."""

    repair: bool  # an earlier run died while writing
    wrote: bool = False
    files: set[str] = field(default_factory=set)  # the ids of the files it wrote or deleted
    everything: bool = False  # it emptied the collection: no list of files says what changed


@dataclass(frozen=True)
class StoredFile:
    """What the collection holds of one article file."""

    root: str
    sha256: str
    expected_chunks: int
    chunks: int
    source: str = ""  # the file or address that held it (the file itself for most)


class ChunkStore:
    """One Chroma collection of article chunks, stamped with the embedding model that built it."""

    def __init__(self, config: ChromaConfig, embed_model: str, embed_dim: int) -> None:
        self.config = config
        self.embed_model = embed_model
        self.embed_dim = embed_dim
        self._write_lock: int | None = None
        self._changes: _Changes | None = None  # the `changes()` block under way
        # Version stamps this object wrote: its own process already holds what they stand for.
        self._own_versions: set[object] = set()
        # Chroma's client is opened when first needed: importing it is half of a cold `newsbot
        # ask`, which needs only the collection's metadata when the catalogue on disk is current.
        self._client: Any = None
        self._collection: Any = None
        self._version: object = None
        if embedded_metadata(config) is None:
            self._open()

    def _open(self) -> Any:
        if self._collection is None:
            with chroma_errors("open", self.config):
                self._client = client_for(self.config)
                self._collection = self._client.get_or_create_collection(
                    self.config.collection,
                    metadata=self._fresh_metadata(),
                    configuration={"hnsw": {"space": "cosine"}},
                    embedding_function=None,
                )
                self._version = (self._collection.metadata or {}).get("version")
        return self._collection

    @property
    def collection(self) -> Any:
        return self._open()

    @property
    def metadata(self) -> dict[str, Any]:
        cheap = embedded_metadata(self.config) if self._collection is None else None
        if cheap is not None:
            return cheap
        self._open()
        with chroma_errors("read", self.config):
            self._collection = self._client.get_collection(self.config.collection)
            meta = dict(self._collection.metadata or {})
        version = meta.get("version")
        if version != self._version:
            if version not in self._own_versions and not self.config.host:
                meta = self._reopen()
            self._version = version
        return meta

    def _reopen(self) -> dict[str, Any]:
        """Open the embedded store again, to see what another process wrote since it was opened.

        Embedded Chroma keeps each process's vector index in memory and never re-reads it, so
        without this a long-running reader would not find, by meaning, articles indexed meanwhile.
        """
        from chromadb.api.shared_system_client import SharedSystemClient

        with chroma_errors("open", self.config):
            # Chroma hands out one cached instance per folder; forget it so that a fresh one is
            # built. Clients already open keep theirs and work as before.
            SharedSystemClient.clear_system_cache()
            self._client = client_for(self.config)
            self._collection = self._client.get_collection(self.config.collection)
            return dict(self._collection.metadata or {})

    def check_model(self) -> None:
        """Stop with a clear message if the collection was built with another embedding model."""
        meta = self.metadata
        built_with = (meta.get("embed_model"), meta.get("embed_dim"))
        if built_with != (self.embed_model, self.embed_dim) and self.count() > 0:
            raise EmbeddingMismatch(
                f"the collection was built with {built_with[0]} ({built_with[1]} dimensions) but "
                f"is read with {self.embed_model} ({self.embed_dim} dimensions)"
            )

    def count(self) -> int:
        collection = self._open()
        with chroma_errors("read", self.config):
            return int(collection.count())

    def reset(self) -> None:
        """Delete every chunk and stamp the empty collection with the current model."""
        self._before_write()
        if self._changes is not None:
            self._changes.everything = True
        self._open()
        with chroma_errors("reset", self.config):
            self._client.delete_collection(self.config.collection)
            self._collection = self._client.create_collection(
                self.config.collection,
                metadata={**self._fresh_metadata(), "writing": uuid.uuid4().hex},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )

    def _fresh_metadata(self) -> dict[str, Any]:
        # A new version stamp, so that no process mistakes the new collection for one it has cached.
        return {
            "embed_model": self.embed_model,
            "embed_dim": self.embed_dim,
            "version": self._new_version(),
        }

    def _new_version(self) -> str:
        version = uuid.uuid4().hex
        self._own_versions.add(version)
        return version

    @property
    def interrupted(self) -> bool:
        """Whether a run that wrote to the collection stopped before it finished."""
        return bool(self.metadata.get("writing"))

    @contextmanager
    def changes(self) -> Iterator[None]:
        """A run of writes, which other processes see as one new version of the collection.

        The block's first write (`reset`, `delete_file`, `add_nodes`) takes the writer's lock and
        marks the collection as being written. Embedded Chroma lets two processes write at once,
        each with its own copy of the vector index, so a second writer is turned away there. The
        mark stays if the run dies, so that the next run stamps a new version even when it finds
        nothing left to write. When the block ends without an error, it stamps a new version if
        it wrote or found that mark; the lock is released either way.
        """
        run = _Changes(repair=self.interrupted)
        self._changes = run
        try:
            yield
            if run.wrote or run.repair:
                self.mark_changed()
        finally:
            self._changes = None
            if self._write_lock is not None:
                os.close(self._write_lock)
                self._write_lock = None

    def _before_write(self) -> None:
        """The first write of a `changes()` block takes the writer's lock and sets the mark."""
        run = self._changes
        if run is None or run.wrote:
            return
        if self._write_lock is None and not self.config.host:
            self._write_lock = lock_for_writing(self.config)
        meta = self.metadata
        meta["writing"] = uuid.uuid4().hex
        self._modify(meta)
        run.wrote = True

    def stored_files(self) -> dict[str, StoredFile]:
        """Every file the collection holds chunks of, keyed by file id."""
        counts: dict[str, int] = {}
        first: dict[str, Mapping[str, Any]] = {}
        for page in self.pages(["metadatas"]):
            for meta in page["metadatas"]:
                fid = str(meta.get(FILE_ID, ""))
                counts[fid] = counts.get(fid, 0) + 1
                first.setdefault(fid, meta)
        return {
            fid: StoredFile(
                root=str(meta.get("root", "")),
                sha256=str(meta.get("sha256", "")),
                expected_chunks=int(meta.get("n_chunks", -1)),
                chunks=counts[fid],
                source=str(meta.get("source") or meta.get("file", "")),
            )
            for fid, meta in first.items()
        }

    def delete_file(self, file_id: str) -> None:
        self._before_write()
        if self._changes is not None:
            self._changes.files.add(file_id)
        with chroma_errors("write to", self.config):
            self.collection.delete(where={FILE_ID: file_id})

    def add_nodes(self, nodes: Sequence[Any]) -> None:
        """Write LlamaIndex nodes (with embeddings) through LlamaIndex's Chroma store.

        Going through ChromaVectorStore keeps the collection in LlamaIndex's own layout, so any
        LlamaIndex application can open it with `VectorStoreIndex.from_vector_store`.
        """
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self._before_write()
        if self._changes is not None:
            self._changes.files.update(str(n.ref_doc_id) for n in nodes)
        with chroma_errors("write to", self.config):
            ChromaVectorStore(chroma_collection=self.collection).add(list(nodes))

    def mark_changed(self) -> None:
        """Stamp a new version, logging which files changed since the last one when this process
        knows (it wrote them in a `changes()` block that did not find an earlier run's mark)."""
        meta = self.metadata
        run = self._changes
        files = None if run is None or run.repair or run.everything else run.files
        old = str(meta.get("version", ""))
        version = self._new_version()
        meta.update(
            version=version,
            indexed_at=time.time(),
            writing="",
            changes=_logged(str(meta.get("changes") or "[]"), old, version, files),
        )
        self._modify(meta)

    def changed_files(self, since: str, meta: Mapping[str, Any]) -> set[str] | None:
        """The ids of the files changed between version `since` and the one in `meta` (the
        collection's metadata), or None when the log cannot say (too old, or not recorded)."""
        log = json.loads(str(meta.get("changes") or "[]"))
        steps = {entry[0]: entry for entry in log}
        files: set[str] = set()
        version = since
        target = str(meta.get("version", ""))
        while version != target:
            step = steps.get(version)
            if step is None or step[2] is None:
                return None
            files.update(step[2])
            version = step[1]
        return files

    def chunks_of(self, file_ids: Collection[str]) -> Iterator[Mapping[str, Any]]:
        """The chunks of these files, with their texts, metadata and embeddings: Chroma's `get`
        answers, a few hundred files at a time."""
        ids = sorted(file_ids)
        for at in range(0, len(ids), 500):
            where = {FILE_ID: {"$in": ids[at : at + 500]}}
            with chroma_errors("read", self.config):
                yield self.collection.get(
                    where=where, include=["documents", "metadatas", "embeddings"]
                )

    def _modify(self, meta: dict[str, Any]) -> None:
        # Chroma replaces the whole metadata; hnsw:space is a configuration key it refuses there.
        meta.pop("hnsw:space", None)
        with chroma_errors("write to", self.config):
            self.collection.modify(metadata=meta)

    def all_chunks(self) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
        """(id, text, metadata) of every chunk, in pages so a large collection is not read at once."""
        for page in self.pages(["documents", "metadatas"], size=2000):
            yield from zip(page["ids"], page["documents"], page["metadatas"], strict=True)

    def pages(self, include: Sequence[str], *, size: int = 5000) -> Iterator[Mapping[str, Any]]:
        """The whole collection, `size` chunks at a time: Chroma's `get` answers, each with the
        chunks' ids and the fields named in `include` ("documents", "metadatas", "embeddings")."""
        offset = 0
        while True:
            with chroma_errors("read", self.config):
                page = self.collection.get(include=list(include), limit=size, offset=offset)
            if not len(page["ids"]):
                return
            yield page
            offset += len(page["ids"])


def sentence_spans_from(meta: Mapping[str, Any]) -> list[tuple[int, int]]:
    raw = meta.get("sentences") or "[]"
    return [(int(a), int(b)) for a, b in json.loads(str(raw))]


def _logged(log_text: str, old: str, new: str, files: set[str] | None) -> str:
    """The change log with a step from version `old` to `new` appended, oldest steps dropped to
    keep it within bounds. A step's files are None when they are unknown or too many."""
    if files is not None and len(files) > CHANGE_LOG_FILES:
        files = None
    log: list[list[Any]] = json.loads(log_text)
    log.append([old, new, sorted(files) if files is not None else None])
    log = log[-CHANGE_LOG_VERSIONS:]
    while sum(len(step[2] or ()) for step in log) > CHANGE_LOG_FILES:
        log.pop(0)
    return json.dumps(log, separators=(",", ":"))
