"""The Chroma collection that holds the chunks: opening it, checking its model, reading and writing."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import EmbeddingMismatch, StoreError

# Keys this project writes into each chunk's metadata (LlamaIndex adds its own beside them).
FILE_ID = "document_id"  # LlamaIndex's ref_doc_id: one per article file


@dataclass(frozen=True)
class ChromaConfig:
    """Where the collection lives: a folder (embedded) or a Chroma server."""

    path: Path
    collection: str
    host: str | None = None
    port: int = 8000
    ssl: bool = False
    auth_token: str | None = None

    @property
    def where(self) -> str:
        return f"the Chroma server at {self.host}:{self.port}" if self.host else f"{self.path}"


@dataclass(frozen=True)
class StoredFile:
    """What the collection holds of one article file."""

    file_id: str
    name: str
    root: str
    sha256: str
    expected_chunks: int
    chunks: int


@contextmanager
def chroma_errors(action: str, config: ChromaConfig) -> Iterator[None]:
    """Turn the many ways Chroma fails into one StoreError with a message a user can act on."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        if config.host:
            hint = "is it running? Start it with `chroma run` or unset CHROMA_HOST."
        else:
            hint = (
                "another newsbot process may hold it; to share one store between processes, "
                "run a Chroma server and set CHROMA_HOST."
            )
        detail = str(exc).splitlines()[0][:200] if str(exc) else exc.__class__.__name__
        raise StoreError(f"could not {action} {config.where} ({detail}): {hint}") from exc


class ChunkStore:
    """One Chroma collection of article chunks, stamped with the embedding model that built it."""

    def __init__(self, config: ChromaConfig, embed_model: str, embed_dim: int) -> None:
        self.config = config
        self.embed_model = embed_model
        self.embed_dim = embed_dim
        with chroma_errors("open", config):
            self._client = _client(config)
            self._collection = self._client.get_or_create_collection(
                config.collection,
                metadata={"embed_model": embed_model, "embed_dim": embed_dim},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )

    @property
    def collection(self) -> Any:
        return self._collection

    @property
    def metadata(self) -> dict[str, Any]:
        with chroma_errors("read", self.config):
            self._collection = self._client.get_collection(self.config.collection)
            return dict(self._collection.metadata or {})

    def check_model(self) -> None:
        """Stop with a clear message if the collection was built with another embedding model."""
        meta = self.metadata
        built_with = (meta.get("embed_model"), meta.get("embed_dim"))
        if built_with != (self.embed_model, self.embed_dim) and self.count() > 0:
            raise EmbeddingMismatch(
                f"the index was built with {built_with[0]} ({built_with[1]} dimensions) but "
                f"newsbot is set to {self.embed_model} ({self.embed_dim} dimensions): "
                "run `newsbot index --rebuild` to rebuild it with the current model."
            )

    def count(self) -> int:
        with chroma_errors("read", self.config):
            return int(self._collection.count())

    def reset(self) -> None:
        """Delete every chunk and stamp the empty collection with the current model."""
        with chroma_errors("reset", self.config):
            self._client.delete_collection(self.config.collection)
            self._collection = self._client.create_collection(
                self.config.collection,
                metadata={"embed_model": self.embed_model, "embed_dim": self.embed_dim},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )

    def stored_files(self) -> dict[str, StoredFile]:
        """Every file the collection holds chunks of, keyed by file id."""
        counts: dict[str, int] = {}
        first: dict[str, Mapping[str, Any]] = {}
        for meta in self._iter_metadata():
            fid = str(meta.get(FILE_ID, ""))
            counts[fid] = counts.get(fid, 0) + 1
            first.setdefault(fid, meta)
        return {
            fid: StoredFile(
                file_id=fid,
                name=str(meta.get("file", "")),
                root=str(meta.get("root", "")),
                sha256=str(meta.get("sha256", "")),
                expected_chunks=int(meta.get("n_chunks", -1)),
                chunks=counts[fid],
            )
            for fid, meta in first.items()
        }

    def delete_file(self, file_id: str) -> None:
        with chroma_errors("write to", self.config):
            self._collection.delete(where={FILE_ID: file_id})

    def add_nodes(self, nodes: Sequence[Any]) -> None:
        """Write LlamaIndex nodes (with embeddings) through LlamaIndex's Chroma store.

        Going through ChromaVectorStore keeps the collection in LlamaIndex's own layout, so any
        LlamaIndex application can open it with `VectorStoreIndex.from_vector_store`.
        """
        from llama_index.vector_stores.chroma import ChromaVectorStore

        with chroma_errors("write to", self.config):
            ChromaVectorStore(chroma_collection=self._collection).add(list(nodes))

    def mark_changed(self) -> None:
        """Record that the contents changed, so every process's lexical index is rebuilt."""
        meta = self.metadata
        meta.update(version=uuid.uuid4().hex, indexed_at=time.time())
        meta.pop("hnsw:space", None)
        with chroma_errors("write to", self.config):
            self._collection.modify(metadata=meta)

    def query(
        self, vector: Sequence[float], n: int, where: dict[str, Any] | None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `n` nearest chunks."""
        n = min(n, self.count())
        if n <= 0:
            return []
        with chroma_errors("search", self.config):
            res = self._collection.query(
                query_embeddings=[list(vector)], n_results=n, where=where, include=["distances"]
            )
        return [
            (i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)
        ]

    def all_chunks(self) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
        """(id, text, metadata) of every chunk, in pages so a large collection is not read at once."""
        page = 2000
        offset = 0
        while True:
            with chroma_errors("read", self.config):
                res = self._collection.get(
                    include=["documents", "metadatas"], limit=page, offset=offset
                )
            ids = res["ids"]
            if not ids:
                return
            yield from zip(ids, res["documents"], res["metadatas"], strict=True)
            offset += len(ids)

    def _iter_metadata(self) -> Iterator[Mapping[str, Any]]:
        page = 5000
        offset = 0
        while True:
            with chroma_errors("read", self.config):
                res = self._collection.get(include=["metadatas"], limit=page, offset=offset)
            if not res["ids"]:
                return
            yield from res["metadatas"]
            offset += len(res["ids"])


def _client(config: ChromaConfig) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if config.host:
        headers = {"Authorization": f"Bearer {config.auth_token}"} if config.auth_token else None
        return chromadb.HttpClient(
            host=config.host,
            port=config.port,
            ssl=config.ssl,
            headers=headers,
            settings=chroma_settings,
        )
    config.path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(config.path), settings=chroma_settings)


def sentence_spans_from(meta: Mapping[str, Any]) -> list[tuple[int, int]]:
    raw = meta.get("sentences") or "[]"
    return [(int(a), int(b)) for a, b in json.loads(str(raw))]
